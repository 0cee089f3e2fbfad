// Package cmdutil holds what readyctl's commands share: the Factory they
// are built from, the streams they write to, usage errors, the one
// settings layer (flags > READYCTL_* > config file > defaults) and small
// helpers.
package cmdutil

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// Factory carries what commands depend on, so tests can swap it.
type Factory struct {
	IO *IOStreams
	// Settings fills flags the command line did not set; nil = defaults only.
	Settings *Settings
	// LookupEnv reads the process environment (for ${env:...}).
	LookupEnv func(string) (string, bool)
}

// ApplySettings is every configurable command's PreRunE: it fills the
// command's Options (through its flags) from READYCTL_* and the config
// file before the command validates them.
func (f *Factory) ApplySettings(cmd *cobra.Command, _ []string) error {
	return f.Settings.Apply(cmd)
}

// ConfigPath is the user's config file: $XDG_CONFIG_HOME/readyctl/config.yaml.
func ConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "readyctl", "config.yaml")
}
