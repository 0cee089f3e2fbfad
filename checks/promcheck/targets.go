package promcheck

import (
	"context"
	"fmt"
	"sort"

	"github.com/readyctl/readyctl/checks"
)

// checkTargets reads /api/v1/targets and requires, per job, at least
// min_up_ratio of the targets to be up. A target not scraped yet (health
// "unknown") counts as not up. Observation targets: total, up, up_ratio,
// down (list of {job, instance, scrape_url, health, last_error}) and jobs
// (job -> {total, up, up_ratio}).
func (p *Probe) checkTargets(ctx context.Context, c promAPI, obs checks.Observations) ([]string, error) {
	rctx, cancel := p.request(ctx)
	defer cancel()
	all, err := c.Targets(rctx)
	if err != nil {
		return nil, p.requestError(ctx, "GET /api/v1/targets", err)
	}
	minRatio := 1.0
	if p.Targets.MinUpRatio != nil {
		minRatio = *p.Targets.MinUpRatio
	}
	want := map[string]bool{}
	for _, j := range p.Targets.Jobs {
		want[j] = true
	}

	type count struct{ total, up int }
	perJob := map[string]*count{}
	for _, j := range p.Targets.Jobs {
		perJob[j] = &count{}
	}
	var down []any
	downByJob := map[string][]string{}
	total, up := 0, 0
	for _, t := range all {
		if len(want) > 0 && !want[t.Job] {
			continue
		}
		n := perJob[t.Job]
		if n == nil {
			n = &count{}
			perJob[t.Job] = n
		}
		n.total++
		total++
		if t.Health == "up" {
			n.up++
			up++
			continue
		}
		lastErr := t.LastError
		if t.Health == "unknown" && lastErr == "" {
			lastErr = "not scraped yet"
		}
		down = append(down, map[string]any{
			"job": t.Job, "instance": t.Instance, "scrape_url": t.ScrapeURL,
			"health": t.Health, "last_error": lastErr,
		})
		downByJob[t.Job] = append(downByJob[t.Job], fmt.Sprintf("%s is %s: %s", t.Instance, t.Health, lastErr))
	}

	jobs := map[string]any{}
	names := make([]string, 0, len(perJob))
	for j, n := range perJob {
		names = append(names, j)
		jobs[j] = map[string]any{"total": n.total, "up": n.up, "up_ratio": ratio(n.up, n.total)}
	}
	sort.Strings(names)
	obs["targets"] = map[string]any{
		"total": total, "up": up, "up_ratio": ratio(up, total),
		"down": nilToEmpty(down), "jobs": jobs,
	}

	var fails []string
	if total == 0 && len(want) == 0 {
		fails = append(fails, "Prometheus has no active scrape targets")
	}
	for _, j := range names {
		n := perJob[j]
		if n.total == 0 {
			fails = append(fails, fmt.Sprintf("job %q has no active targets (is it in the scrape config?)", j))
			continue
		}
		r := ratio(n.up, n.total)
		if r >= minRatio {
			continue
		}
		fails = append(fails, fmt.Sprintf("job %q has %d/%d targets up (%s), below min_up_ratio %s: %s",
			j, n.up, n.total, formatValue(r), formatValue(minRatio), listSome(downByJob[j], listed)))
	}
	return fails, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func nilToEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}
