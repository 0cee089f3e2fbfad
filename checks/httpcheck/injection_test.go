package httpcheck

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"testing"
)

// naiveSQL builds a query by string concatenation and shows the driver's
// error, as a vulnerable handler does.
func naiveSQL(status int, errText string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.ContainsAny(r.URL.Query().Get("q"), `'"`) {
			w.WriteHeader(status)
			fmt.Fprint(w, errText)
			return
		}
		fmt.Fprint(w, `{"results":[]}`)
	}
}

var page = template.Must(template.New("p").Parse(`<html><body><p>Results for {{.}}</p></body></html>`))

func TestInjection(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		cfg     string
		extra   string // more probe fields
		fails   []string
		refl    string // reflected observation of the first param
	}{
		{name: "escaped by html/template", cfg: "{params: [q]}", refl: "encoded",
			handler: func(w http.ResponseWriter, r *http.Request) { _ = page.Execute(w, r.URL.Query().Get("q")) }},
		{name: "echoed by encoding/json", cfg: "{params: [q, sort], in: query}", refl: "encoded",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]string{"q": r.URL.Query().Get("q")})
			}},
		{name: "JSON with a raw < inside a string is fine", cfg: "{params: [q]}", refl: "encoded",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				q := strings.ReplaceAll(r.URL.Query().Get("q"), `"`, `\"`)
				fmt.Fprintf(w, `{"q":"%s"}`, q)
			}},
		{name: "not reflected, no error", cfg: "{params: [q]}", refl: "no",
			handler: func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }},
		{name: "page about SQL errors is not a leak", cfg: "{params: [q]}", refl: "no",
			handler: func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<h1>Troubleshooting SQLSTATE codes</h1>") }},
		{name: "raw reflection in HTML", cfg: "{params: [q]}", refl: "raw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "<p>Results for %s</p>", r.URL.Query().Get("q"))
			},
			fails: []string{`injection: query q: the canary readyctl'"<rc`, `> comes back with " and < unencoded in the body: readyctl'"<rc`}},
		{name: "quotes escaped, angle brackets raw", cfg: "{params: [q]}", refl: "raw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "<p>%s</p>", strings.NewReplacer(`'`, "&#39;", `"`, "&quot;").Replace(r.URL.Query().Get("q")))
			},
			fails: []string{"comes back with < unencoded in the body: readyctl&#39;&quot;<rc"}},
		{name: "angle brackets escaped, quotes raw", cfg: "{params: [q]}", refl: "raw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `<input value="%s">`, strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(r.URL.Query().Get("q")))
			},
			fails: []string{`comes back with " unencoded in the body: readyctl'"&lt;rc`}},
		{name: "JSON built by hand breaks out of the string", cfg: "{params: [q]}", refl: "raw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"q":"%s"}`, r.URL.Query().Get("q"))
			},
			fails: []string{`comes back with " unencoded in the body: readyctl'"<rc`}},
		{name: "postgres error with 500", cfg: "{params: [q]}", refl: "no",
			handler: naiveSQL(500, `pq: unterminated quoted string at or near "'"`),
			fails: []string{
				"injection: query q: status 500 for the canary readyctl'\"<rc",
				`injection: query q: the response shows a database error ("unterminated quoted string") for the canary`,
			}},
		{name: "mysql error with 200", cfg: "{params: [q]}", refl: "no",
			handler: naiveSQL(200, "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version"),
			fails:   []string{`the response shows a database error ("You have an error in your SQL syntax")`}},
		{name: "oracle error", cfg: "{params: [q]}", refl: "no",
			handler: naiveSQL(200, "ORA-01756: quoted string not properly terminated"),
			fails:   []string{`database error ("ORA-01756")`}},
		{name: "sqlite error", cfg: "{params: [q]}", refl: "no",
			handler: naiveSQL(400, `SQLite error: near "rc1": syntax error`),
			fails:   []string{`database error ("SQLite error")`}},
		{name: "only the vulnerable param is named", cfg: "{params: [page, q]}", refl: "no",
			handler: naiveSQL(500, "SQLSTATE[42000]: Syntax error"),
			fails:   []string{`injection: query q: status 500`, `query q: the response shows a database error ("SQLSTATE[42000]")`}},
		{name: "json body escaped", cfg: "{params: [name], in: json}", extra: "json: {limit: 10}", refl: "encoded",
			handler: func(w http.ResponseWriter, r *http.Request) {
				var in map[string]any
				_ = json.NewDecoder(r.Body).Decode(&in)
				_ = page.Execute(w, in["name"])
			}},
		{name: "json body reflected raw", cfg: "{params: [name], in: json}", refl: "raw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				var in map[string]any
				_ = json.NewDecoder(r.Body).Decode(&in)
				fmt.Fprintf(w, "<b>%v</b>", in["name"])
			},
			fails: []string{"injection: json name: the canary readyctl'\"<rc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			obs, err := run(t, load(t, "url: "+srv.URL+"/search?page=1\ninjection: "+tt.cfg+"\n"+tt.extra+"\n"))
			p := load(t, "url: http://x\ninjection: "+tt.cfg+"\n")
			if n, want := srv.count(), 1+len(p.Injection.Params); n != want {
				t.Errorf("%d requests, want the main one and one per param: %d", n, want)
			}
			first := p.Injection.Params[0]
			if len(p.Injection.Params) > 1 && strings.Contains(tt.name, "vulnerable") {
				first = p.Injection.Params[1]
			}
			if got := sub(t, obs, "injection", "params", first, "reflected"); got != tt.refl {
				t.Errorf("reflected = %v, want %v", got, tt.refl)
			}
			if len(tt.fails) == 0 {
				wantPass(t, err)
				return
			}
			msg := wantFail(t, err, tt.fails...)
			if strings.Contains(tt.name, "vulnerable") && strings.Contains(msg, "query page") {
				t.Errorf("a safe param was blamed: %s", msg)
			}
		})
	}
}

func TestInjectionRequests(t *testing.T) {
	srv := newServer(t, func(http.ResponseWriter, *http.Request) {})
	_, err := run(t, load(t, "url: "+srv.URL+"/s?page=2\nbearer_token: tok\nmethod: GET\njson: {limit: 10}\ninjection: {params: [name, city], in: json}\n"))
	wantPass(t, err)
	sent, bodies := srv.sent(), srv.sentBodies()
	for i, r := range sent[1:] {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: %s %v: want the configured request with the canary", i, r.Method, r.Header)
		}
		var in map[string]any
		if err := json.Unmarshal([]byte(bodies[i+1]), &in); err != nil || in["limit"] != float64(10) {
			t.Errorf("request %d body %q does not keep json:", i, bodies[i+1])
		}
	}
	if !strings.Contains(bodies[1], `"name":"readyctl'\"\u003crc`) || strings.Contains(bodies[1], "city") {
		t.Errorf("first body %q should carry the canary in name only", bodies[1])
	}

	qsrv := newServer(t, func(http.ResponseWriter, *http.Request) {})
	_, err = run(t, load(t, "url: "+qsrv.URL+"/s?page=2\ninjection: {params: [q]}\n"))
	wantPass(t, err)
	q := qsrv.sent()[1].URL.Query()
	if q.Get("page") != "2" || !strings.HasPrefix(q.Get("q"), `readyctl'"<rc`) || !strings.HasSuffix(q.Get("q"), ">") {
		t.Errorf("query = %v", q)
	}
}

func TestInjectionValidate(t *testing.T) {
	for cfg, want := range map[string]string{
		"injection: {params: []}":                          "injection.params needs at least one parameter name",
		"injection: {params: [q, q]}":                      `parameter "q" listed twice`,
		"injection: {params: [q], in: xml}":                `injection.in "xml": want query or json`,
		"method: POST\ninjection: {params: [q]}":           "injection repeats the request, so method must be GET, HEAD or OPTIONS, not POST",
		"body: x\ninjection: {params: [q], in: json}":      "this probe sends body:",
		"json: [1, 2]\ninjection: {params: [q], in: json}": "needs json: to be an object",
	} {
		if _, err := loadErr("url: http://x\n" + cfg + "\n"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", cfg, err, want)
		}
	}
}

func TestReflection(t *testing.T) {
	const m = "rc0011aabb"
	for body, want := range map[string]string{
		`x readyctl'"<rc0011aabb> y`:                "raw",
		`readyctl&#39;&#34;&lt;rc0011aabb&gt;`:      "encoded",
		`readyctl%27%22%3Crc0011aabb%3E`:            "encoded",
		`readyctl&#39;"&lt;rc0011aabb&gt;`:          "raw", // raw quote breaks an attribute
		`<rc0011aabb>`:                              "raw",
		`nothing here`:                              "no",
		`{"q":"readyctl'\"\u003crc0011aabb\u003e"}`: "encoded",
	} {
		if got, _, _ := reflection([]byte(body), m, false); got != want {
			t.Errorf("reflection(%q) = %s, want %s", body, got, want)
		}
	}
	if got, _, _ := reflection([]byte(`{"q":"readyctl'\"<rc0011aabb>"}`), m, true); got != "encoded" {
		t.Errorf("JSON string with escaped quote = %s", got)
	}
	how, seen, chars := reflection([]byte("<h1>readyctl'\"&lt;rc0011aabb&gt;</h1>\n"), m, false)
	if how != "raw" || seen != `readyctl'"&lt;rc0011aabb&gt;` || chars != `"` {
		t.Errorf("reflection = %s %q %q", how, seen, chars)
	}
}
