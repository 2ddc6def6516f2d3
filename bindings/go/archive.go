// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"unsafe"
)

// Save writes the images (references or image IDs, as docker save takes
// them) to w as one tar archive, what Docker 25+ docker save writes (an OCI
// layout plus Docker's manifest.json): docker load, podman load and skopeo
// read it. Each blob is checked against its digest before it goes out; on
// failure, discard what w received. An error of w stops the save and is
// returned. Options: WithPlatform, WithProgress.
func (s *Store) Save(ctx context.Context, w io.Writer, images []string, opts ...SaveOption) error {
	if w == nil {
		return invalid("no writer")
	}
	return s.save(ctx, w, -1, images, opts)
}

// SaveFile writes the archive to path, whole or not at all (a temporary
// file renamed into place).
func (s *Store) SaveFile(ctx context.Context, path string, images []string, opts ...SaveOption) error {
	if containsNUL(path) {
		return invalid("path contains a NUL character")
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	defer f.Close()
	if err := s.save(ctx, nil, int(f.Fd()), images, opts); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (s *Store) save(ctx context.Context, w io.Writer, fd int, images []string, opts []SaveOption) error {
	if len(images) == 0 {
		return invalid("save needs at least one image")
	}
	cfg := collect(opts)
	var m cmem
	defer m.free()
	names, err := m.strs(images, "image")
	if err != nil {
		return err
	}
	var o C.limg_archive_save_opts
	C.limg_archive_save_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return err
	}
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return err
	}
	defer end()
	o.cancel = cancel
	c := newCall(ctx, cfg.progress)
	defer c.done()
	c.w = w
	var e C.lg_error
	rc := C.lg_archive_save(s.h, names, C.size_t(len(images)), C.int(fd), &o, c.h(), c.want(), &e)
	return c.result(rc, &e)
}

// Load reads an archive from r (docker save, legacy or OCI layout, skopeo's
// and podman's docker-archive and oci-archive; plain, gzip or zstd) into
// the store and tags its images; every blob and layer is verified before
// any tag is set. An error of r stops the load and is returned. Options:
// WithProgress, WithMaxBlobSize.
func (s *Store) Load(ctx context.Context, r io.Reader, opts ...LoadOption) ([]Loaded, error) {
	if r == nil {
		return nil, invalid("no reader")
	}
	return s.load(ctx, r, -1, opts)
}

// LoadFile loads the archive at path.
func (s *Store) LoadFile(ctx context.Context, path string, opts ...LoadOption) ([]Loaded, error) {
	if containsNUL(path) {
		return nil, invalid("path contains a NUL character")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return s.load(ctx, nil, int(f.Fd()), opts)
}

func (s *Store) load(ctx context.Context, r io.Reader, fd int, opts []LoadOption) ([]Loaded, error) {
	cfg := collect(opts)
	var o C.limg_archive_load_opts
	C.limg_archive_load_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.max_blob_size = C.int64_t(cfg.maxBlobSize)
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer end()
	o.cancel = cancel
	c := newCall(ctx, cfg.progress)
	defer c.done()
	c.r = r
	var e C.lg_error
	rc := C.lg_archive_load(s.h, C.int(fd), &o, c.h(), c.want(), &e)
	return c.loaded, c.result(rc, &e)
}
