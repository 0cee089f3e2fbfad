package promcheck

import (
	"context"
	"fmt"
	"net/http"

	"github.com/readyctl/readyctl/checks"
)

// checkReady asks GET /-/ready. An answer other than 200 is a failure (the
// server said it is not ready, e.g. 503 while it replays its WAL), not an
// error: the question was answered.
func (p *Probe) checkReady(ctx context.Context, c promAPI, obs checks.Observations) (string, error) {
	rctx, cancel := p.request(ctx)
	defer cancel()
	obs["ready"] = nil
	code, body, err := c.Ready(rctx)
	if err != nil {
		return "", p.requestError(ctx, "GET /-/ready", err)
	}
	obs["ready"] = code == http.StatusOK
	if code == http.StatusOK {
		return "", nil
	}
	msg := fmt.Sprintf("GET /-/ready answered %d %s, want 200", code, http.StatusText(code))
	if b := oneLine(body, 200); b != "" {
		msg += ": " + b
	}
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		return "", checks.WithReason(checks.ReasonAuth, fmt.Errorf("%s", msg))
	}
	return msg, nil
}
