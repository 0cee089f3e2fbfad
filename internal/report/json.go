package report

import (
	"encoding/json"
	"io"
)

func init() { Register("json", renderJSON) }

func renderJSON(w io.Writer, r *Report, _ Options) error {
	out := *r
	out.Items = make([]Item, len(r.Items))
	for i, it := range r.Items {
		it.Observations = PlainObservations(it.Observations)
		out.Items[i] = it
	}
	if out.Sections == nil {
		out.Sections = []Section{}
	}
	if out.Signoffs == nil {
		out.Signoffs = []Signoff{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
