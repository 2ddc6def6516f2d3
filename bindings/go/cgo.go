// Package libimage binds libimage, a C library for container images, for Go:
// references parsed as Docker reads them; a store that is an OCI image
// layout; pull (every byte verified), listing, inspect, tag, remove, push,
// copy, save, load and unpack; registries asked directly.
//
// The package is built with cgo against the installed library, found by
// pkg-config (`libimage.pc`). Every C call and the read of its error happen
// in one C function, on one OS thread, so an error always describes its own
// call, whatever the goroutines do. Strings holding a NUL are refused (C
// would cut them short). Calls take a context: cancelling it stops the call
// within a fraction of a second, and the error wraps ctx.Err().
package libimage

/*
#cgo pkg-config: libimage
#include "helpers.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Version is the C library's version ("0.2.0").
func Version() string { return C.GoString(C.limg_version()) }

// Platform is this machine's platform as images name it ("linux/amd64").
func Platform() string { return C.GoString(C.limg_platform_host()) }

// cstrings holds C copies of Go strings for the duration of one call.
type cstrings []unsafe.Pointer

// add returns a C copy of s (nil for "" when optional), or an error when s holds a NUL.
func (cs *cstrings) add(s, what string, optional bool) (*C.char, error) {
	if s == "" && optional {
		return nil, nil
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalid(what + " contains a NUL character")
	}
	p := C.CString(s)
	*cs = append(*cs, unsafe.Pointer(p))
	return p, nil
}

func (cs *cstrings) free() {
	for _, p := range *cs {
		C.free(p)
	}
	*cs = nil
}

func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

func takeBuf(b *C.limg_buf) string {
	s := C.GoStringN(b.ptr, C.int(b.size))
	C.limg_buf_dispose(b)
	return s
}
