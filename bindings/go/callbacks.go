package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// call is what one C call's callbacks reach, through a cgo.Handle: the
// caller's functions, what they collect, and the first failure among them
// (a panic, or an error from the credentials function), which stops the
// call and is returned (or re-panicked) after it.
type call struct {
	mu           sync.Mutex // callbacks may come from the library's threads
	progress     func(Progress)
	pushProgress func(PushProgress)
	credentials  func(host string) (user, secret string, err error)
	steps        []RemoveStep
	removed      []string
	names        []string
	loaded       []Loaded
	err          error
	panicked     interface{}
}

func newCall() (*call, cgo.Handle) {
	c := &call{}
	return c, cgo.NewHandle(c)
}

// sendBlobs runs a push or a copy (run, given the progress handle or 0):
// the caller's WithPushProgress armed, the digest it answers taken out of
// C memory, and its failure or the callbacks' returned.
func (c *call) sendBlobs(ctx context.Context, st *settings, handle cgo.Handle,
	run func(progress C.uintptr_t, out *C.limg_buf, e *C.lg_error) C.int) (string, error) {
	c.pushProgress = st.pushProgress
	var progress C.uintptr_t
	if st.pushProgress != nil {
		progress = C.uintptr_t(handle)
	}
	var out C.limg_buf
	var e C.lg_error
	if run(progress, &out, &e) < 0 {
		return "", c.finish(failure(ctx, &e))
	}
	return takeBuf(&out), c.finish(nil)
}

func (c *call) guard(f func()) (stop C.int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || c.panicked != nil {
		return 1
	}
	defer func() {
		if p := recover(); p != nil {
			c.panicked = p
			stop = 1
		}
	}()
	f()
	if c.err != nil {
		return 1
	}
	return 0
}

// finish re-panics a callback's panic; else gives its error, else @err.
func (c *call) finish(err error) error {
	if c.panicked != nil {
		panic(c.panicked)
	}
	if c.err != nil {
		return c.err
	}
	return err
}

func callOf(h C.uintptr_t) *call { return cgo.Handle(h).Value().(*call) }

//export lgPullProgress
func lgPullProgress(h C.uintptr_t, digest *C.char, kind, event C.int, done, total C.int64_t) C.int {
	c := callOf(h)
	return c.guard(func() {
		if c.progress != nil {
			c.progress(Progress{Digest: goString(digest), Kind: BlobKind(kind), Event: PullEvent(event),
				Done: int64(done), Total: int64(total)})
		}
	})
}

//export lgPushProgress
func lgPushProgress(h C.uintptr_t, digest *C.char, kind, event C.int, done, total C.int64_t, from *C.char) C.int {
	c := callOf(h)
	return c.guard(func() {
		if c.pushProgress != nil {
			c.pushProgress(PushProgress{Digest: goString(digest), Kind: BlobKind(kind), Event: PushEvent(event),
				Done: int64(done), Total: int64(total), From: goString(from)})
		}
	})
}

//export lgRemoveStep
func lgRemoveStep(h C.uintptr_t, event C.int, what *C.char) C.int {
	c := callOf(h)
	return c.guard(func() { c.steps = append(c.steps, RemoveStep{Event: RemoveEvent(event), What: goString(what)}) })
}

//export lgGcRemoved
func lgGcRemoved(h C.uintptr_t, what *C.char, size C.int64_t) C.int {
	c := callOf(h)
	return c.guard(func() { c.removed = append(c.removed, goString(what)) })
}

//export lgName
func lgName(h C.uintptr_t, name *C.char) C.int {
	c := callOf(h)
	return c.guard(func() { c.names = append(c.names, goString(name)) })
}

//export lgLoaded
func lgLoaded(h C.uintptr_t, reference, id *C.char) C.int {
	c := callOf(h)
	return c.guard(func() { c.loaded = append(c.loaded, Loaded{Reference: goString(reference), ID: goString(id)}) })
}

//export lgCredentials
func lgCredentials(h C.uintptr_t, user, secret *C.limg_buf, host *C.char) C.int {
	c := callOf(h)
	return c.guard(func() {
		if c.credentials == nil {
			return
		}
		u, s, err := c.credentials(goString(host))
		if err != nil {
			c.err = fmt.Errorf("libimage: credentials for %s: %w", goString(host), err)
			return
		}
		for _, v := range []struct {
			buf *C.limg_buf
			s   string
		}{{user, u}, {secret, s}} {
			if v.s == "" {
				continue
			}
			p := C.CString(v.s)
			C.limg_buf_set(v.buf, unsafe.Pointer(p), C.size_t(len(v.s)))
			C.free(unsafe.Pointer(p))
		}
	})
}

// cgoHandle is a second handle on an existing call (for callbacks of a nested C call).
func cgoHandle(c *call) cgo.Handle { return cgo.NewHandle(c) }
