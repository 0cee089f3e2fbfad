package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdVersion prints the version, exactly as --version does.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print readyctl's version and the commit it was built from",
		Example: "  readyctl version\n  readyctl --version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(f.IO.Out, "readyctl %s\n", versionString())
			return err
		},
	}
}

// versionTemplate makes --version print what `readyctl version` prints.
const versionTemplate = "{{.Name}} {{.Version}}\n"

func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return describeVersion(Version, bi, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

// describeVersion is "v1.2.3 (commit 1a2b3c4d5e6f, modified; go1.26.8,
// linux/amd64)": the -ldflags version, else the module version; and the
// commit the Go toolchain stamped (vcs.revision), marked when the tree had
// uncommitted changes (vcs.modified), so a bug report names exact code.
func describeVersion(v string, bi *debug.BuildInfo, goVersion, platform string) string {
	var commit string
	var modified bool
	if bi != nil {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var parts []string
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		c := "commit " + commit
		if modified {
			c += ", modified"
		}
		parts = append(parts, c+";")
	}
	parts = append(parts, goVersion+",", platform)
	return v + " (" + strings.Join(parts, " ") + ")"
}
