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

// Push pushes a stored image to reference ("registry.example.com/team/app:1";
// no tag means "latest"), as docker push does, and returns the digest the
// tag names. Options: WithSource, WithPlatform, WithProgress, WithSession,
// WithConcurrency, WithoutMount, WithChunkSize, WithSigner (and
// WithSignatureFormat, WithSignIdentity, WithSignRecursive), WithReferrers.
func (s *Store) Push(ctx context.Context, reference string, opts ...PushOption) (string, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	ref, err := m.str(reference, "reference", false)
	if err != nil {
		return "", err
	}
	var o C.limg_push_opts
	C.limg_push_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.source, err = m.str(cfg.source, "source", true); err != nil {
		return "", err
	}
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return "", err
	}
	o.concurrency = C.int(cfg.concurrency)
	o.no_mount = cbool(cfg.noMount)
	o.chunk_size = C.int64_t(cfg.chunkSize)
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
	if cfg.signer != nil {
		o.sign_by = cfg.signer.h
	}
	cancel, end, err := s.begin(ctx, cfg.session)
	if err != nil {
		return "", err
	}
	defer end()
	o.cancel = cancel
	if cfg.session != nil {
		o.session = cfg.session.h
	}
	c := newCall(ctx, cfg.progress)
	defer c.done()
	var out C.limg_buf
	var e C.lg_error
	rc := C.lg_push(&out, s.h, ref, &o, c.h(), c.want(), &e)
	digest := takeBuf(&out)
	if err := c.result(rc, &e, cfg.session); err != nil {
		return "", err
	}
	return digest, nil
}
