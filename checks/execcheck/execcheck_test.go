package execcheck

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

func load(t *testing.T, src string) *Probe {
	t.Helper()
	p := New()
	probetest.Load(t, p, src)
	return p
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name, src string
		status    string
		msg       string
		code      int
	}{
		{"zero passes", "command: [sh, -c, 'echo ok']", "pass", "", 0},
		{"non-zero fails with stderr", "command: [sh, -c, 'echo bad config >&2; exit 3']", "fail", "exited with 3, expected 0: bad config", 3},
		{"expected code", "command: [sh, -c, 'exit 2']\nexit_code: 2", "pass", "", 2},
		{"any code", "command: [sh, -c, 'exit 7']\nexit_code: -1", "pass", "", 7},
		{"shell script", "command: ['echo a | tr a b; exit 1']\nshell: true", "fail", "exited with 1", 1},
		{"missing program", "command: [/nonexistent/readyctl-test]", "error", "no such file", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := probetest.Run(t, load(t, c.src), 5*time.Second, "")
			r.Want(t, c.status, c.msg)
			if c.status != "error" && r.Obs["exit_code"] != c.code {
				t.Errorf("exit_code %v, want %d", r.Obs["exit_code"], c.code)
			}
		})
	}
}

func TestStdoutJSONAndEnv(t *testing.T) {
	p := load(t, "command: [sh, -c, 'printf \"{\\\"ok\\\": true, \\\"v\\\": \\\"%s\\\"}\" \"$X\"']\nenv: {X: hello}")
	r := probetest.Run(t, p, 5*time.Second, "")
	r.Want(t, "pass")
	j, _ := r.Obs["json"].(map[string]any)
	if j["ok"] != true || j["v"] != "hello" {
		t.Errorf("json %v", r.Obs["json"])
	}
}

func TestStdinAndDir(t *testing.T) {
	dir := t.TempDir()
	p := load(t, "command: [sh, -c, 'cat > got; pwd']\nstdin: payload\ndir: "+dir)
	r := probetest.Run(t, p, 5*time.Second, "")
	r.Want(t, "pass")
	if got, _ := os.ReadFile(filepath.Join(dir, "got")); string(got) != "payload" {
		t.Errorf("stdin: %q", got)
	}
	if !strings.Contains(r.Obs["stdout"].(string), dir) {
		t.Errorf("stdout %q, want dir %s", r.Obs["stdout"], dir)
	}
}

// A command that writes far more than max_output keeps running to its end
// without filling memory, and says it was truncated.
func TestOutputBounded(t *testing.T) {
	p := load(t, "command: [sh, -c, 'head -c 5000000 /dev/zero']\nmax_output: 1000")
	r := probetest.Run(t, p, 10*time.Second, "")
	r.Want(t, "pass")
	if n := len(r.Obs["stdout"].(string)); n != 1000 {
		t.Errorf("kept %d bytes, want 1000", n)
	}
	if r.Obs["truncated"] != true {
		t.Error("truncated not set")
	}
}

// At the deadline the whole process group dies: a grandchild the command
// spawned in the background does not outlive the run.
func TestDeadlineKillsGrandchildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	p := load(t, "command: [sh, -c, 'sleep 30 & echo $! > "+pidFile+"; wait']")
	r := probetest.Run(t, p, 500*time.Millisecond, "")
	if r.Elapsed > 3*time.Second {
		t.Fatalf("took %v after a 500ms deadline", r.Elapsed)
	}
	if checks.Classify(r.Err) != checks.ReasonTimeout {
		t.Errorf("reason %q (%v), want timeout", checks.Classify(r.Err), r.Err)
	}
	assertGone(t, pidFile)
}

// A command that exits at once but leaves a background child behind: the
// child is killed when the command is done, and the run does not wait
// for it.
func TestLeftoverChildKilled(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	p := load(t, "command: [sh, -c, 'sleep 30 & echo $! > "+pidFile+"; exit 0']")
	r := probetest.Run(t, p, 10*time.Second, "")
	r.Want(t, "pass")
	if r.Elapsed > 3*time.Second {
		t.Fatalf("waited %v for a background child", r.Elapsed)
	}
	assertGone(t, pidFile)
}

func assertGone(t *testing.T, pidFile string) {
	t.Helper()
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("grandchild %d survived", pid)
}

// alive: the process exists and is not a zombie waiting to be reaped.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func TestValidate(t *testing.T) {
	for src, want := range map[string]string{
		"dir: /tmp":                       "command: command is required",
		"command: []":                     "command: command is required",
		"command: [a, b]\nshell: true":    "command: with shell: true, command is one script string",
		"command: [true]\nexit_code: 300": "exit_code: exit_code 300",
		"command: [true]\nmax_output: -1": "max_output: must be 0",
	} {
		p := New()
		probetest.Decode(t, p, src)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}
