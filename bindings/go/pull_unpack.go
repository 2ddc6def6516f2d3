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

// PullUnpack pulls an image and makes its root filesystem (or bundle) in
// dir in one pass, as Pull then Unpack would, without reading any layer
// twice: each layer is applied beneath dir in order while later ones still
// download, inflated once, checked against its digest and diff_id. dir is
// as Unpack takes it; until it is finished it carries the extended
// attribute user.libimage.incomplete. Called again after a kill or a
// cancel, the downloads resume and dir is made again. Options:
// WithProgress, WithPullOptions, WithUnpackOptions, WithDiscardLayers.
func (s *Store) PullUnpack(ctx context.Context, reference, dir string, opts ...PullUnpackOption) (*PullResult, error) {
	cfg := collect(opts)
	pcfg, ucfg := collect(cfg.pullOpts), collect(cfg.unpackOpts)
	progress := cfg.progress
	if progress == nil {
		progress = pcfg.progress
	}
	if progress == nil {
		progress = ucfg.progress
	}
	var m cmem
	defer m.free()
	ref, err := m.str(reference, "reference", false)
	if err != nil {
		return nil, err
	}
	d, err := m.str(dir, "dir", false)
	if err != nil {
		return nil, err
	}
	po, err := pullOpts(&m, pcfg)
	if err != nil {
		return nil, err
	}
	uo, err := unpackOpts(&m, ucfg)
	if err != nil {
		return nil, err
	}
	// the C side keeps no pointer past the call, but cgo wants them in C memory
	pp := (*C.limg_pull_opts)(m.alloc(unsafe.Sizeof(po)))
	up := (*C.limg_unpack_opts)(m.alloc(unsafe.Sizeof(uo)))
	var o C.limg_pull_unpack_opts
	C.limg_pull_unpack_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if cfg.discardLayers {
		o.layer_blobs = C.LIMG_LAYER_BLOBS_DISCARD
	}
	cancel, end, err := s.begin(ctx, pcfg.session)
	if err != nil {
		return nil, err
	}
	defer end()
	o.cancel = cancel
	if pcfg.session != nil {
		po.session = pcfg.session.h
	}
	*pp, *up = po, uo
	o.pull, o.unpack = pp, up
	c := newCall(ctx, progress)
	defer c.done()
	var res *C.limg_pull_result
	var e C.lg_error
	rc := C.lg_pull_unpack(&res, s.h, ref, d, &o, c.h(), c.want(), &e)
	defer C.limg_pull_result_free(res)
	if err := c.result(rc, &e, pcfg.session); err != nil {
		return nil, err
	}
	return pullResult(res), nil
}
