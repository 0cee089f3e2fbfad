package cli

import (
	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/schema"
)

// NewCmdSchema builds `readyctl schema`.
func NewCmdSchema(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the checklist format (for editors)",
		Long: `Print the JSON Schema (draft 2020-12) of the checklist format, generated from
the definitions the loader uses: every probe kind's fields, the item and
section fields and the signoff policy. Point an editor at it, e.g. with a
first line "# yaml-language-server: $schema=schema/checklist.schema.json".
The schema helps while writing; readyctl validate is the judge.`,
		Example: `  readyctl schema > checklist.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := schema.JSON()
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(b)
			return err
		},
	}
}
