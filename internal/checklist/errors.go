package checklist

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a checklist file, with the position a person
// needs to fix it: FILE:LINE:COL: item "ID": message.
type Error struct {
	File string
	Line int
	Col  int
	Item string // "" when the problem is outside any item
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Item != "" {
		fmt.Fprintf(&b, "item %q: ", e.Item)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one checklist, in file order. It is the
// error type of an invalid checklist (exit code 3).
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
	return es
}
