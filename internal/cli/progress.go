package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/readyctl/readyctl/internal/report"
)

// progress draws one live line on a terminal's stderr: items done of
// total, what is still running, and the latest line from a long probe. It
// stays silent for runs that finish within a moment.
type progress struct {
	w     io.Writer
	width int

	mu       sync.Mutex
	total    int
	done     int
	running  map[string]time.Time
	detail   map[string]string
	waiting  string
	drawn    bool
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// delay before the first line: quick runs never flicker.
const progressDelay = 300 * time.Millisecond

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func newProgress(w io.Writer, width int) *progress {
	p := &progress{w: w, width: width, running: map[string]time.Time{}, detail: map[string]string{}, stop: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for frame := 0; ; frame++ {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		if time.Since(start) < progressDelay {
			continue
		}
		p.draw(spinner[frame%len(spinner)])
	}
}

func (p *progress) draw(spin string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var line string
	if p.waiting != "" && len(p.running) == 0 {
		line = fmt.Sprintf("%s %s", spin, p.waiting)
	} else {
		ids := make([]string, 0, len(p.running))
		for id := range p.running {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return p.running[ids[i]].Before(p.running[ids[j]]) })
		line = fmt.Sprintf("%s %d/%d done", spin, p.done, p.total)
		if len(ids) > 0 {
			oldest := ids[0]
			line += fmt.Sprintf(" · running %s (%s)", oldest, time.Since(p.running[oldest]).Round(time.Second))
			if d := p.detail[oldest]; d != "" {
				line += ": " + d
			}
			if len(ids) > 1 {
				line += fmt.Sprintf(" +%d more", len(ids)-1)
			}
		}
	}
	if max := p.width - 1; max > 0 && len([]rune(line)) > max {
		line = string([]rune(line)[:max])
	}
	fmt.Fprintf(p.w, "\r\x1b[2K%s", line)
	p.drawn = true
}

// Stop clears the line; safe to call twice.
func (p *progress) Stop() {
	p.stopOnce.Do(func() {
		close(p.stop)
		p.wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.drawn {
			fmt.Fprint(p.w, "\r\x1b[2K")
		}
	})
}

func (p *progress) Started(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.done, p.waiting = total, 0, ""
}

func (p *progress) ItemStarted(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[id] = time.Now()
}

func (p *progress) ItemProgress(id, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.detail[id] = report.TermSafe(line)
}

func (p *progress) Finished(res report.Item) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, res.ID)
	delete(p.detail, res.ID)
	p.done++
}

// Waiting prints one lasting line per --wait round (what still blocks and
// why), clearing the live line first so the two never collide; the live
// line then says what it waits for.
func (p *progress) Waiting(round int, blocking []string, next time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
	const shown = 5
	what := blocking
	if len(what) > shown {
		what = append(what[:shown:shown], fmt.Sprintf("+%d more", len(blocking)-shown))
	}
	fmt.Fprintf(p.w, "round %d: not ready: %s\n", round, report.TermSafe(strings.Join(what, "; ")))
	p.waiting = fmt.Sprintf("round %d done; next check in %s", round, next.Round(100*time.Millisecond))
}
