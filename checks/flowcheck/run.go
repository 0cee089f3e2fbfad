package flowcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
)

// cleanupShare is the part of the deadline left when the flow starts that
// the steps leave to cleanup: a step that hangs until its deadline still
// leaves cleanup time to delete what the flow created.
const cleanupShare = 4 // a quarter

// flowRun is the state of one Run: captured values and what each step saw.
type flowRun struct {
	p        *Probe
	current  *Step
	cookies  *cookieWatch
	captures map[string]any
	steps    []any
	byName   map[string]any
}

// Run sends the steps in order, stops at the first that fails, then
// sends the cleanup steps whatever happened.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	f := &flowRun{p: p, cookies: &cookieWatch{seen: map[string]any{}}, captures: map[string]any{}, byName: map[string]any{}}
	client, err := p.newClient(&f.current, f.cookies)
	if err != nil {
		return checks.Observations{"writes": p.Writes}, err
	}
	defer client.CloseIdleConnections()

	stepsCtx, cancelSteps, reserve := budgets(ctx)
	defer cancelSteps()

	start := time.Now()
	var failed any
	var stepErr error
	for i := range p.Steps {
		s := &p.Steps[i]
		if err := f.step(stepsCtx, client, s, i); err != nil {
			failed, stepErr = stepKey(s, i), err
			break
		}
	}
	latency := time.Since(start)

	var cleanupObs []any
	var cleanupProblems []string
	cleanupCtx, cancelCleanup := cleanupContext(ctx, reserve)
	defer cancelCleanup()
	for i := range p.Cleanup {
		entry, problem := f.cleanup(cleanupCtx, client, &p.Cleanup[i], i)
		cleanupObs = append(cleanupObs, entry)
		if problem != "" {
			cleanupProblems = append(cleanupProblems, problem)
		}
	}

	obs := checks.Observations{
		"steps": f.steps, "step": f.byName, "latency": latency, "failed_step": failed,
		"captures": f.shownCaptures(), "writes": p.Writes,
	}
	if len(p.Cleanup) > 0 {
		obs["cleanup"] = cleanupObs
	}
	if f.steps == nil {
		obs["steps"] = []any{}
	}
	if len(cleanupProblems) > 0 {
		also := "cleanup: " + strings.Join(cleanupProblems, "; ")
		if stepErr != nil {
			// The step's failure is the item's reason; cleanup's is
			// said beside it, never instead of it.
			return obs, withSuffix(stepErr, "; "+also)
		}
		return obs, checks.Fail("", "%s", also)
	}
	return obs, stepErr
}

// budgets gives the steps ctx's deadline less a share (reserve) that
// cleanup keeps, so that a step hanging until its deadline still leaves
// time to delete what the flow created.
func budgets(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(maxStepWait)
	}
	reserve := max(time.Until(dl)/cleanupShare, 0)
	steps, cancel := context.WithDeadline(ctx, dl.Add(-reserve))
	return steps, cancel, reserve
}

// cleanupContext is not cancelled with ctx: Ctrl-C still deletes the test
// user, within the reserve only; otherwise cleanup may use what is left
// of ctx's deadline.
func cleanupContext(ctx context.Context, reserve time.Duration) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(maxStepWait)
	}
	if ctx.Err() == context.Canceled {
		dl = time.Now().Add(reserve)
	}
	return context.WithDeadline(context.WithoutCancel(ctx), dl)
}

func stepKey(s *Step, i int) any {
	if s.Name != "" {
		return s.Name
	}
	return i + 1
}

func stepTitle(list string, s *Step, i int) string {
	if s.Name != "" {
		return fmt.Sprintf("%s %d %q", list, i+1, s.Name)
	}
	return fmt.Sprintf("%s %d", list, i+1)
}

// step runs one step: its request, its captures, its expectations.
func (f *flowRun) step(ctx context.Context, client *http.Client, s *Step, i int) error {
	title := stepTitle("step", s, i)
	obs, sent, err := f.send(ctx, client, s)
	entry := map[string]any{"name": stepName(s, i), "status": obs["status"], "latency": obs["latency"]}
	f.steps = append(f.steps, entry)
	f.byName[stepName(s, i)] = map[string]any{"status": obs["status"], "latency": obs["latency"]}
	if err != nil {
		return wrapStep(title, sent, err)
	}
	env := f.env(obs)
	for _, c := range s.captures {
		v, err := c.value.Eval(ctx, env)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return wrapStep(title, sent, err)
			}
			return checks.Fail("", "%s: %s: capture %s: %v", title, sent, c.name, err)
		}
		if v == nil {
			return checks.Fail("", "%s: %s: capture %s = %s gave nil (status %v)", title, sent, c.name, c.value.Source, obs["status"])
		}
		f.remember(ctx, c.name, v)
		env[c.name] = v
	}
	var failed []string
	for _, e := range s.expects {
		ok, msg, err := e.Eval(ctx, env)
		if err != nil {
			return wrapStep(title, sent, err)
		}
		if !ok {
			failed = append(failed, msg)
		}
	}
	if len(failed) > 0 {
		return checks.Fail("", "%s: %s: %s", title, sent, strings.Join(failed, "; "))
	}
	return nil
}

// cleanup runs one cleanup step; its problem, if any, in words.
func (f *flowRun) cleanup(ctx context.Context, client *http.Client, s *Step, i int) (map[string]any, string) {
	title := stepTitle("cleanup step", s, i)
	entry := map[string]any{"name": stepName(s, i), "status": nil, "latency": nil, "error": nil}
	for _, refs := range uses(&s.Probe) {
		for _, ref := range refs {
			if _, ok := f.captures[ref]; !ok && ref != nameRunID && ref != nameUUID {
				entry["error"] = fmt.Sprintf("skipped: ${%s} was never captured", ref)
				return entry, ""
			}
		}
	}
	obs, sent, err := f.send(ctx, client, s)
	entry["status"], entry["latency"] = obs["status"], obs["latency"]
	if err == nil {
		var failed []string
		env := f.env(obs)
		for _, e := range s.expects {
			if ok, msg, evalErr := e.Eval(ctx, env); evalErr != nil {
				err = evalErr
			} else if !ok {
				failed = append(failed, msg)
			}
		}
		if err == nil && len(failed) > 0 {
			err = errors.New(strings.Join(failed, "; "))
		}
	}
	if err != nil {
		msg := fmt.Sprintf("%s: %s: %s", title, sent, errText(err))
		entry["error"] = msg
		return entry, msg
	}
	return entry, ""
}

// send fills s's run-time values into a clone and sends it with the http
// kind's Run over the flow's client. sent is "METHOD URL" for messages.
func (f *flowRun) send(ctx context.Context, client *http.Client, s *Step) (checks.Observations, string, error) {
	probe := s.Probe.Clone()
	err := fill(&probe, func(name string) (string, error) {
		switch name {
		case nameRunID:
			return runID(), nil
		case nameUUID:
			return newUUID(), nil
		}
		if v, ok := f.captures[name]; ok {
			return text(v), nil
		}
		return "", fmt.Errorf("${%s} was never captured", name)
	}, func(name string) (any, bool) {
		v, ok := f.captures[name]
		return v, ok
	})
	sent := probe.Method + " " + reqopt.RedactURL(probe.URL)
	if err != nil {
		return checks.Observations{}, sent, err
	}
	// A captured value is checked like a value written in the file: no
	// line breaks in a header, a URL that parses.
	if err := probe.Target.Validate(); err != nil {
		return checks.Observations{}, sent, fmt.Errorf("after filling in run-time values: %w", err)
	}
	probe.UseClient(client)
	f.cookies.take() // this step's cookies only
	step := *s
	step.Probe = probe
	f.current = &step
	obs, err := probe.Run(ctx)
	if obs == nil {
		obs = checks.Observations{}
	}
	obs["cookies"] = f.cookies.take()
	f.scanSecrets(ctx, obs)
	return obs, sent, err
}

// env is what a step's expressions see: its observations and the
// captures so far.
func (f *flowRun) env(obs checks.Observations) map[string]any {
	env := make(map[string]any, len(obs)+len(f.captures))
	for k, v := range f.captures {
		env[k] = v
	}
	for k, v := range obs {
		env[k] = v
	}
	return env
}

func stepName(s *Step, i int) string {
	if s.Name != "" {
		return s.Name
	}
	return strconv.Itoa(i + 1)
}

func wrapStep(title, sent string, err error) error {
	var fl *checks.Failure
	if errors.As(err, &fl) {
		return &checks.Failure{Reason: fl.Reason, Message: fmt.Sprintf("%s: %s: %s", title, sent, fl.Message)}
	}
	return fmt.Errorf("%s: %s: %w", title, sent, err)
}

func withSuffix(err error, suffix string) error {
	var fl *checks.Failure
	if errors.As(err, &fl) {
		return &checks.Failure{Reason: fl.Reason, Message: fl.Message + suffix}
	}
	return fmt.Errorf("%w%s", err, suffix)
}

func errText(err error) string {
	var fl *checks.Failure
	if errors.As(err, &fl) {
		return fl.Message
	}
	return err.Error()
}

// remember keeps a captured value, declaring it a secret first when it
// looks like one.
func (f *flowRun) remember(ctx context.Context, name string, v any) {
	if s, ok := v.(string); ok && looksSecret(name, s) {
		checks.AddSecret(ctx, s)
	}
	f.captures[name] = v
}

// shownCaptures is captures with credential-like values masked: the
// observation itself never carries one, whatever the redactor knows.
func (f *flowRun) shownCaptures() map[string]any {
	out := make(map[string]any, len(f.captures))
	for k, v := range f.captures {
		if s, ok := v.(string); ok && looksSecret(k, s) {
			v = "***"
		}
		out[k] = v
	}
	return out
}

var (
	jwtShape  = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	opaque    = regexp.MustCompile(`^[A-Za-z0-9_\-+/=.~]{32,}$`)
)

// looksSecret: a value named like a credential, a JWT, or a long opaque
// string that is not a UUID (an id is not a secret; a session key is).
func looksSecret(name, v string) bool {
	if len(v) < 3 {
		return false
	}
	switch {
	case reqopt.IsCredentialName(name), jwtShape.MatchString(v):
		return true
	case uuidShape.MatchString(v):
		return false
	}
	return opaque.MatchString(v) && strings.ContainsAny(v, "0123456789") && strings.ContainsAny(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

// scanSecrets declares every credential-looking value of a response a
// secret: JWTs anywhere in the body, and JSON fields named like a
// credential (token, access_token, session...). A failed expectation
// quoting the body then shows *** instead.
func (f *flowRun) scanSecrets(ctx context.Context, obs checks.Observations) {
	if body, ok := obs["body"].(string); ok && strings.Contains(body, "eyJ") {
		for _, m := range jwtShape.FindAllString(body, 64) {
			checks.AddSecret(ctx, m)
		}
	}
	var walk func(key string, v any, depth int)
	walk = func(key string, v any, depth int) {
		if depth > 32 {
			return
		}
		switch x := v.(type) {
		case string:
			if key != "" && reqopt.IsCredentialName(key) && len(x) >= 8 {
				checks.AddSecret(ctx, x)
			}
		case map[string]any:
			for k, e := range x {
				walk(k, e, depth+1)
			}
		case []any:
			for _, e := range x {
				walk(key, e, depth+1)
			}
		}
	}
	walk("", obs["json"], 0)
}
