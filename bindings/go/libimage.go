// Package libimage binds libimage (container images: references, registries,
// an OCI store, pull, images) for Go through cgo. Errors become *Error values
// carrying libimage's code name, message, HTTP status and registry code;
// handles are released by Close.
package libimage

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -limage
#include <stdlib.h>
#include <libimage/libimage.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Error is a libimage failure.
type Error struct {
	Code         int
	Name         string // "LIMG_ENOTFOUND", ...
	Message      string
	HTTPStatus   int
	RegistryCode string // "MANIFEST_UNKNOWN", "DENIED", ...
}

func (e *Error) Error() string { return e.Message }

func check(rc C.int) error {
	if rc >= 0 {
		return nil
	}
	last := C.limg_error_last()
	name := C.limg_error_name(rc)
	e := &Error{Code: int(rc), Message: C.GoString(C.limg_error_message(last)),
		HTTPStatus: int(C.limg_error_http_status(last)), RegistryCode: C.GoString(C.limg_error_registry_code(last))}
	if name != nil {
		e.Name = C.GoString(name)
	}
	return e
}

func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// Version is the loaded library's version.
func Version() string { return C.GoString(C.limg_version()) }

// Reference is an image reference as `docker pull` reads it.
type Reference struct {
	String, Domain, Path, Tag, Digest, Familiar string
}

// ParseReference reads a reference as docker pull does ("redis" is docker.io/library/redis:latest).
func ParseReference(text string) (*Reference, error) {
	cs := C.CString(text)
	defer C.free(unsafe.Pointer(cs))
	var ref *C.limg_reference
	if err := check(C.limg_reference_parse_docker(&ref, cs)); err != nil {
		return nil, err
	}
	defer C.limg_reference_free(ref)
	return &Reference{String: goString(C.limg_reference_string(ref)), Domain: goString(C.limg_reference_domain(ref)),
		Path: goString(C.limg_reference_path(ref)), Tag: goString(C.limg_reference_tag(ref)),
		Digest: goString(C.limg_reference_digest(ref)), Familiar: goString(C.limg_reference_familiar_string(ref))}, nil
}

// Store is an image store directory (an OCI image layout).
type Store struct{ h *C.limg_store }

// OpenStore opens (and creates when missing) a store.
func OpenStore(path string) (*Store, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	s := &Store{}
	if err := check(C.limg_store_open(&s.h, nil, cs, nil)); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the store.
func (s *Store) Close() {
	if s.h != nil {
		C.limg_store_close(s.h)
		s.h = nil
	}
}

// Image is the result of a pull.
type Image struct {
	Reference, Digest, ManifestDigest, ID string
	UpToDate                              bool
}

// PullOptions are the settings of Pull; the zero value means the defaults.
type PullOptions struct {
	Platform    string // "linux/arm64"; "" for this machine's
	NoDiffIDs   bool   // skip unpacking layers to check them against the config
	Mirror      string // serve docker.io from this registry ("host:port" or URL)
	Concurrency int    // layers fetched at once; 0 for the default (3)
}

// Pull pulls an image into the store, as docker pull does.
func (s *Store) Pull(reference string, o PullOptions) (*Image, error) {
	var opts C.limg_pull_opts
	C.limg_pull_opts_init(&opts, C.size_t(unsafe.Sizeof(opts)))
	cref := C.CString(reference)
	defer C.free(unsafe.Pointer(cref))
	if o.Platform != "" {
		opts.platform = C.CString(o.Platform)
		defer C.free(unsafe.Pointer(opts.platform))
	}
	if o.Mirror != "" {
		opts.docker_hub_mirror = C.CString(o.Mirror)
		defer C.free(unsafe.Pointer(opts.docker_hub_mirror))
	}
	if o.NoDiffIDs {
		opts.verify_diff_ids = 0
	}
	if o.Concurrency > 0 {
		opts.concurrency = C.int(o.Concurrency)
	}
	var img *C.limg_image
	if err := check(C.limg_pull(&img, s.h, cref, &opts, nil)); err != nil {
		return nil, err
	}
	defer C.limg_image_free(img)
	return &Image{Reference: goString(C.limg_image_reference(img)), Digest: goString(C.limg_image_digest(img)),
		ManifestDigest: goString(C.limg_image_manifest_digest(img)), ID: goString(C.limg_image_id(img)),
		UpToDate: C.limg_image_up_to_date(img) != 0}, nil
}

// ImageEntry is one row of what docker images lists.
type ImageEntry struct {
	Reference, Repository, Tag, Digest, ID string
	Created, Size                          int64 // seconds since the epoch and bytes; -1 when unknown
}

// Images lists tagged images, newest first.
func (s *Store) Images() ([]ImageEntry, error) {
	var it *C.limg_image_iterator
	if err := check(C.limg_images_list(&it, s.h, nil)); err != nil {
		return nil, err
	}
	defer C.limg_image_iterator_free(it)
	var rows []ImageEntry
	var e *C.limg_image_entry
	for C.limg_image_iterator_next(&e, it) == 0 {
		rows = append(rows, ImageEntry{Reference: goString(C.limg_image_entry_reference(e)),
			Repository: goString(C.limg_image_entry_repository(e)), Tag: goString(C.limg_image_entry_tag(e)),
			Digest: goString(C.limg_image_entry_digest(e)), ID: goString(C.limg_image_entry_id(e)),
			Created: int64(C.limg_image_entry_created(e)), Size: int64(C.limg_image_entry_size(e))})
	}
	return rows, nil
}

// Tag points target at the image source names (a reference or an image ID prefix), as docker tag does.
func (s *Store) Tag(source, target string) error {
	ref, err := ParseReference(target)
	if err != nil {
		return err
	}
	if ref.Digest != "" {
		return fmt.Errorf("refusing to create a tag with a digest reference")
	}
	csrc, ctgt := C.CString(source), C.CString(ref.String)
	defer C.free(unsafe.Pointer(csrc))
	defer C.free(unsafe.Pointer(ctgt))
	var digest C.limg_buf
	defer C.limg_buf_dispose(&digest)
	if err := check(C.limg_images_lookup(&digest, s.h, csrc)); err != nil {
		return err
	}
	return check(C.limg_tags_set(s.h, ctgt, digest.ptr))
}

// Remove removes an image as docker rmi does (without force).
func (s *Store) Remove(image string) error {
	cs := C.CString(image)
	defer C.free(unsafe.Pointer(cs))
	return check(C.limg_images_remove(s.h, cs, nil))
}
