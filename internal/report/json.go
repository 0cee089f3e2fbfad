package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

func init() { Register("json", renderJSON) }

// itemsNull is how the top-level "items" key renders when Items is nil,
// at the indentation of a top-level key: JSON strings hold no raw line
// break, so this text can only be that key.
const itemsNull = "\n  \"items\": null"

// renderJSON writes the report as one indented JSON object. Items are
// encoded one at a time into the stream, each with its observations made
// plain on the way (itemEncoder): a report of 10,000 items is never held
// whole in memory as text (twice, compact and indented) nor as a plain
// copy (issue 16). The bytes are exactly those of encoding the whole
// report with json.Encoder (SetEscapeHTML(false), SetIndent("", "  ")).
func renderJSON(w io.Writer, r *Report, _ Options) error {
	out := *r
	out.Items = nil
	if out.Sections == nil {
		out.Sections = []Section{}
	}
	if out.Signoffs == nil {
		out.Signoffs = []Signoff{}
	}
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	before, after, ok := bytes.Cut(head.Bytes(), []byte(itemsNull))
	if !ok {
		return errors.New("json report: items key not found (report model changed?)")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	bw.WriteString("\n  \"items\": [")
	item := newItemEncoder()
	for i := range r.Items {
		text, err := item.encode(&r.Items[i])
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(text)
	}
	if len(r.Items) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteByte(']')
	bw.Write(after)
	return bw.Flush()
}
