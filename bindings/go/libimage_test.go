// SPDX-License-Identifier: MIT

package libimage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// The registries of testdata/registries.py, started once for all tests.
var fixtures struct {
	Plain     string `json:"plain"`
	Slow      string `json:"slow"`
	TLS       string `json:"tls"`
	CA        string `json:"ca"`
	User      string `json:"user"`
	Password  string `json:"password"`
	A         string `json:"a"`
	ACA       string `json:"a_ca"`
	AUser     string `json:"a_user"`
	APassword string `json:"a_password"`
	B         string `json:"b"`
	BCA       string `json:"b_ca"`
	BUser     string `json:"b_user"`
	BPassword string `json:"b_password"`
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

func newSession(t *testing.T, opts ...SessionOption) *Session {
	t.Helper()
	s, err := NewSession(opts...)
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
		r.Tag != "latest" || r.Name() != "docker.io/library/redis" || r.FamiliarName != "redis" {
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
	if n, err := ParseReferenceMode("redis", ParseNormalized); err != nil || n.Tag != "" {
		t.Fatalf("normalized: %+v %v", n, err)
	}
	if id, err := ParseReferenceMode(strings.Repeat("ab", 32), ParseAny); err != nil ||
		id.Digest != "sha256:"+strings.Repeat("ab", 32) {
		t.Fatalf("an image ID: %+v %v", id, err)
	}
}

func TestPullImagesTagRemove(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var events []Progress
	img, err := s.Pull(ctx, plain("go/app:v1"), WithProgress(func(p Progress) { events = append(events, p) }))
	if err != nil {
		t.Fatal(err)
	}
	if img.Reference != plain("go/app:v1") || img.UpToDate || !strings.HasPrefix(img.ID, "sha256:") ||
		img.BytesDownloaded <= 0 {
		t.Fatalf("got %+v", img)
	}
	complete, overall := false, false
	for _, e := range events {
		complete = complete || (e.Event == EventComplete && e.Kind == KindLayer)
		overall = overall || (e.Event == EventOverall && e.Digest == "")
	}
	if !complete || !overall {
		t.Fatalf("no EventComplete for a layer, or no EventOverall, in %+v", events)
	}
	if again, err := s.Pull(ctx, plain("go/app:v1")); err != nil || !again.UpToDate {
		t.Fatalf("re-pull: %+v %v", again, err)
	}
	info, err := s.Inspect(ctx, plain("go/app:v1"))
	if err != nil || info.ID != img.ID || info.Config.Labels["tier"] != "app" || len(info.Layers) != 2 ||
		info.Layers[0].DiffID == "" || info.OS != "linux" || len(info.Tags) != 1 {
		t.Fatalf("inspect: %+v %v", info, err)
	}
	if err := s.Tag(ctx, plain("go/app:v1"), "mine:go"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Images(ctx)
	if err != nil || len(rows) != 2 || rows[0].ID != img.ID || rows[0].Created.IsZero() || rows[0].Size <= 0 {
		t.Fatalf("images: %+v %v", rows, err)
	}
	if rows, _ := s.Images(ctx, WithFilters("reference=mine")); len(rows) != 1 || rows[0].Tag != "go" {
		t.Fatalf("filtered: %+v", rows)
	}
	if _, err := s.Images(ctx, WithFilters("color=blue")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a bad filter: %v", err)
	}
	if _, err := s.Remove(ctx, img.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("an ID in two repositories: %v", err)
	}
	if _, err := s.Remove(ctx, "mine:go\x00-not-this"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a NUL: %v", err)
	}
	if err := s.Untag(ctx, "mine:go"); err != nil {
		t.Fatal(err)
	}
	if err := s.Untag(ctx, "mine:go"); !errors.Is(err, ErrTagNotFound) || errors.Is(err, ErrImageNotFound) {
		t.Fatalf("a missing tag: %v", err)
	}
	if err := s.Tag(ctx, plain("go/app:v1"), "mine:go"); err != nil {
		t.Fatal(err)
	}
	steps, err := s.Remove(ctx, img.ID, WithForce())
	if err != nil || len(steps) != 3 || steps[2].String() != "Deleted: "+img.ID || steps[0].Event != Untagged {
		t.Fatalf("remove: %v %v", steps, err)
	}
	_, err = s.Inspect(ctx, img.ID)
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrImageNotFound) || !IsNotFound(err, SubjectImage) {
		t.Fatalf("removed: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Subject != SubjectImage || e.Subject.String() != "LIMG_SUBJECT_IMAGE" ||
		e.Object == "" || !strings.Contains(img.ID, e.Object) || e.Code != ErrNotFound.Code || e.Name != "LIMG_ENOTFOUND" {
		t.Fatalf("what was not found: %#v", e)
	}
	if res, err := s.GC(ctx); err != nil || len(res.Removed) != 0 {
		t.Fatalf("gc: %+v %v", res, err)
	}
}

// Inspect reads the config through the library's accessors.
func TestInspectConfig(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.Pull(ctx, plain("go/full:v1")); err != nil {
		t.Fatal(err)
	}
	info, err := s.Inspect(ctx, plain("go/full:v1"))
	if err != nil {
		t.Fatal(err)
	}
	c := info.Config
	want := Config{
		Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Cmd:          []string{"serve", "--port", "80"},
		Entrypoint:   []string{"/bin/app"},
		Labels:       map[string]string{"tier": "web", "team": "go"},
		WorkingDir:   "/srv",
		User:         "1000:1000",
		ExposedPorts: []string{"80/tcp"},
		Volumes:      []string{"/data"},
		StopSignal:   "SIGTERM",
	}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Fatalf("config:\n%+v\nwant:\n%+v", c, want)
	}
	if info.Author != "gopher" || info.Architecture != "amd64" || info.OS != "linux" ||
		!info.Created.Equal(time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("image: %+v", info)
	}
	if len(info.History) != len(info.Layers) || info.History[0].CreatedBy != "libimage test fixture" ||
		info.History[0].Created.IsZero() || info.History[0].EmptyLayer {
		t.Fatalf("history: %+v", info.History)
	}
	if len(info.RepoDigests) != 1 || !strings.HasPrefix(info.RepoDigests[0], plain("go/full@sha256:")) ||
		len(info.Tags) != 1 || info.Tags[0] != plain("go/full:v1") || info.ShortID() != info.ID[7:19] {
		t.Fatalf("names: %v %v", info.Tags, info.RepoDigests)
	}
	var raw struct {
		Config struct{ WorkingDir string } `json:"config"`
	}
	if err := json.Unmarshal(info.Raw, &raw); err != nil || raw.Config.WorkingDir != "/srv" {
		t.Fatalf("raw config: %s %v", info.Raw, err)
	}
}

// Every error names its own input, whatever the goroutines and OS threads do.
func TestErrorsUnderGoroutines(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	failures := make(chan string, 1000)
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			switch i % 3 {
			case 0:
				name := fmt.Sprintf("nosuch-%d", i)
				_, err := s.Inspect(ctx, name)
				if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), name) {
					failures <- fmt.Sprintf("%s: %v", name, err)
				}
			case 1:
				tag := fmt.Sprintf("missing%d", i)
				_, err := s.Pull(ctx, plain("go/app:"+tag))
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

// The calls the library cannot stop midway still take a context: a done
// one stops them before they start.
func TestContextOnEveryCall(t *testing.T) {
	s := openStore(t)
	if _, err := s.Pull(context.Background(), plain("go/app:v1")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	calls := map[string]func() error{
		"Images":  func() error { _, err := s.Images(ctx); return err },
		"Inspect": func() error { _, err := s.Inspect(ctx, plain("go/app:v1")); return err },
		"Tag":     func() error { return s.Tag(ctx, plain("go/app:v1"), "other:v1") },
		"Untag":   func() error { return s.Untag(ctx, plain("go/app:v1")) },
		"Remove":  func() error { _, err := s.Remove(ctx, plain("go/app:v1")); return err },
		"GC":      func() error { _, err := s.GC(ctx); return err },
		"Save":    func() error { return s.Save(ctx, &buf, []string{plain("go/app:v1")}) },
		"Load":    func() error { _, err := s.Load(ctx, &buf); return err },
		"Unpack":  func() error { return s.Unpack(ctx, plain("go/app:v1"), filepath.Join(t.TempDir(), "root")) },
		"Push":    func() error { _, err := s.Push(ctx, plain("go/app:v9")); return err },
		"Copy":    func() error { _, err := Copy(ctx, plain("go/app:v1"), plain("go/app:v9")); return err },
	}
	for name, f := range calls {
		if err := f(); !errors.Is(err, ErrCanceled) || !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if rows, err := s.Images(context.Background()); err != nil || len(rows) != 1 {
		t.Fatalf("nothing may have changed: %+v %v", rows, err)
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
	if _, err := s.Images(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("a second Close:", err)
	}
}

func TestOpenStoreAndDefaultPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	if _, err := OpenStore(dir, WithoutCreate()); !errors.Is(err, ErrStoreNotFound) {
		t.Fatalf("a missing store: %v", err)
	}
	t.Setenv("LIBIMAGE_STORE", dir)
	if p, err := DefaultStorePath(); err != nil || p != dir {
		t.Fatalf("default path: %q %v", p, err)
	}
	t.Setenv("LIBIMAGE_STORE", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if p, err := DefaultStorePath(); err != nil || p != "/xdg/libimage" {
		t.Fatalf("default path from XDG_DATA_HOME: %q %v", p, err)
	}
}

func TestReadOnlyStoreChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Pull(ctx, plain("go/app:v1")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	state := func() map[string]time.Time {
		m := map[string]time.Time{}
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil {
				m[p] = fi.ModTime()
			}
			return nil
		})
		return m
	}
	before := state()
	ro, err := OpenStore(dir, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if rows, err := ro.Images(ctx); err != nil || len(rows) != 1 {
		t.Fatalf("images of a read-only store: %+v %v", rows, err)
	}
	var e *Error
	if err := ro.Tag(ctx, plain("go/app:v1"), "mine:ro"); !errors.Is(err, ErrInvalid) || !errors.As(err, &e) ||
		e.Subject != SubjectStore {
		t.Fatalf("a tag in a read-only store: %v", err)
	}
	if after := state(); !reflect.DeepEqual(after, before) {
		t.Fatalf("a read-only store changed: %v -> %v", before, after)
	}
	if _, err := OpenStore(filepath.Join(t.TempDir(), "absent"), ReadOnly()); !errors.Is(err, ErrStoreNotFound) {
		t.Fatalf("a missing store, read-only: %v", err)
	}
}

func TestPushCopySaveLoadUnpack(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.Pull(ctx, plain("go/busybox:v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, plain("go/busybox:v1"), plain("go/pushed:v2")); err != nil {
		t.Fatal(err)
	}
	var events []Progress
	digest, err := s.Push(ctx, plain("go/pushed:v2"), WithProgress(func(p Progress) { events = append(events, p) }))
	if err != nil || !strings.HasPrefix(digest, "sha256:") || len(events) == 0 {
		t.Fatalf("push: %v %v", digest, err)
	}
	put := false
	for _, e := range events {
		put = put || (e.Event == EventManifestPut && e.Detail == "v2")
	}
	if !put {
		t.Fatalf("no EventManifestPut naming the tag in %+v", events)
	}
	// another stored image pushed under a name of its own (WithSource)
	if d, err := s.Push(ctx, plain("go/pushed:v4"), WithSource(plain("go/busybox:v1"))); err != nil || d != digest {
		t.Fatalf("push with a source: %v %v", d, err)
	}
	if copied, err := Copy(ctx, plain("go/pushed:v2"), plain("go/copied:v3")); err != nil || copied != digest {
		t.Fatalf("copy: %v %v", copied, err)
	}
	// save to a Writer, load from a Reader that gives a few bytes at a time
	var archive bytes.Buffer
	var wrote []Progress
	if err := s.Save(ctx, &archive, []string{plain("go/busybox:v1")},
		WithProgress(func(p Progress) { wrote = append(wrote, p) })); err != nil {
		t.Fatal(err)
	}
	if archive.Len() == 0 || len(wrote) == 0 || wrote[0].Event != EventWriting {
		t.Fatalf("save: %d bytes, %+v", archive.Len(), wrote)
	}
	other := openStore(t)
	loaded, err := other.Load(ctx, iotest.HalfReader(bytes.NewReader(archive.Bytes())))
	if err != nil || len(loaded) != 1 || loaded[0].Reference != plain("go/busybox:v1") {
		t.Fatalf("load: %+v %v", loaded, err)
	}
	// and through files
	path := filepath.Join(t.TempDir(), "saved.tar")
	if err := s.SaveFile(ctx, path, []string{plain("go/busybox:v1")}); err != nil {
		t.Fatal(err)
	}
	third := openStore(t)
	if again, err := third.LoadFile(ctx, path); err != nil || len(again) != 1 || again[0] != loaded[0] {
		t.Fatalf("load a file: %+v %v", loaded, err)
	}
	root := filepath.Join(t.TempDir(), "root")
	var layers int
	if err := other.Unpack(ctx, plain("go/busybox:v1"), root, WithProgress(func(p Progress) {
		if p.Event == EventLayerDone {
			layers++
		}
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "bin", "busybox")); err != nil || layers == 0 {
		t.Fatal(err, layers)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	if err := other.Unpack(ctx, plain("go/busybox:v1"), bundle, WithBundle(), WithTerminal(false)); err != nil {
		t.Fatal(err)
	}
	var spec struct{ Process struct{ Terminal bool } }
	if data, err := os.ReadFile(filepath.Join(bundle, "config.json")); err != nil ||
		json.Unmarshal(data, &spec) != nil || spec.Process.Terminal {
		t.Fatalf("bundle: %s %v", data, err)
	}
}

func TestPullUnpack(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "root")
	var layers int
	res, err := s.PullUnpack(ctx, plain("go/busybox:v1"), root, WithProgress(func(p Progress) {
		if p.Event == EventLayerDone {
			layers++
		}
	}))
	if err != nil || res.UpToDate || res.BytesDownloaded == 0 || layers == 0 {
		t.Fatalf("pull and unpack: %+v %v (%d layers done)", res, err, layers)
	}
	if _, err := os.Stat(filepath.Join(root, "bin", "busybox")); err != nil {
		t.Fatal(err)
	}
	// stored whole, as Pull stores it: a plain Unpack of it works
	if err := s.Unpack(ctx, plain("go/busybox:v1"), filepath.Join(t.TempDir(), "again")); err != nil {
		t.Fatal(err)
	}
	// a bundle, from the store now (nothing downloaded)
	bundle := filepath.Join(t.TempDir(), "bundle")
	res, err = s.PullUnpack(ctx, plain("go/busybox:v1"), bundle, WithUnpackOptions(WithBundle(), WithTerminal(false)))
	if err != nil || !res.UpToDate {
		t.Fatalf("bundle: %+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err != nil {
		t.Fatal(err)
	}
	// a directory that is not ours: refused, left as it was
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "mine"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := openStore(t)
	if _, err := other.PullUnpack(ctx, plain("go/busybox:v1"), full, WithDiscardLayers()); !errors.Is(err, ErrExists) {
		t.Fatalf("into a full directory: %v", err)
	}
	// layers discarded once unpacked: the image is stored, its layers are not
	if _, err := other.PullUnpack(ctx, plain("go/busybox:v1"), filepath.Join(t.TempDir(), "d"),
		WithDiscardLayers()); err != nil {
		t.Fatal(err)
	}
	if err := other.Unpack(ctx, plain("go/busybox:v1"), filepath.Join(t.TempDir(), "e")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unpack of discarded layers: %v", err)
	}
}

type failingWriter struct{ after int }

var errDiskFull = errors.New("the disk is full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errDiskFull
	}
	return len(p), nil
}

// A Writer's error stops a save and is what it returns; a panic in a
// callback stops the call and is raised again in the caller's goroutine.
func TestStreamsAndCallbacksStop(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.Pull(ctx, plain("go/busybox:v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, &failingWriter{after: 4096}, []string{plain("go/busybox:v1")}); !errors.Is(err, errDiskFull) {
		t.Fatalf("a failing writer: %v", err)
	}
	if _, err := s.Load(ctx, iotest.ErrReader(errDiskFull)); !errors.Is(err, errDiskFull) {
		t.Fatalf("a failing reader: %v", err)
	}
	if _, err := s.Load(ctx, iotest.TimeoutReader(bytes.NewReader(make([]byte, 100000)))); err == nil {
		t.Fatal("a reader that fails midway")
	}
	defer func() {
		if p := recover(); p != "stop here" {
			t.Fatalf("the panic: %v", p)
		}
		if rows, err := s.Images(ctx); err != nil || len(rows) != 1 {
			t.Fatalf("the store after a panic: %+v %v", rows, err)
		}
	}()
	s.Unpack(ctx, plain("go/busybox:v1"), filepath.Join(t.TempDir(), "root"),
		WithProgress(func(Progress) { panic("stop here") }))
	t.Fatal("the panic did not come back")
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
	// each program's exit status is checked too: 0, or 1 where it must fail
	run := func(want int, store string, prog string, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(prog, args...)
		cmd.Env = append(os.Environ(), "LIBIMAGE_STORE="+store)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("%s %v: %v", prog, args, err)
		}
		if code != want {
			t.Fatalf("%s %v: exit status %d, want %d\n%s%s", prog, args, code, want, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}
	goStore, cStore := filepath.Join(dir, "go-store"), filepath.Join(dir, "c-store")
	goOut, goErr := run(0, goStore, bin, "pull", plain("go/busybox:v1"))
	cOut, _ := run(0, cStore, filepath.Join(build, "examples", "limg-pull"), plain("go/busybox:v1"))
	// the same lines; layers in parallel finish in any order, the rest in docker's
	goLines, cLines := strings.Split(goOut, "\n"), strings.Split(cOut, "\n")
	sortedGo, sortedC := append([]string(nil), goLines...), append([]string(nil), cLines...)
	sort.Strings(sortedGo)
	sort.Strings(sortedC)
	if goOut == "" || strings.Join(sortedGo, "\n") != strings.Join(sortedC, "\n") || goLines[0] != cLines[0] ||
		strings.Join(goLines[len(goLines)-4:], "\n") != strings.Join(cLines[len(cLines)-4:], "\n") {
		t.Fatalf("pull:\n%s%s\nwant:\n%s", goOut, goErr, cOut)
	}
	run(0, goStore, bin, "tag", plain("go/busybox:v1"), "mine:go")
	run(0, cStore, filepath.Join(build, "examples", "limg-tag"), plain("go/busybox:v1"), "mine:go")
	goOut, _ = run(0, goStore, bin, "images")
	cOut, _ = run(0, cStore, filepath.Join(build, "examples", "limg-images"))
	if goOut != cOut {
		t.Fatalf("images:\n%s\nwant:\n%s", goOut, cOut)
	}
	_, goErr = run(1, goStore, bin, "tag", plain("go/busybox:v1"), "Mine:go")
	_, cErr := run(1, cStore, filepath.Join(build, "examples", "limg-tag"), plain("go/busybox:v1"), "Mine:go")
	if goErr != cErr || goErr == "" {
		t.Fatalf("a bad tag: %q, want %q", goErr, cErr)
	}
	// a missing tag: docker's words, from the subject of the error
	_, goErr = run(1, goStore, bin, "pull", plain("go/busybox:nope"))
	_, cErr = run(1, cStore, filepath.Join(build, "examples", "limg-pull"), plain("go/busybox:nope"))
	if goErr != cErr || !strings.Contains(goErr, "manifest unknown") {
		t.Fatalf("a missing tag: %q, want %q", goErr, cErr)
	}
	// --store, as the C programs take it, before or after the command; a
	// store named there that is absent is said so (a mistyped path), not listed as empty
	other := filepath.Join(dir, "other-store")
	goOut, goErr = run(1, goStore, bin, "--store", other, "images")
	cOut, cErr = run(1, cStore, filepath.Join(build, "examples", "limg-images"), "--store", other)
	if goOut != cOut || goErr != cErr || !strings.Contains(goErr, "no store at "+other) {
		t.Fatalf("images of an absent store:\n%s%s\nwant:\n%s%s", goOut, goErr, cOut, cErr)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Fatalf("listing an absent store made it: %v", err)
	}
	run(0, goStore, bin, "pull", "--store="+other, plain("go/app:v1"))
	goOut, _ = run(0, goStore, bin, "images", "--store", other)
	if !strings.Contains(goOut, fixtures.Plain+"/go/app") || strings.Contains(goOut, "busybox") {
		t.Fatalf("images of --store:\n%s", goOut)
	}
}
