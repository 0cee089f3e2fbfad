package checks

// SecretFree is implemented by a probe with fields whose values must never
// come from a secret (`${env:...}`): the program an exec item runs, so that
// what runs is always visible in the checklist under review. It returns
// the field paths ("command[0]") and their values; the loader refuses any
// value that holds a secret, at the field's FILE:LINE:COL.
type SecretFree interface {
	SecretFreeFields() map[string]string
}
