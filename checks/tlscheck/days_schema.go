package tlscheck

// JSONSchema describes what UnmarshalYAML accepts, for `readyctl schema`:
// 398 or "398d".
func (Days) JSONSchema() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "integer", "minimum": 0},
		map[string]any{"type": "string", "pattern": `^\s*[0-9]+d?\s*$`},
		map[string]any{"type": "string", "pattern": `^.*\$\{.*\}.*$`},
	}}
}
