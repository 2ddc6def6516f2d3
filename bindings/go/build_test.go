// SPDX-License-Identifier: MIT

package libimage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// sourceTree makes a small directory to build from.
func sourceTree(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "run"), []byte("#!/bin/sh\necho run\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("run", filepath.Join(dir, "bin", "start")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildOnce builds the same image in store s and returns its digest.
func buildOnce(t *testing.T, s *Store, src string) string {
	ctx := context.Background()
	b, err := s.NewBuilder(ctx, "scratch", WithPlatform("linux/amd64"), WithCreated(time.Unix(1700000000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	layer, err := b.AddDir(ctx, src, WithPrefix("/app"), WithHistory("COPY src /app", ""))
	if err != nil {
		t.Fatal(err)
	}
	if layer.Compression != "gzip" || layer.DiffID == "" || layer.TarSize <= layer.Size {
		t.Fatalf("layer %+v", layer)
	}
	if _, err := b.AddFiles(ctx, []File{{Path: "/etc/motd", Data: []byte("hi\n")}, {Path: "/data", Dir: true}},
		WithCompression(Zstd, 0)); err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{
		b.SetEntrypoint([]string{"/app/bin/run"}), b.SetCmd([]string{}), b.SetEnv("MODE", "prod"),
		b.SetLabel("tier", "web"), b.SetUser("1000"), b.SetWorkingDir("/app"), b.AddExposedPort("8080"),
		b.AddVolume("/data"), b.SetStopSignal("SIGTERM"), b.SetAnnotation("org.example", "x"),
		b.SetShell([]string{"/bin/bash", "-c"}), b.SetOnBuild([]string{"RUN make"}),
		b.SetHealthcheck(&Healthcheck{Test: []string{"CMD", "/app/bin/run"}, Interval: 30 * time.Second, Retries: 3}),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if err := b.SetShell([]string{}); err == nil {
		t.Fatal("SHELL [] accepted")
	}
	digest, err := b.Commit(ctx, "go/built:1")
	if err != nil {
		t.Fatal(err)
	}
	return digest
}

func TestBuildFromADirectory(t *testing.T) {
	ctx := context.Background()
	src := sourceTree(t)
	s := openStore(t)
	digest := buildOnce(t, s, src)
	// the same inputs in another store: the same digest
	if again := buildOnce(t, openStore(t), src); again != digest {
		t.Fatalf("%s then %s", digest, again)
	}
	img, err := s.Inspect(ctx, "go/built:1")
	if err != nil {
		t.Fatal(err)
	}
	if img.Created.Unix() != 1700000000 || len(img.Layers) != 2 {
		t.Fatalf("created %v, %d layers", img.Created, len(img.Layers))
	}
	c := img.Config
	if fmt.Sprintf("%v %v %v %s %s %s", c.Entrypoint, c.Env, c.Labels, c.User, c.WorkingDir, c.StopSignal) !=
		"[/app/bin/run] [MODE=prod] map[tier:web] 1000 /app SIGTERM" {
		t.Fatalf("config %+v", c)
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := s.Unpack(ctx, "go/built:1", root); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(root, "app", "bin", "start")); err != nil || target != "run" {
		t.Fatalf("%q %v", target, err)
	}
}

func TestBuildVerbsAndErrors(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	src := sourceTree(t)
	buildOnce(t, s, src)
	flat, err := s.Flatten(ctx, "go/built:1", "go/built:flat", WithCompression(Gzip, 9))
	if err != nil {
		t.Fatal(err)
	}
	if img, err := s.Inspect(ctx, "go/built:flat"); err != nil || len(img.Layers) != 1 || img.Digest != flat {
		t.Fatalf("%v %v", img, err)
	}
	if _, err := s.Index(ctx, []string{"go/built:1"}, "go/index:1", FormatAuto); err != nil {
		t.Fatal(err)
	}
	spec := []byte(`{"layers": [{"dir": "src", "prefix": "/app"}], "config": {"Cmd": ["/app/bin/run"]}}`)
	told := 0
	if _, err := s.BuildSpec(ctx, spec, filepath.Dir(src), "go/spec:1", WithProgress(func(Progress) { told++ })); err != nil {
		t.Fatal(err)
	}
	if told == 0 {
		t.Fatal("no progress from the spec's layer")
	}
	_, err = s.Rebase(ctx, "go/built:1", "go/spec:1", "go/built:flat", "")
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("a rebase off its base: %v", err)
	}
	if _, err := s.NewBuilder(ctx, "go/no-such:image"); !errors.Is(err, ErrImageNotFound) {
		t.Fatalf("a missing base: %v", err)
	}
	b, err := s.NewBuilder(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.AddDir(ctx, filepath.Join(src, "missing")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing directory: %v", err)
	}
	var le *Error
	if err := b.AddExposedPort("99999"); !errors.As(err, &le) || !errors.Is(err, ErrInvalid) || le.Subject != SubjectConfig {
		t.Fatalf("a bad port: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.AddDir(canceled, src); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: %v", err)
	}
}

func ExampleStore_NewBuilder() {
	ctx := context.Background()
	s, err := OpenStore("/tmp/images")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	b, err := s.NewBuilder(ctx, "busybox")
	if err != nil {
		panic(err)
	}
	defer b.Close()
	if _, err := b.AddDir(ctx, "rootfs", WithPrefix("/app")); err != nil {
		panic(err)
	}
	b.SetEntrypoint([]string{"/app/run"})
	digest, err := b.Commit(ctx, "myapp:1.0")
	if err != nil {
		panic(err)
	}
	fmt.Println(digest)
}
