package libimage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The registries of testdata/registries.py, started once for all tests.
var fixtures struct {
	Plain, Slow, TLS, CA, User, Password string
}

func TestMain(m *testing.M) {
	cmd := exec.Command("/usr/bin/python3", "testdata/registries.py")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the test registries:", err)
		os.Exit(1)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err == nil {
		err = json.Unmarshal([]byte(line), &fixtures)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "the test registries did not start:", err)
	} else {
		code = m.Run()
	}
	stdin.Close()
	cmd.Wait()
	os.Exit(code)
}

func plain(name string) string { return fixtures.Plain + "/" + name }

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestReference(t *testing.T) {
	r, err := ParseReference("redis")
	if err != nil {
		t.Fatal(err)
	}
	if r.String() != "docker.io/library/redis:latest" || r.Familiar != "redis:latest" || r.Path != "library/redis" ||
		r.Tag != "latest" || r.Name() != "docker.io/library/redis" {
		t.Fatalf("got %+v", r)
	}
	if fmt.Sprint(r) != r.String() {
		t.Fatalf("a Reference prints as %q", fmt.Sprint(r))
	}
	_, err = ParseReference("Redis")
	var e *Error
	if !errors.As(err, &e) || e.Name != "LIMG_EREF_UPPERCASE" || !errors.Is(err, ErrInvalidReference) {
		t.Fatalf("want LIMG_EREF_UPPERCASE, got %v", err)
	}
	if _, err := ParseReference("alpine\x00:evil"); !errors.Is(err, ErrInvalidReference) {
		t.Fatalf("a NUL must be refused, got %v", err)
	}
	if n, err := ParseReferenceMode("redis", Normalized); err != nil || n.Tag != "" {
		t.Fatalf("normalized: %+v %v", n, err)
	}
}

func TestPullImagesTagRemove(t *testing.T) {
	s := openStore(t)
	var events []Progress
	img, err := s.Pull(context.Background(), plain("go/app:v1"), WithProgress(func(p Progress) { events = append(events, p) }))
	if err != nil {
		t.Fatal(err)
	}
	if img.Reference != plain("go/app:v1") || img.UpToDate || !strings.HasPrefix(img.ID, "sha256:") {
		t.Fatalf("got %+v", img)
	}
	complete := false
	for _, e := range events {
		complete = complete || e.Event == PullComplete
	}
	if !complete {
		t.Fatalf("no PullComplete in %+v", events)
	}
	if again, err := s.Pull(context.Background(), plain("go/app:v1")); err != nil || !again.UpToDate {
		t.Fatalf("re-pull: %+v %v", again, err)
	}
	info, err := s.Inspect(plain("go/app:v1"))
	if err != nil || info.ID != img.ID || info.Config.Labels["tier"] != "app" || len(info.Layers) != 2 ||
		info.Layers[0].DiffID == "" || info.OS != "linux" || len(info.Tags) != 1 {
		t.Fatalf("inspect: %+v %v", info, err)
	}
	if err := s.Tag(plain("go/app:v1"), "mine:go"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Images(ImagesOptions{})
	if err != nil || len(rows) != 2 || rows[0].ID != img.ID || rows[0].Created.IsZero() || rows[0].Size <= 0 {
		t.Fatalf("images: %+v %v", rows, err)
	}
	if rows, _ := s.Images(ImagesOptions{Filters: []string{"reference=mine"}}); len(rows) != 1 || rows[0].Tag != "go" {
		t.Fatalf("filtered: %+v", rows)
	}
	if _, err := s.Images(ImagesOptions{Filters: []string{"color=blue"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a bad filter: %v", err)
	}
	if _, err := s.Remove(img.ID, false); !errors.Is(err, ErrConflict) {
		t.Fatalf("an ID in two repositories: %v", err)
	}
	if _, err := s.Remove("mine:go\x00-not-this", false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a NUL: %v", err)
	}
	if err := s.Untag("mine:go"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(plain("go/app:v1"), "mine:go"); err != nil {
		t.Fatal(err)
	}
	steps, err := s.Remove(img.ID, true)
	if err != nil || len(steps) != 3 || steps[2].String() != "Deleted: "+img.ID {
		t.Fatalf("remove: %v %v", steps, err)
	}
	if _, err := s.Inspect(img.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed: %v", err)
	}
	if removed, err := s.GC(); err != nil || len(removed) != 0 {
		t.Fatalf("gc: %v %v", removed, err)
	}
}

// Every error names its own input, whatever the goroutines and OS threads do.
func TestErrorsUnderGoroutines(t *testing.T) {
	s := openStore(t)
	var wg sync.WaitGroup
	failures := make(chan string, 1000)
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			switch i % 3 {
			case 0:
				name := fmt.Sprintf("nosuch-%d", i)
				_, err := s.Inspect(name)
				if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), name) {
					failures <- fmt.Sprintf("%s: %v", name, err)
				}
			case 1:
				tag := fmt.Sprintf("missing%d", i)
				_, err := s.Pull(context.Background(), plain("go/app:"+tag))
				if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tag) {
					failures <- fmt.Sprintf("%s: %v", tag, err)
				}
			case 2:
				text := fmt.Sprintf("bad..name%d", i)
				_, err := ParseReference(text)
				var e *Error
				if !errors.As(err, &e) || !errors.Is(err, ErrInvalidReference) || e.Message == "" {
					failures <- fmt.Sprintf("%s: %v", text, err)
				}
			}
		}(i)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

func TestContextCancelsAPull(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Pull(ctx, fixtures.Slow+"/go/big:v1")
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("the pull ran %v past a 500 ms deadline", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrCanceled) {
		t.Fatalf("want a canceled error wrapping the deadline, got %v", err)
	}
}

func TestCloseDuringAPull(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := s.Pull(context.Background(), fixtures.Slow+"/go/big:v1")
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrCanceled) {
			t.Fatalf("want canceled, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the pull did not stop")
	}
	if _, err := s.Images(ImagesOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("a second Close:", err)
	}
}

func TestAuthOverTLS(t *testing.T) {
	s := openStore(t)
	ref := fixtures.TLS + "/go/secure:v1"
	if _, err := s.Pull(context.Background(), ref, WithInsecure(false)); !errors.Is(err, ErrTLS) {
		t.Fatalf("an unknown CA: %v", err)
	}
	if _, err := s.Pull(context.Background(), ref, WithCAFile(fixtures.CA), WithDockerConfigDir("")); !errors.Is(err, ErrAuth) {
		t.Fatalf("no credentials: %v", err)
	}
	if _, err := s.Pull(context.Background(), ref, WithCAFile(fixtures.CA), WithAuth(fixtures.User, fixtures.Password)); err != nil {
		t.Fatal(err)
	}
	asked := ""
	_, err := s.Pull(context.Background(), ref, WithCAFile(fixtures.CA), WithAuthFunc(func(host string) (string, string, error) {
		asked = host
		return "", "", errors.New("the keyring is locked")
	}))
	if err == nil || !strings.Contains(err.Error(), "the keyring is locked") || asked != fixtures.TLS {
		t.Fatalf("a failing credentials function: %v (asked for %q)", err, asked)
	}
}

func TestRegistry(t *testing.T) {
	r, err := OpenRegistry(fixtures.Plain)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if tags, err := r.Tags(ctx, "go/app"); err != nil || len(tags) != 1 || tags[0] != "v1" {
		t.Fatalf("tags: %v %v", tags, err)
	}
	repos, err := r.Catalog(ctx)
	if err != nil || len(repos) < 3 {
		t.Fatalf("catalog: %v %v", repos, err)
	}
	m, err := r.Manifest(ctx, "go/app", "v1")
	if err != nil || !strings.HasPrefix(m.Digest, "sha256:") || len(m.Data) == 0 {
		t.Fatalf("manifest: %+v %v", m, err)
	}
	if h, err := r.Head(ctx, "go/app", "v1"); err != nil || h.Digest != m.Digest || h.Data != nil {
		t.Fatalf("head: %+v %v", h, err)
	}
	if _, err := r.Manifest(ctx, "go/app", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing tag: %v", err)
	}
}

func TestPushCopySaveLoadUnpack(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.Pull(ctx, plain("go/busybox:v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(plain("go/busybox:v1"), plain("go/pushed:v2")); err != nil {
		t.Fatal(err)
	}
	var events []PushProgress
	digest, err := s.Push(ctx, plain("go/pushed:v2"), WithPushProgress(func(p PushProgress) { events = append(events, p) }))
	if err != nil || !strings.HasPrefix(digest, "sha256:") || len(events) == 0 {
		t.Fatalf("push: %v %v", digest, err)
	}
	if copied, err := Copy(ctx, plain("go/pushed:v2"), plain("go/copied:v3")); err != nil || copied != digest {
		t.Fatalf("copy: %v %v", copied, err)
	}
	archive := filepath.Join(t.TempDir(), "saved.tar")
	if err := s.Save(ctx, archive, []string{plain("go/busybox:v1")}); err != nil {
		t.Fatal(err)
	}
	other := openStore(t)
	loaded, err := other.Load(ctx, archive)
	if err != nil || len(loaded) != 1 || loaded[0].Reference != plain("go/busybox:v1") {
		t.Fatalf("load: %+v %v", loaded, err)
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := other.Unpack(ctx, plain("go/busybox:v1"), root, UnpackOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "bin", "busybox")); err != nil {
		t.Fatal(err)
	}
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "limg-go")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/limg-go").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	build := os.Getenv("LIMG_BUILD_DIR")
	if build == "" {
		build = "../../build"
	}
	run := func(store string, prog string, args ...string) (string, string) {
		cmd := exec.Command(prog, args...)
		cmd.Env = append(os.Environ(), "LIBIMAGE_STORE="+store)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		cmd.Run()
		return out.String(), errOut.String()
	}
	goStore, cStore := filepath.Join(dir, "go-store"), filepath.Join(dir, "c-store")
	goOut, goErr := run(goStore, bin, "pull", plain("go/busybox:v1"))
	cOut, _ := run(cStore, filepath.Join(build, "examples", "limg-pull"), plain("go/busybox:v1"))
	// the same lines; layers in parallel finish in any order, the rest in docker's
	goLines, cLines := strings.Split(goOut, "\n"), strings.Split(cOut, "\n")
	sortedGo, sortedC := append([]string(nil), goLines...), append([]string(nil), cLines...)
	sort.Strings(sortedGo)
	sort.Strings(sortedC)
	if goOut == "" || strings.Join(sortedGo, "\n") != strings.Join(sortedC, "\n") || goLines[0] != cLines[0] ||
		strings.Join(goLines[len(goLines)-4:], "\n") != strings.Join(cLines[len(cLines)-4:], "\n") {
		t.Fatalf("pull:\n%s%s\nwant:\n%s", goOut, goErr, cOut)
	}
	run(goStore, bin, "tag", plain("go/busybox:v1"), "mine:go")
	run(cStore, filepath.Join(build, "examples", "limg-tag"), plain("go/busybox:v1"), "mine:go")
	goOut, _ = run(goStore, bin, "images")
	cOut, _ = run(cStore, filepath.Join(build, "examples", "limg-images"))
	if goOut != cOut {
		t.Fatalf("images:\n%s\nwant:\n%s", goOut, cOut)
	}
	_, goErr = run(goStore, bin, "tag", plain("go/busybox:v1"), "Mine:go")
	_, cErr := run(cStore, filepath.Join(build, "examples", "limg-tag"), plain("go/busybox:v1"), "Mine:go")
	if goErr != cErr || goErr == "" {
		t.Fatalf("a bad tag: %q, want %q", goErr, cErr)
	}
}
