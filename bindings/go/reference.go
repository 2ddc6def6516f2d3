package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// ParseMode says how to read a reference.
type ParseMode int

// Ways to read a reference.
const (
	Docker     ParseMode = 0 // as docker pull: normalized, "latest" when it has no tag
	Normalized ParseMode = 1 // normalized, no default tag
	Strict     ParseMode = 2 // the grammar alone
	Canonical  ParseMode = 3 // must already be canonical
	Any        ParseMode = 4 // also a bare image ID
	NameOnly   ParseMode = 5 // a repository name
)

// Reference is a parsed image reference.
type Reference struct {
	Domain   string // "docker.io"
	Path     string // "library/redis"
	Tag      string // "latest", or ""
	Digest   string // "sha256:...", or ""
	Familiar string // "redis:latest"
	name     string
	full     string
}

// String is the canonical form: "docker.io/library/redis:latest".
func (r Reference) String() string { return r.full }

// Name is "domain/path".
func (r Reference) Name() string { return r.name }

// ParseReference reads a reference as docker pull does ("redis" is docker.io/library/redis:latest).
func ParseReference(s string) (Reference, error) { return ParseReferenceMode(s, Docker) }

// ParseReferenceMode reads a reference in the given mode.
func ParseReferenceMode(s string, mode ParseMode) (Reference, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return Reference{}, &Error{Code: -100, Name: "LIMG_EREF_FORMAT",
			Message: "invalid reference format: the reference contains a NUL character"}
	}
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	var ref *C.limg_reference
	var e C.lg_error
	if C.lg_reference_parse(cs, C.int(mode), &ref, &e) < 0 {
		return Reference{}, fromC(&e)
	}
	defer C.limg_reference_free(ref)
	return Reference{Domain: goString(C.limg_reference_domain(ref)), Path: goString(C.limg_reference_path(ref)),
		Tag: goString(C.limg_reference_tag(ref)), Digest: goString(C.limg_reference_digest(ref)),
		Familiar: goString(C.limg_reference_familiar_string(ref)), name: goString(C.limg_reference_name(ref)),
		full: goString(C.limg_reference_string(ref))}, nil
}
