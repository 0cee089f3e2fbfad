// Package cmdutil holds what readyctl's commands share: the Factory they
// are built from, the streams they write to, usage errors, settings
// binding (flags > READYCTL_* > config file > defaults) and small helpers.
package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Factory carries what commands depend on, so tests can swap it.
type Factory struct {
	IO     *IOStreams
	Config *viper.Viper
	// LookupEnv reads the process environment (for ${env:...}).
	LookupEnv func(string) (string, bool)
}

// NewConfig reads $XDG_CONFIG_HOME/readyctl/config.yaml (if any) and
// READYCTL_* environment variables; flags bound later take precedence.
func NewConfig(errOut io.Writer) *viper.Viper {
	v := viper.New()
	v.SetEnvPrefix("READYCTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	v.SetConfigFile(ConfigPath())
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil && !errors.Is(err, os.ErrNotExist) {
		var notFound viper.ConfigFileNotFoundError
		if !errors.As(err, &notFound) {
			if _, statErr := os.Stat(ConfigPath()); statErr == nil {
				fmt.Fprintf(errOut, "readyctl: ignoring config file %s: %v\n", ConfigPath(), err)
			}
		}
	}
	return v
}

// ConfigPath is the user's config file.
func ConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "readyctl", "config.yaml")
}

// BindFlags makes each flag of the running command come from flag >
// READYCTL_<NAME> > config file > the flag's default. It binds only the
// command that runs: commands share flag names such as "file".
func BindFlags(f *Factory, cmd *cobra.Command) {
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Name != "help" {
			_ = f.Config.BindPFlag(fl.Name, fl)
		}
	})
}
