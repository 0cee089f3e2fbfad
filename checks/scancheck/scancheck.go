// Package scancheck is the `scan` probe kind: gate on a security scanner's
// findings, read as SARIF 2.1.0 (Trivy, Grype, Semgrep, gosec, CodeQL,
// OSV-Scanner) from a file or from a scanner command's stdout. Findings
// are counted by severity and held against thresholds; an ignore needs a
// reason and an expiry, and stops counting when it expires.
package scancheck

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/cmdrun"
	"github.com/readyctl/readyctl/checks/evidencefile"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "scan",
		New:          func() checks.Probe { return New() },
		Summary:      "security-scanner findings from SARIF 2.1.0 (a file or a command's stdout), by severity, against thresholds",
		Example:      example,
		Context:      []string{"top"},
		Observations: observations,
	})
}

var observations = []checks.Observation{
	{Name: "findings", Type: checks.TypeMap, Doc: "findings counted by severity: findings.critical, .high, .medium, .low", Key: true},
	{Name: "findings.critical", Type: checks.TypeInt, Doc: "security-severity 9.0 and above"},
	{Name: "findings.high", Type: checks.TypeInt, Doc: "security-severity 7.0 to 8.9, or level error without a score"},
	{Name: "findings.medium", Type: checks.TypeInt, Doc: "security-severity 4.0 to 6.9, or level warning (the default) without a score"},
	{Name: "findings.low", Type: checks.TypeInt, Doc: "security-severity below 4.0, or level note without a score"},
	{Name: "total", Type: checks.TypeInt, Doc: "findings counted (not ignored, not suppressed in the source)", Key: true},
	{Name: "ignored", Type: checks.TypeInt, Doc: "findings matched by an ignore: entry that has not expired"},
	{Name: "rules", Type: checks.TypeList, Doc: "the rule ids with findings, most severe first"},
	{Name: "top", Type: checks.TypeList, Doc: "the most severe findings (up to 10), each {rule, severity, location, message}"},
	{Name: "tools", Type: checks.TypeList, Doc: "the scanners named in the SARIF runs"},
}

// Ignore is an accepted finding: a rule id, why, and until when.
type Ignore struct {
	Rule    string `yaml:"rule" doc:"the rule (or CVE) id to ignore"`
	Reason  string `yaml:"reason" doc:"why it is acceptable (required)"`
	Expires string `yaml:"expires" doc:"date (2027-01-31) or RFC 3339 time after which it counts again (required)"`

	until time.Time
}

// Probe is the `scan:` block of an item.
type Probe struct {
	File     string         `yaml:"file" doc:"the SARIF file (or use command: to read a scanner's stdout)"`
	Max      map[string]int `yaml:"max" doc:"most findings allowed per severity (critical, high, medium, low); default {critical: 0, high: 0}"`
	Ignore   []Ignore       `yaml:"ignore" doc:"findings accepted for a while: rule, reason and expires are all required"`
	MaxAge   time.Duration  `yaml:"max_age" doc:"refuse a file modified longer ago than this (e.g. 24h); 0 = any age"`
	MaxBytes int64          `yaml:"max_bytes" doc:"bound on the SARIF document (default 32 MiB)"`
	// The scanner, run instead of reading file:, with its stdout as SARIF.
	cmdrun.Spec `yaml:",inline"`

	now func() time.Time
}

// New returns a Probe with its defaults.
func New() *Probe { return &Probe{now: time.Now} }

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	switch {
	case p.File == "" && len(p.Command) == 0:
		return checks.FieldErrorf("file", "give file: (a SARIF file) or command: (a scanner writing SARIF to stdout)")
	case p.File != "" && len(p.Command) > 0:
		return checks.FieldErrorf("command", "give file: or command:, not both")
	}
	if len(p.Command) > 0 {
		if err := p.Spec.Validate(""); err != nil {
			return err
		}
	}
	for sev, n := range p.Max {
		if !contains(severities, sev) {
			return checks.FieldErrorf("max."+sev, "unknown severity %q: expected %s", sev, strings.Join(severities, ", "))
		}
		if n < 0 {
			return checks.FieldErrorf("max."+sev, "must be 0 or more")
		}
	}
	for i := range p.Ignore {
		ig := &p.Ignore[i]
		field := fmt.Sprintf("ignore[%d]", i)
		switch {
		case strings.TrimSpace(ig.Rule) == "":
			return checks.FieldErrorf(field+".rule", "rule is required")
		case strings.TrimSpace(ig.Reason) == "":
			return checks.FieldErrorf(field+".reason", "an ignore needs a reason (like a waiver)")
		case ig.Expires == "":
			return checks.FieldErrorf(field+".expires", "an ignore needs an expiry date: accepted risk is reviewed again")
		}
		t, err := parseDate(ig.Expires)
		if err != nil {
			return checks.FieldErrorf(field+".expires", "%q: expected a date such as 2027-01-31 or an RFC 3339 time", ig.Expires)
		}
		ig.until = t
	}
	if p.MaxBytes < 0 {
		return checks.FieldErrorf("max_bytes", "must be 0 (default) or more")
	}
	return nil
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(24 * time.Hour), nil // the whole day counts
	}
	return time.Parse(time.RFC3339, s)
}

// Run reads the SARIF and judges the findings.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{}
	data, source, err := p.read(ctx)
	if err != nil {
		return obs, err
	}
	findings, err := parse(source, data)
	if err != nil {
		return obs, checks.WithReason(checks.ReasonParse, err)
	}
	now := p.now()
	var counted []Finding
	ignored := 0
	var expired []string
	for _, f := range findings {
		switch ig := p.ignoreFor(f.Rule); {
		case ig == nil:
			counted = append(counted, f)
		case now.Before(ig.until):
			ignored++
		default:
			counted = append(counted, f)
			expired = appendUnique(expired, f.Rule)
		}
	}
	rank(counted)
	for k, v := range observe(counted, ignored, findings) {
		obs[k] = v
	}
	return obs, p.judge(counted, expired)
}

func (p *Probe) read(ctx context.Context) ([]byte, string, error) {
	max := p.MaxBytes
	if max == 0 {
		max = evidencefile.DefaultMaxBytes
	}
	if len(p.Command) > 0 {
		spec := p.Spec
		spec.MaxOutput = max
		res, err := cmdrun.Run(ctx, &spec)
		if err != nil {
			return nil, "", err
		}
		if res.Truncated {
			return nil, "", checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("%s wrote more than %d bytes of SARIF (max_bytes)", p.Command[0], max))
		}
		// Scanners exit non-zero when they find something; the SARIF says what.
		if len(res.Stdout) == 0 {
			return nil, "", fmt.Errorf("%s exited with %d and wrote no SARIF to stdout", p.Command[0], res.ExitCode)
		}
		return res.Stdout, p.Command[0] + " stdout", nil
	}
	eo := evidencefile.Options{MaxBytes: max, MaxAge: p.MaxAge, Now: p.now()}
	f, err := evidencefile.Open(p.File, eo)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	return data, p.File, err
}

func (p *Probe) ignoreFor(rule string) *Ignore {
	for i := range p.Ignore {
		if p.Ignore[i].Rule == rule {
			return &p.Ignore[i]
		}
	}
	return nil
}

func observe(counted []Finding, ignored int, all []Finding) checks.Observations {
	bySev := map[string]any{}
	for _, s := range severities {
		bySev[s] = 0
	}
	var rules []any
	seen := map[string]bool{}
	for _, f := range counted {
		bySev[f.Severity] = bySev[f.Severity].(int) + 1
		if !seen[f.Rule] {
			seen[f.Rule] = true
			rules = append(rules, f.Rule)
		}
	}
	var top []any
	for i, f := range counted {
		if i == 10 {
			break
		}
		top = append(top, map[string]any{"rule": f.Rule, "severity": f.Severity, "location": f.Location, "message": f.Message})
	}
	toolSet := map[string]bool{}
	for _, f := range all {
		toolSet[f.Tool] = true
	}
	var tools []any
	for _, t := range sortedKeys(toolSet) {
		tools = append(tools, t)
	}
	return checks.Observations{
		"findings": bySev, "total": len(counted), "ignored": ignored,
		"rules": orEmpty(rules), "top": orEmpty(top), "tools": orEmpty(tools),
	}
}

func (p *Probe) judge(counted []Finding, expired []string) error {
	max := p.Max
	if max == nil {
		max = map[string]int{"critical": 0, "high": 0}
	}
	n := map[string]int{}
	for _, f := range counted {
		n[f.Severity]++
	}
	var over []string
	for _, s := range severities {
		if limit, ok := max[s]; ok && n[s] > limit {
			over = append(over, fmt.Sprintf("%d %s (max %d)", n[s], s, limit))
		}
	}
	if len(over) == 0 {
		return nil
	}
	var worst []string
	for i, f := range counted {
		if i == 3 {
			break
		}
		w := fmt.Sprintf("%s %s", f.Severity, f.Rule)
		if f.Location != "" {
			w += " at " + f.Location
		}
		worst = append(worst, w)
	}
	msg := strings.Join(over, ", ") + ": " + strings.Join(worst, "; ")
	if len(expired) > 0 {
		msg += fmt.Sprintf(" (ignore expired for %s)", strings.Join(expired, ", "))
	}
	return checks.Fail("", "%s", msg)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

var _ checks.Probe = (*Probe)(nil)
