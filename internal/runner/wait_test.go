package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
	"github.com/readyctl/readyctl/internal/signoff"
)

// fakeClock moves only when the runner waits: After(d) advances it by d at
// once, so a --wait of an hour costs no real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *fakeClock) elapsed(since time.Time) time.Duration { return c.Now().Sub(since) }

// seqs scripts the "seq" fake mode: each call takes the next outcome (p =
// pass, f = fail); the last one repeats.
var (
	seqMu sync.Mutex
	seqs  = map[string]string{}
	seqAt = map[string]int{}
)

func script(key, outcomes string) {
	seqMu.Lock()
	defer seqMu.Unlock()
	seqs[key], seqAt[key] = outcomes, 0
}

func next(key string) byte {
	seqMu.Lock()
	defer seqMu.Unlock()
	s, i := seqs[key], seqAt[key]
	if i >= len(s) {
		return s[len(s)-1]
	}
	seqAt[key]++
	return s[i]
}

// recorder is an Observer that keeps the round lines.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (*recorder) Started(int)                 {}
func (*recorder) ItemStarted(string)          {}
func (*recorder) ItemProgress(string, string) {}
func (*recorder) Finished(report.Item)        {}
func (r *recorder) Waiting(round int, blocking []string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, strings.Join(blocking, "; "))
}

func TestWaitGivesUpAtItsDeadlineOnTheClock(t *testing.T) {
	cl := load(t, "      - {id: never, fake: {mode: fail, value: 7}}\n")
	clock := newFakeClock()
	start, real := clock.Now(), time.Now()
	obs := &recorder{}
	rep := runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, Clock: clock, Observer: obs})
	if rep.Verdict != report.NotReady {
		t.Errorf("verdict %s", rep.Verdict)
	}
	if e := clock.elapsed(start); e < time.Hour || e > time.Hour+5*time.Second {
		t.Errorf("--wait 1h gave up after %s of clock time", e)
	}
	if d := time.Since(real); d > 5*time.Second {
		t.Errorf("a fake-clock wait took %s of real time", d)
	}
	if rep.Rounds < 5 || len(obs.lines) != rep.Rounds-1 {
		t.Errorf("rounds %d, round lines %d", rep.Rounds, len(obs.lines))
	}
	for _, l := range obs.lines {
		if l != "never: value 7 is wrong" {
			t.Errorf("round line %q, want what blocks and why", l)
			break
		}
	}
}

func TestWaitRerunsUntilReadyAndSaysWhenItPassed(t *testing.T) {
	script("conv", "ffp")
	cl := load(t, `
      - {id: steady, fake: {}}
      - {id: converging, fake: {mode: seq, key: conv}}
`)
	clock := newFakeClock()
	rep := runner.Run(context.Background(), cl, runner.Options{Wait: 10 * time.Minute, Clock: clock})
	if rep.Verdict != report.Ready || rep.Rounds != 3 {
		t.Fatalf("verdict %s after %d rounds", rep.Verdict, rep.Rounds)
	}
	got := byID(rep)
	// Backoff 500ms then 1s: converged 1.5s after the start.
	if got["converging"].FirstPassMS != 1500 || got["steady"].FirstPassMS != 1 {
		t.Errorf("first_pass_ms converging=%d steady=%d", got["converging"].FirstPassMS, got["steady"].FirstPassMS)
	}
	if once := runner.Run(context.Background(), cl, runner.Options{Clock: clock}); once.Rounds != 0 || once.Items[0].FirstPassMS != 0 {
		t.Errorf("a run without --wait reports rounds %d, first pass %d", once.Rounds, once.Items[0].FirstPassMS)
	}
}

func TestStableForIgnoresOneLuckyRound(t *testing.T) {
	cl := load(t, "      - {id: flappy, fake: {mode: seq, key: flap}}\n")
	// Without --stable-for the first lucky round is enough.
	script("flap", "pfpfp")
	if rep := runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, Clock: newFakeClock()}); rep.Verdict != report.Ready || rep.Rounds != 1 {
		t.Fatalf("baseline: %s after %d rounds", rep.Verdict, rep.Rounds)
	}
	// With it, every flap resets the window; it counts once it held.
	script("flap", "pfpfp")
	clock := newFakeClock()
	start := clock.Now()
	obs := &recorder{}
	rep := runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, StableFor: 20 * time.Second, Clock: clock, Observer: obs})
	if rep.Verdict != report.Ready {
		t.Fatalf("verdict %s: %+v", rep.Verdict, rep.Items[0])
	}
	// Passes from round 5 (after 0.5+1+2+4 = 7.5s); 20s later at the earliest.
	if e := clock.elapsed(start); e < 27500*time.Millisecond {
		t.Errorf("ready after %s: the stability window did not reset on a flap", e)
	}
	if !strings.Contains(strings.Join(obs.lines, "\n"), "flappy: passing for") {
		t.Errorf("round lines do not say the item is waiting to be stable: %q", obs.lines)
	}
	// A service that keeps flapping never turns the gate green.
	script("flap", "pf")
	rep = runner.Run(context.Background(), cl, runner.Options{Wait: time.Minute, StableFor: 20 * time.Second, Clock: newFakeClock()})
	if rep.Verdict != report.NotReady {
		t.Errorf("a flapping service turned the gate green")
	}
	if it := rep.Items[0]; it.Status == report.Pass {
		t.Errorf("an item never stable is reported %s", it.Status)
	}
	// Passing all along but the window is longer than the wait: not ready,
	// and the item says why.
	script("flap", "p")
	rep = runner.Run(context.Background(), cl, runner.Options{Wait: 10 * time.Second, StableFor: time.Minute, Clock: newFakeClock()})
	if it := rep.Items[0]; rep.Verdict != report.NotReady || it.Status != report.Fail || it.Reason != checks.ReasonUnstable {
		t.Errorf("verdict %s, item %s %s %q", rep.Verdict, it.Status, it.Reason, it.Message)
	}
}

// book is a fake sign-off layer: manual items pass once signed; the
// required approval is there once approved.
type book struct {
	signed, approved bool
}

func (b *book) Attestation(item string) signoff.Decision {
	d := signoff.Decision{Item: item, State: signoff.Missing}
	if b.signed {
		d.State, d.Record = signoff.Valid, judged(&signoff.Record{Type: signoff.Attest, Item: item, Role: "qa-lead", Name: "Grace"}, signoff.Valid, "")
	}
	return d
}

func (b *book) Waiver(item string) signoff.Decision {
	return signoff.Decision{Item: item, State: signoff.Missing}
}

func (b *book) Approvals() []signoff.Decision {
	d := signoff.Decision{Role: "qa-lead", State: signoff.Missing, Required: true}
	if b.approved {
		d.State, d.Record = signoff.Valid, judged(&signoff.Record{Type: signoff.Approve, Role: "qa-lead", Name: "Grace"}, signoff.Valid, "")
	}
	return []signoff.Decision{d}
}

func TestSignoffDuringTheWaitTurnsItGreen(t *testing.T) {
	cl := load(t, `
      - {id: api, fake: {}}
      - {id: smoke-test, manual: {roles: [qa-lead]}}
`)
	reloads := 0
	reload := func(context.Context) (runner.Signoffs, error) {
		reloads++
		// The person signs and approves during the third round's wait.
		return &book{signed: reloads >= 3, approved: reloads >= 3}, nil
	}
	obs := &recorder{}
	rep := runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, Clock: newFakeClock(), Observer: obs,
		Signoffs: &book{}, ReloadSignoffs: reload})
	if rep.Verdict != report.Ready || rep.Rounds != 4 {
		t.Fatalf("verdict %s after %d rounds, %d reloads", rep.Verdict, rep.Rounds, reloads)
	}
	if l := obs.lines[0]; l != "smoke-test: waiting for a sign-off by qa-lead; qa-lead approval missing" {
		t.Errorf("round line %q", l)
	}
}

func TestWaitStopsWhenNothingBlockingCanChange(t *testing.T) {
	cl := load(t, "      - {id: api, fake: {}}\n")
	clock := newFakeClock()
	start := clock.Now()
	// All probes pass, a required approval is missing and sign-offs are
	// not re-read: waiting cannot help.
	rep := runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, Clock: clock, Signoffs: &book{}})
	if rep.Verdict != report.NotReady || rep.Rounds != 1 || clock.elapsed(start) != 0 {
		t.Errorf("verdict %s, %d rounds, waited %s", rep.Verdict, rep.Rounds, clock.elapsed(start))
	}
	// Even with sign-offs re-read: an approval is given to a finished
	// report, so waiting for it is waiting for this run's own end.
	rep = runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, Clock: clock, Signoffs: &book{},
		ReloadSignoffs: func(context.Context) (runner.Signoffs, error) { return &book{}, nil }})
	if rep.Verdict != report.NotReady || rep.Rounds != 1 || clock.elapsed(start) != 0 {
		t.Errorf("with reload: verdict %s, %d rounds, waited %s", rep.Verdict, rep.Rounds, clock.elapsed(start))
	}
	// A dependency left out by --skip is not going to be checked either.
	cl = load(t, `
      - {id: db, fake: {}}
      - {id: api, depends_on: [db], fake: {}}
`)
	rep = runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, Clock: clock, Skip: []string{"db"}})
	if rep.Verdict != report.NotReady || rep.Rounds != 1 {
		t.Errorf("skipped dependency: verdict %s after %d rounds", rep.Verdict, rep.Rounds)
	}
	// Nothing selected: nothing to wait for.
	rep = runner.Run(context.Background(), cl, runner.Options{Wait: time.Hour, Clock: clock, Tags: []string{"none"}})
	if rep.Verdict != report.NotReady || rep.Rounds != 1 {
		t.Errorf("empty selection: verdict %s after %d rounds", rep.Verdict, rep.Rounds)
	}
}

func TestRetryDelayUsesTheClock(t *testing.T) {
	script("retry", "ffp")
	cl := load(t, "      - {id: flaky, retries: 3, retry_delay: 1h, fake: {mode: seq, key: retry}}\n")
	real := time.Now()
	rep := runner.Run(context.Background(), cl, runner.Options{Clock: newFakeClock()})
	if it := rep.Items[0]; it.Status != report.Pass || it.Attempts != 3 || it.DurationMS != (2*time.Hour).Milliseconds() {
		t.Errorf("got %s after %d attempts in %dms", it.Status, it.Attempts, it.DurationMS)
	}
	if d := time.Since(real); d > 5*time.Second {
		t.Errorf("retry delays slept %s of real time", d)
	}
}
