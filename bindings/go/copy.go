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

// Copy copies an image from one registry (or repository) to another without
// a store, as crane copy does: the whole index, or one platform's image with
// WithPlatform. Manifests go byte for byte, so digests stay; each blob is
// skipped when the destination has it, mounted within one registry, else
// streamed through, its digest checked on the way. It returns the digest
// copied. Each side gets its own settings and credentials from the session
// (WithSession; NewSession's WithRegistry and WithCredentials). Options:
// WithSession, WithPlatform, WithProgress, WithConcurrency, WithoutMount,
// WithChunkSize, WithPolicy, WithInstanceSignaturesOnly, WithSigner (and its
// options), WithReferrers.
func Copy(ctx context.Context, source, destination string, opts ...CopyOption) (string, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	src, err := m.str(source, "source", false)
	if err != nil {
		return "", err
	}
	dst, err := m.str(destination, "destination", false)
	if err != nil {
		return "", err
	}
	var o C.limg_copy_opts
	C.limg_copy_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return "", err
	}
	o.concurrency = C.int(cfg.concurrency)
	o.no_mount = cbool(cfg.noMount)
	o.chunk_size = C.int64_t(cfg.chunkSize)
	o.index_signatures = indexSignatures(cfg)
	o.sign_format = C.int(cfg.signFormat)
	if o.sign_identity, err = m.str(cfg.signIdentity, "sign identity", true); err != nil {
		return "", err
	}
	o.sign_recursive = cbool(cfg.signRecursive)
	o.referrers = cbool(cfg.referrers)
	leaveTrust, err := enterTrust(cfg)
	if err != nil {
		return "", err
	}
	defer leaveTrust()
	if cfg.policy != nil {
		o.policy = cfg.policy.h
	}
	if cfg.signer != nil {
		o.sign_by = cfg.signer.h
	}
	var session *C.limg_session
	var closing *C.limg_cancel
	if s := cfg.session; s != nil {
		if err := s.enter(); err != nil {
			return "", err
		}
		defer s.leave()
		session, closing = s.h, s.closing
	}
	if err := canceled(ctx); err != nil {
		return "", err
	}
	cancel, release := token(ctx, closing)
	defer release()
	o.cancel = cancel
	c := newCall(ctx, cfg.progress)
	defer c.done()
	var out C.limg_buf
	var e C.lg_error
	rc := C.lg_copy(&out, session, src, dst, &o, c.h(), c.want(), &e)
	digest := takeBuf(&out)
	if err := c.result(rc, &e, cfg.session); err != nil {
		return "", err
	}
	return digest, nil
}
