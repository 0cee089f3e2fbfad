package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestPrometheusOutputAndPush: -o prometheus=PATH replaces the file
// atomically (readable by a collector running as another user, no
// temporary file left) with metrics client_golang's parser reads; a push
// that fails is reported but does not change the exit code.
func TestPrometheusOutputAndPush(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ok.Close()
	path := writeFile(t, "c.yaml", "version: 1\nname: Metrics run\nsections:\n  - id: s\n    items:\n      - id: api\n        http: {url: \""+ok.URL+"\"}\n")
	dir := t.TempDir()
	out := filepath.Join(dir, "readyctl.prom")
	os.WriteFile(out, []byte("stale\n"), 0o600)

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + l.Addr().String()
	l.Close()

	code, _, stderr := runCLI(t, nil, "check", "-f", path, "-o", "prometheus="+out, "--pushgateway", refused)
	if code != ExitReady {
		t.Fatalf("exit %d: a failed push must not change the verdict's exit code; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "pushing metrics failed") || !strings.Contains(stderr, "connection refused") {
		t.Errorf("push error not reported: %s", stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("stat %v %v", fi, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	f, _ := os.Open(out)
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("textfile does not parse: %v", err)
	}
	ready := families["readyctl_run_ready"]
	if ready == nil || ready.Metric[0].GetGauge().GetValue() != 1 {
		t.Errorf("readyctl_run_ready: %v", ready)
	}
	if families["readyctl_item_status"] == nil || families["readyctl_item_duration_seconds"] == nil || families["readyctl_run_items"] == nil || families["readyctl_run_timestamp_seconds"] == nil {
		t.Errorf("families: %v", families)
	}
}
