// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"sync"
)

// life is what Store, Session and Registry share: Close may come while
// other goroutines are inside calls. Each call counts itself in (enter) and
// out (leave); Close asks the running calls to stop (they link the closing
// token) and frees the C object when the last of them has returned; calls
// that start after Close get ErrClosed.
type life struct {
	what     string // "store", "session", "registry": for ErrClosed
	mu       sync.Mutex
	inflight int
	closed   bool
	closing  *C.limg_cancel
	release  func() // frees the C object(s), once
}

func (l *life) init(what string, release func()) error {
	l.what, l.release = what, release
	var e C.lg_error
	if rc := C.limg_cancel_new(&l.closing); rc < 0 {
		e.code = rc
		return fromC(&e)
	}
	return nil
}

func (l *life) enter() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return &closedError{l.what}
	}
	l.inflight++
	return nil
}

func (l *life) leave() {
	l.mu.Lock()
	l.inflight--
	last := l.closed && l.inflight == 0
	l.mu.Unlock()
	if last {
		l.free()
	}
}

func (l *life) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	C.limg_cancel_request(l.closing)
	last := l.inflight == 0
	l.mu.Unlock()
	if last {
		l.free()
	}
}

func (l *life) free() {
	l.release()
	C.limg_cancel_free(l.closing)
	l.closing = nil
}

// token is the cancellation token of one call: requested when ctx is done,
// and whenever one of @parents is (the closing tokens of the handles the
// call uses; nil ones are skipped). Release it after the call.
func token(ctx context.Context, parents ...*C.limg_cancel) (*C.limg_cancel, func()) {
	var t *C.limg_cancel
	C.limg_cancel_new(&t)
	for _, p := range parents {
		if p != nil {
			C.limg_cancel_link(t, p)
		}
	}
	if ctx.Done() == nil { // context.Background(): nothing to watch
		return t, func() { C.limg_cancel_free(t) }
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
	if err.Code == int(C.LIMG_ECANCELLED) && ctx.Err() != nil {
		err.cause = ctx.Err()
	}
	return err
}

// canceled is the error of a call whose context was done before it
// started (or between the steps of a call the library cannot stop).
func canceled(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return &Error{Code: int(C.LIMG_ECANCELLED), Name: codeName(int(C.LIMG_ECANCELLED)),
		Message: "the operation was cancelled: " + ctx.Err().Error(), cause: ctx.Err()}
}
