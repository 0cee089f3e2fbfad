package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// chromium runs one headless Chromium on the page with extra arguments
// (--dump-dom or --screenshot), bounded in time, in its own process group
// so that its helpers die with it, and returns what it wrote to stdout.
func chromium(t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	profile := t.TempDir()
	argv := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + profile,
	}, args...)
	argv = append(argv, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, argv...)
	cmd.Dir = profile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		// Renderer and GPU helpers outlive a browser killed mid-way.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %s: no result within 60s\n%s", strings.Join(args, " "), tail(stderr.String()))
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, tail(stderr.String()))
	}
	return stdout.Bytes()
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// TestHTMLInChromium opens the HTML report in a real browser: the DOM it
// builds holds the verdict and every item id, and a phone-sized
// screenshot shows a page (not a blank or error screen).
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() && !testsvc.Required() {
		t.Skip("-short: no browser")
	}
	bin := testsvc.Binary(t, "chromium", "/usr/lib/chromium")
	r := htmlFixture()
	// A target's hostile answer must stay text in a real browser too.
	r.Items = append(r.Items, Item{ID: "hostile", Section: "health", Title: `"><img src=x onerror=alert(1)>`, Kind: "http", Severity: "info", Status: Fail,
		Message: `<script>alert(2)</script>`, Observations: map[string]any{"body": `"><svg onload=alert(3)>`}})
	r.Finish(r.Sections, true)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, []byte(renderString(t, r, Options{})), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("dom", func(t *testing.T) {
		dom := string(chromium(t, bin, page, "--dump-dom"))
		nodes, text := parseHTML(t, dom)
		checkInert(t, nodes, dom)
		if !strings.Contains(text, `<script>alert(2)</script>`) {
			t.Error("the hostile message is not shown as text")
		}
		if !strings.Contains(text, "NOT READY") {
			t.Errorf("verdict not in the DOM:\n%s", tail(dom))
		}
		ids := map[string]bool{}
		for _, n := range nodes {
			ids[n.attrs["id"]] = true
		}
		for _, it := range r.Items {
			if it.Reason == "not_selected" {
				continue
			}
			if !ids["item-"+it.ID] || !strings.Contains(text, it.ID) {
				t.Errorf("item %s not in the DOM", it.ID)
			}
		}
		var rects int
		for _, n := range nodes {
			if n.tag == "rect" {
				rects++
			}
		}
		if rects != len(chartPercentiles) {
			t.Errorf("the DOM has %d chart bars, want %d", rects, len(chartPercentiles))
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(t.TempDir(), "shot.png")
		chromium(t, bin, page, "--screenshot="+shot, "--window-size=412,915", "--hide-scrollbars")
		f, err := os.Open(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		colours, nonWhite, red := inspect(img)
		b := img.Bounds()
		t.Logf("screenshot %dx%d: %d colours, %d non-white pixels, %d verdict-red pixels", b.Dx(), b.Dy(), colours, nonWhite, red)
		if b.Dx() != 412 {
			t.Errorf("screenshot %d px wide, want 412", b.Dx())
		}
		// A blank page is one colour; text and badges give hundreds.
		if colours < 20 || nonWhite < b.Dx()*b.Dy()/50 {
			t.Errorf("screenshot looks blank: %d colours, %d non-white pixels", colours, nonWhite)
		}
		// The NOT READY banner is a band of the verdict red across the top.
		if red < 412*20 {
			t.Errorf("no verdict banner in the screenshot (%d red pixels)", red)
		}
	})
}

// inspect counts an image's distinct colours, its pixels that are not
// white, and those of the banner's red (#cf222e).
func inspect(img image.Image) (colours, nonWhite, red int) {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			seen[r<<16|g<<8|bl] = true
			if r < 250 || g < 250 || bl < 250 {
				nonWhite++
			}
			if near(r, 0xcf) && near(g, 0x22) && near(bl, 0x2e) {
				red++
			}
		}
	}
	return len(seen), nonWhite, red
}

func near(a, b uint32) bool { return a+6 >= b && a <= b+6 }
