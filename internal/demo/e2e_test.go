package demo_test

import (
	"context"
	"slices"
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
	cases := append([]platform.Fault{{Name: ""}}, platform.Faults...)
	for _, fault := range cases {
		name := fault.Name
		if name == "" {
			name = "healthy"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			plat, err := platform.Start(context.Background(), platform.Options{Fault: fault.Name, Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(plat.Close)
			for _, m := range plat.Missing {
				if testsvc.Required() {
					t.Fatalf("%s not started (%s) and READYCTL_REQUIRE_SERVICES=1", m.Service, m.Message)
				}
				t.Skipf("%s not started: %s (install: %s)", m.Service, m.Message, m.Install)
			}
			prep, err := demo.Prepare(readyctl.Checklist, plat, nil, func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(prep.Close)
			opts := runner.Options{Signoffs: prep.Signoffs, AllowIntrusive: true}
			if fault.Name != "" {
				// Short: load only where the fault is about load, and one
				// attempt for the items that must fail.
				for _, it := range prep.Checklist.Items() {
					if slices.Contains(fault.Items, it.ID) {
						it.Retries = 0
					}
				}
				opts.AllowIntrusive = fault.Name == "gateway-slow"
			}
			rep := runner.Run(context.Background(), prep.Checklist, opts)
			t.Logf("%s: %s in %s (platform and run)", name, rep.Verdict, time.Since(start).Round(100*time.Millisecond))
			for _, it := range rep.Items {
				want := slices.Contains(fault.Items, it.ID)
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
			wantVerdict := report.Ready
			if fault.Name != "" {
				wantVerdict = report.NotReady
			}
			if rep.Verdict != wantVerdict {
				t.Errorf("verdict %s, want %s", rep.Verdict, wantVerdict)
			}
		})
	}
}
