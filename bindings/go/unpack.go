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

// Unpack makes the image's root filesystem in dir (absent, empty, or left
// incomplete by an earlier unpack), or with WithBundle a runtime bundle
// (dir/rootfs and dir/config.json). Every path stays beneath dir, whatever
// the layers say; each layer is checked against its digest and diff_id as
// it is applied. Until it is finished dir carries the extended attribute
// user.libimage.incomplete; a failure removes what was created (or, with
// WithKeepFailed, leaves it marked). Options: WithPlatform, WithProgress,
// WithBundle, WithRootless, WithIDMaps, WithTerminal, WithMaxLayerSize,
// WithMaxEntries, WithKeepFailed.
func (s *Store) Unpack(ctx context.Context, image, dir string, opts ...UnpackOption) error {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	img, err := m.str(image, "image", false)
	if err != nil {
		return err
	}
	d, err := m.str(dir, "dir", false)
	if err != nil {
		return err
	}
	o, err := unpackOpts(&m, cfg)
	if err != nil {
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
	var e C.lg_error
	rc := C.lg_unpack(s.h, img, d, &o, c.h(), c.want(), &e)
	return c.result(rc, &e)
}

// unpackOpts fills the C options of an unpack from cfg (in memory m holds).
func unpackOpts(m *cmem, cfg *opConfig) (C.limg_unpack_opts, error) {
	var o C.limg_unpack_opts
	var err error
	C.limg_unpack_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return o, err
	}
	o.rootless = C.int(cfg.rootless)
	o.uid_map, o.uid_map_len = idMaps(m, cfg.uidMap)
	o.gid_map, o.gid_map_len = idMaps(m, cfg.gidMap)
	o.bundle = cbool(cfg.bundle)
	o.no_terminal = cbool(cfg.noTerminal)
	o.max_layer_size = C.int64_t(cfg.maxLayerSize)
	o.max_entries = C.int64_t(cfg.maxEntries)
	if cfg.keepFailed {
		o.on_failure = C.LIMG_UNPACK_FAILED_KEEP
	}
	return o, nil
}

func idMaps(m *cmem, maps []IDMap) (*C.limg_id_map, C.size_t) {
	if len(maps) == 0 {
		return nil, 0
	}
	arr := (*C.limg_id_map)(m.alloc(uintptr(len(maps)) * unsafe.Sizeof(C.limg_id_map{})))
	for i, im := range maps {
		unsafe.Slice(arr, len(maps))[i] = C.limg_id_map{container_id: C.uint32_t(im.ContainerID),
			host_id: C.uint32_t(im.HostID), size: C.uint32_t(im.Size)}
	}
	return arr, C.size_t(len(maps))
}
