package runner

import (
	"time"

	"github.com/readyctl/readyctl/internal/report"
)

// Observer hears about a run as it happens, for live progress on a
// terminal. Calls come from many goroutines.
type Observer interface {
	Started(total int)
	ItemStarted(id string)
	ItemProgress(id, line string)
	Finished(res report.Item)
	// Waiting is called in --wait mode between rounds with what still
	// blocks, a few words each ("auth-service: status was 503", "qa-lead
	// approval missing"); an observer shows it as one line. Without an
	// Observer the runner logs that line instead.
	Waiting(round int, blocking []string, next time.Duration)
}

type nopObserver struct{}

func (nopObserver) Started(int)                          {}
func (nopObserver) ItemStarted(string)                   {}
func (nopObserver) ItemProgress(string, string)          {}
func (nopObserver) Finished(report.Item)                 {}
func (nopObserver) Waiting(int, []string, time.Duration) {}
