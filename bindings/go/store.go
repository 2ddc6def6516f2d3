package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Store is an image store: an OCI image layout directory. Safe for
// concurrent use; Close may be called while other calls run (they stop with
// ErrCanceled, and the store goes when the last has returned).
type Store struct {
	mu       sync.Mutex
	h        *C.limg_store
	inflight int
	closed   bool
	closing  *C.limg_cancel // requested by Close: every call follows it
	path     string
}

// OpenStore opens a store, creating it when missing.
func OpenStore(path string) (*Store, error) {
	var cs cstrings
	defer cs.free()
	p, err := cs.add(path, "path", false)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path}
	var e C.lg_error
	if C.lg_store_open(p, &s.h, &e) < 0 {
		return nil, fromC(&e)
	}
	C.limg_cancel_new(&s.closing)
	return s, nil
}

// Path is the store's directory.
func (s *Store) Path() string { return s.path }

// Close closes the store; calls running in other goroutines stop.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	C.limg_cancel_request(s.closing)
	last := s.inflight == 0
	s.mu.Unlock()
	if last {
		s.free()
	}
	return nil
}

func (s *Store) free() {
	C.limg_store_close(s.h)
	C.limg_cancel_free(s.closing)
	s.h, s.closing = nil, nil
}

// enter counts a call in; leave counts it out (and frees a closed store after the last).
func (s *Store) enter() (*C.limg_store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	s.inflight++
	return s.h, nil
}

func (s *Store) leave() {
	s.mu.Lock()
	s.inflight--
	last := s.closed && s.inflight == 0
	s.mu.Unlock()
	if last {
		s.free()
	}
}

// token is a cancellation token for one call: requested when ctx is done or
// any of @parents is; release it after the call.
func token(ctx context.Context, parents ...*C.limg_cancel) (*C.limg_cancel, func()) {
	var t *C.limg_cancel
	C.limg_cancel_new(&t)
	for _, p := range parents {
		if p != nil {
			C.limg_cancel_link(t, p)
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			C.limg_cancel_request(t)
		case <-stop:
		}
	}()
	return t, func() {
		close(stop)
		<-done
		C.limg_cancel_free(t)
	}
}

// failure is the call's error: a stopped context is its cause.
func failure(ctx context.Context, e *C.lg_error) error {
	err := fromC(e)
	if err.Code == -7 && ctx.Err() != nil {
		err.cause = ctx.Err()
	}
	return err
}

// Pull pulls an image into the store, as docker pull does (every layer
// checked against its digest and diff_id). Options: WithPlatform,
// WithProgress, WithAuth, WithAuthFunc, WithCAFile, WithCertsDir,
// WithInsecure, WithConcurrency, WithRegistryMirror.
func (s *Store) Pull(ctx context.Context, reference string, opts ...Option) (*Image, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	st := collect(opts)
	var cs cstrings
	defer cs.free()
	ref, err := cs.add(reference, "reference", false)
	if err != nil {
		return nil, err
	}
	cancel, release := token(ctx, s.closing)
	defer release()
	var o C.limg_pull_opts
	C.limg_pull_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = cs.add(st.platform, "platform", true); err != nil {
		return nil, err
	}
	if o.docker_hub_mirror, err = cs.add(st.mirror, "mirror", true); err != nil {
		return nil, err
	}
	if st.concurrency > 0 {
		o.concurrency = C.int(st.concurrency)
	}
	c, handle := newCall()
	defer handle.Delete()
	c.progress = st.progress
	cro, err := st.cRegistryOpts(&cs, c, handle)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cro))
	o.registry = cro
	o.cancel = cancel
	var progress C.uintptr_t
	if st.progress != nil {
		progress = C.uintptr_t(handle)
	}
	var img *C.limg_image
	var e C.lg_error
	rc := C.lg_pull(h, ref, &o, progress, &img, &e)
	if rc < 0 {
		return nil, c.finish(failure(ctx, &e))
	}
	defer C.limg_image_free(img)
	if err := c.finish(nil); err != nil {
		return nil, err
	}
	return &Image{Reference: goString(C.limg_image_reference(img)), Digest: goString(C.limg_image_digest(img)),
		ManifestDigest: goString(C.limg_image_manifest_digest(img)), ID: goString(C.limg_image_id(img)),
		UpToDate: C.limg_image_up_to_date(img) != 0, BytesDownloaded: int64(C.limg_image_bytes_downloaded(img))}, nil
}

// ImagesOptions are the settings of Images.
type ImagesOptions struct {
	All      bool     // untagged images too (docker images -a)
	Filters  []string // docker images --filter: "reference=redis*", "label=k=v", "dangling=true", "before=x", "since=x"
	Platform string   // which image of an index the rows describe
}

// Images lists the images as docker images does.
func (s *Store) Images(o ImagesOptions) ([]ImageRow, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	var cs cstrings
	defer cs.free()
	var lo C.limg_images_list_opts
	C.limg_images_list_opts_init(&lo, C.size_t(unsafe.Sizeof(lo)))
	if o.All {
		lo.untagged = 2
	}
	if lo.platform, err = cs.add(o.Platform, "platform", true); err != nil {
		return nil, err
	}
	if len(o.Filters) > 0 {
		arr := (*[1 << 20]*C.char)(C.malloc(C.size_t(len(o.Filters)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		defer C.free(unsafe.Pointer(arr))
		for i, f := range o.Filters {
			if arr[i], err = cs.add(f, "filter", false); err != nil {
				return nil, err
			}
		}
		lo.filters = &arr[0]
		lo.filters_len = C.size_t(len(o.Filters))
	}
	var it *C.limg_image_iterator
	var e C.lg_error
	if C.lg_images(h, &lo, &it, &e) < 0 {
		return nil, fromC(&e)
	}
	defer C.limg_image_iterator_free(it)
	var rows []ImageRow
	var entry *C.limg_image_entry
	for C.limg_image_iterator_next(&entry, it) == 0 {
		row := ImageRow{Repository: goString(C.limg_image_entry_repository(entry)),
			Tag: goString(C.limg_image_entry_tag(entry)), ID: goString(C.limg_image_entry_id(entry)),
			Digest: goString(C.limg_image_entry_digest(entry)), Reference: goString(C.limg_image_entry_reference(entry)),
			Size: int64(C.limg_image_entry_size(entry))}
		if t := int64(C.limg_image_entry_created(entry)); t >= 0 {
			row.Created = time.Unix(t, 0).UTC()
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Inspect finds an image by reference, ID or unique ID prefix, as docker image inspect.
func (s *Store) Inspect(image string, opts ...Option) (*ImageInfo, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	st := collect(opts)
	var cs cstrings
	defer cs.free()
	img, err := cs.add(image, "image", false)
	if err != nil {
		return nil, err
	}
	plat, err := cs.add(st.platform, "platform", true)
	if err != nil {
		return nil, err
	}
	var info *C.limg_image_info
	var e C.lg_error
	if C.lg_inspect(h, img, plat, &info, &e) < 0 {
		return nil, fromC(&e)
	}
	defer C.limg_image_info_free(info)
	out := &ImageInfo{ID: goString(C.limg_image_info_id(info)), Digest: goString(C.limg_image_info_digest(info)),
		ManifestDigest: goString(C.limg_image_info_manifest_digest(info)), Size: int64(C.limg_image_info_size(info))}
	var n C.size_t
	raw := C.limg_image_info_config_bytes(info, &n)
	out.Raw = json.RawMessage(C.GoBytes(unsafe.Pointer(raw), C.int(n)))
	var doc struct {
		Created      string `json:"created"`
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Config       Config `json:"config"`
		RootFS       struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(out.Raw, &doc); err == nil {
		out.Config, out.Architecture, out.OS = doc.Config, doc.Architecture, doc.OS
		out.Created, _ = time.Parse(time.RFC3339Nano, doc.Created)
	}
	m := C.limg_image_info_manifest(info)
	for i := C.size_t(0); i < C.limg_manifest_count(m); i++ {
		d := C.limg_manifest_get(m, i)
		l := Layer{Digest: goString(C.limg_descriptor_digest(d)), Size: int64(C.limg_descriptor_size(d)),
			MediaType: goString(C.limg_descriptor_media_type(d))}
		if int(i) < len(doc.RootFS.DiffIDs) {
			l.DiffID = doc.RootFS.DiffIDs[i]
		}
		out.Layers = append(out.Layers, l)
	}
	var it *C.limg_tag_iterator
	if C.lg_tags_of(h, C.limg_image_info_digest(info), &it, &e) == 0 {
		defer C.limg_tag_iterator_free(it)
		var t *C.limg_tag
		for C.limg_tag_iterator_next(&t, it) == 0 {
			if r := goString(C.limg_tag_reference(t)); r != "" {
				if ref, err := ParseReferenceMode(r, Normalized); err == nil {
					out.Tags = append(out.Tags, ref.Familiar)
				}
			}
		}
	}
	return out, nil
}

// Tag makes target name the image source names, as docker tag.
func (s *Store) Tag(source, target string) error {
	h, err := s.enter()
	if err != nil {
		return err
	}
	defer s.leave()
	ref, err := ParseReference(target)
	if err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	src, err := cs.add(source, "source", false)
	if err != nil {
		return err
	}
	dst, _ := cs.add(ref.String(), "target", false)
	var e C.lg_error
	if C.lg_tag(h, src, dst, &e) < 0 {
		return fromC(&e)
	}
	return nil
}

// Untag removes a tag; the image stays, untagged, until removed or collected.
func (s *Store) Untag(reference string) error {
	h, err := s.enter()
	if err != nil {
		return err
	}
	defer s.leave()
	ref, err := ParseReference(reference)
	if err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	r, _ := cs.add(ref.String(), "reference", false)
	var e C.lg_error
	if C.lg_untag(h, r, &e) < 0 {
		return fromC(&e)
	}
	return nil
}

// Remove removes an image as docker rmi does (force: an ID tagged in
// several repositories), and reports its steps.
func (s *Store) Remove(image string, force bool) ([]RemoveStep, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	var cs cstrings
	defer cs.free()
	img, err := cs.add(image, "image", false)
	if err != nil {
		return nil, err
	}
	c, handle := newCall()
	defer handle.Delete()
	f := C.int(0)
	if force {
		f = 1
	}
	var e C.lg_error
	if C.lg_remove(h, img, f, C.uintptr_t(handle), &e) < 0 {
		return c.steps, c.finish(fromC(&e))
	}
	return c.steps, c.finish(nil)
}

// GC removes the blobs no image needs, and reports them.
func (s *Store) GC() ([]string, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	c, handle := newCall()
	defer handle.Delete()
	var e C.lg_error
	if C.lg_gc(h, C.uintptr_t(handle), &e) < 0 {
		return c.removed, c.finish(fromC(&e))
	}
	return c.removed, c.finish(nil)
}

// Push pushes a stored image to its reference, as docker push; it returns
// the digest the tag names. Options: WithPlatform, WithPushProgress,
// WithAuth, WithAuthFunc, WithCAFile, WithCertsDir, WithInsecure, WithConcurrency.
func (s *Store) Push(ctx context.Context, reference string, opts ...Option) (string, error) {
	h, err := s.enter()
	if err != nil {
		return "", err
	}
	defer s.leave()
	st := collect(opts)
	var cs cstrings
	defer cs.free()
	ref, err := cs.add(reference, "reference", false)
	if err != nil {
		return "", err
	}
	cancel, release := token(ctx, s.closing)
	defer release()
	var o C.limg_push_opts
	C.limg_push_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	c, handle := newCall()
	defer handle.Delete()
	cro, err := st.cRegistryOpts(&cs, c, handle)
	if err != nil {
		return "", err
	}
	defer C.free(unsafe.Pointer(cro))
	o.registry = cro
	o.cancel = cancel
	if o.platform, err = cs.add(st.platform, "platform", true); err != nil {
		return "", err
	}
	if st.concurrency > 0 {
		o.concurrency = C.int(st.concurrency)
	}
	return c.sendBlobs(ctx, st, handle, func(progress C.uintptr_t, out *C.limg_buf, e *C.lg_error) C.int {
		return C.lg_push(h, ref, &o, progress, out, e)
	})
}

// cRegistryOpts gives registry options in C memory (free them), with the
// credentials function of @c when there is one.
func (st *settings) cRegistryOpts(cs *cstrings, c *call, handle cgo.Handle) (*C.limg_registry_opts, error) {
	var ro C.limg_registry_opts
	if err := st.registryOpts(&ro, cs, nil); err != nil {
		return nil, err
	}
	c.credentials = st.credentials
	if st.credentials != nil {
		C.lg_set_credentials(&ro, C.uintptr_t(handle))
	}
	cro := (*C.limg_registry_opts)(C.malloc(C.size_t(unsafe.Sizeof(ro))))
	*cro = ro
	return cro, nil
}

// Save writes the images as one docker save archive to path (whole or not at all).
func (s *Store) Save(ctx context.Context, path string, images []string, opts ...Option) error {
	h, err := s.enter()
	if err != nil {
		return err
	}
	defer s.leave()
	if len(images) == 0 {
		return invalid("save needs at least one image")
	}
	st := collect(opts)
	var cs cstrings
	defer cs.free()
	arr := (*[1 << 20]*C.char)(C.malloc(C.size_t(len(images)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	defer C.free(unsafe.Pointer(arr))
	for i, n := range images {
		if arr[i], err = cs.add(n, "image", false); err != nil {
			return err
		}
	}
	if strings.IndexByte(path, 0) >= 0 {
		return invalid("path contains a NUL character")
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	defer f.Close()
	cancel, release := token(ctx, s.closing)
	defer release()
	var o C.limg_save_opts
	C.limg_save_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = cs.add(st.platform, "platform", true); err != nil {
		return err
	}
	o.cancel = cancel
	var e C.lg_error
	if C.lg_save(h, &arr[0], C.size_t(len(images)), C.int(f.Fd()), &o, &e) < 0 {
		return failure(ctx, &e)
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

// Load reads a docker save (or oci-archive, plain or compressed) archive into the store.
func (s *Store) Load(ctx context.Context, path string) ([]Loaded, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	if strings.IndexByte(path, 0) >= 0 {
		return nil, invalid("path contains a NUL character")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cancel, release := token(ctx, s.closing)
	defer release()
	var o C.limg_load_opts
	C.limg_load_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.cancel = cancel
	c, handle := newCall()
	defer handle.Delete()
	var e C.lg_error
	if C.lg_load(h, C.int(f.Fd()), &o, C.uintptr_t(handle), &e) < 0 {
		return c.loaded, c.finish(failure(ctx, &e))
	}
	return c.loaded, c.finish(nil)
}

// UnpackOptions are the settings of Unpack.
type UnpackOptions struct {
	Bundle   bool   // dir/rootfs and dir/config.json, for runc or crun
	Rootless *bool  // nil: by the effective user
	Platform string // of an index
	Terminal bool   // process.terminal of config.json
}

// Unpack makes the image's root filesystem (or a runtime bundle) in dir, absent or empty.
func (s *Store) Unpack(ctx context.Context, image, dir string, o UnpackOptions) error {
	h, err := s.enter()
	if err != nil {
		return err
	}
	defer s.leave()
	var cs cstrings
	defer cs.free()
	img, err := cs.add(image, "image", false)
	if err != nil {
		return err
	}
	d, err := cs.add(dir, "dir", false)
	if err != nil {
		return err
	}
	cancel, release := token(ctx, s.closing)
	defer release()
	var uo C.limg_unpack_opts
	C.limg_unpack_opts_init(&uo, C.size_t(unsafe.Sizeof(uo)))
	if uo.platform, err = cs.add(o.Platform, "platform", true); err != nil {
		return err
	}
	if o.Bundle {
		uo.bundle = 1
	}
	if o.Rootless != nil {
		uo.rootless = 0
		if *o.Rootless {
			uo.rootless = 1
		}
	}
	uo.terminal = 0
	if o.Terminal {
		uo.terminal = 1
	}
	uo.cancel = cancel
	var e C.lg_error
	if C.lg_unpack(h, img, d, &uo, &e) < 0 {
		return failure(ctx, &e)
	}
	return nil
}
