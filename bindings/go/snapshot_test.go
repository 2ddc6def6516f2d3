// SPDX-License-Identifier: MIT

package libimage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepareShared(t *testing.T) {
	if os.Geteuid() != 0 {
		skip(t, "shared layers need root (their whiteouts are device nodes)")
	}
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.Pull(ctx, plain("go/busybox:v1")); err != nil {
		t.Fatal(err)
	}
	count := func(events map[Event]int) func(Progress) {
		return func(p Progress) { events[p.Event]++ }
	}
	first := map[Event]int{}
	copied := filepath.Join(t.TempDir(), "copy")
	m, err := s.PrepareShared(ctx, plain("go/busybox:v1"), copied, RootCopy, WithProgress(count(first)))
	if err != nil || m != nil || first[EventLayerDone] == 0 || first[EventExists] != 0 {
		t.Fatalf("copy: %+v %v %v", m, err, first)
	}
	if _, err := os.Stat(filepath.Join(copied, "rootfs", "bin", "busybox")); err != nil {
		t.Fatal(err)
	}
	// the same image again: every layer is there already
	again := map[Event]int{}
	dir := filepath.Join(t.TempDir(), "overlay")
	m, err = s.PrepareShared(ctx, plain("go/busybox:v1"), dir, RootOverlay, WithProgress(count(again)))
	if err != nil || m == nil || again[EventLayerDone] != 0 || again[EventExists] != first[EventLayerDone] {
		t.Fatalf("overlay: %+v %v %v", m, err, again)
	}
	if m.Type != "overlay" || m.Target != filepath.Join(dir, "rootfs") || !strings.HasPrefix(m.Options, "lowerdir=") ||
		!strings.Contains(m.Options, ",upperdir="+filepath.Join(dir, "upper")+",workdir="+filepath.Join(dir, "work")) {
		t.Fatalf("mount: %+v", m)
	}
	// both roots stand and the image is stored: nothing to collect
	if res, err := s.SnapshotGC(ctx); err != nil || len(res.Removed) != 0 {
		t.Fatalf("gc: %+v %v", res, err)
	}
	if _, err := s.PrepareShared(ctx, plain("go/busybox:v1"), dir, RootCopy, WithBundle()); err == nil {
		t.Fatal("a bundle option was taken")
	}
}
