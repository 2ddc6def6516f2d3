// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"errors"
	"unsafe"
)

// RootKind says how Store.PrepareShared makes a root filesystem.
type RootKind int

const (
	// RootOverlay: dir/upper and dir/work are made; the caller mounts the
	// returned overlay on dir/rootfs (as root).
	RootOverlay RootKind = C.LIMG_ROOT_OVERLAY
	// RootCopy: dir/rootfs is a copy of the shared layers (reflinks where
	// the file system has them).
	RootCopy RootKind = C.LIMG_ROOT_COPY
)

// Mount is what to mount for a root filesystem of shared layers (mount(2)'s arguments).
type Mount struct {
	Type    string // "overlay"
	Source  string // "overlay"
	Target  string // dir/rootfs
	Options string // lowerdir=TOP:...:BOTTOM,upperdir=dir/upper,workdir=dir/work
}

// PrepareShared makes a root filesystem for image in dir (absent or empty)
// from layers shared with other images: each layer is applied once into
// the store, keyed by its chain ID (a layer already there reports
// EventExists, one applied now EventLayerStart and EventLayerDone). With
// RootOverlay it returns the overlay to mount; with RootCopy, nil. Needs
// root. Options: WithPlatform, WithProgress, WithMaxLayerSize,
// WithMaxEntries; the others of Unpack are refused.
func (s *Store) PrepareShared(ctx context.Context, image, dir string, kind RootKind, opts ...UnpackOption) (*Mount, error) {
	cfg := collect(opts)
	if cfg.bundle || cfg.rootless != RootlessAuto || len(cfg.uidMap) > 0 || len(cfg.gidMap) > 0 || cfg.keepFailed {
		return nil, errors.New("libimage: PrepareShared takes no bundle, rootless, id map or keep-failed option")
	}
	var m cmem
	defer m.free()
	img, err := m.str(image, "image", false)
	if err != nil {
		return nil, err
	}
	d, err := m.str(dir, "dir", false)
	if err != nil {
		return nil, err
	}
	var o C.limg_snapshot_opts
	C.limg_snapshot_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return nil, err
	}
	o.kind = C.int(kind)
	o.max_layer_size = C.int64_t(cfg.maxLayerSize)
	o.max_entries = C.int64_t(cfg.maxEntries)
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer end()
	o.cancel = cancel
	c := newCall(ctx, cfg.progress)
	defer c.done()
	var mount *C.limg_mount
	var e C.lg_error
	rc := C.lg_snapshot_prepare(&mount, s.h, img, d, &o, c.h(), c.want(), &e)
	defer C.limg_mount_free(mount)
	if err := c.result(rc, &e); err != nil {
		return nil, err
	}
	if mount == nil {
		return nil, nil
	}
	return &Mount{Type: C.GoString(C.limg_mount_type(mount)), Source: C.GoString(C.limg_mount_source(mount)),
		Target: C.GoString(C.limg_mount_target(mount)), Options: C.GoString(C.limg_mount_options(mount))}, nil
}

// SnapshotGC removes the shared layers that no stored image, running
// operation or standing root (its directory still there) needs; run it
// after GC. Options: WithDryRun.
func (s *Store) SnapshotGC(ctx context.Context, opts ...GCOption) (*GCResult, error) {
	cfg := collect(opts)
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer end()
	var o C.limg_store_gc_opts
	C.limg_store_gc_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.dry_run = cbool(cfg.dryRun)
	o.cancel = cancel
	c := newCall(ctx, nil)
	defer c.done()
	var reclaimed C.int64_t
	var e C.lg_error
	rc := C.lg_snapshot_gc(&reclaimed, s.h, &o, c.h(), &e)
	res := &GCResult{Removed: c.removed, Reclaimed: int64(reclaimed)}
	return res, c.result(rc, &e)
}
