package history

import (
	"math"
	"sort"

	"github.com/readyctl/readyctl/internal/report"
)

// Diff is what changed from run A to run B.
type Diff struct {
	A        string `json:"a"` // the files
	B        string `json:"b"`
	VerdictA string `json:"verdict_a"`
	VerdictB string `json:"verdict_b"`
	// Threshold is in percent.
	Threshold float64 `json:"threshold_percent"`
	// Status lists the items whose status changed, in B's order (items
	// only one run has come last).
	Status []StatusChange `json:"status"`
	// Moved lists the numeric observations whose change is beyond the
	// threshold (in percent), by item then name.
	Moved []Moved `json:"moved"`
}

// StatusChange is one item's status in both runs ("" = not in that run).
type StatusChange struct {
	Item   string `json:"item"`
	Before string `json:"before"`
	After  string `json:"after"`
	// Message is B's message for the item (A's when B lacks it).
	Message string `json:"message,omitempty"`
}

// Moved is one observation that moved beyond the threshold.
type Moved struct {
	Item        string        `json:"item"`
	Observation string        `json:"observation"`
	Change      report.Change `json:"change"`
}

// Compare computes the diff between two reports read from JSON.
// threshold is in percent: an observation that moved by more (either way)
// is listed; one that went from 0 to something is always listed.
func Compare(a, b *report.Report, threshold float64) Diff {
	d := Diff{VerdictA: a.Verdict, VerdictB: b.Verdict, Threshold: threshold, Status: []StatusChange{}, Moved: []Moved{}}
	before := map[string]report.Item{}
	for _, it := range a.Items {
		before[it.ID] = it
	}
	seen := map[string]bool{}
	for _, it := range b.Items {
		seen[it.ID] = true
		old, ok := before[it.ID]
		if !ok {
			d.Status = append(d.Status, StatusChange{Item: it.ID, After: string(it.Status), Message: it.Message})
			continue
		}
		if old.Status != it.Status {
			d.Status = append(d.Status, StatusChange{Item: it.ID, Before: string(old.Status), After: string(it.Status), Message: firstNonEmpty(it.Message, old.Message)})
		}
		if old.Status == report.Skip || it.Status == report.Skip {
			continue // not measured in one of them
		}
		ch := report.ChangesJSON(old.Observations, it.Observations)
		names := make([]string, 0, len(ch))
		for n := range ch {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := ch[n]
			if c.New || math.Abs(c.Percent) > threshold {
				d.Moved = append(d.Moved, Moved{Item: it.ID, Observation: n, Change: c})
			}
		}
	}
	for _, it := range a.Items {
		if !seen[it.ID] {
			d.Status = append(d.Status, StatusChange{Item: it.ID, Before: string(it.Status), Message: it.Message})
		}
	}
	return d
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
