package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"errors"
	"time"
)

// Error is a libimage failure. Match kinds with errors.Is and the sentinels
// below (errors.Is(err, libimage.ErrNotFound)); a call stopped by its context
// also matches ctx.Err() (context.Canceled, context.DeadlineExceeded).
type Error struct {
	Code         int           // the library's code (negative)
	Name         string        // its name: "LIMG_ENOTFOUND"
	Message      string        // what the library says
	HTTPStatus   int           // of the registry answer behind it, or 0
	RegistryCode string        // the registry's own code ("MANIFEST_UNKNOWN"), or ""
	RetryAfter   time.Duration // what a registry asked to wait, or 0
	cause        error
}

func (e *Error) Error() string { return e.Message }

// Unwrap gives the context's error for a call its context stopped.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether e is of the kind of a sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || !sentinels[t] {
		return false
	}
	if t == ErrInvalidReference {
		return e.Code <= -100 && e.Code >= -108
	}
	if t == ErrNetwork {
		return e.Code == -160 || e.Code == -161
	}
	return e.Code == t.Code
}

func sentinel(code int, name, text string) *Error {
	return &Error{Code: code, Name: name, Message: "libimage: " + text}
}

// Kinds of failure, for errors.Is.
var (
	ErrInvalid          = sentinel(-2, "LIMG_EINVALID", "invalid argument")
	ErrNotFound         = sentinel(-5, "LIMG_ENOTFOUND", "not found")
	ErrExists           = sentinel(-6, "LIMG_EEXISTS", "exists already")
	ErrCanceled         = sentinel(-7, "LIMG_ECANCELLED", "canceled")
	ErrCorrupt          = sentinel(-10, "LIMG_ECORRUPT", "damaged data")
	ErrNoSpace          = sentinel(-11, "LIMG_ENOSPACE", "no space left")
	ErrTooBig           = sentinel(-12, "LIMG_ETOOBIG", "over a limit")
	ErrUnsupported      = sentinel(-13, "LIMG_EUNSUPPORTED", "unsupported")
	ErrConflict         = sentinel(-14, "LIMG_ECONFLICT", "conflict")
	ErrInvalidReference = sentinel(-100, "LIMG_EREF_FORMAT", "invalid reference") // any LIMG_EREF_*
	ErrDigestMismatch   = sentinel(-123, "LIMG_EDIGEST_MISMATCH", "digest mismatch")
	ErrManifest         = sentinel(-140, "LIMG_EMANIFEST", "invalid manifest")
	ErrPlatform         = sentinel(-141, "LIMG_EPLATFORM", "no image for the platform")
	ErrNetwork          = sentinel(-160, "LIMG_ENETWORK", "network failure") // also LIMG_ETIMEOUT
	ErrTimeout          = sentinel(-161, "LIMG_ETIMEOUT", "timed out")
	ErrAuth             = sentinel(-163, "LIMG_EAUTH", "authentication required or refused")
	ErrRateLimited      = sentinel(-164, "LIMG_ERATELIMIT", "too many requests")
	ErrTLS              = sentinel(-165, "LIMG_ETLS", "TLS failed")
)

// ErrClosed is returned by the calls made on a closed Store.
var ErrClosed = errors.New("libimage: the store is closed")

var sentinels = map[*Error]bool{ErrInvalid: true, ErrNotFound: true, ErrExists: true, ErrCanceled: true,
	ErrCorrupt: true, ErrNoSpace: true, ErrTooBig: true, ErrUnsupported: true, ErrConflict: true,
	ErrInvalidReference: true, ErrDigestMismatch: true, ErrManifest: true, ErrPlatform: true, ErrNetwork: true,
	ErrTimeout: true, ErrAuth: true, ErrRateLimited: true, ErrTLS: true}

func fromC(e *C.lg_error) *Error {
	return &Error{Code: int(e.code), Name: C.GoString(&e.name[0]), Message: C.GoString(&e.message[0]),
		HTTPStatus: int(e.http_status), RegistryCode: C.GoString(&e.registry_code[0]),
		RetryAfter: time.Duration(e.retry_after) * time.Second}
}

func invalid(text string) *Error {
	return &Error{Code: -2, Name: "LIMG_EINVALID", Message: text}
}
