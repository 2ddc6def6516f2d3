// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"time"
	"unsafe"
)

// Images lists the images as docker images does, newest first. Options:
// WithAll, WithSelect, WithFilters, WithPlatform. The context stops the
// listing (which may read blobs to learn an image's facts).
func (s *Store) Images(ctx context.Context, opts ...ImagesOption) ([]ImageRow, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	var o C.limg_images_iterator_opts
	C.limg_images_iterator_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o._select = C.int(cfg.sel)
	var err error
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return nil, err
	}
	if o.filters, err = m.strs(cfg.filters, "filter"); err != nil {
		return nil, err
	}
	o.filters_len = C.size_t(len(cfg.filters))
	end, err := s.quick(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	t, release := token(ctx, s.life.closing)
	defer release()
	o.cancel = t
	var it *C.limg_images_iterator
	var e C.lg_error
	if C.lg_images(&it, s.h, &o, &e) < 0 {
		return nil, failure(ctx, &e)
	}
	defer C.limg_images_iterator_free(it)
	var rows []ImageRow
	var row *C.limg_images_row
	for C.limg_images_iterator_next(&row, it) == 0 {
		if err := canceled(ctx); err != nil {
			return nil, err
		}
		r := ImageRow{Repository: goString(C.limg_images_row_repository(row)),
			Tag: goString(C.limg_images_row_tag(row)), ID: goString(C.limg_images_row_id(row)),
			Digest: goString(C.limg_images_row_digest(row)), Reference: goString(C.limg_images_row_reference(row)),
			Size: int64(C.limg_images_row_size(row))}
		if t := int64(C.limg_images_row_created(row)); t >= 0 {
			r.Created = time.Unix(t, 0).UTC()
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// Inspect finds an image by reference, ID or unique ID prefix, as docker
// image inspect does. Options: WithPlatform (of an index: which stored
// platform). A missing image is ErrImageNotFound.
func (s *Store) Inspect(ctx context.Context, image string, opts ...InspectOption) (*ImageInfo, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	name, err := m.str(image, "image", false)
	if err != nil {
		return nil, err
	}
	var o C.limg_image_lookup_opts
	C.limg_image_lookup_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return nil, err
	}
	end, err := s.quick(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	t, release := token(ctx, s.life.closing)
	defer release()
	o.cancel = t
	var img *C.limg_image
	var e C.lg_error
	if C.lg_image_lookup(&img, s.h, name, &o, &e) < 0 {
		return nil, failure(ctx, &e)
	}
	defer C.limg_image_free(img)
	return imageInfo(img), nil
}

// imageInfo reads what inspect shows through the library's accessors.
func imageInfo(img *C.limg_image) *ImageInfo {
	out := &ImageInfo{ID: goString(C.limg_image_id(img)), Digest: goString(C.limg_image_digest(img)),
		ManifestDigest: goString(C.limg_image_manifest_digest(img)), Size: int64(C.limg_image_size(img))}
	out.Raw = json.RawMessage(C.GoBytes(C.limg_image_config_bytes(img), C.int(C.limg_image_config_size(img))))
	for i := C.size_t(0); i < C.limg_image_tag_count(img); i++ {
		out.Tags = append(out.Tags, goString(C.limg_image_tag(img, i)))
	}
	for i := C.size_t(0); i < C.limg_image_repo_digest_count(img); i++ {
		out.RepoDigests = append(out.RepoDigests, goString(C.limg_image_repo_digest(img, i)))
	}
	cfg := C.limg_image_config(img)
	out.Created = configTime(C.limg_config_created(cfg), int64(C.limg_config_created_unix(cfg)))
	out.Author = goString(C.limg_config_author(cfg))
	out.Architecture = goString(C.limg_config_architecture(cfg))
	out.OS = goString(C.limg_config_os(cfg))
	out.Variant = goString(C.limg_config_variant(cfg))
	out.OSVersion = goString(C.limg_config_os_version(cfg))
	out.Config = Config{
		Env:        list(C.limg_config_env_count(cfg), func(i C.size_t) *C.char { return C.limg_config_env(cfg, i) }),
		Cmd:        list(C.limg_config_cmd_count(cfg), func(i C.size_t) *C.char { return C.limg_config_cmd(cfg, i) }),
		Entrypoint: list(C.limg_config_entrypoint_count(cfg), func(i C.size_t) *C.char { return C.limg_config_entrypoint(cfg, i) }),
		ExposedPorts: list(C.limg_config_exposed_port_count(cfg),
			func(i C.size_t) *C.char { return C.limg_config_exposed_port(cfg, i) }),
		Volumes:    list(C.limg_config_volume_count(cfg), func(i C.size_t) *C.char { return C.limg_config_volume(cfg, i) }),
		WorkingDir: goString(C.limg_config_working_dir(cfg)),
		User:       goString(C.limg_config_user(cfg)),
		StopSignal: goString(C.limg_config_stop_signal(cfg)),
	}
	if n := C.limg_config_label_count(cfg); n > 0 {
		out.Config.Labels = make(map[string]string, int(n))
		for i := C.size_t(0); i < n; i++ {
			k := C.limg_config_label_key(cfg, i)
			out.Config.Labels[goString(k)] = goString(C.limg_config_label(cfg, k))
		}
	}
	for i := C.size_t(0); i < C.limg_config_history_count(cfg); i++ {
		out.History = append(out.History, History{Created: configTime(C.limg_config_history_created(cfg, i), -1),
			CreatedBy:  goString(C.limg_config_history_created_by(cfg, i)),
			Comment:    goString(C.limg_config_history_comment(cfg, i)),
			Author:     goString(C.limg_config_history_author(cfg, i)),
			EmptyLayer: C.limg_config_history_empty_layer(cfg, i) != 0})
	}
	man := C.limg_image_manifest(img)
	for i := C.size_t(0); i < C.limg_manifest_count(man); i++ {
		d := C.limg_manifest_entry(man, i)
		out.Layers = append(out.Layers, Layer{Digest: goString(C.limg_descriptor_digest(d)),
			Size: int64(C.limg_descriptor_size(d)), MediaType: goString(C.limg_descriptor_media_type(d)),
			DiffID: goString(C.limg_config_diff_id(cfg, i))})
	}
	return out
}

func list(n C.size_t, at func(C.size_t) *C.char) []string {
	if n == 0 {
		return nil
	}
	out := make([]string, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		out = append(out, goString(at(i)))
	}
	return out
}

// configTime reads an RFC 3339 time as written, else the library's seconds (or -1).
func configTime(text *C.char, unix int64) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, goString(text)); err == nil {
		return t
	}
	if unix >= 0 {
		return time.Unix(unix, 0).UTC()
	}
	return time.Time{}
}

// Tag makes target ("name[:tag]" as docker reads it) name the image source
// names (a reference, an image ID or a unique ID prefix), as docker tag.
func (s *Store) Tag(ctx context.Context, source, target string, opts ...TagOption) error {
	_ = collect(opts)
	var m cmem
	defer m.free()
	src, err := m.str(source, "source", false)
	if err != nil {
		return err
	}
	dst, err := m.str(target, "target", false)
	if err != nil {
		return err
	}
	end, err := s.quick(ctx)
	if err != nil {
		return err
	}
	defer end()
	var e C.lg_error
	if C.lg_images_tag(s.h, src, dst, &e) < 0 {
		return failure(ctx, &e)
	}
	return nil
}

// Untag removes a tag; the image stays, untagged, until removed or collected.
func (s *Store) Untag(ctx context.Context, reference string) error {
	var m cmem
	defer m.free()
	ref, err := m.str(reference, "reference", false)
	if err != nil {
		return err
	}
	end, err := s.quick(ctx)
	if err != nil {
		return err
	}
	defer end()
	var e C.lg_error
	if C.lg_tags_remove(s.h, ref, &e) < 0 {
		return failure(ctx, &e)
	}
	return nil
}

// Remove removes an image as docker rmi does: a reference untags it; an
// image ID (or unique prefix) untags all its tags (with WithForce also in
// several repositories); an image left without tags is deleted, with the
// blobs no other image needs. It reports its steps, also those done before
// a failure. The context stops it (what is done stays done).
func (s *Store) Remove(ctx context.Context, image string, opts ...RemoveOption) ([]RemoveStep, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	name, err := m.str(image, "image", false)
	if err != nil {
		return nil, err
	}
	var o C.limg_images_remove_opts
	C.limg_images_remove_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.force = cbool(cfg.force)
	end, err := s.quick(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	t, release := token(ctx, s.life.closing)
	defer release()
	o.cancel = t
	c := newCall(ctx, nil)
	defer c.done()
	var e C.lg_error
	rc := C.lg_images_remove(s.h, name, &o, c.h(), &e)
	return c.steps, c.result(rc, &e)
}
