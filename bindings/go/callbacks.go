// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"io"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// call is what one C call's callbacks reach, through a cgo.Handle: the
// caller's functions and streams, what the callbacks collect, and the first
// failure among them (a panic, or an error of a stream), which stops the
// call and is returned (or re-panicked) after it.
type call struct {
	mu       sync.Mutex // callbacks may come from the library's threads
	ctx      context.Context
	handle   cgo.Handle
	progress func(Progress)
	w        io.Writer
	r        io.Reader
	eof      bool
	steps    []RemoveStep
	removed  []string
	names    []string
	loaded   []Loaded
	found    []Referrer
	err      error
	panicked interface{}
}

func newCall(ctx context.Context, progress func(Progress)) *call {
	c := &call{ctx: ctx, progress: progress}
	c.handle = cgo.NewHandle(c)
	return c
}

// h is the payload the C helpers pass to the callbacks.
func (c *call) h() C.uintptr_t { return C.uintptr_t(c.handle) }

// want says which optional callbacks the C helper arms.
func (c *call) want() C.int {
	var w C.int
	if c.progress != nil {
		w |= C.LG_PROGRESS
	}
	if c.w != nil || c.r != nil {
		w |= C.LG_STREAM
	}
	return w
}

func (c *call) done() { c.handle.Delete() }

// guard runs one callback: a panic or an error it records stops the call
// (a positive return: the library answers LIMG_EUSER, replaced by the
// recorded failure in result).
func (c *call) guard(f func()) (stop C.int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || c.panicked != nil {
		return 1
	}
	if err := canceled(c.ctx); err != nil { // also stops calls the library cannot cancel
		c.err = err
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

// result is the call's outcome: a callback's panic is raised again here,
// a callback's error (or the credentials function's, through the session)
// comes first, else the library's error for rc < 0.
func (c *call) result(rc C.int, e *C.lg_error, sessions ...*Session) error {
	c.mu.Lock()
	p, err := c.panicked, c.err
	c.mu.Unlock()
	if p != nil {
		panic(p)
	}
	if err != nil {
		return err
	}
	if rc >= 0 {
		return nil
	}
	for _, s := range sessions {
		if s != nil {
			if err := s.creds.take(int(rc)); err != nil {
				return err
			}
		}
	}
	return failure(c.ctx, e)
}

func callOf(h C.uintptr_t) *call { return cgo.Handle(h).Value().(*call) }

//export lgProgress
func lgProgress(h C.uintptr_t, digest *C.char, kind, event C.int, done, total C.int64_t, detail *C.char) C.int {
	c := callOf(h)
	return c.guard(func() {
		if c.progress != nil {
			c.progress(Progress{Digest: goString(digest), Kind: BlobKind(kind), Event: Event(event),
				Done: int64(done), Total: int64(total), Detail: goString(detail)})
		}
	})
}

//export lgWrite
func lgWrite(h C.uintptr_t, data unsafe.Pointer, n C.size_t) C.int {
	c := callOf(h)
	return c.guard(func() {
		if _, err := c.w.Write(unsafe.Slice((*byte)(data), int(n))); err != nil {
			c.err = err
		}
	})
}

// maxEmptyReads is how many (0, nil) answers of a Reader in a row are
// taken before it counts as stuck (as bufio does).
const maxEmptyReads = 100

//export lgRead
func lgRead(h C.uintptr_t, outLen *C.size_t, buf unsafe.Pointer, capacity C.size_t) C.int {
	c := callOf(h)
	*outLen = 0
	return c.guard(func() {
		if c.eof {
			return
		}
		p := unsafe.Slice((*byte)(buf), int(capacity))
		for i := 0; i < maxEmptyReads; i++ {
			n, err := c.r.Read(p)
			if n > 0 || err != nil {
				*outLen = C.size_t(n)
				if err == io.EOF {
					c.eof = true
				} else if err != nil {
					c.err = err
				}
				return
			}
		}
		c.err = io.ErrNoProgress
	})
}

//export lgRemoveStep
func lgRemoveStep(h C.uintptr_t, event C.int, what *C.char) C.int {
	c := callOf(h)
	return c.guard(func() { c.steps = append(c.steps, RemoveStep{Event: RemoveEvent(event), What: goString(what)}) })
}

//export lgGCRemoved
func lgGCRemoved(h C.uintptr_t, what *C.char, size C.int64_t) C.int {
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

//export lgReferrer
func lgReferrer(h C.uintptr_t, mediaType, digest *C.char, size C.int64_t, artifactType, created *C.char) C.int {
	c := callOf(h)
	return c.guard(func() {
		c.found = append(c.found, Referrer{MediaType: goString(mediaType), Digest: goString(digest), Size: int64(size),
			ArtifactType: goString(artifactType), Created: goString(created)})
	})
}
