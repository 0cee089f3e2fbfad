package promcheck

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// checkAlerts reads /api/v1/alerts. With firing: none (the default) any
// firing alert whose name is not in ignore fails; pending alerts never do.
// Observation alerts: firing (list of {name, labels, value, active_at},
// ignored ones left out), ignored (names), pending (names).
func (p *Probe) checkAlerts(ctx context.Context, c promAPI, obs checks.Observations) ([]string, error) {
	rctx, cancel := p.request(ctx)
	defer cancel()
	all, err := c.Alerts(rctx)
	if err != nil {
		return nil, p.requestError(ctx, "GET /api/v1/alerts", err)
	}
	ignore := map[string]bool{}
	for _, n := range p.Alerts.Ignore {
		ignore[n] = true
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Name < all[j].Name })

	firing, ignored, pending := []any{}, []any{}, []any{}
	var msgs []string
	for _, a := range all {
		switch {
		case a.State == "pending":
			pending = append(pending, a.Name)
		case a.State != "firing":
		case ignore[a.Name]:
			ignored = append(ignored, a.Name)
		default:
			labels := map[string]any{}
			for k, v := range a.Labels {
				labels[k] = v
			}
			firing = append(firing, map[string]any{"name": a.Name, "labels": labels, "value": a.Value, "active_at": a.ActiveAt})
			l := map[string]string{}
			for k, v := range a.Labels {
				if k != "alertname" {
					l[k] = v
				}
			}
			value := a.Value // Prometheus sends %e, e.g. "9e-01"
			if v, err := strconv.ParseFloat(a.Value, 64); err == nil {
				value = formatValue(v)
			}
			msgs = append(msgs, fmt.Sprintf("%s%s since %s (value %s)", a.Name, formatLabels(l), a.ActiveAt.UTC().Format(time.RFC3339), value))
		}
	}
	obs["alerts"] = map[string]any{"firing": firing, "ignored": ignored, "pending": pending}
	if p.Alerts.Firing == "any" || len(msgs) == 0 {
		return nil, nil
	}
	return []string{fmt.Sprintf("%s firing: %s", plural(len(msgs), "alert"), listSome(msgs, listed))}, nil
}
