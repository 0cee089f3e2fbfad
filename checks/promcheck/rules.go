package promcheck

import (
	"context"
	"fmt"
	"sort"

	"github.com/readyctl/readyctl/checks"
)

// checkRules reads /api/v1/rules: with healthy (default true) every rule
// of the selected groups must have health "ok" (a rule not evaluated yet
// is "unknown" and counts as broken); every name in require must be a
// loaded alerting or recording rule. Observation rules: total, broken
// (list of {group, name, type, health, last_error}), missing (names).
func (p *Probe) checkRules(ctx context.Context, c promAPI, obs checks.Observations) ([]string, error) {
	rctx, cancel := p.request(ctx)
	defer cancel()
	all, err := c.Rules(rctx)
	if err != nil {
		return nil, p.requestError(ctx, "GET /api/v1/rules", err)
	}
	healthy := p.Rules.Healthy == nil || *p.Rules.Healthy
	groups := map[string]bool{}
	for _, g := range p.Rules.Groups {
		groups[g] = true
	}

	seenGroup := map[string]bool{}
	loaded := map[string]bool{}
	var broken []any
	var brokenMsgs []string
	total := 0
	for _, r := range all {
		if len(groups) > 0 && !groups[r.Group] {
			continue
		}
		seenGroup[r.Group] = true
		loaded[r.Name] = true
		total++
		if r.Health == "ok" {
			continue
		}
		lastErr := r.LastError
		if r.Health == "unknown" && lastErr == "" {
			lastErr = "not evaluated yet"
		}
		broken = append(broken, map[string]any{
			"group": r.Group, "name": r.Name, "type": r.Type, "health": r.Health, "last_error": lastErr,
		})
		brokenMsgs = append(brokenMsgs, fmt.Sprintf("%s rule %s in group %s is %s: %s", r.Type, r.Name, r.Group, r.Health, lastErr))
	}
	var missing []any
	var missingNames []string
	for _, name := range p.Rules.Require {
		if !loaded[name] {
			missing = append(missing, name)
			missingNames = append(missingNames, name)
		}
	}
	obs["rules"] = map[string]any{"total": total, "broken": nilToEmpty(broken), "missing": nilToEmpty(missing)}

	var fails []string
	var absentGroups []string
	for _, g := range p.Rules.Groups {
		if !seenGroup[g] {
			absentGroups = append(absentGroups, g)
		}
	}
	sort.Strings(absentGroups)
	if len(absentGroups) > 0 {
		fails = append(fails, fmt.Sprintf("rule groups not loaded: %s", listSome(absentGroups, listed)))
	}
	if healthy && len(brokenMsgs) > 0 {
		fails = append(fails, fmt.Sprintf("%d of %d rules broken: %s", len(brokenMsgs), total, listSome(brokenMsgs, listed)))
	}
	if len(missingNames) > 0 {
		fails = append(fails, fmt.Sprintf("required rules not loaded: %s (%d rules loaded)", listSome(missingNames, listed), total))
	}
	return fails, nil
}
