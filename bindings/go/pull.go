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

// Pull pulls an image into the store, as docker pull does ("redis" is
// docker.io/library/redis:latest): every blob checked against its digest,
// every layer against its diff_id, the tag moved last. Options: WithPlatform,
// WithProgress, WithSession, WithConcurrency, WithMaxLayerSize,
// WithSkipDiffIDs, WithForeignLayers, WithRanges, WithoutRanges, WithPolicy,
// WithInstanceSignaturesOnly, WithReferrers.
func (s *Store) Pull(ctx context.Context, reference string, opts ...PullOption) (*PullResult, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	ref, err := m.str(reference, "reference", false)
	if err != nil {
		return nil, err
	}
	o, err := pullOpts(&m, cfg)
	if err != nil {
		return nil, err
	}
	o.index_signatures = indexSignatures(cfg)
	o.referrers = cbool(cfg.referrers)
	leaveTrust, err := enterTrust(cfg)
	if err != nil {
		return nil, err
	}
	defer leaveTrust()
	if cfg.policy != nil {
		o.policy = cfg.policy.h
	}
	cancel, end, err := s.begin(ctx, cfg.session)
	if err != nil {
		return nil, err
	}
	defer end()
	o.cancel = cancel
	if cfg.session != nil {
		o.session = cfg.session.h
	}
	c := newCall(ctx, cfg.progress)
	defer c.done()
	var res *C.limg_pull_result
	var e C.lg_error
	rc := C.lg_pull(&res, s.h, ref, &o, c.h(), c.want(), &e)
	defer C.limg_pull_result_free(res)
	if err := c.result(rc, &e, cfg.session); err != nil {
		return nil, err
	}
	return pullResult(res), nil
}

// pullOpts fills the C options of a pull from cfg (in memory m holds).
func pullOpts(m *cmem, cfg *opConfig) (C.limg_pull_opts, error) {
	var o C.limg_pull_opts
	var err error
	C.limg_pull_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return o, err
	}
	o.concurrency = C.int(cfg.concurrency)
	o.skip_diff_ids = cbool(cfg.skipDiffIDs)
	o.foreign_layers = C.int(cfg.foreign)
	o.max_layer_size = C.int64_t(cfg.maxLayerSize)
	o.no_ranges = cbool(cfg.noRanges)
	o.range_threshold = C.int64_t(cfg.rangeThreshold)
	o.range_chunk = C.int64_t(cfg.rangeChunk)
	o.range_parallel = C.int(cfg.rangeParallel)
	return o, nil
}

func pullResult(res *C.limg_pull_result) *PullResult {
	return &PullResult{Reference: goString(C.limg_pull_result_reference(res)),
		Digest:          goString(C.limg_pull_result_digest(res)),
		ManifestDigest:  goString(C.limg_pull_result_manifest_digest(res)),
		ID:              goString(C.limg_pull_result_image_id(res)),
		UpToDate:        C.limg_pull_result_up_to_date(res) != 0,
		BytesDownloaded: int64(C.limg_pull_result_bytes_downloaded(res))}
}
