package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestContainerImage builds the image from Containerfile with
// scripts/build-image.sh and buildah (storage in a temporary directory,
// so nothing is left behind), checks what it holds (non-root numeric user,
// /readyctl as the entrypoint, the CA bundle, no shell) and, where the
// machine allows running a container, runs `readyctl version` in it.
// Without buildah it skips, saying so.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the image build compiles a static binary and builds an image")
	}
	buildah, err := exec.LookPath("buildah")
	if err != nil {
		t.Skip("buildah is not installed (Debian: apt-get install buildah): the container image is not built or tested")
	}
	store := t.TempDir()
	flags := []string{"--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "run"), "--storage-driver", "vfs"}
	bh := func(args ...string) (string, error) {
		cmd := exec.Command(buildah, append(slices.Clone(flags), args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			return out.String(), fmt.Errorf("buildah %s: %v: %s", strings.Join(args, " "), err, errb.String())
		}
		return out.String(), nil
	}
	if _, err := bh("info"); err != nil {
		t.Skipf("buildah cannot run here: %v", err)
	}
	t.Cleanup(func() {
		// vfs layers are plain directories, but buildah may leave
		// read-only bits; clear its store its own way first.
		bh("rm", "--all")
		bh("rmi", "--all", "--force")
	})

	image := fmt.Sprintf("localhost/readyctl-test:%d", time.Now().UnixNano())
	build := exec.Command("bash", "../../scripts/build-image.sh")
	build.Env = append(os.Environ(), "IMAGE="+image, "VERSION=v0.0.0-imagetest", "BUILDAH_FLAGS="+strings.Join(flags, " "))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build-image.sh: %v\n%s", err, out)
	}

	out, err := bh("inspect", "--type", "image", image)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		OCIv1 struct {
			Config struct {
				User       string
				Entrypoint []string
				Env        []string
			} `json:"config"`
			RootFS struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
		}
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("buildah inspect: %v", err)
	}
	cfg := info.OCIv1.Config
	if cfg.User != "65532:65532" {
		t.Errorf("image user %q, want 65532:65532 (non-root, numeric)", cfg.User)
	}
	if !slices.Equal(cfg.Entrypoint, []string{"/readyctl"}) {
		t.Errorf("entrypoint %q", cfg.Entrypoint)
	}

	ctr, err := bh("from", image)
	if err != nil {
		t.Fatal(err)
	}
	ctr = strings.TrimSpace(ctr)
	mnt, err := bh("mount", ctr)
	if err != nil {
		t.Fatal(err)
	}
	mnt = strings.TrimSpace(mnt)
	var files []string
	filepath.Walk(mnt, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(mnt, p)
			files = append(files, "/"+rel)
		}
		return nil
	})
	bh("umount", ctr)
	slices.Sort(files)
	if want := []string{"/etc/ssl/certs/ca-certificates.crt", "/readyctl"}; !slices.Equal(files, want) {
		t.Errorf("image files %v, want exactly %v (no shell, nothing else)", files, want)
	}

	out, err = bh("run", "--isolation", "chroot", ctr, "--", "/readyctl", "version")
	if err != nil {
		t.Skipf("image built and inspected; running a container is not possible here: %v", err)
	}
	if !strings.Contains(out, "v0.0.0-imagetest") {
		t.Errorf("readyctl version in the image: %q", out)
	}
	if _, err := bh("run", "--isolation", "chroot", ctr, "--", "/bin/sh", "-c", "true"); err == nil {
		t.Errorf("the image has a shell")
	}
}
