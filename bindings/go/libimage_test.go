package libimage

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReference(t *testing.T) {
	r, err := ParseReference("redis")
	if err != nil {
		t.Fatal(err)
	}
	if r.String != "docker.io/library/redis:latest" || r.Familiar != "redis:latest" || r.Path != "library/redis" {
		t.Fatalf("got %+v", r)
	}
	_, err = ParseReference("Redis")
	var e *Error
	if !errors.As(err, &e) || e.Name != "LIMG_EREF_UPPERCASE" {
		t.Fatalf("want LIMG_EREF_UPPERCASE, got %v", err)
	}
}

// sampleRegistry starts the project's sample registry (a real docker-registry
// seeded with library/busybox:latest) and returns its host:port.
func sampleRegistry(t *testing.T) string {
	script, _ := filepath.Abs("../../examples/sample_registry.py")
	cmd := exec.Command("/usr/bin/python3", script)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start the sample registry:", err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal("the sample registry did not start:", err)
	}
	return strings.TrimSpace(line)
}

func TestPullListTagRemove(t *testing.T) {
	host := sampleRegistry(t)
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	img, err := store.Pull("busybox", PullOptions{Mirror: "http://" + host})
	if err != nil {
		t.Fatal(err)
	}
	if img.Reference != "docker.io/library/busybox:latest" || img.UpToDate || !strings.HasPrefix(img.ID, "sha256:") {
		t.Fatalf("got %+v", img)
	}
	again, err := store.Pull("busybox", PullOptions{Mirror: "http://" + host})
	if err != nil || !again.UpToDate {
		t.Fatalf("re-pull: %+v %v", again, err)
	}
	if err := store.Tag("busybox", "mine:go"); err != nil {
		t.Fatal(err)
	}
	rows, err := store.Images()
	if err != nil || len(rows) != 2 || rows[0].ID != img.ID || rows[1].ID != img.ID {
		t.Fatalf("images: %+v %v", rows, err)
	}
	if err := store.Remove("mine:go"); err != nil {
		t.Fatal(err)
	}
	// (from the registry itself: a mirror that lacks a tag sends the pull on to Docker Hub, as docker does)
	_, err = store.Pull(host+"/library/busybox:nosuch", PullOptions{})
	var e *Error
	if !errors.As(err, &e) || e.Name != "LIMG_ENOTFOUND" || e.HTTPStatus != 404 || e.RegistryCode != "MANIFEST_UNKNOWN" {
		t.Fatalf("want a not-found error with details, got %#v", err)
	}
}
