package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/scaffold"
)

// InitOptions are the settings of `readyctl init`.
type InitOptions struct {
	IO       *cmdutil.IOStreams
	File     string
	Template string
	From     string // a Compose file
	Force    bool
}

// NewCmdInit builds `readyctl init`.
func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a starter checklist (a template, the seed, or items from a Compose file)",
		Long: `Write a starter checklist that validates, to FILE (default ./checklist.yaml):

  --template minimal   a small commented file: one http item, one manual
                       item and a sign-off role (the default)
  --template seed      the full production checklist readyctl ships
  --from FILE          one item per service of a Docker Compose file: http for
                       published HTTP ports and healthcheck URLs, postgres and
                       redis for those images, tcp otherwise, each with a
                       comment saying why

An existing file is never overwritten without --force. With -f - the
checklist goes to stdout.`,
		Example: `  readyctl init
  readyctl init --template seed -f production.yaml
  readyctl init --from docker-compose.yml && readyctl validate --no-env
  readyctl init --from compose.yaml -f -     # look before writing`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if cmd.Flags().Changed("file") && args[0] != opts.File {
					return cmdutil.UsageErrorf("init: give the file once, as -f FILE or as an argument")
				}
				opts.File = args[0]
			}
			if opts.From != "" && cmd.Flags().Changed("template") {
				return cmdutil.UsageErrorf("init: --from and --template exclude each other")
			}
			if opts.From == "" && !slices.Contains(scaffold.Templates(), opts.Template) {
				return cmdutil.UsageErrorf("init: unknown template %q (templates: %s)", opts.Template, strings.Join(scaffold.Templates(), ", "))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", "checklist.yaml", "checklist file to write, or - for stdout")
	cmd.Flags().StringVar(&opts.Template, "template", "minimal", "starter: "+strings.Join(scaffold.Templates(), " or "))
	cmd.Flags().StringVar(&opts.From, "from", "", "propose items from this Docker Compose file")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite FILE if it exists")
	// What to write and whether to overwrite are decided for one run.
	cmdutil.CommandLineOnly(cmd.Flags(), "force", "from", "template")
	_ = cmd.RegisterFlagCompletionFunc("template", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return scaffold.Templates(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func initRun(o *InitOptions) error {
	var out []byte
	var err error
	if o.From != "" {
		out, err = fromCompose(o.From)
	} else {
		out, err = scaffold.Template(o.Template)
	}
	if err != nil {
		return err
	}
	if o.File == "-" {
		_, err := o.IO.Out.Write(out)
		return err
	}
	if err := writeNew(o.File, out, o.Force); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "readyctl: wrote %s; next: readyctl validate -f %s\n", o.File, o.File)
	return nil
}

func fromCompose(path string) ([]byte, error) {
	// A Compose file is input like any other: regular file, bounded.
	data, err := checks.ReadFile(path, scaffold.MaxComposeSize)
	if err != nil {
		return nil, cmdutil.UsageErrorf("init --from: %v", err)
	}
	out, err := scaffold.FromCompose(filepath.Base(path), data)
	if err != nil {
		return nil, cmdutil.UsageErrorf("init --from %s: %v", path, err)
	}
	return out, nil
}

// writeNew writes data to path; without force an existing file is a usage
// error and is left alone (O_EXCL: no window for another writer either).
func writeNew(path string, data []byte, force bool) error {
	if force {
		if err := cmdutil.WriteFileAtomic(path, func(f *os.File) error { _, err := f.Write(data); return err }); err != nil {
			return fmt.Errorf("init: write %s: %w", path, err)
		}
		return nil
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return cmdutil.UsageErrorf("init: %s exists: use --force to overwrite it", path)
	}
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return fmt.Errorf("init: %w", err)
	}
	return fh.Close()
}
