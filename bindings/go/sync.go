// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"sync"
	"unsafe"
)

// SyncList is what Sync mirrors: repositories with their tag selections,
// images, and stores. ParseSyncList reads skopeo sync's YAML as it is.
// A SyncList is safe for use by several goroutines; Close frees it.
type SyncList struct {
	mu sync.Mutex
	h  *C.limg_sync_list
}

// SyncSelect chooses tags of a repository: exactly Tags (tags or digests),
// or the repository's tags filtered by a POSIX extended regular expression
// (TagRegex, TagExclude), a version range (Semver: ">=1.2 <2") and the
// Latest N versions. The zero value chooses every tag.
type SyncSelect struct {
	Tags       []string
	TagRegex   string
	TagExclude string
	Semver     string
	Latest     int
}

// ParseSyncList reads a source list in skopeo sync's YAML format; name (the
// file's) is named in errors with the line.
func ParseSyncList(text []byte, name string) (*SyncList, error) {
	var m cmem
	defer m.free()
	n, err := m.str(name, "name", true)
	if err != nil {
		return nil, err
	}
	data := C.CBytes(text)
	defer C.free(data)
	l := &SyncList{}
	var e C.lg_error
	if rc := C.lg_sync_list_parse(&l.h, (*C.char)(data), C.size_t(len(text)), n, &e); rc < 0 {
		return nil, fromC(&e)
	}
	return l, nil
}

// NewSyncList makes an empty list.
func NewSyncList() (*SyncList, error) {
	l := &SyncList{}
	var e C.lg_error
	if rc := C.lg_sync_list_new(&l.h, &e); rc < 0 {
		return nil, fromC(&e)
	}
	return l, nil
}

// Add names a repository ("registry.example.com/team/app": the tags sel
// chooses, every tag when sel is nil) or one image with a tag or digest
// (sel must then be nil).
func (l *SyncList) Add(source string, sel *SyncSelect) error {
	var m cmem
	defer m.free()
	src, err := m.str(source, "source", false)
	if err != nil {
		return err
	}
	var s *C.limg_sync_select
	if sel != nil {
		s = (*C.limg_sync_select)(m.alloc(unsafe.Sizeof(C.limg_sync_select{})))
		C.limg_sync_select_init(s, C.size_t(unsafe.Sizeof(*s)))
		if s.tags, err = m.strs(sel.Tags, "tag"); err != nil {
			return err
		}
		s.tags_len = C.size_t(len(sel.Tags))
		if s.tag_regex, err = m.str(sel.TagRegex, "tag regex", true); err != nil {
			return err
		}
		if s.tag_exclude, err = m.str(sel.TagExclude, "tag exclude", true); err != nil {
			return err
		}
		if s.semver, err = m.str(sel.Semver, "semver", true); err != nil {
			return err
		}
		s.latest = C.int(sel.Latest)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h == nil {
		return &closedError{"sync list"}
	}
	var e C.lg_error
	if rc := C.lg_sync_list_add(l.h, src, s, &e); rc < 0 {
		return fromC(&e)
	}
	return nil
}

// AddStore names every tagged image of a store (a directory a sync to a
// store wrote): the way back across an air gap.
func (l *SyncList) AddStore(path string) error { return l.addPath(path, false) }

// AddDir adds every image of a directory in skopeo's dir: layout (skopeo
// sync --src dir): DIR/NAME:TAG goes to DESTINATION/NAME:TAG.
func (l *SyncList) AddDir(path string) error { return l.addPath(path, true) }

// addPath adds a source read from a path when the sync runs.
func (l *SyncList) addPath(path string, dir bool) error {
	var m cmem
	defer m.free()
	p, err := m.str(path, "path", false)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h == nil {
		return &closedError{"sync list"}
	}
	var e C.lg_error
	var rc C.int
	if dir {
		rc = C.lg_sync_list_add_dir(l.h, p, &e)
	} else {
		rc = C.lg_sync_list_add_store(l.h, p, &e)
	}
	if rc < 0 {
		return fromC(&e)
	}
	return nil
}

// Close frees the list; it may be called more than once.
func (l *SyncList) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	C.limg_sync_list_free(l.h)
	l.h = nil
}

// SyncStatus is where an image of a sync ended.
type SyncStatus int

// The statuses (C's limg_sync_status).
const (
	SyncPending   SyncStatus = C.LIMG_SYNC_PENDING
	SyncRunning   SyncStatus = C.LIMG_SYNC_RUNNING
	SyncCopied    SyncStatus = C.LIMG_SYNC_COPIED
	SyncUpToDate  SyncStatus = C.LIMG_SYNC_UP_TO_DATE
	SyncFailed    SyncStatus = C.LIMG_SYNC_FAILED
	SyncWouldCopy SyncStatus = C.LIMG_SYNC_WOULD_COPY
)

// SyncImage is one image of a sync (or a repository whose tags could not be listed).
type SyncImage struct {
	Source, Destination string
	Status              SyncStatus
	Digest              string // what the destination's tag names (or would)
	Reason              string // "new tag", "tag moved", "up to date (HEAD)", or the failure's message
	Error               string // the failure's code name ("LIMG_ENOTFOUND"), or ""
	Bytes               int64  // blob bytes it moved
}

// SyncReport is what a sync did. JSON is the library's report for scripts,
// with the requests each registry received by kind.
type SyncReport struct {
	Images []SyncImage
	JSON   string
}

// Count is how many images ended in status.
func (r *SyncReport) Count(status SyncStatus) int {
	n := 0
	for _, i := range r.Images {
		if i.Status == status {
			n++
		}
	}
	return n
}

// SyncOption configures Sync.
type SyncOption interface{ applySync(*syncConfig) }

type syncConfig struct {
	session   *Session
	toStore   bool
	toDir     bool
	scoped    bool
	platform  string
	dryRun    bool
	failFast  bool
	jobs      int
	progress  func(Progress)
	referrers bool
	policy    *Policy
}

type syncOpt func(*syncConfig)

func (f syncOpt) applySync(c *syncConfig) { f(c) }

// SyncWithSession reaches registries through s.
func SyncWithSession(s *Session) SyncOption { return syncOpt(func(c *syncConfig) { c.session = s }) }

// SyncToStore writes to the store at the destination path rather than to a registry.
func SyncToStore() SyncOption { return syncOpt(func(c *syncConfig) { c.toStore = true }) }

// SyncToDir writes each image to DESTINATION/NAME:TAG in skopeo's dir: layout
// (skopeo sync --dest dir) rather than to a registry.
func SyncToDir() SyncOption { return syncOpt(func(c *syncConfig) { c.toDir = true }) }

// SyncScoped names images at the destination by their whole source name (skopeo's --scoped).
func SyncScoped() SyncOption { return syncOpt(func(c *syncConfig) { c.scoped = true }) }

// SyncPlatform copies only this platform's image of an index (default: the whole index).
func SyncPlatform(p string) SyncOption { return syncOpt(func(c *syncConfig) { c.platform = p }) }

// SyncDryRun decides and reports, changing nothing.
func SyncDryRun() SyncOption { return syncOpt(func(c *syncConfig) { c.dryRun = true }) }

// SyncFailFast stops at the first image that fails.
func SyncFailFast() SyncOption { return syncOpt(func(c *syncConfig) { c.failFast = true }) }

// SyncJobs sets how many images go at once (default 4).
func SyncJobs(n int) SyncOption { return syncOpt(func(c *syncConfig) { c.jobs = n }) }

// SyncReferrers carries each image's signatures and referrers with it, and
// to an image already up to date those the source gained since.
func SyncReferrers() SyncOption { return syncOpt(func(c *syncConfig) { c.referrers = true }) }

// SyncPolicy checks each source image against p before anything of it
// moves; an image p refuses fails (Error "LIMG_EREJECTED") and the others go on.
func SyncPolicy(p *Policy) SyncOption { return syncOpt(func(c *syncConfig) { c.policy = p }) }

// SyncProgress receives the blob events of every image (Detail: the image's
// destination) and EventOverall: images done of all.
func SyncProgress(f func(Progress)) SyncOption {
	return syncOpt(func(c *syncConfig) { c.progress = f })
}

// Sync mirrors list to destination ("registry[:port][/prefix]", or a store's
// path with SyncToStore), as skopeo sync does: each source tag costs a HEAD,
// an image the destination has already moves nothing, blobs images share
// move once. The report comes back also when some images failed; the error
// then matches ErrPartial.
func Sync(ctx context.Context, list *SyncList, destination string, opts ...SyncOption) (*SyncReport, error) {
	var cfg syncConfig
	for _, o := range opts {
		o.applySync(&cfg)
	}
	var m cmem
	defer m.free()
	dst, err := m.str(destination, "destination", false)
	if err != nil {
		return nil, err
	}
	o := (*C.limg_sync_opts)(m.alloc(unsafe.Sizeof(C.limg_sync_opts{})))
	C.limg_sync_opts_init(o, C.size_t(unsafe.Sizeof(*o)))
	switch {
	case cfg.toStore && cfg.toDir:
		return nil, invalid("SyncToStore and SyncToDir: one destination kind")
	case cfg.toStore:
		o.target = C.LIMG_SYNC_TO_STORE
	case cfg.toDir:
		o.target = C.LIMG_SYNC_TO_DIR
	}
	o.scoped = cbool(cfg.scoped)
	o.dry_run = cbool(cfg.dryRun)
	o.fail_fast = cbool(cfg.failFast)
	o.images_parallel = C.int(cfg.jobs)
	o.referrers = cbool(cfg.referrers)
	if p := cfg.policy; p != nil {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		o.policy = p.h
	}
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return nil, err
	}
	var session *C.limg_session
	var closing *C.limg_cancel
	if s := cfg.session; s != nil {
		if err := s.enter(); err != nil {
			return nil, err
		}
		defer s.leave()
		session, closing = s.h, s.closing
	}
	if err := canceled(ctx); err != nil {
		return nil, err
	}
	list.mu.Lock()
	defer list.mu.Unlock()
	if list.h == nil {
		return nil, &closedError{"sync list"}
	}
	cancel, release := token(ctx, closing)
	defer release()
	o.cancel = cancel
	c := newCall(ctx, cfg.progress)
	defer c.done()
	var rep *C.limg_sync_report
	var e C.lg_error
	rc := C.lg_sync(&rep, session, list.h, dst, o, c.h(), c.want(), &e)
	callErr := c.result(rc, &e, cfg.session)
	if rep == nil {
		return nil, callErr
	}
	defer C.limg_sync_report_free(rep)
	r := &SyncReport{}
	for i := C.size_t(0); i < C.limg_sync_report_count(rep); i++ {
		im := C.limg_sync_report_image(rep, i)
		si := SyncImage{Source: goString(C.limg_sync_image_source(im)),
			Destination: goString(C.limg_sync_image_destination(im)),
			Status:      SyncStatus(C.limg_sync_image_status(im)), Digest: goString(C.limg_sync_image_digest(im)),
			Reason: goString(C.limg_sync_image_reason(im)), Bytes: int64(C.limg_sync_image_bytes(im))}
		if code := C.limg_sync_image_error(im); code != 0 {
			si.Error = codeName(int(code))
		}
		r.Images = append(r.Images, si)
	}
	var out C.limg_buf
	var je C.lg_error
	if C.lg_sync_report_json(&out, rep, &je) == 0 {
		r.JSON = takeBuf(&out)
	}
	return r, callErr
}
