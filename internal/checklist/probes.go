package checklist

import (
	"cmp"
	"runtime"
	"slices"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/internal/expect"
)

// Configuring an item's probe (decoding its kind's block, compiling its
// expect:, the kind's Validate, fitting the timeout) depends on nothing
// but the item once it is interpolated, and is about a third of the work
// per item: in a large checklist it runs on the other core while the load
// goes on through the items (issue 16). Interpolation, ids and everything else across items
// stay in file order on the loading goroutine. Each task keeps its own
// messages; finish puts them where loading item by item would have, so
// the errors are the same, in the same order.
//
// Only a load whose files are all plain (source.plain) does this: in one
// without aliases an item's interpolated nodes are its own, so its task
// reads nothing another item's interpolation writes.

// probeTask is one item's probe to configure.
type probeTask struct {
	n, key, block *yaml.Node
	it            *Item
	timeoutSet    bool
	// What the task reports through: the item's file and id, the
	// item's own taints (nil for none), its own errors.
	path, item string
	taints     map[*yaml.Node]bool
	errs       Errors
	// at is how many errors the load had when the task was made: its
	// errors go there, after those of tasks made before it (seq).
	at, seq int
}

type probeTasks struct {
	made  int
	queue chan *probeTask
	wg    sync.WaitGroup
	mu    sync.Mutex
	// failed are the tasks with errors: a task without is forgotten once
	// done, so that 10,000 of them are not kept to the end of the load.
	failed []*probeTask
}

// probeTasksFrom is how many YAML nodes a load has before its probes are
// configured beside it (10,000 plain http items are 70,000 nodes). A
// second goroutine allocating has its own partly used spans: about half
// a MiB more at the peak of a small checklist's load, for a few ms saved,
// where the 35 MiB of a run of 1,000 items is tight; a large one saves
// tens of ms (issue 16). Tests lower it.
var probeTasksFrom = 20_000

// startProbeTasks starts the workers of a load, or returns nil when the
// load configures probes item by item: one core, a small or
// definitions-only load, or a file with aliases.
func startProbeTasks(l *loader) *probeTasks {
	workers := runtime.GOMAXPROCS(0) - 1
	if workers < 1 || l.definitions || maxNodes-l.nodesLeft < probeTasksFrom {
		return nil
	}
	for _, s := range l.sources {
		if s.root != nil && !s.plain {
			return nil
		}
	}
	p := &probeTasks{queue: make(chan *probeTask, 256)}
	for range min(workers, 4) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			// Compiling expressions fills caches in an environment's
			// types: each worker has its own environments.
			sub := &loader{defaultTimeoutSet: l.defaultTimeoutSet, envs: map[string]*expect.Env{}}
			for t := range p.queue {
				sub.path, sub.item, sub.tainted, sub.errs = t.path, t.item, t.taints, nil
				sub.loadProbe(t.n, t.key, t.block, t.it, t.timeoutSet)
				if len(sub.errs) > 0 {
					t.errs = sub.errs
					p.mu.Lock()
					p.failed = append(p.failed, t)
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

// add queues t, made while l loads t's item.
func (p *probeTasks) add(l *loader, t *probeTask) {
	t.at, t.seq, t.path, t.item = len(l.errs), p.made, l.path, l.item
	p.made++
	if len(l.itemTaints) > 0 {
		t.taints = make(map[*yaml.Node]bool, len(l.itemTaints))
		for _, n := range l.itemTaints {
			t.taints[n] = true
		}
	}
	p.queue <- t
}

// finish waits for every task and merges their errors into l's, each
// task's where its item's loadKind would have put them.
func (p *probeTasks) finish(l *loader) {
	if p == nil {
		return
	}
	close(p.queue)
	p.wg.Wait()
	if len(p.failed) == 0 {
		return
	}
	slices.SortFunc(p.failed, func(a, b *probeTask) int { return cmp.Compare(a.seq, b.seq) })
	n := 0
	for _, t := range p.failed {
		n += len(t.errs)
	}
	merged := make(Errors, 0, len(l.errs)+n)
	from := 0
	for _, t := range p.failed {
		merged = append(merged, l.errs[from:t.at]...)
		merged = append(merged, t.errs...)
		from = t.at
	}
	l.errs = append(merged, l.errs[from:]...)
}
