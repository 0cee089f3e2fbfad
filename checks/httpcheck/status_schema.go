package httpcheck

// JSONSchema describes what UnmarshalYAML accepts, for `readyctl schema`:
// a code from 100 to 599, a class such as "2xx", or a list of them.
func (StatusSpec) JSONSchema() map[string]any {
	one := map[string]any{"anyOf": []any{
		map[string]any{"type": "integer", "minimum": 100, "maximum": 599},
		map[string]any{"type": "string", "pattern": `^\s*([1-5][xX][xX]|[1-5][0-9][0-9])\s*$`},
		map[string]any{"type": "string", "pattern": `^.*\$\{.*\}.*$`}, // ${code}: judged after interpolation
	}}
	return map[string]any{"anyOf": []any{one, map[string]any{"type": "array", "items": one}}}
}
