// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"io"
	"unsafe"
)

// Registry is one registry ("docker.io", "localhost:5000") asked directly:
// one handle whose connections, TLS sessions and tokens serve every call
// made on it. Each call takes its own context, which stops that call
// alone. Safe for concurrent use; Close while calls run stops them.
type Registry struct {
	life
	h    *C.limg_registry
	sess *Session // holds a reference on it: the credentials callback lives there
	host string
}

// Registry gives the session's handle of a registry host, opened on first
// use with the session's settings for it. Close it when done; it stays
// usable after the session is closed.
func (s *Session) Registry(host string) (*Registry, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	var m cmem
	defer m.free()
	domain, err := m.str(host, "registry host", false)
	if err != nil {
		s.leave()
		return nil, err
	}
	r := &Registry{sess: s, host: host}
	var e C.lg_error
	if C.lg_session_registry(&r.h, s.h, domain, &e) < 0 {
		s.leave()
		return nil, fromC(&e)
	}
	if err := r.life.init("registry", func() {
		C.limg_registry_close(r.h)
		r.h = nil
		r.sess.leave()
	}); err != nil {
		C.limg_registry_close(r.h)
		s.leave()
		return nil, err
	}
	return r, nil
}

// OpenRegistry opens one registry host on its own, with the settings and
// credentials of a session made for it (NewSession's options).
func OpenRegistry(host string, opts ...SessionOption) (*Registry, error) {
	s, err := NewSession(opts...)
	if err != nil {
		return nil, err
	}
	defer s.Close() // the registry keeps it until it is closed
	return s.Registry(host)
}

// Host is the registry as references name it ("docker.io").
func (r *Registry) Host() string { return r.host }

// Close closes the handle once the calls on it have returned (they are asked to stop).
func (r *Registry) Close() error {
	r.close()
	return nil
}

// with runs one call on the registry: f gets the handle and the call's
// cancel token; a failure of the session's credentials function comes back
// as the call's error.
func (r *Registry) with(ctx context.Context, c *call,
	f func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if err := canceled(ctx); err != nil {
		return err
	}
	cancel, release := token(ctx, r.closing)
	defer release()
	var e C.lg_error
	rc := f(r.h, cancel, &e)
	return c.result(rc, &e, r.sess)
}

func callOpts(cancel *C.limg_cancel) C.limg_registry_call_opts {
	var o C.limg_registry_call_opts
	C.limg_registry_call_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.cancel = cancel
	return o
}

// BaseURL is the URL in use ("https://registry-1.docker.io"); a registry
// that may answer over plain HTTP settles at its first request.
func (r *Registry) BaseURL() string {
	if r.enter() != nil {
		return ""
	}
	defer r.leave()
	return goString(C.limg_registry_base_url(r.h))
}

// Ping checks that the registry speaks the distribution API (GET /v2/).
func (r *Registry) Ping(ctx context.Context) error {
	c := newCall(ctx, nil)
	defer c.done()
	return r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		o := callOpts(cancel)
		return C.lg_registry_ping(h, &o, e)
	})
}

// Login checks, as docker login does, that the registry takes the
// credentials the session gives it (WithCredentials, else Docker's
// config.json): GET /v2/ at the registry itself, answering its challenge.
// Refused or missing credentials match ErrAuth with Subject
// SubjectCredentials. Nothing is stored: see Login and StoreCredentials.
func (r *Registry) Login(ctx context.Context) error {
	c := newCall(ctx, nil)
	defer c.done()
	return r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		o := callOpts(cancel)
		return C.lg_registry_login(h, &o, e)
	})
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
	var m cmem
	defer m.free()
	var repo *C.char
	if repository != nil {
		var err error
		if repo, err = m.str(*repository, "repository", false); err != nil {
			return nil, err
		}
	}
	c := newCall(ctx, nil)
	defer c.done()
	err := r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		var o C.limg_registry_list_opts
		C.limg_registry_list_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
		o.cancel = cancel
		return C.lg_registry_names(h, repo, &o, c.h(), e)
	})
	if err != nil {
		return nil, err
	}
	return c.names, nil
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
	var m cmem
	defer m.free()
	repo, err := m.str(repository, "repository", false)
	if err != nil {
		return nil, err
	}
	ref, err := m.str(reference, "reference", false)
	if err != nil {
		return nil, err
	}
	c := newCall(ctx, nil)
	defer c.done()
	var rm *C.limg_remote_manifest
	err = r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		o := callOpts(cancel)
		return C.lg_registry_manifest(&rm, h, repo, ref, cbool(head), &o, e)
	})
	if err != nil {
		return nil, err
	}
	defer C.limg_remote_manifest_free(rm)
	out := &Manifest{Digest: goString(C.limg_remote_manifest_digest(rm)),
		MediaType: goString(C.limg_remote_manifest_media_type(rm)), Size: int64(C.limg_remote_manifest_size(rm))}
	if body := C.limg_remote_manifest_body(rm); body != nil {
		out.Data = C.GoBytes(body, C.int(out.Size))
	}
	return out, nil
}

// BlobExists asks whether the repository has a blob (HEAD), and its size.
func (r *Registry) BlobExists(ctx context.Context, repository, digest string) (bool, int64, error) {
	var m cmem
	defer m.free()
	repo, err := m.str(repository, "repository", false)
	if err != nil {
		return false, 0, err
	}
	d, err := m.str(digest, "digest", false)
	if err != nil {
		return false, 0, err
	}
	c := newCall(ctx, nil)
	defer c.done()
	var exists C.int
	var size C.int64_t
	err = r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		o := callOpts(cancel)
		return C.lg_registry_blob_exists(&exists, &size, h, repo, d, &o, e)
	})
	return exists != 0, int64(size), err
}

// FetchBlob streams a blob to w, its digest checked at the end: on
// ErrDigestMismatch, w has seen bytes that are not the blob; discard them.
// A broken transfer resumes where it stopped, so w never sees a byte twice.
func (r *Registry) FetchBlob(ctx context.Context, repository, digest string, w io.Writer) error {
	var m cmem
	defer m.free()
	repo, err := m.str(repository, "repository", false)
	if err != nil {
		return err
	}
	d, err := m.str(digest, "digest", false)
	if err != nil {
		return err
	}
	if w == nil {
		return invalid("no writer")
	}
	c := newCall(ctx, nil)
	defer c.done()
	c.w = w
	return r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		var o C.limg_registry_fetch_opts
		C.limg_registry_fetch_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
		o.cancel = cancel
		return C.lg_registry_blob_fetch(h, repo, d, -1, &o, c.h(), e)
	})
}

// Referrer is one artifact that refers to a manifest (OCI 1.1): a
// signature, an SBOM, any artifact.
type Referrer struct {
	MediaType    string
	Digest       string
	Size         int64
	ArtifactType string
	Created      string // its org.opencontainers.image.created annotation, when it has one
}

// Referrers lists what refers to the manifest @digest of @repository, as
// oras discover does (one level): through the referrers API, else the
// referrers tag (Debian's docker-registry 2.8 has no API). artifactType ""
// lists all.
func (r *Registry) Referrers(ctx context.Context, repository, digest, artifactType string) ([]Referrer, error) {
	var m cmem
	defer m.free()
	repo, err := m.str(repository, "repository", false)
	if err != nil {
		return nil, err
	}
	d, err := m.str(digest, "digest", false)
	if err != nil {
		return nil, err
	}
	at, err := m.str(artifactType, "artifact type", true)
	if err != nil {
		return nil, err
	}
	c := newCall(ctx, nil)
	defer c.done()
	err = r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		var o C.limg_registry_referrers_opts
		C.limg_registry_referrers_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
		o.artifact_type = at
		o.cancel = cancel
		return C.lg_registry_referrers(h, repo, d, &o, c.h(), e)
	})
	if err != nil {
		return nil, err
	}
	return c.found, nil
}

// Attach attaches files to the image @subject (a tag or digest) of
// @repository as an artifact of @artifactType, as oras attach does, and
// returns the artifact manifest's digest.
func (r *Registry) Attach(ctx context.Context, repository, subject, artifactType string, paths []string,
	annotations map[string]string) (string, error) {
	var m cmem
	defer m.free()
	repo, err := m.str(repository, "repository", false)
	if err != nil {
		return "", err
	}
	subj, err := m.str(subject, "subject", false)
	if err != nil {
		return "", err
	}
	at, err := m.str(artifactType, "artifact type", false)
	if err != nil {
		return "", err
	}
	files, err := m.strs(paths, "path")
	if err != nil {
		return "", err
	}
	var pairs []string
	for k, v := range annotations {
		pairs = append(pairs, k+"="+v)
	}
	ann, err := m.strs(pairs, "annotation")
	if err != nil {
		return "", err
	}
	var out C.limg_buf
	c := newCall(ctx, nil)
	defer c.done()
	err = r.with(ctx, c, func(h *C.limg_registry, cancel *C.limg_cancel, e *C.lg_error) C.int {
		var o C.limg_registry_attach_opts
		C.limg_registry_attach_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
		o.annotations = ann
		o.annotations_len = C.size_t(len(pairs))
		o.cancel = cancel
		return C.lg_registry_attach(&out, h, repo, subj, at, files, C.size_t(len(paths)), &o, e)
	})
	if err != nil {
		C.limg_buf_dispose(&out)
		return "", err
	}
	return takeBuf(&out), nil
}
