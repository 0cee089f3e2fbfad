package testscheck

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The JUnit XML that pytest, gotestsum/go-junit-report, Jest (jest-junit),
// Maven Surefire, Newman, Playwright and k6 write: a <testsuites> root or a
// single <testsuite>, suites possibly nested, each <testcase> with an
// optional <failure>, <error> or <skipped>. Counts are taken from the test
// cases themselves, never from the suites' attributes, which tools fill
// differently (or not at all).
type xmlSuite struct {
	Name   string     `xml:"name,attr"`
	Suites []xmlSuite `xml:"testsuite"`
	Cases  []xmlCase  `xml:"testcase"`
	Time   string     `xml:"time,attr"`
}

type xmlCase struct {
	Name      string      `xml:"name,attr"`
	Classname string      `xml:"classname,attr"`
	File      string      `xml:"file,attr"`
	Time      string      `xml:"time,attr"`
	Failure   *xmlProblem `xml:"failure"`
	Error     *xmlProblem `xml:"error"`
	Skipped   *xmlProblem `xml:"skipped"`
}

type xmlProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Failure is one failed or errored test case.
type Failure struct {
	Name    string
	Message string
	File    string
}

// tally is what one or more JUnit files add up to.
type tally struct {
	total, passed, failed, errors, skipped, suites int
	duration                                       time.Duration
	failures                                       []Failure
	failuresSeen                                   int
}

// ParseError says where a JUnit file is malformed.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: not valid JUnit XML: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: not valid JUnit XML: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// add reads one JUnit document into t, keeping at most maxFailures
// failure details.
func (t *tally) add(name string, r io.Reader, maxFailures int) error {
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return &ParseError{File: name, Err: errors.New("no <testsuites> or <testsuite> element")}
			}
			return parseError(name, dec, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var root xmlSuite
		switch start.Name.Local {
		case "testsuites", "testsuite":
			if err := dec.DecodeElement(&root, &start); err != nil {
				return parseError(name, dec, err)
			}
		default:
			return &ParseError{File: name, Err: fmt.Errorf("root element <%s>, expected <testsuites> or <testsuite>", start.Name.Local)}
		}
		if start.Name.Local == "testsuite" {
			t.suite(root, maxFailures)
		} else {
			for _, s := range root.Suites {
				t.suite(s, maxFailures)
			}
			if len(root.Cases) > 0 { // some tools put cases at the top
				t.suite(xmlSuite{Name: root.Name, Cases: root.Cases}, maxFailures)
			}
		}
		return nil
	}
}

func parseError(name string, dec *xml.Decoder, err error) error {
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		return &ParseError{File: name, Line: syn.Line, Err: errors.New(syn.Msg)}
	}
	line, _ := dec.InputPos()
	return &ParseError{File: name, Line: line, Err: err}
}

func (t *tally) suite(s xmlSuite, maxFailures int) {
	t.suites++
	var caseTime time.Duration
	for _, c := range s.Cases {
		t.total++
		caseTime += seconds(c.Time)
		var p *xmlProblem
		switch {
		case c.Error != nil:
			t.errors++
			p = c.Error
		case c.Failure != nil:
			t.failed++
			p = c.Failure
		case c.Skipped != nil:
			t.skipped++
		default:
			t.passed++
		}
		if p == nil {
			continue
		}
		t.failuresSeen++
		if len(t.failures) < maxFailures {
			t.failures = append(t.failures, Failure{Name: caseName(c), Message: message(p), File: c.File})
		}
	}
	if st := seconds(s.Time); st > caseTime {
		caseTime = st
	}
	t.duration += caseTime
	for _, inner := range s.Suites {
		t.suite(inner, maxFailures)
	}
}

func caseName(c xmlCase) string {
	if c.Classname != "" && !strings.Contains(c.Name, c.Classname) {
		return c.Classname + "." + c.Name
	}
	return c.Name
}

// message is the failure's one-line summary: its message attribute, else
// the first line of its text.
func message(p *xmlProblem) string {
	m := strings.TrimSpace(p.Message)
	if m == "" {
		m = strings.TrimSpace(p.Text)
	}
	m, _, _ = strings.Cut(m, "\n")
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	return m
}

func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}
