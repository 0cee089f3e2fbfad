package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdVersion prints the version.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print readyctl's version",
		Example: "  readyctl version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := Version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			_, err := fmt.Fprintf(f.IO.Out, "readyctl %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
