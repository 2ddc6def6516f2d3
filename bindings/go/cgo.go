// SPDX-License-Identifier: MIT

// Package libimage binds libimage, a C library for container images, for Go:
// references parsed as Docker reads them; a store that is an OCI image
// layout; pull (every byte verified), listing, inspect, tag, remove, push,
// copy, save, load and unpack; registries asked directly, through sessions
// that keep each registry's settings, credentials, connections and tokens.
//
// The package is built with cgo against the installed library, found by
// pkg-config (`libimage.pc`). Every C call and the read of its error happen
// in one C function, on one OS thread, so an error always describes its own
// call, whatever the goroutines do. Strings holding a NUL are refused (C
// would cut them short). Every call that may block takes a context:
// cancelling it stops the call within a fraction of a second, and the error
// wraps ctx.Err().
//
// Each operation takes options of its own type (PullOption, PushOption,
// CopyOption, ...); an option that several operations understand, such as
// WithPlatform or WithProgress, is of a type that is all of them.
package libimage

/*
#cgo pkg-config: libimage
#include "helpers.h"
*/
import "C"

import (
	"strings"
	"time"
	"unsafe"
)

// Version is the C library's version ("1.0.0").
func Version() string { return C.GoString(C.limg_version()) }

// Platform is this machine's platform as images name it ("linux/amd64").
func Platform() string { return C.GoString(C.limg_platform_native()) }

// cmem holds C memory (copies of Go strings, arrays) for the duration of one call.
type cmem []unsafe.Pointer

// str returns a C copy of s (nil for "" when optional), or an error when s holds a NUL.
func (m *cmem) str(s, what string, optional bool) (*C.char, error) {
	if s == "" && optional {
		return nil, nil
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalid(what + " contains a NUL character")
	}
	p := C.CString(s)
	*m = append(*m, unsafe.Pointer(p))
	return p, nil
}

// alloc returns n zeroed bytes of C memory.
func (m *cmem) alloc(n uintptr) unsafe.Pointer {
	p := C.calloc(1, C.size_t(n))
	*m = append(*m, p)
	return p
}

// strs returns a C array of C copies of ss (nil when ss is empty).
func (m *cmem) strs(ss []string, what string) (**C.char, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	arr := (**C.char)(m.alloc(uintptr(len(ss)) * unsafe.Sizeof((*C.char)(nil))))
	slots := unsafe.Slice(arr, len(ss))
	for i, s := range ss {
		p, err := m.str(s, what, false)
		if err != nil {
			return nil, err
		}
		slots[i] = p
	}
	return arr, nil
}

func (m *cmem) free() {
	for _, p := range *m {
		C.free(p)
	}
	*m = nil
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

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// millis is d in whole milliseconds, rounded up (so that a short positive
// duration is not taken for 0, the default).
func millis(d time.Duration) C.long {
	if d <= 0 {
		return 0
	}
	return C.long((d + time.Millisecond - 1) / time.Millisecond)
}

// seconds is d in whole seconds, rounded up.
func seconds(d time.Duration) C.long {
	if d <= 0 {
		return 0
	}
	return C.long((d + time.Second - 1) / time.Second)
}
