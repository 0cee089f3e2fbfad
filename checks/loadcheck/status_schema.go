package loadcheck

// JSONSchema describes what UnmarshalYAML accepts, for `readyctl schema`:
// a scalar or a list of scalars (codes, classes, ranges; Validate judges
// their values).
func (StatusList) JSONSchema() map[string]any {
	one := map[string]any{"type": []any{"integer", "string"}}
	return map[string]any{"anyOf": []any{one, map[string]any{"type": "array", "items": one}}}
}
