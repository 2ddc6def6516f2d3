// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
)

// Error is a libimage failure. Match kinds with errors.Is and the sentinels
// below (errors.Is(err, libimage.ErrNotFound)), or what was not found with
// the subject's sentinels (errors.Is(err, libimage.ErrImageNotFound)) or
// IsNotFound; a call stopped by its context also matches ctx.Err()
// (context.Canceled, context.DeadlineExceeded).
type Error struct {
	Code         int           // the library's code (negative): C's LIMG_E* value
	Name         string        // its name: "LIMG_ENOTFOUND"
	Subject      Subject       // what the failure was about (an image, a tag, a registry, ...)
	Object       string        // the name of that thing ("redis:7", a digest, a host), or ""
	Message      string        // what the library says
	HTTPStatus   int           // of the registry answer behind it, or 0
	RegistryCode string        // the registry's own code ("MANIFEST_UNKNOWN"), or ""
	RetryAfter   time.Duration // what a registry asked to wait, or 0
	cause        error
	sentinel     bool
	match        func(*Error) bool // a sentinel matching more than one code
}

func (e *Error) Error() string { return e.Message }

// Unwrap gives the context's error for a call its context stopped.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether e is of the kind of a sentinel: the same code, and
// the same subject when the sentinel names one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || !t.sentinel || e.sentinel {
		return false
	}
	if t.match != nil {
		return t.match(e)
	}
	return e.Code == t.Code && (t.Subject == SubjectNone || e.Subject == t.Subject)
}

// Subject says what a failure was about: with ErrNotFound, what does not
// exist; with other codes, what was refused, damaged or invalid. The values
// are the C library's (limg_subject).
type Subject int

// Subjects of failures.
const (
	SubjectNone        Subject = C.LIMG_SUBJECT_NONE
	SubjectImage       Subject = C.LIMG_SUBJECT_IMAGE       // an image of the store ("No such image")
	SubjectTag         Subject = C.LIMG_SUBJECT_TAG         // a tag, of the store or of a registry's repository
	SubjectBlob        Subject = C.LIMG_SUBJECT_BLOB        // a blob, stored or of a registry
	SubjectManifest    Subject = C.LIMG_SUBJECT_MANIFEST    // a manifest or index ("manifest unknown")
	SubjectRepository  Subject = C.LIMG_SUBJECT_REPOSITORY  // a repository of a registry
	SubjectPlatform    Subject = C.LIMG_SUBJECT_PLATFORM    // a platform of an index
	SubjectRegistry    Subject = C.LIMG_SUBJECT_REGISTRY    // a registry host (unreachable, or not a registry)
	SubjectCredentials Subject = C.LIMG_SUBJECT_CREDENTIALS // credentials (refused, or unreadable config.json)
	SubjectCertificate Subject = C.LIMG_SUBJECT_CERTIFICATE // a TLS certificate (not trusted)
	SubjectReference   Subject = C.LIMG_SUBJECT_REFERENCE   // an image reference as text
	SubjectFile        Subject = C.LIMG_SUBJECT_FILE        // a file or directory named by the caller
	SubjectStore       Subject = C.LIMG_SUBJECT_STORE       // the store itself
	SubjectArchive     Subject = C.LIMG_SUBJECT_ARCHIVE     // an archive, or a member of one
	SubjectLayer       Subject = C.LIMG_SUBJECT_LAYER       // a layer's contents
	SubjectConfig      Subject = C.LIMG_SUBJECT_CONFIG      // an image config
	SubjectOptions     Subject = C.LIMG_SUBJECT_OPTIONS     // an options or callbacks struct
	SubjectSignature   Subject = C.LIMG_SUBJECT_SIGNATURE   // a signature (a cosign payload, a bundle)
	SubjectPolicy      Subject = C.LIMG_SUBJECT_POLICY      // a signature policy or registries.d file
	SubjectKey         Subject = C.LIMG_SUBJECT_KEY         // a public or private key
)

// String is the subject's name as the C header spells it ("LIMG_SUBJECT_IMAGE").
func (s Subject) String() string {
	if n := C.limg_subject_name(C.int(s)); n != nil {
		return C.GoString(n)
	}
	return fmt.Sprintf("Subject(%d)", int(s))
}

func codeName(code int) string {
	if n := C.limg_error_name(C.int(code)); n != nil {
		return C.GoString(n)
	}
	return C.GoString(C.limg_error_name(C.LIMG_ERROR))
}

func sentinel(code C.int, subject Subject, codes ...C.int) *Error {
	e := &Error{Code: int(code), Name: codeName(int(code)), Subject: subject, sentinel: true}
	e.Message = "libimage: " + C.GoString(C.limg_strerror(code))
	if subject != SubjectNone {
		e.Message += " (" + subject.String() + ")"
	}
	if len(codes) > 0 {
		e.match = func(x *Error) bool {
			for _, c := range codes {
				if x.Code == int(c) {
					return true
				}
			}
			return false
		}
	}
	return e
}

// Kinds of failure, for errors.Is.
var (
	ErrInvalid     = sentinel(C.LIMG_EINVALID, SubjectNone)
	ErrNoMemory    = sentinel(C.LIMG_ENOMEM, SubjectNone)
	ErrSystem      = sentinel(C.LIMG_ESYSTEM, SubjectNone)
	ErrNotFound    = sentinel(C.LIMG_ENOTFOUND, SubjectNone)
	ErrExists      = sentinel(C.LIMG_EEXISTS, SubjectNone)
	ErrCanceled    = sentinel(C.LIMG_ECANCELLED, SubjectNone)
	ErrUser        = sentinel(C.LIMG_EUSER, SubjectNone)
	ErrVersion     = sentinel(C.LIMG_EVERSION, SubjectNone)
	ErrCorrupt     = sentinel(C.LIMG_ECORRUPT, SubjectNone)
	ErrNoSpace     = sentinel(C.LIMG_ENOSPACE, SubjectNone)
	ErrTooBig      = sentinel(C.LIMG_ETOOBIG, SubjectNone)
	ErrUnsupported = sentinel(C.LIMG_EUNSUPPORTED, SubjectNone)
	ErrConflict    = sentinel(C.LIMG_ECONFLICT, SubjectNone)
	ErrPartial     = sentinel(C.LIMG_EPARTIAL, SubjectNone) // some images of a Sync failed (its report says which)
	// ErrInvalidReference matches every LIMG_EREF_* code and LIMG_EPATTERN.
	ErrInvalidReference = sentinel(C.LIMG_EREF_FORMAT, SubjectNone, C.LIMG_EREF_FORMAT, C.LIMG_EREF_UPPERCASE,
		C.LIMG_EREF_EMPTY, C.LIMG_EREF_TOOLONG, C.LIMG_EREF_NOTCANONICAL, C.LIMG_EREF_HEXNAME, C.LIMG_EREF_TAG,
		C.LIMG_EREF_DIGEST, C.LIMG_EPATTERN)
	// ErrInvalidDigest matches every malformed or unsupported digest.
	ErrInvalidDigest = sentinel(C.LIMG_EDIGEST_FORMAT, SubjectNone, C.LIMG_EDIGEST_FORMAT, C.LIMG_EDIGEST_LENGTH,
		C.LIMG_EDIGEST_UNSUPPORTED)
	ErrDigestMismatch = sentinel(C.LIMG_EDIGEST_MISMATCH, SubjectNone)
	ErrManifest       = sentinel(C.LIMG_EMANIFEST, SubjectNone)
	ErrPlatform       = sentinel(C.LIMG_EPLATFORM, SubjectNone)
	// ErrNetwork matches LIMG_ENETWORK and LIMG_ETIMEOUT.
	ErrNetwork     = sentinel(C.LIMG_ENETWORK, SubjectNone, C.LIMG_ENETWORK, C.LIMG_ETIMEOUT)
	ErrTimeout     = sentinel(C.LIMG_ETIMEOUT, SubjectNone)
	ErrHTTP        = sentinel(C.LIMG_EHTTP, SubjectNone)
	ErrAuth        = sentinel(C.LIMG_EAUTH, SubjectNone)
	ErrRateLimited = sentinel(C.LIMG_ERATELIMIT, SubjectNone)
	ErrTLS         = sentinel(C.LIMG_ETLS, SubjectNone)
	ErrRedirect    = sentinel(C.LIMG_EREDIRECT, SubjectNone)
	ErrProtocol    = sentinel(C.LIMG_EPROTOCOL, SubjectNone)
	ErrRejected    = sentinel(C.LIMG_EREJECTED, SubjectNone)  // the signature policy refused the image
	ErrSignature   = sentinel(C.LIMG_ESIGNATURE, SubjectNone) // a signature that does not verify
)

// What was not found, for errors.Is (each also matches ErrNotFound).
var (
	ErrImageNotFound      = sentinel(C.LIMG_ENOTFOUND, SubjectImage)      // Docker's "No such image"
	ErrTagNotFound        = sentinel(C.LIMG_ENOTFOUND, SubjectTag)        // no such tag
	ErrManifestNotFound   = sentinel(C.LIMG_ENOTFOUND, SubjectManifest)   // "manifest unknown"
	ErrBlobNotFound       = sentinel(C.LIMG_ENOTFOUND, SubjectBlob)       // a blob missing
	ErrRepositoryNotFound = sentinel(C.LIMG_ENOTFOUND, SubjectRepository) // no such repository
	ErrStoreNotFound      = sentinel(C.LIMG_ENOTFOUND, SubjectStore)      // no store there
)

// IsNotFound reports whether err says that a thing of the given subject
// does not exist (IsNotFound(err, SubjectImage): "No such image").
func IsNotFound(err error, subject Subject) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == int(C.LIMG_ENOTFOUND) && e.Subject == subject
}

// ErrClosed is matched by the errors of calls made on a closed Store,
// Session or Registry.
var ErrClosed = errors.New("libimage: closed")

type closedError struct{ what string }

func (e *closedError) Error() string        { return "libimage: the " + e.what + " is closed" }
func (e *closedError) Is(target error) bool { return target == ErrClosed }

func fromC(e *C.lg_error) *Error {
	return &Error{Code: int(e.code), Name: codeName(int(e.code)), Subject: Subject(e.subject),
		Object: C.GoString(&e.object[0]), Message: C.GoString(&e.message[0]), HTTPStatus: int(e.http_status),
		RegistryCode: C.GoString(&e.registry_code[0]), RetryAfter: time.Duration(e.retry_after) * time.Second}
}

func invalid(text string) *Error {
	return &Error{Code: int(C.LIMG_EINVALID), Name: codeName(int(C.LIMG_EINVALID)), Message: "invalid argument: " + text}
}
