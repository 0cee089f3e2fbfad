package checklist

// JSONSchema describes what UnmarshalYAML accepts, for `readyctl schema`:
// a Go duration, or whole days or weeks (30d, 2w).
func (Age) JSONSchema() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "string", "pattern": `^\s*([0-9]+[dw]|0|\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)\s*$`},
		map[string]any{"const": 0},
	}}
}
