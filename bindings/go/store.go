// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"unsafe"
)

// Store is an image store: an OCI image layout directory. Safe for
// concurrent use; Close may be called while other calls run (they stop with
// ErrCanceled, and the store goes when the last has returned).
type Store struct {
	life
	h    *C.limg_store
	path string
}

// StoreOption configures OpenStore.
type StoreOption interface{ applyStore(*storeConfig) }

type storeConfig struct{ existing, readOnly bool }

type storeFunc func(*storeConfig)

func (f storeFunc) applyStore(c *storeConfig) { f(c) }

// WithoutCreate opens only a store that exists: a missing one is
// ErrStoreNotFound (by default the layout is created).
func WithoutCreate() StoreOption { return storeFunc(func(c *storeConfig) { c.existing = true }) }

// ReadOnly opens only a store that exists (ErrStoreNotFound if not), and
// nothing in it is created or changed: for a layout another tool wrote, or
// one this user may not write. Listings then cache nothing, and every call
// that would write fails with ErrInvalid (subject SubjectStore).
func ReadOnly() StoreOption { return storeFunc(func(c *storeConfig) { c.readOnly = true }) }

// DefaultStorePath is where a program keeps its store when the user does not
// say: $LIBIMAGE_STORE, else $XDG_DATA_HOME/libimage, else
// $HOME/.local/share/libimage (ErrNotFound when none of them is set).
func DefaultStorePath() (string, error) {
	var out C.limg_buf
	var e C.lg_error
	if C.lg_store_default_path(&out, &e) < 0 {
		return "", fromC(&e)
	}
	return takeBuf(&out), nil
}

// OpenStore opens a store, creating it when missing (unless WithoutCreate or ReadOnly).
func OpenStore(path string, opts ...StoreOption) (*Store, error) {
	cfg := &storeConfig{}
	for _, o := range opts {
		o.applyStore(cfg)
	}
	var m cmem
	defer m.free()
	p, err := m.str(path, "path", false)
	if err != nil {
		return nil, err
	}
	var o C.limg_store_opts
	C.limg_store_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if cfg.readOnly {
		o.mode = C.LIMG_STORE_READ_ONLY
	} else if cfg.existing {
		o.mode = C.LIMG_STORE_EXISTING
	}
	s := &Store{path: path}
	var e C.lg_error
	if C.lg_store_open(&s.h, p, &o, &e) < 0 {
		return nil, fromC(&e)
	}
	if err := s.life.init("store", func() {
		C.limg_store_close(s.h)
		s.h = nil
	}); err != nil {
		C.limg_store_close(s.h)
		return nil, err
	}
	return s, nil
}

// Path is the store's directory.
func (s *Store) Path() string { return s.path }

// Close closes the store; calls running in other goroutines stop.
func (s *Store) Close() error {
	s.close()
	return nil
}

// begin counts a call in on the store (and on the session it uses, if
// any) and gives its cancel token, requested when ctx is done or the store
// or session is closed; end counts it out.
func (s *Store) begin(ctx context.Context, sess *Session) (cancel *C.limg_cancel, end func(), err error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	var sessClosing *C.limg_cancel
	if sess != nil {
		if err := sess.enter(); err != nil {
			s.leave()
			return nil, nil, err
		}
		sessClosing = sess.closing
	}
	leave := func() {
		if sess != nil {
			sess.leave()
		}
		s.leave()
	}
	if err := canceled(ctx); err != nil {
		leave()
		return nil, nil, err
	}
	cancel, release := token(ctx, s.closing, sessClosing)
	return cancel, func() { release(); leave() }, nil
}

// quick counts in a call that the library cannot cancel (a lookup, a tag):
// its context is checked before it starts.
func (s *Store) quick(ctx context.Context) (end func(), err error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	if err := canceled(ctx); err != nil {
		s.leave()
		return nil, err
	}
	return s.leave, nil
}

// GC removes the blobs no image needs and stale unfinished downloads, and
// says what it removed. It holds the store's index lock while it runs.
func (s *Store) GC(ctx context.Context, opts ...GCOption) (*GCResult, error) {
	cfg := collect(opts)
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer end()
	var o C.limg_store_gc_opts
	C.limg_store_gc_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.ingest_max_age = C.int64_t(seconds(cfg.ingestMaxAge))
	o.keep_ingests = cbool(cfg.keepIngests)
	o.dry_run = cbool(cfg.dryRun)
	o.cancel = cancel
	c := newCall(ctx, nil)
	defer c.done()
	var reclaimed C.int64_t
	var e C.lg_error
	rc := C.lg_store_gc(&reclaimed, s.h, &o, c.h(), &e)
	res := &GCResult{Removed: c.removed, Reclaimed: int64(reclaimed)}
	return res, c.result(rc, &e)
}
