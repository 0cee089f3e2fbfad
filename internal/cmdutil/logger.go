package cmdutil

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/readyctl/readyctl/internal/redact"
)

// NewLogger logs to stderr (debug with -v, else info and up), masking
// every secret the checklist resolved.
func NewLogger(w io.Writer, verbose bool, secrets []string) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	r := redact.New(secrets)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Value.Kind() {
			case slog.KindString:
				return slog.String(a.Key, r.String(a.Value.String()))
			case slog.KindAny:
				return slog.String(a.Key, r.String(fmt.Sprint(a.Value.Any())))
			}
			return a
		},
	}))
}
