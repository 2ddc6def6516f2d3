package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"strings"
	"unsafe"
)

// Copy copies an image between registries (or repositories) without a
// store, as crane copy: the whole index, or one platform with WithPlatform.
// It returns the digest copied. Credentials options apply to both sides.
func Copy(ctx context.Context, source, destination string, opts ...Option) (string, error) {
	st := collect(opts)
	var cs cstrings
	defer cs.free()
	src, err := cs.add(source, "source", false)
	if err != nil {
		return "", err
	}
	dst, err := cs.add(destination, "destination", false)
	if err != nil {
		return "", err
	}
	cancel, release := token(ctx)
	defer release()
	var o C.limg_copy_opts
	C.limg_copy_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	c, handle := newCall()
	defer handle.Delete()
	cro, err := st.cRegistryOpts(&cs, c, handle)
	if err != nil {
		return "", err
	}
	defer C.free(unsafe.Pointer(cro))
	o.source_registry, o.destination_registry = cro, cro
	o.cancel = cancel
	if o.platform, err = cs.add(st.platform, "platform", true); err != nil {
		return "", err
	}
	if st.concurrency > 0 {
		o.concurrency = C.int(st.concurrency)
	}
	return c.sendBlobs(ctx, st, handle, func(progress C.uintptr_t, out *C.limg_buf, e *C.lg_error) C.int {
		return C.lg_copy(src, dst, &o, progress, out, e)
	})
}

// Registry is one registry ("docker.io", "localhost:5000") asked directly.
// Each call opens its own connections (so that its context stops it alone).
type Registry struct {
	host string
	opts []Option
}

// OpenRegistry checks the host and keeps the options for the calls.
func OpenRegistry(host string, opts ...Option) (*Registry, error) {
	if strings.IndexByte(host, 0) >= 0 || host == "" {
		return nil, invalid("registry host is empty or contains a NUL character")
	}
	return &Registry{host: host, opts: opts}, nil
}

// Close releases nothing today (calls own their connections); it exists for symmetry.
func (r *Registry) Close() error { return nil }

// with opens the registry for one call.
func (r *Registry) with(ctx context.Context, f func(h *C.limg_registry, c *call, cs *cstrings) error) error {
	st := collect(r.opts)
	var cs cstrings
	defer cs.free()
	host, _ := cs.add(r.host, "host", false)
	cancel, release := token(ctx)
	defer release()
	var ro C.limg_registry_opts
	if err := st.registryOpts(&ro, &cs, cancel); err != nil {
		return err
	}
	c, handle := newCall()
	defer handle.Delete()
	c.credentials = st.credentials
	var creds C.uintptr_t
	if st.credentials != nil {
		creds = C.uintptr_t(handle)
	}
	cro := (*C.limg_registry_opts)(C.malloc(C.size_t(unsafe.Sizeof(ro))))
	defer C.free(unsafe.Pointer(cro))
	*cro = ro
	var h *C.limg_registry
	var e C.lg_error
	if C.lg_registry_open(host, cro, creds, &h, &e) < 0 {
		return fromC(&e)
	}
	defer C.limg_registry_close(h)
	err := f(h, c, &cs)
	if ce, ok := err.(*Error); ok && ce.Code == -7 && ctx.Err() != nil {
		ce.cause = ctx.Err()
	}
	return c.finish(err)
}

// Tags lists a repository's tags.
func (r *Registry) Tags(ctx context.Context, repository string) ([]string, error) {
	return r.names(ctx, &repository)
}

// Catalog lists the registry's repositories.
func (r *Registry) Catalog(ctx context.Context) ([]string, error) {
	return r.names(ctx, nil)
}

// names lists a repository's tags, or with none the registry's repositories.
func (r *Registry) names(ctx context.Context, repository *string) ([]string, error) {
	var names []string
	err := r.with(ctx, func(h *C.limg_registry, c *call, cs *cstrings) error {
		var repo *C.char
		if repository != nil {
			var err error
			if repo, err = cs.add(*repository, "repository", false); err != nil {
				return err
			}
		}
		handle := cgoHandle(c)
		defer handle.Delete()
		var e C.lg_error
		if C.lg_registry_names(h, repo, C.uintptr_t(handle), &e) < 0 {
			return fromC(&e)
		}
		names = c.names
		return nil
	})
	return names, err
}

// Manifest fetches a manifest by tag or digest (its digest checked).
func (r *Registry) Manifest(ctx context.Context, repository, reference string) (*Manifest, error) {
	return r.manifest(ctx, repository, reference, false)
}

// Head resolves a tag to its digest without fetching the manifest.
func (r *Registry) Head(ctx context.Context, repository, reference string) (*Manifest, error) {
	return r.manifest(ctx, repository, reference, true)
}

func (r *Registry) manifest(ctx context.Context, repository, reference string, head bool) (*Manifest, error) {
	var out *Manifest
	err := r.with(ctx, func(h *C.limg_registry, c *call, cs *cstrings) error {
		repo, err := cs.add(repository, "repository", false)
		if err != nil {
			return err
		}
		ref, err := cs.add(reference, "reference", false)
		if err != nil {
			return err
		}
		hd := C.int(0)
		if head {
			hd = 1
		}
		var m *C.limg_remote_manifest
		var e C.lg_error
		if C.lg_registry_manifest(h, repo, ref, hd, &m, &e) < 0 {
			return fromC(&e)
		}
		defer C.limg_remote_manifest_free(m)
		out = &Manifest{Digest: goString(C.limg_remote_manifest_digest(m)),
			MediaType: goString(C.limg_remote_manifest_media_type(m)), Size: int64(C.limg_remote_manifest_size(m))}
		var n C.size_t
		if body := C.limg_remote_manifest_body(m, &n); body != nil {
			out.Data = C.GoBytes(body, C.int(n))
		}
		return nil
	})
	return out, err
}
