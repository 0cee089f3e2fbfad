package platform

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The evidence the checklist's evidence kinds read: a DNS server for the
// site's name, the JUnit XML reports of test suites run against the
// platform's own services, and a SARIF report. In real use CI and a
// scanner write these files; the demo writes them, and the suites really
// run, so a fault shows in their pass rates.

// startDNS serves the site's name (A 127.0.0.1) on one free loopback port,
// over UDP and TCP.
func (p *Platform) startDNS(name string) error {
	pc, l, err := listenDNS()
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	zone := dns.Fqdn(strings.ToLower(name))
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		for _, q := range r.Question {
			if strings.ToLower(q.Name) != zone {
				m.Rcode = dns.RcodeNameError
				continue
			}
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		_ = w.WriteMsg(m)
	})
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		go func() { _ = srv.ActivateAndServe() }()
		p.cleanup(func() { _ = srv.Shutdown() })
	}
	p.Vars["dns_server"] = pc.LocalAddr().String()
	return nil
}

// listenDNS finds a port free for both UDP and TCP.
func listenDNS() (net.PacketConn, net.Listener, error) {
	var last error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		last = err
		pc.Close()
	}
	return nil, nil, last
}

// suiteCase is one test of a suite: nil is a pass.
type suiteCase struct {
	name string
	run  func(ctx context.Context) error
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// runSuite runs the cases one after the other and writes their JUnit XML
// report to path.
func runSuite(ctx context.Context, name, path string, cases []suiteCase) error {
	s := junitSuite{Name: name, Tests: len(cases), Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05")}
	t0 := time.Now()
	for _, c := range cases {
		ct := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.run(cctx)
		cancel()
		jc := junitCase{Name: c.name, Classname: "demo." + name, Time: fmt.Sprintf("%.3f", time.Since(ct).Seconds())}
		if err != nil {
			s.Failures++
			jc.Failure = &junitFailure{Message: err.Error(), Text: err.Error()}
		}
		s.Cases = append(s.Cases, jc)
	}
	s.Time = fmt.Sprintf("%.3f", time.Since(t0).Seconds())
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{s}}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), out...), 0o644)
}

// call makes one request and checks its status; into, when set, receives
// the JSON body.
func call(ctx context.Context, c *http.Client, method, url, token string, body any, want int, into any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d", method, url, resp.StatusCode, want)
	}
	if into != nil {
		if err := json.Unmarshal(data, into); err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
	}
	return nil
}

// writeEvidence runs the integration, security and smoke suites against
// the platform's services and writes their reports and the scan report.
func (p *Platform) writeEvidence(ctx context.Context) error {
	dir := filepath.Join(p.Dir, "reports")
	v := p.Vars
	client := &http.Client{Timeout: 5 * time.Second}
	email := "suite-" + newID() + "@example.com"
	const password = "correct horse battery"
	var token string

	integration := []suiteCase{
		{"auth: register a new user", func(ctx context.Context) error {
			return call(ctx, client, "POST", v["auth"]+"/v1/auth/register", "", map[string]string{"email": email, "password": password}, http.StatusCreated, nil)
		}},
		{"auth: register refuses a short password", func(ctx context.Context) error {
			return call(ctx, client, "POST", v["auth"]+"/v1/auth/register", "", map[string]string{"email": "short-" + email, "password": "abc"}, http.StatusBadRequest, nil)
		}},
		{"auth: register refuses a duplicate", func(ctx context.Context) error {
			return call(ctx, client, "POST", v["auth"]+"/v1/auth/register", "", map[string]string{"email": email, "password": password}, http.StatusConflict, nil)
		}},
		{"auth: login returns a bearer token", func(ctx context.Context) error {
			var out struct{ Token string }
			if err := call(ctx, client, "POST", v["auth"]+"/v1/auth/login", "", map[string]string{"email": email, "password": password}, http.StatusOK, &out); err != nil {
				return err
			}
			if out.Token == "" {
				return errors.New("login: no token")
			}
			token = out.Token
			return nil
		}},
		{"auth: the token identifies the user", func(ctx context.Context) error {
			var out struct{ Email string }
			if err := call(ctx, client, "GET", v["auth"]+"/v1/auth/me", token, nil, http.StatusOK, &out); err != nil {
				return err
			}
			if out.Email != email {
				return fmt.Errorf("me: %q, want %q", out.Email, email)
			}
			return nil
		}},
		{"core: balance with the user's token", func(ctx context.Context) error {
			var out struct{ Balance *int }
			if err := call(ctx, client, "GET", v["core"]+"/v1/credits/balance", token, nil, http.StatusOK, &out); err != nil {
				return err
			}
			if out.Balance == nil || *out.Balance < 0 {
				return errors.New("balance: missing or negative")
			}
			return nil
		}},
		{"mcp: model listing", func(ctx context.Context) error {
			var out struct{ Data []any }
			if err := call(ctx, client, "GET", v["mcp"]+"/v1/models", "", nil, http.StatusOK, &out); err != nil {
				return err
			}
			if len(out.Data) == 0 {
				return errors.New("models: none listed")
			}
			return nil
		}},
		{"analytics: usage", func(ctx context.Context) error {
			var out struct{ Events *int }
			if err := call(ctx, client, "GET", v["analytics"]+"/v1/usage", "", nil, http.StatusOK, &out); err != nil {
				return err
			}
			if out.Events == nil {
				return errors.New("usage: no events count")
			}
			return nil
		}},
		{"gateway: aggregate health", func(ctx context.Context) error {
			var out struct{ Status string }
			if err := call(ctx, client, "GET", v["gateway"]+"/health", "", nil, http.StatusOK, &out); err != nil {
				return err
			}
			if out.Status != "ok" {
				return fmt.Errorf("gateway health: %q", out.Status)
			}
			return nil
		}},
	}
	if err := runSuite(ctx, "integration", filepath.Join(dir, "integration.xml"), integration); err != nil {
		return err
	}

	balance := v["core"] + "/v1/credits/balance"
	security := []suiteCase{
		{"no token is refused", func(ctx context.Context) error {
			return call(ctx, client, "GET", balance, "", nil, http.StatusUnauthorized, nil)
		}},
		{"a malformed bearer token is refused", func(ctx context.Context) error {
			return call(ctx, client, "GET", balance, "not-a-jwt", nil, http.StatusUnauthorized, nil)
		}},
		{"an unsigned alg:none token is refused", func(ctx context.Context) error {
			none := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
				b64.EncodeToString([]byte(fmt.Sprintf(`{"sub":"admin","exp":%d}`, time.Now().Add(time.Hour).Unix()))) + "."
			return call(ctx, client, "GET", balance, none, nil, http.StatusUnauthorized, nil)
		}},
		{"a token signed with another key is refused", func(ctx context.Context) error {
			return call(ctx, client, "GET", balance, signJWT([]byte("not-the-key"), "admin", time.Hour, time.Now()), nil, http.StatusUnauthorized, nil)
		}},
		{"an expired token is refused", func(ctx context.Context) error {
			return call(ctx, client, "GET", balance, signJWT(p.jwtKey, "admin", -time.Hour, time.Now()), nil, http.StatusUnauthorized, nil)
		}},
		{"a wrong password is refused", func(ctx context.Context) error {
			return call(ctx, client, "POST", v["auth"]+"/v1/auth/login", "", map[string]string{"email": email, "password": "wrong password"}, http.StatusUnauthorized, nil)
		}},
		{"search does not echo an injection payload", func(ctx context.Context) error {
			payload := "'\"><script>alert(1)</script> OR 1=1--"
			req, err := http.NewRequestWithContext(ctx, "GET", v["core"]+"/v1/search", nil)
			if err != nil {
				return err
			}
			q := req.URL.Query()
			q.Set("q", payload)
			req.URL.RawQuery = q.Encode()
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if bytes.Contains(body, []byte("<script>")) {
				return errors.New("search echoes the payload")
			}
			return nil
		}},
	}
	if err := runSuite(ctx, "security", filepath.Join(dir, "security.xml"), security); err != nil {
		return err
	}

	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(v["ca_file"]); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	tlsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var smoke []suiteCase
	for _, svc := range []string{"auth", "core", "mcp", "analytics", "gateway"} {
		smoke = append(smoke, suiteCase{svc + " is healthy", func(ctx context.Context) error {
			return call(ctx, client, "GET", v[svc]+"/health", "", nil, http.StatusOK, nil)
		}})
	}
	smoke = append(smoke,
		suiteCase{"the site answers over TLS", func(ctx context.Context) error {
			return call(ctx, tlsClient, "GET", v["site"]+"/", "", nil, http.StatusOK, nil)
		}},
		suiteCase{"plain http redirects to https", func(ctx context.Context) error {
			return call(ctx, tlsClient, "GET", v["site_http"]+"/", "", nil, http.StatusMovedPermanently, nil)
		}})
	if err := runSuite(ctx, "smoke", filepath.Join(dir, "smoke.xml"), smoke); err != nil {
		return err
	}
	p.Vars["integration_reports"] = filepath.Join(dir, "integration.xml")
	p.Vars["security_reports"] = filepath.Join(dir, "security.xml")
	p.Vars["smoke_reports"] = filepath.Join(dir, "smoke.xml")

	sarif := filepath.Join(dir, "scan.sarif")
	if err := os.WriteFile(sarif, []byte(scanReport), 0o644); err != nil {
		return err
	}
	p.Vars["scan_report"] = sarif
	return nil
}

// scanReport stands in for a scanner's output: one low finding, under the
// checklist's gate (no critical, no high).
const scanReport = `{
  "version": "2.1.0",
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "runs": [{
    "tool": {"driver": {"name": "readyctl demo (written by the demo; in real use a scanner writes this file)", "version": "0",
      "rules": [{"id": "DEMO-0001", "shortDescription": {"text": "Verbose server banner"}, "defaultConfiguration": {"level": "note"}}]}},
    "results": [{"ruleId": "DEMO-0001", "level": "note", "message": {"text": "the front sends a Server header (informational)"},
      "locations": [{"physicalLocation": {"artifactLocation": {"uri": "deploy/nginx.conf"}}}]}]
  }]
}
`

// rulesTest is a promtool unit test of the platform's alerting rules: the
// alert fires at a 10% error ratio, and stays quiet without errors.
const rulesTest = `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'http_requests_total{code="200"}'
        values: '0+90x20'
      - series: 'http_requests_total{code="500"}'
        values: '0+10x20'
    alert_rule_test:
      - eval_time: 15m
        alertname: GatewayErrorRateHigh
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: "More than 5% of gateway requests fail"}
  - interval: 1m
    input_series:
      - series: 'http_requests_total{code="200"}'
        values: '0+100x20'
    alert_rule_test:
      - eval_time: 15m
        alertname: GatewayErrorRateHigh
        exp_alerts: []
`
