package promcheck_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReadCaps: an endless or huge answer stops at max_bytes, and a result
// of too many series is refused, both with reason too_large.
func TestReadCaps(t *testing.T) {
	series := func(w io.Writer, n int) {
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
		for i := range n {
			if i > 0 {
				io.WriteString(w, ",")
			}
			fmt.Fprintf(w, `{"metric":{"i":"%d"},"value":[1700000000,"1"]}`, i)
		}
		io.WriteString(w, `]}}`)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/v1/query" && r.FormValue("query") == "endless":
			io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
			item := []byte(strings.Repeat(`{"metric":{"job":"x"},"value":[1700000000,"1"]},`, 1000))
			for {
				if _, err := w.Write(item); err != nil {
					return
				}
			}
		case r.URL.Path == "/api/v1/query" && r.FormValue("query") == "many":
			series(w, 10001)
		case r.URL.Path == "/api/v1/query":
			series(w, 3)
		case r.URL.Path == "/api/v1/targets":
			io.WriteString(w, `{"status":"success","data":{"activeTargets":[`+strings.Repeat(`{"labels":{"job":"a"},"health":"up"},`, 100000)+`{"labels":{"job":"a"},"health":"up"}],"droppedTargets":[]}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"endless result", "url: " + srv.URL + "\nquery: endless", want{Status: "error", Reason: "too_large",
			Contains: []string{`query "endless": `, "larger than max_bytes 8388608 (8.0 MiB)"}}},
		{"too many series", "url: " + srv.URL + "\nquery: many\nmax_bytes: 100000000", want{Status: "error", Reason: "too_large",
			Contains: []string{"10001 series, more than the 10000"}}},
		{"targets over a small cap", "url: " + srv.URL + "\ntargets: {}\nmax_bytes: 100000", want{Status: "error", Reason: "too_large",
			Contains: []string{"larger than max_bytes 100000"}}},
		{"small answer", "url: " + srv.URL + "\nquery: small\nmax_bytes: 100000", want{Status: "pass", Holds: []string{"len(result) == 3"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.check(t, run(t, tc.block))
		})
	}
}
