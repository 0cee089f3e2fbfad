// Command readyctl checks that a system is ready to deploy, from a YAML
// checklist. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/cli"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

func main() { os.Exit(run()) }

func run() int {
	setGC(os.LookupEnv)
	// The first SIGINT/SIGTERM cancels the run, which still prints what it
	// measured; a second one kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return cli.Main(ctx, os.Args[1:], cmdutil.System())
}

// defaultGOGC is readyctl's garbage-collection target unless GOGC is set.
// Most of a run's heap is the checklist and the items' results, live until
// the report is written; Go's default (collect when the heap has doubled
// since the last collection) lets a run peak at twice what it holds. 50
// keeps the peak to 1.5 times for a few percent more CPU in a process that
// waits on the network: 10,000 http items at concurrency 500 peak at 108
// MiB instead of 128, for 6% more CPU (scripts/bench-scale.sh, issue 16). A soft memory
// limit would cap the peak too, but it makes the collector spin on a
// checklist whose live data nears the limit.
const defaultGOGC = 50

func setGC(lookupEnv func(string) (string, bool)) {
	if _, set := lookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGOGC)
	}
}
