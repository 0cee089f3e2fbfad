package metricsexport

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/push"
)

// Job is the Pushgateway grouping key's job label.
const Job = "readyctl"

// DefaultPushTimeout bounds a push when ctx has no deadline.
const DefaultPushTimeout = 10 * time.Second

// Push sends run's metrics to the Pushgateway at rawURL (its base URL,
// e.g. http://pushgateway:9091; user:password@ in it becomes basic auth).
// The grouping key is job="readyctl", checklist=NAME and
// environment=ENV (each left out when empty), and the push replaces the
// whole group (HTTP PUT), so an item removed from the checklist disappears.
//
// The push is bounded by ctx, or by DefaultPushTimeout when ctx has no
// deadline. The error names the Pushgateway (password redacted) and wraps
// the cause, e.g. a refused connection.
func Push(ctx context.Context, rawURL string, run Run) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("pushgateway url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("pushgateway url %s: want http(s)://host:port", u.Redacted())
	}
	where := u.Redacted()
	user := u.User
	u.User = nil // never in a URL that an error message may print

	// The grouping key adds checklist and environment to every series;
	// the Pushgateway rejects metrics that carry them as labels already.
	reg, err := newRegistry(run, nil)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultPushTimeout)
		defer cancel()
	}
	grouping := runLabels(run)
	p := push.New(u.String(), Job).Gatherer(reg).Client(base64Grouping{&http.Client{}, grouping})
	for name, value := range grouping {
		p = p.Grouping(name, value)
	}
	if user != nil {
		pw, _ := user.Password()
		p = p.BasicAuth(user.Username(), pw)
	}
	if err := p.PushContext(ctx); err != nil {
		return fmt.Errorf("push metrics to pushgateway %s: %w", where, err)
	}
	return nil
}

// base64Grouping works around client_golang's push encoding grouping
// values with url.QueryEscape: "Production deployment" goes out as
// "Production+deployment", and the Pushgateway, reading a path, keeps the
// "+". It rewrites the grouping part of the request path with every value
// base64-encoded (label@base64/VALUE), which the Pushgateway decodes
// exactly.
type base64Grouping struct {
	client   *http.Client
	grouping map[string]string
}

func (d base64Grouping) Do(req *http.Request) (*http.Response, error) {
	raw := req.URL.EscapedPath()
	i := strings.LastIndex(raw, "/metrics/job/")
	if i < 0 {
		return nil, fmt.Errorf("unexpected push path %s", raw)
	}
	names := make([]string, 0, len(d.grouping))
	for name := range d.grouping {
		names = append(names, name)
	}
	sort.Strings(names)
	path := raw[:i] + "/metrics/job/" + url.PathEscape(Job)
	for _, name := range names {
		path += "/" + name + "@base64/" + base64.RawURLEncoding.EncodeToString([]byte(d.grouping[name]))
	}
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return nil, err
	}
	req.URL.Path, req.URL.RawPath = unescaped, path
	return d.client.Do(req)
}
