package testsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.yaml.in/yaml/v3"
)

// PrometheusOptions configures StartPrometheus.
type PrometheusOptions struct {
	// ScrapeJobs maps a job name to its static targets ("host:port").
	ScrapeJobs map[string][]string
	// Rules is the content of one rules file (rule groups YAML), or "".
	Rules string
	// WebConfig is the content of a --web.config.file (tls_server_config,
	// basic_auth_users), or "". When it enables TLS set Scheme to "https".
	WebConfig string
	// Scheme of the server's URL: "http" (default) or "https".
	Scheme string
	// Client is used for the readiness and state polls, e.g. one that
	// trusts the server's certificate. Default: a plain client.
	Client *http.Client
	// Username and Password are sent as basic auth on the polls when set.
	Username, Password string
	// Interval is the scrape and rule evaluation interval (default 1s).
	Interval time.Duration
}

// Prometheus is a running Prometheus server started by StartPrometheus.
type Prometheus struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Dir holds the configuration, rules, storage and log.
	Dir string

	opts PrometheusOptions
	log  string
}

// StartPrometheus starts the `prometheus` binary on a free loopback port
// with a generated configuration and storage in a temporary directory,
// waits until /-/ready answers 200, and stops it when the test ends.
func StartPrometheus(t TB, opts PrometheusOptions) *Prometheus {
	t.Helper()
	bin := Binary(t, "prometheus")
	if opts.Interval == 0 {
		opts.Interval = time.Second
	}
	if opts.Scheme == "" {
		opts.Scheme = "http"
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 5 * time.Second}
	}
	dir := t.TempDir()

	var scrapes []map[string]any
	jobs := make([]string, 0, len(opts.ScrapeJobs))
	for job := range opts.ScrapeJobs {
		jobs = append(jobs, job)
	}
	sort.Strings(jobs)
	for _, job := range jobs {
		scrapes = append(scrapes, map[string]any{
			"job_name":        job,
			"scrape_timeout":  opts.Interval.String(),
			"static_configs":  []map[string]any{{"targets": opts.ScrapeJobs[job]}},
			"scrape_interval": opts.Interval.String(),
		})
	}
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval":     opts.Interval.String(),
			"evaluation_interval": opts.Interval.String(),
		},
		"scrape_configs": scrapes,
	}
	if opts.Rules != "" {
		promWriteFile(t, filepath.Join(dir, "rules.yml"), opts.Rules)
		cfg["rule_files"] = []string{filepath.Join(dir, "rules.yml")}
	}
	cfgYAML, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatalf("prometheus config: %v", err)
	}
	promWriteFile(t, filepath.Join(dir, "prometheus.yml"), string(cfgYAML))

	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	args := []string{
		"--config.file=" + filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}
	if opts.WebConfig != "" {
		promWriteFile(t, filepath.Join(dir, "web.yml"), opts.WebConfig)
		args = append(args, "--web.config.file="+filepath.Join(dir, "web.yml"))
	}
	p := &Prometheus{URL: opts.Scheme + "://" + addr, Dir: dir, opts: opts}
	p.log = promStartDaemon(t, "prometheus", bin, dir, args)

	Eventually(t, 30*time.Second, "prometheus /-/ready"+p.logTail(), func() error {
		_, err := p.get("/-/ready")
		return err
	})
	return p
}

// GetJSON fetches an API path such as "/api/v1/targets" and decodes the
// envelope's "data" into v.
func (p *Prometheus) GetJSON(path string, v any) error {
	body, err := p.get(path)
	if err != nil {
		return err
	}
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("GET %s: status %q: %s", path, env.Status, env.Error)
	}
	return json.Unmarshal(env.Data, v)
}

// WaitScraped waits until every active target has been scraped at least
// once (its health is "up" or "down", no longer "unknown"). Prometheus
// applies service discovery results only every 5s, so the first scrape
// comes about 5s after start.
func (p *Prometheus) WaitScraped(t TB) {
	t.Helper()
	Eventually(t, 30*time.Second, "prometheus first scrape of every target", func() error {
		_, err := p.lastFirstScrape()
		return err
	})
}

// WaitRulesEvaluated waits until every target has been scraped and then
// every loaded rule has been evaluated over that data at least once, so
// rule health and the alerts they fire reflect the scraped metrics.
func (p *Prometheus) WaitRulesEvaluated(t TB) {
	t.Helper()
	var scraped time.Time
	Eventually(t, 30*time.Second, "prometheus first scrape of every target", func() error {
		var err error
		scraped, err = p.lastFirstScrape()
		return err
	})
	Eventually(t, 30*time.Second, "prometheus rule evaluation after the first scrapes", func() error {
		var res struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name           string    `json:"name"`
					LastEvaluation time.Time `json:"lastEvaluation"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := p.GetJSON("/api/v1/rules", &res); err != nil {
			return err
		}
		if len(res.Groups) == 0 && p.opts.Rules != "" {
			return errors.New("no rule groups loaded yet")
		}
		for _, g := range res.Groups {
			for _, r := range g.Rules {
				if !r.LastEvaluation.After(scraped) {
					return fmt.Errorf("rule %s in group %s not evaluated since %s", r.Name, g.Name, scraped.Format(time.RFC3339Nano))
				}
			}
		}
		return nil
	})
}

// lastFirstScrape returns when the data of the last target to be scraped
// became visible, or an error while any target is still unscraped.
func (p *Prometheus) lastFirstScrape() (time.Time, error) {
	var res struct {
		ActiveTargets []struct {
			ScrapePool         string    `json:"scrapePool"`
			ScrapeURL          string    `json:"scrapeUrl"`
			Health             string    `json:"health"`
			LastScrape         time.Time `json:"lastScrape"`
			LastScrapeDuration float64   `json:"lastScrapeDuration"`
		} `json:"activeTargets"`
	}
	if err := p.GetJSON("/api/v1/targets", &res); err != nil {
		return time.Time{}, err
	}
	if len(res.ActiveTargets) == 0 && len(p.opts.ScrapeJobs) > 0 {
		return time.Time{}, errors.New("no active targets yet")
	}
	var last time.Time
	for _, tg := range res.ActiveTargets {
		if tg.Health == "unknown" {
			return time.Time{}, fmt.Errorf("target %s of job %s not scraped yet", tg.ScrapeURL, tg.ScrapePool)
		}
		done := tg.LastScrape.Add(time.Duration(tg.LastScrapeDuration * float64(time.Second)))
		if done.After(last) {
			last = done
		}
	}
	return last, nil
}

func (p *Prometheus) get(path string) ([]byte, error) {
	return promHTTPGet(p.opts.Client, p.URL+path, p.opts.Username, p.opts.Password)
}

func (p *Prometheus) logTail() string { return " (log: " + p.log + ")" }

// Pushgateway is a running Prometheus Pushgateway started by
// StartPushgateway.
type Pushgateway struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41235".
	URL string

	opts PushgatewayOptions
}

// PushgatewayOptions configures StartPushgateway.
type PushgatewayOptions struct {
	// WebConfig is the content of a --web.config.file (basic_auth_users,
	// tls_server_config), or "".
	WebConfig string
	// Username and Password are sent as basic auth on the readiness poll
	// and by Metrics when set.
	Username, Password string
}

// StartPushgateway starts the `prometheus-pushgateway` binary (Debian's
// name; `pushgateway` elsewhere) on a free loopback port, in memory only,
// waits until /-/ready answers 200, and stops it when the test ends.
func StartPushgateway(t TB, opts PushgatewayOptions) *Pushgateway {
	t.Helper()
	bin := pushgatewayBinary(t)
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	args := []string{
		"--web.listen-address=" + addr,
		"--persistence.file=", // in memory only
		"--log.level=warn",
	}
	if opts.WebConfig != "" {
		promWriteFile(t, filepath.Join(dir, "web.yml"), opts.WebConfig)
		args = append(args, "--web.config.file="+filepath.Join(dir, "web.yml"))
	}
	log := promStartDaemon(t, "pushgateway", bin, dir, args)
	g := &Pushgateway{URL: "http://" + addr, opts: opts}
	client := &http.Client{Timeout: 5 * time.Second}
	Eventually(t, 30*time.Second, "pushgateway /-/ready (log: "+log+")", func() error {
		_, err := promHTTPGet(client, g.URL+"/-/ready", opts.Username, opts.Password)
		return err
	})
	return g
}

// Metrics returns the text exposition of everything the Pushgateway holds.
func (g *Pushgateway) Metrics(t TB) string {
	t.Helper()
	body, err := promHTTPGet(&http.Client{Timeout: 5 * time.Second}, g.URL+"/metrics", g.opts.Username, g.opts.Password)
	if err != nil {
		t.Fatalf("pushgateway /metrics: %v", err)
	}
	return string(body)
}

func pushgatewayBinary(t TB) string {
	t.Helper()
	if p, err := exec.LookPath("prometheus-pushgateway"); err == nil {
		return p
	}
	return Binary(t, "pushgateway")
}

// ServeMetrics serves g's metrics in the Prometheus text format on a
// loopback httptest server, as an exporter that Prometheus scrapes, and
// returns its "host:port". beforeScrape, when not nil, runs before every
// scrape so a test can make counters move at a known rate per scrape.
func ServeMetrics(t TB, g prometheus.Gatherer, beforeScrape func()) string {
	t.Helper()
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if beforeScrape != nil {
			beforeScrape()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// promStartDaemon runs bin in dir with its output in a log file, and stops it
// (SIGTERM, then SIGKILL) when the test ends. It returns the log's path.
func promStartDaemon(t TB, name, bin, dir string, args []string) string {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("%s log: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	promDaemonAttrs(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		defer logFile.Close()
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				t.Logf("%s log:\n%s", name, promTail(b, 4000))
			}
		}
	})
	return logPath
}

func promHTTPGet(c *http.Client, url, user, pass string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, promTail(body, 200))
	}
	return body, nil
}

func promWriteFile(t TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func promTail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
