package cli

import (
	"runtime/debug"
	"testing"
)

func TestDescribeVersion(t *testing.T) {
	stamped := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		v    string
		bi   *debug.BuildInfo
		want string
	}{
		{"dev", nil, "dev (go1.26.8, linux/amd64)"},
		{"dev", stamped, "dev (commit 1a2b3c4d5e6f, modified; go1.26.8, linux/amd64)"},
		{"v1.2.3", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}, "v1.2.3 (commit abc; go1.26.8, linux/amd64)"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}}, "v0.9.0 (go1.26.8, linux/amd64)"},
	} {
		if got := describeVersion(c.v, c.bi, "go1.26.8", "linux/amd64"); got != c.want {
			t.Errorf("describeVersion(%q) = %q, want %q", c.v, got, c.want)
		}
	}
}
