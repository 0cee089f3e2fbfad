package scancheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The parts of SARIF 2.1.0 a gate needs, as Trivy, Grype, Semgrep, gosec,
// CodeQL and OSV-Scanner write them.
type sarifLog struct {
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver struct {
			Name  string      `json:"name"`
			Rules []sarifRule `json:"rules"`
		} `json:"driver"`
	} `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifRule struct {
	ID                   string `json:"id"`
	DefaultConfiguration *struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties map[string]any `json:"properties"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID    string `json:"id"`
		Index *int   `json:"index"`
	} `json:"rule"`
	Level   string `json:"level"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	Suppressions []struct {
		Status string `json:"status"`
	} `json:"suppressions"`
	Properties map[string]any `json:"properties"`
}

// Severities, most severe first.
var severities = []string{"critical", "high", "medium", "low"}

// Finding is one result judged.
type Finding struct {
	Rule, Severity, Location, Message, Tool string
}

// ParseError says where a SARIF document is malformed.
type ParseError struct {
	Source string
	Line   int
	Err    error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: not valid SARIF: %v", e.Source, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: not valid SARIF: %v", e.Source, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// parse reads one SARIF document and returns its findings. Results that
// are suppressed in the source (an accepted suppression) or of level
// "none" are not findings.
func parse(source string, data []byte) ([]Finding, error) {
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		return nil, &ParseError{Source: source, Line: lineOf(data, err), Err: err}
	}
	if log.Version != "2.1.0" {
		return nil, &ParseError{Source: source, Err: fmt.Errorf("version %q, expected 2.1.0", log.Version)}
	}
	var out []Finding
	for _, run := range log.Runs {
		byID := map[string]*sarifRule{}
		for i := range run.Tool.Driver.Rules {
			byID[run.Tool.Driver.Rules[i].ID] = &run.Tool.Driver.Rules[i]
		}
		for _, res := range run.Results {
			if suppressed(res) {
				continue
			}
			rule := ruleOf(&run, byID, res)
			id := res.RuleID
			if id == "" && res.Rule != nil {
				id = res.Rule.ID
			}
			if id == "" && rule != nil {
				id = rule.ID
			}
			sev, ok := severity(res, rule)
			if !ok {
				continue
			}
			out = append(out, Finding{Rule: id, Severity: sev, Location: location(res), Message: oneLine(res.Message.Text), Tool: run.Tool.Driver.Name})
		}
	}
	return out, nil
}

func ruleOf(run *sarifRun, byID map[string]*sarifRule, res sarifResult) *sarifRule {
	idx := res.RuleIndex
	if idx == nil && res.Rule != nil {
		idx = res.Rule.Index
	}
	if idx != nil && *idx >= 0 && *idx < len(run.Tool.Driver.Rules) {
		return &run.Tool.Driver.Rules[*idx]
	}
	id := res.RuleID
	if id == "" && res.Rule != nil {
		id = res.Rule.ID
	}
	return byID[id]
}

// severity: a security-severity score (CVSS bands) on the result or its
// rule wins; otherwise the result's level, else the rule's default level,
// else "warning", as SARIF 2.1.0 says: error -> high, warning -> medium,
// note -> low. Level "none" is not a finding.
func severity(res sarifResult, rule *sarifRule) (string, bool) {
	if s, ok := score(res.Properties); ok {
		return band(s), true
	}
	if rule != nil {
		if s, ok := score(rule.Properties); ok {
			return band(s), true
		}
	}
	level := res.Level
	if level == "" && rule != nil && rule.DefaultConfiguration != nil {
		level = rule.DefaultConfiguration.Level
	}
	switch level {
	case "error":
		return "high", true
	case "", "warning":
		return "medium", true
	case "note":
		return "low", true
	}
	return "", false
}

func score(props map[string]any) (float64, bool) {
	v, ok := props["security-severity"]
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && f >= 0 && f <= 10
	case float64:
		return x, x >= 0 && x <= 10
	}
	return 0, false
}

func band(s float64) string {
	switch {
	case s >= 9:
		return "critical"
	case s >= 7:
		return "high"
	case s >= 4:
		return "medium"
	}
	return "low"
}

func suppressed(res sarifResult) bool {
	for _, s := range res.Suppressions {
		if s.Status == "" || s.Status == "accepted" {
			return true
		}
	}
	return false
}

func location(res sarifResult) string {
	if len(res.Locations) == 0 {
		return ""
	}
	pl := res.Locations[0].PhysicalLocation
	if pl.Region.StartLine > 0 {
		return fmt.Sprintf("%s:%d", pl.ArtifactLocation.URI, pl.Region.StartLine)
	}
	return pl.ArtifactLocation.URI
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// lineOf turns a JSON error's byte offset into a line number.
func lineOf(data []byte, err error) int {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return 0
	}
	return strings.Count(string(data[:off]), "\n") + 1
}

// rank orders findings most severe first, then by rule and location.
func rank(fs []Finding) {
	order := map[string]int{}
	for i, s := range severities {
		order[s] = i
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if order[fs[i].Severity] != order[fs[j].Severity] {
			return order[fs[i].Severity] < order[fs[j].Severity]
		}
		if fs[i].Rule != fs[j].Rule {
			return fs[i].Rule < fs[j].Rule
		}
		return fs[i].Location < fs[j].Location
	})
}
