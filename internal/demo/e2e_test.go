package demo_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl"
	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/demo"
	"github.com/readyctl/readyctl/internal/demo/platform"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// The regression guard of the product's main job: the shipped
// checklist.yaml against the reference platform passes whole, and each
// fault fails exactly the items that must catch it.
func TestShippedChecklistAgainstReferencePlatform(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		// Alone: its load items measure the platform, not other tests.
		rep, skip, err := check(t, platform.Fault{})
		if err != nil {
			t.Fatal(err)
		}
		if skip != "" {
			t.Skip(skip)
		}
		judge(t, platform.Fault{}, rep)
	})
	// Each fault needs its own platform; most of a platform's start is
	// waiting (initdb, Prometheus' first scrapes), so start a few at once,
	// as many as the cores: more would make the latency items measure the
	// machine rather than the platform.
	type outcome struct {
		rep  *report.Report
		skip string
		err  error
	}
	results := make([]outcome, len(platform.Faults))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, f := range platform.Faults {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i].rep, results[i].skip, results[i].err = check(t, f)
		}()
	}
	wg.Wait()
	for i, f := range platform.Faults {
		t.Run(f.Name, func(t *testing.T) {
			if results[i].err != nil {
				t.Fatal(results[i].err)
			}
			if results[i].skip != "" {
				t.Skip(results[i].skip)
			}
			judge(t, f, results[i].rep)
		})
	}
}

// check starts the platform with fault f and runs the shipped checklist.
// A missing server binary is a reason to skip (an error under
// READYCTL_REQUIRE_SERVICES=1). It may run on any goroutine.
func check(t *testing.T, f platform.Fault) (_ *report.Report, skip string, _ error) {
	start := time.Now()
	plat, err := platform.Start(context.Background(), platform.Options{Fault: f.Name})
	if err != nil {
		return nil, "", err
	}
	defer plat.Close()
	for _, m := range plat.Missing {
		msg := fmt.Sprintf("%s not started: %s (install: %s)", m.Service, m.Message, m.Install)
		if testsvc.Required() {
			return nil, "", fmt.Errorf("%s, and READYCTL_REQUIRE_SERVICES=1", msg)
		}
		return nil, msg, nil
	}
	prep, err := demo.Prepare(readyctl.Checklist, plat, nil, func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, "", err
	}
	defer prep.Close()
	opts := runner.Options{Signoffs: prep.Signoffs, AllowIntrusive: true}
	if f.Name != "" {
		// Short: load only where the fault is about load, and one
		// attempt for the items that must fail.
		for _, it := range prep.Checklist.Items() {
			if slices.Contains(f.Items, it.ID) {
				it.Retries = 0
			}
		}
		opts.AllowIntrusive = f.Name == "gateway-slow"
	}
	rep := runner.Run(context.Background(), prep.Checklist, opts)
	t.Logf("fault %q: %s in %s (platform and run)", f.Name, rep.Verdict, time.Since(start).Round(100*time.Millisecond))
	return rep, "", nil
}

func judge(t *testing.T, f platform.Fault, rep *report.Report) {
	t.Helper()
	for _, it := range rep.Items {
		want := slices.Contains(f.Items, it.ID)
		bad := it.Status == report.Fail || it.Status == report.Error
		switch {
		case want && !bad:
			t.Errorf("%s: want fail or error, got %s %s", it.ID, it.Status, it.Message)
		case !want && bad:
			t.Errorf("%s: want pass, got %s (%s): %s", it.ID, it.Status, it.Reason, it.Message)
		case !want && it.Status == report.Skip && it.Reason != "intrusive_not_allowed" && it.Reason != "dependency":
			t.Errorf("%s: skipped: %s", it.ID, it.Message)
		case !want && it.Status == report.Pending:
			t.Errorf("%s: pending: %s", it.ID, it.Message)
		}
	}
	want := report.Ready
	if f.Name != "" {
		want = report.NotReady
	}
	if rep.Verdict != want {
		t.Errorf("verdict %s, want %s", rep.Verdict, want)
	}
}
