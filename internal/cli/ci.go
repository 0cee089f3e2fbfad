package cli

import (
	"bytes"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/report"
)

// finishRoot is what the root command needs once every command is added:
// --version prints what `readyctl version` prints, and flags complete
// from the checklist in use.
func finishRoot(root *cobra.Command, f *cmdutil.Factory) {
	root.SetVersionTemplate(versionTemplate)
	registerCompletions(root, f)
}

// ciModes are the values of --ci.
var ciModes = []string{"auto", "github", "none"}

// githubActions reports whether this run writes GitHub Actions output:
// --ci github or none decide; auto follows the runner's GITHUB_ACTIONS.
func (o *CheckOptions) githubActions() bool {
	switch o.CI {
	case "github":
		return true
	case "none":
		return false
	}
	v, _ := o.LookupEnv("GITHUB_ACTIONS")
	return v == "true"
}

// writeCI writes the CI system's own view of the report: in GitHub
// Actions, annotations on stderr (GitHub reads workflow commands from both
// streams, and stdout carries only the report) and the compact summary
// appended to $GITHUB_STEP_SUMMARY. Neither changes the verdict: a summary
// that cannot be written is said on stderr, and the exit code stands.
func writeCI(o *CheckOptions, rep *report.Report, logger *slog.Logger) {
	if !o.githubActions() {
		return
	}
	ws, _ := o.LookupEnv("GITHUB_WORKSPACE")
	wd, _ := os.Getwd()
	if err := report.WriteGitHubAnnotations(o.IO.ErrOut, rep, report.GitHubOptions{Workspace: ws, WorkDir: wd}); err != nil {
		logger.Error("could not write the GitHub annotations", "err", err)
	}
	path, _ := o.LookupEnv("GITHUB_STEP_SUMMARY")
	if path == "" {
		logger.Warn("GITHUB_STEP_SUMMARY is not set: no step summary written")
		return
	}
	var buf bytes.Buffer
	if err := report.WriteGitHubSummary(&buf, rep); err != nil {
		logger.Error("could not render the GitHub step summary", "err", err)
		return
	}
	if err := cmdutil.AppendFile(path, buf.Bytes()); err != nil {
		logger.Error("could not write the GitHub step summary; the verdict stands", "err", err)
	}
}
