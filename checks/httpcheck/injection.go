package httpcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/readyctl/readyctl/checks"
)

// Injection is the `injection:` block.
type Injection struct {
	Params []string `yaml:"params" doc:"parameters to fill with the canary, one request each (required)"`
	In     string   `yaml:"in" doc:"where the params go: query (default; set in the URL's query) or json (set in the json: object, sent with the probe's method)"`
}

const (
	inQuery = "query"
	inJSON  = "json"
)

func (p *Probe) validateInjection() error {
	in := p.Injection
	if in == nil {
		return nil
	}
	if len(in.Params) == 0 {
		return checks.FieldErrorf("injection.params", "injection.params needs at least one parameter name")
	}
	seen := map[string]bool{}
	for i, name := range in.Params {
		if strings.TrimSpace(name) == "" {
			return checks.FieldErrorf(fmt.Sprintf("injection.params[%d]", i), "empty parameter name")
		}
		if seen[name] {
			return checks.FieldErrorf(fmt.Sprintf("injection.params[%d]", i), "parameter %q listed twice", name)
		}
		seen[name] = true
	}
	in.In = strings.ToLower(strings.TrimSpace(in.In))
	switch in.In {
	case "":
		in.In = inQuery
	case inQuery:
	case inJSON:
		if p.Body != "" {
			return checks.FieldErrorf("injection.in", "injection in: json sets fields of the json: body, but this probe sends body:")
		}
		if _, ok := p.JSON.(map[string]any); p.JSON != nil && !ok {
			return checks.FieldErrorf("injection.in", "injection in: json needs json: to be an object (or absent)")
		}
	default:
		return checks.FieldErrorf("injection.in", "injection.in %q: want query or json", in.In)
	}
	return p.requireSafeMethod("injection")
}

// dbErrorSignatures are fragments database drivers and frameworks put in
// error pages. Matching is case-insensitive.
var dbErrorSignatures = regexp.MustCompile(`(?i)(` + strings.Join([]string{
	`you have an error in your sql syntax`,
	`SQLSTATE\[?\w*\]?`,
	`\bORA-\d{5}`,
	`pg_query\(`,
	`pg_exec\(`,
	`mysql_fetch_\w+`,
	`mysqli?_num_rows`,
	`Warning: mysql`,
	`MySqlException`,
	`SQLite error`,
	`SQLite3::`,
	`sqlite3\.OperationalError`,
	`SQLITE_ERROR`,
	`unterminated quoted string`,
	`syntax error at or near`,
	`syntax error at end of input`,
	`unclosed quotation mark after the character string`,
	`quoted string not properly terminated`,
	`SQL command not properly ended`,
	`PSQLException`,
	`org\.postgresql\.util`,
	`psycopg2\.\w+`,
	`PG::SyntaxError`,
	`ActiveRecord::StatementInvalid`,
	`System\.Data\.SqlClient\.SqlException`,
	`Microsoft OLE DB Provider for SQL Server`,
	`ODBC SQL Server Driver`,
	`java\.sql\.SQLException`,
	`SQLSyntaxErrorException`,
	`DB2 SQL error`,
	`Sequelize\w*Error`,
	`near "[^"]*": syntax error`,
}, "|") + `)`)

// checkInjection sends one request per param with a canary such as
// readyctl'"<rc1a2b3c4d>: quotes and angle brackets that break a naively
// built SQL string or HTML page, and nothing that could change data.
func checkInjection(ctx context.Context, e *env, obs checks.Observations) ([]string, error) {
	in := e.p.Injection
	o := map[string]any{"in": in.In}
	obs["injection"] = o
	params := map[string]any{}
	o["params"] = params
	var problems []string
	for _, name := range in.Params {
		marker := "rc" + randomHex(4)
		canary := `readyctl'"<` + marker + `>`
		req, err := e.p.request(ctx)
		if err != nil {
			return problems, err
		}
		switch in.In {
		case inQuery:
			q := req.URL.Query()
			q.Set(name, canary)
			req.URL.RawQuery = q.Encode()
		case inJSON:
			obj := map[string]any{}
			if m, ok := jsonCompatible(e.p.JSON).(map[string]any); ok {
				for k, v := range m {
					obj[k] = v
				}
			}
			obj[name] = canary
			b, err := json.Marshal(obj)
			if err != nil {
				return problems, fmt.Errorf("encoding json body: %w", err)
			}
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := e.do(e.client, req)
		if err != nil {
			return problems, err
		}
		po := map[string]any{"canary": canary, "status": resp.Status, "db_error": nil, "reflected": "no"}
		params[name] = po
		where := fmt.Sprintf("%s %s", in.In, name)
		if resp.Status >= 500 {
			problems = append(problems, fmt.Sprintf("%s: status %d for the canary %s", where, resp.Status, canary))
		}
		if sig := newDBError(resp.Body, e.main.Body); sig != "" {
			po["db_error"] = sig
			problems = append(problems, fmt.Sprintf("%s: the response shows a database error (%q) for the canary %s", where, sig, canary))
		}
		isJSON := strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "json")
		switch how, seen, rawChars := reflection(resp.Body, marker, isJSON); how {
		case "raw":
			po["reflected"] = how
			po["reflected_as"] = seen
			problems = append(problems, fmt.Sprintf("%s: the canary %s comes back with %s unencoded in the body: %s", where, canary, rawChars, seen))
		case "encoded":
			po["reflected"] = how
		}
	}
	o["ok"] = len(problems) == 0
	return problems, nil
}

// newDBError returns the first database error signature in body that the
// main response did not already contain (a page about SQL is not a leak).
func newDBError(body, baseline []byte) string {
	for _, m := range dbErrorSignatures.FindAll(body, -1) {
		if !bytes.Contains(bytes.ToLower(baseline), bytes.ToLower(m)) {
			return string(m)
		}
	}
	return ""
}

// reflection says how the canary comes back: "no", "encoded" or "raw",
// and for "raw" the text as seen and which characters were not encoded.
// Each occurrence of the marker is judged with the text between it and
// the preceding "readyctl" (how '"< was rendered): an unescaped " or a <
// is raw. In a JSON response a < inside a string is harmless and \" is
// escaped, so only an unescaped " counts there. A raw ' is not judged: it
// only matters inside single-quoted attributes.
func reflection(body []byte, marker string, isJSON bool) (how, seen, rawChars string) {
	s := string(body)
	found := false
	for off := 0; ; {
		i := strings.Index(s[off:], marker)
		if i < 0 {
			break
		}
		i += off
		off = i + len(marker)
		found = true
		from := max(0, i-40)
		prefix := s[from:i]
		if j := strings.LastIndex(prefix, "readyctl"); j >= 0 {
			from += j
			prefix = prefix[j+len("readyctl"):]
		} else {
			from = max(0, i-1) // only the character before the marker
			prefix = s[from:i]
		}
		var raw []string
		if !isJSON && strings.Contains(prefix, "<") {
			raw = append(raw, "<")
		}
		for k := 0; k < len(prefix); k++ {
			if prefix[k] == '"' && (k == 0 || prefix[k-1] != '\\') {
				raw = append([]string{`"`}, raw...)
				break
			}
		}
		if len(raw) > 0 {
			end := min(len(s), off+8)
			if k := strings.IndexAny(s[off:end], "\n<"); k >= 0 {
				end = off + k
			}
			return "raw", s[from:end], strings.Join(raw, " and ")
		}
	}
	if found {
		return "encoded", "", ""
	}
	return "no", "", ""
}
