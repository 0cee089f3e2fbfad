package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/schema"
)

// NewCmdDocs builds `readyctl docs`.
func NewCmdDocs(f *cmdutil.Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Write the reference page of every kind, field and observation (docs/reference.md)",
		Long: `Write the Markdown reference of the checklist format, generated from the
definitions the loader uses: the file, section and item fields, the signoff
policy, and every probe kind's fields, defaults, observations and example.
It goes to DIR/` + schema.ReferenceFile + ` (default docs/), or to stdout with -o -.`,
		Example: `  readyctl docs
  readyctl docs -o - | less`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ref := schema.Reference()
			if dir == "-" {
				_, err := f.IO.Out.Write(ref)
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("docs: %w", err)
			}
			path := filepath.Join(dir, schema.ReferenceFile)
			if err := os.WriteFile(path, ref, 0o644); err != nil {
				return fmt.Errorf("docs: %w", err)
			}
			fmt.Fprintf(f.IO.ErrOut, "readyctl: wrote %s\n", path)
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "output", "o", "docs", "directory to write "+schema.ReferenceFile+" into, or - for stdout")
	cmdutil.CommandLineOnly(cmd.Flags(), "output")
	return cmd
}
