package cmdutil

import "testing"

func TestColorEnv(t *testing.T) {
	for _, c := range []struct {
		env            map[string]string
		noColor, force bool
	}{
		{map[string]string{}, false, false},
		{map[string]string{"NO_COLOR": ""}, false, false}, // set but empty: does not count
		{map[string]string{"NO_COLOR": "1"}, true, false},
		{map[string]string{"FORCE_COLOR": "1"}, false, true},
		{map[string]string{"FORCE_COLOR": "true"}, false, true},
		{map[string]string{"FORCE_COLOR": "0"}, false, false},
		{map[string]string{"FORCE_COLOR": ""}, false, false},
	} {
		no, force := ColorEnv(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if no != c.noColor || force != c.force {
			t.Errorf("%v: NO_COLOR counts %v, FORCE_COLOR counts %v; want %v, %v", c.env, no, force, c.noColor, c.force)
		}
	}
}

// FORCE_COLOR colours a pipe (a CI log); --no-color still wins.
func TestForceColor(t *testing.T) {
	io, _, _ := TestIOStreams(false)
	if io.ColorStdout(false) {
		t.Error("colour on a pipe")
	}
	io.SetForceColorEnv(true)
	if !io.ColorStdout(false) {
		t.Error("FORCE_COLOR ignored on a pipe")
	}
	io.SetNoColorEnv(true)
	if !io.ColorStdout(false) {
		t.Error("FORCE_COLOR must win over NO_COLOR")
	}
	if io.ColorStdout(true) {
		t.Error("--no-color must win over FORCE_COLOR")
	}
	if io.ProgressOnStderr() {
		t.Error("FORCE_COLOR must not draw live progress on a pipe")
	}
}
