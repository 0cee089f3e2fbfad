// Command readyctl checks that a system is ready to deploy, from a YAML
// checklist. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/cli"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

func main() { os.Exit(run()) }

func run() int {
	// The first SIGINT/SIGTERM cancels the run, which still prints what it
	// measured; a second one kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return cli.Main(ctx, os.Args[1:], cmdutil.System())
}
