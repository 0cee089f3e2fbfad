package checks

// Enumerated is implemented by a probe configuration whose fields take only
// listed values. Keys are field paths as `readyctl probes` shows them
// ("key.type"); for a list field the values are its elements'. `readyctl
// schema` offers them to editors and `readyctl docs` lists them, so a kind
// returns the lists its Validate uses, never a second copy typed by hand.
type Enumerated interface {
	Enums() map[string][]string
}
