// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import "unsafe"

// ParseMode says how to read a reference.
type ParseMode int

// Ways to read a reference.
const (
	ParseDocker     ParseMode = C.LG_PARSE_DOCKER     // as docker pull: normalized, "latest" when it has no tag
	ParseNormalized ParseMode = C.LG_PARSE_NORMALIZED // normalized, no default tag
	ParseStrict     ParseMode = C.LG_PARSE_STRICT     // the grammar alone
	ParseCanonical  ParseMode = C.LG_PARSE_CANONICAL  // must already be canonical
	ParseAny        ParseMode = C.LG_PARSE_ANY        // also a bare image ID
	ParseName       ParseMode = C.LG_PARSE_NAME       // a repository name alone
)

// Reference is a parsed image reference.
type Reference struct {
	Domain   string // "docker.io"
	Path     string // "library/redis"
	Tag      string // "latest", or ""
	Digest   string // "sha256:...", or ""
	Familiar string // "redis:latest"
	// FamiliarName is the familiar form of the name alone ("redis"), or "" for a bare digest.
	FamiliarName string
	name         string
	full         string
}

// String is the canonical form: "docker.io/library/redis:latest".
func (r Reference) String() string { return r.full }

// Name is "domain/path".
func (r Reference) Name() string { return r.name }

// ParseReference reads a reference as docker pull does ("redis" is docker.io/library/redis:latest).
func ParseReference(s string) (Reference, error) { return ParseReferenceMode(s, ParseDocker) }

// ParseReferenceMode reads a reference in the given mode.
func ParseReferenceMode(s string, mode ParseMode) (Reference, error) {
	if containsNUL(s) {
		return Reference{}, &Error{Code: int(C.LIMG_EREF_FORMAT), Name: codeName(int(C.LIMG_EREF_FORMAT)),
			Subject: SubjectReference, Message: "invalid reference format: the reference contains a NUL character"}
	}
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	var ref *C.limg_reference
	var e C.lg_error
	if C.lg_reference_parse(&ref, cs, C.int(mode), &e) < 0 {
		return Reference{}, fromC(&e)
	}
	defer C.limg_reference_free(ref)
	return Reference{Domain: goString(C.limg_reference_domain(ref)), Path: goString(C.limg_reference_path(ref)),
		Tag: goString(C.limg_reference_tag(ref)), Digest: goString(C.limg_reference_digest(ref)),
		Familiar:     goString(C.limg_reference_familiar_string(ref)),
		FamiliarName: goString(C.limg_reference_familiar_name(ref)), name: goString(C.limg_reference_name(ref)),
		full: goString(C.limg_reference_string(ref))}, nil
}
