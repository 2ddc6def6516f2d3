// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"os"
	"strconv"
	"time"
	"unsafe"
)

// Building images without a daemon: layers written reproducibly from
// directories, files, tars and image differences; a Builder for the config;
// Flatten, Rebase and Index on stored images; BuildSpec for limg-build's
// JSON. SOURCE_DATE_EPOCH (or WithCreated) is every time in what is built.

// BuiltLayer is a layer a Builder stored: its blob's digest and size, its tar's
// digest (the config's diff_id) and size, and its compression.
type BuiltLayer struct {
	Digest      string
	DiffID      string
	Size        int64
	TarSize     int64
	Compression string // "gzip", "zstd" or "none"
}

// Codec is how a new layer is compressed.
type Codec int

const (
	Gzip         Codec = C.LIMG_LAYER_GZIP         // libdeflate, level 6 by default (1-12)
	Zstd         Codec = C.LIMG_LAYER_ZSTD         // libzstd, level 3 by default (1-19)
	Uncompressed Codec = C.LIMG_LAYER_UNCOMPRESSED // a plain tar
)

// Times is what mtimes a new layer's entries get.
type Times int

const (
	TimesEpoch Times = C.LIMG_TIMES_EPOCH // every entry: the epoch (SOURCE_DATE_EPOCH, WithCreated, else 1970)
	TimesClamp Times = C.LIMG_TIMES_CLAMP // the file's own, none later than the epoch
	TimesKeep  Times = C.LIMG_TIMES_KEEP  // the file's own
)

// Format is the media types of a built image.
type Format int

const (
	FormatAuto   Format = C.LIMG_FORMAT_AUTO   // the base's; OCI from scratch
	FormatOCI    Format = C.LIMG_FORMAT_OCI    // OCI's
	FormatDocker Format = C.LIMG_FORMAT_DOCKER // Docker schema 2 (no zstd layers)
)

// File is an entry of Builder.AddFiles: a regular file's bytes from Source
// (a host path) or Data, a directory (Dir), or a symlink to Link; Mode 0
// is the source's (else 0644, 0755, 0777).
type File struct {
	Path   string
	Source string
	Data   []byte
	Dir    bool
	Link   string
	Mode   uint32
	UID    uint32
	GID    uint32
}

// Healthcheck is Dockerfile HEALTHCHECK: Test is {"CMD", args...},
// {"CMD-SHELL", command} or {"NONE"}.
type Healthcheck struct {
	Test          []string
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
}

type buildConfig struct {
	prefix            string
	removed           []string
	keepOwner         bool
	uid, gid          uint32
	times             Times
	codec             Codec
	level             int
	noXattrs          bool
	createdBy         string
	comment           string
	format            Format
	created           *int64
	noBaseAnnotations bool
}

// LayerOption configures the Builder's Add* methods.
type LayerOption interface {
	option
	layerOption()
}

// BuilderOption configures Store.NewBuilder.
type BuilderOption interface {
	option
	builderOption()
}

// FlattenOption configures Store.Flatten.
type FlattenOption interface {
	option
	flattenOption()
}

// RebaseOption configures Store.Rebase.
type RebaseOption interface {
	option
	rebaseOption()
}

// SpecOption configures Store.BuildSpec.
type SpecOption interface {
	option
	specOption()
}

func (PlatformOption) layerOption()   {}
func (PlatformOption) builderOption() {}
func (PlatformOption) rebaseOption()  {}
func (ProgressOption) layerOption()   {}
func (ProgressOption) flattenOption() {}
func (ProgressOption) specOption()    {}

type layerOnly func(*buildConfig)

func (f layerOnly) apply(c *opConfig) { f(&c.build) }
func (layerOnly) layerOption()        {}

// WithPrefix puts a directory's root (or the files) at prefix in the image ("/app").
func WithPrefix(prefix string) LayerOption {
	return layerOnly(func(c *buildConfig) { c.prefix = prefix })
}

// WithRemoved whites out these in-image paths of the layers below.
func WithRemoved(paths ...string) LayerOption {
	return layerOnly(func(c *buildConfig) { c.removed = append(c.removed, paths...) })
}

// WithKeepOwner keeps the files' numeric uid and gid (default 0:0).
func WithKeepOwner() LayerOption { return layerOnly(func(c *buildConfig) { c.keepOwner = true }) }

// WithOwner gives every entry uid:gid.
func WithOwner(uid, gid uint32) LayerOption {
	return layerOnly(func(c *buildConfig) { c.uid, c.gid, c.keepOwner = uid, gid, false })
}

// WithTimes chooses the entries' mtimes (default TimesEpoch).
func WithTimes(t Times) LayerOption { return layerOnly(func(c *buildConfig) { c.times = t }) }

// WithoutXattrs leaves extended attributes out (default: all but security.selinux).
func WithoutXattrs() LayerOption { return layerOnly(func(c *buildConfig) { c.noXattrs = true }) }

// WithHistory sets the layer's history entry: created_by and comment.
func WithHistory(createdBy, comment string) LayerOption {
	return layerOnly(func(c *buildConfig) { c.createdBy, c.comment = createdBy, comment })
}

// CompressionOption sets how a new layer is compressed; for the Builder's Add* methods and Flatten.
type CompressionOption struct {
	codec Codec
	level int
}

// WithCompression compresses new layers with codec at level (0: its default).
func WithCompression(codec Codec, level int) CompressionOption {
	return CompressionOption{codec, level}
}

func (o CompressionOption) apply(c *opConfig) { c.build.codec, c.build.level = o.codec, o.level }
func (CompressionOption) layerOption()        {}
func (CompressionOption) flattenOption()      {}

type builderOnly func(*buildConfig)

func (f builderOnly) apply(c *opConfig) { f(&c.build) }
func (builderOnly) builderOption()      {}

// WithFormat chooses OCI or Docker media types (default: the base's).
func WithFormat(f Format) BuilderOption { return builderOnly(func(c *buildConfig) { c.format = f }) }

// WithCreated is the image's time, its new history entries' and (with
// TimesEpoch) its files' mtimes. Default: SOURCE_DATE_EPOCH when set, else
// the base's time (files: 1970).
func WithCreated(t time.Time) BuilderOption {
	return builderOnly(func(c *buildConfig) { s := t.Unix(); c.created = &s })
}

// BaseAnnotationsOption says whether the base is recorded as
// org.opencontainers.image.base.name and .digest; for NewBuilder and Rebase.
type BaseAnnotationsOption bool

// WithoutBaseAnnotations does not record the base in the manifest's annotations.
func WithoutBaseAnnotations() BaseAnnotationsOption { return BaseAnnotationsOption(false) }

func (o BaseAnnotationsOption) apply(c *opConfig) { c.build.noBaseAnnotations = !bool(o) }
func (BaseAnnotationsOption) builderOption()      {}
func (BaseAnnotationsOption) rebaseOption()       {}

// sourceDateEpoch is $SOURCE_DATE_EPOCH, when set to a whole number.
func sourceDateEpoch() (int64, bool) {
	v, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	return v, err == nil && v >= 0
}

// Builder is an image being built (Store.NewBuilder): add layers, set the
// config, Commit. Safe for use from one goroutine at a time; Close when done.
type Builder struct {
	life
	h     *C.limg_builder
	store *Store
	epoch int64 // the layers' mtimes
	// the directories a layer writes above its files come from the base (not new 0755 ones)
	base, platform string
}

// NewBuilder starts an image on base (a stored image: reference, digest or
// ID), or from nothing when base is "" or "scratch". Options: WithPlatform
// (of a base index; of scratch: the image's), WithFormat, WithCreated,
// WithoutBaseAnnotations.
func (s *Store) NewBuilder(ctx context.Context, base string, opts ...BuilderOption) (*Builder, error) {
	cfg := collect(opts).build
	pcfg := collect(opts)
	var m cmem
	defer m.free()
	b, err := m.str(base, "base", true)
	if err != nil {
		return nil, err
	}
	var o C.limg_builder_opts
	C.limg_builder_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(pcfg.platform, "platform", true); err != nil {
		return nil, err
	}
	o.format = C.int(cfg.format)
	bl := &Builder{store: s, platform: pcfg.platform}
	if base != "scratch" {
		bl.base = base
	}
	if cfg.created == nil {
		if v, ok := sourceDateEpoch(); ok {
			cfg.created = &v
		}
	}
	if cfg.created != nil {
		o.set_created, o.created, bl.epoch = 1, C.int64_t(*cfg.created), *cfg.created
	}
	o.no_base_annotations = cbool(cfg.noBaseAnnotations)
	end, err := s.quick(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	var e C.lg_error
	if C.lg_builder_new(&bl.h, s.h, b, &o, &e) < 0 {
		return nil, failure(ctx, &e)
	}
	if err := bl.life.init("builder", func() {
		C.limg_builder_free(bl.h)
		bl.h = nil
	}); err != nil {
		C.limg_builder_free(bl.h)
		return nil, err
	}
	return bl, nil
}

// Close frees the builder (what it stored stays until a GC).
func (b *Builder) Close() error {
	b.close()
	return nil
}

// add makes a layer of kind and appends it.
func (b *Builder) add(ctx context.Context, kind C.int, x, y string, fd int, files []File, opts []LayerOption) (*BuiltLayer, error) {
	pcfg := collect(opts)
	cfg := pcfg.build
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	var m cmem
	defer m.free()
	a, err := m.str(x, "path", true)
	if err != nil {
		return nil, err
	}
	a2, err := m.str(y, "path", true)
	if err != nil {
		return nil, err
	}
	var o C.limg_layer_opts
	C.limg_layer_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.compression, o.level, o.times, o.epoch = C.int(cfg.codec), C.int(cfg.level), C.int(cfg.times), C.int64_t(b.epoch)
	if cfg.keepOwner {
		o.owner = C.LIMG_OWNER_KEEP
	}
	o.uid, o.gid = C.uint32_t(cfg.uid), C.uint32_t(cfg.gid)
	if o.prefix, err = m.str(cfg.prefix, "prefix", true); err != nil {
		return nil, err
	}
	if o.removed, err = m.strs(cfg.removed, "removed path"); err != nil {
		return nil, err
	}
	o.removed_len = C.size_t(len(cfg.removed))
	o.no_xattrs = cbool(cfg.noXattrs)
	platform := pcfg.platform
	if platform == "" && kind != C.LG_LAYER_DIFF {
		platform = b.platform
	}
	if o.platform, err = m.str(platform, "platform", true); err != nil {
		return nil, err
	}
	if kind != C.LG_LAYER_DIFF {
		if o.base, err = m.str(b.base, "base", true); err != nil {
			return nil, err
		}
	}
	var arr **C.limg_layer_file
	if kind == C.LG_LAYER_FILES && len(files) > 0 {
		arr = (**C.limg_layer_file)(m.alloc(uintptr(len(files)) * unsafe.Sizeof((*C.limg_layer_file)(nil))))
		slots := unsafe.Slice(arr, len(files))
		for i, f := range files {
			cf := (*C.limg_layer_file)(m.alloc(unsafe.Sizeof(C.limg_layer_file{})))
			C.limg_layer_file_init(cf, C.size_t(unsafe.Sizeof(*cf)))
			if cf.path, err = m.str(f.Path, "path", false); err != nil {
				return nil, err
			}
			switch {
			case f.Dir:
				cf._type = C.LIMG_FILE_DIRECTORY
			case f.Link != "":
				cf._type = C.LIMG_FILE_SYMLINK
				if cf.link, err = m.str(f.Link, "link", false); err != nil {
					return nil, err
				}
			}
			if cf.source, err = m.str(f.Source, "source", true); err != nil {
				return nil, err
			}
			if len(f.Data) > 0 {
				p := m.alloc(uintptr(len(f.Data)))
				copy(unsafe.Slice((*byte)(p), len(f.Data)), f.Data)
				cf.data, cf.data_len = p, C.size_t(len(f.Data))
			}
			cf.mode, cf.uid, cf.gid = C.uint(f.Mode), C.uint32_t(f.UID), C.uint32_t(f.GID)
			slots[i] = cf
		}
	}
	cancel, end, err := b.store.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer end()
	o.cancel = cancel
	c := newCall(ctx, pcfg.progress)
	defer c.done()
	var l *C.limg_layer
	var e C.lg_error
	rc := C.lg_layer_new(&l, b.store.h, kind, a, a2, C.int(fd), arr, C.size_t(len(files)), &o, c.h(), c.want(), &e)
	if err := c.result(rc, &e); err != nil {
		return nil, err
	}
	defer C.limg_layer_free(l)
	layer := &BuiltLayer{Digest: goString(C.limg_layer_digest(l)), DiffID: goString(C.limg_layer_diff_id(l)),
		Size: int64(C.limg_layer_size(l)), TarSize: int64(C.limg_layer_tar_size(l))}
	switch C.limg_layer_compression(l) {
	case C.LIMG_COMPRESSION_GZIP:
		layer.Compression = "gzip"
	case C.LIMG_COMPRESSION_ZSTD:
		layer.Compression = "zstd"
	default:
		layer.Compression = "none"
	}
	cb, err := m.str(cfg.createdBy, "created_by", true)
	if err != nil {
		return nil, err
	}
	cm, err := m.str(cfg.comment, "comment", true)
	if err != nil {
		return nil, err
	}
	if C.lg_builder_append(b.h, l, cb, cm, &e) < 0 {
		return nil, failure(ctx, &e)
	}
	return layer, nil
}

// AddDir appends a layer of everything beneath dir, written reproducibly
// (sorted, parents present, owners 0:0 unless WithKeepOwner or WithOwner,
// mtimes the epoch unless WithTimes). Options: WithPrefix, WithRemoved,
// WithKeepOwner, WithOwner, WithTimes, WithoutXattrs, WithCompression,
// WithHistory, WithProgress.
func (b *Builder) AddDir(ctx context.Context, dir string, opts ...LayerOption) (*BuiltLayer, error) {
	return b.add(ctx, C.LG_LAYER_DIR, dir, "", -1, nil, opts)
}

// AddFiles appends a layer of listed files (as ko and jib make).
func (b *Builder) AddFiles(ctx context.Context, files []File, opts ...LayerOption) (*BuiltLayer, error) {
	return b.add(ctx, C.LG_LAYER_FILES, "", "", -1, files, opts)
}

// AddTar appends a tar (plain, gzip or zstd) read from f to its end: a
// compressed one as it is, a plain one compressed (crane append -f).
func (b *Builder) AddTar(ctx context.Context, f *os.File, opts ...LayerOption) (*BuiltLayer, error) {
	return b.add(ctx, C.LG_LAYER_TAR, "", "", int(f.Fd()), nil, opts)
}

// AddDiff appends what dir, a changed copy of image's root filesystem,
// changes (umoci repack): new and changed files, whiteouts for removed ones.
func (b *Builder) AddDiff(ctx context.Context, image, dir string, opts ...LayerOption) (*BuiltLayer, error) {
	return b.add(ctx, C.LG_LAYER_DIFF, image, dir, -1, nil, opts)
}

// AddBlob appends a layer the store holds, by its blob's digest.
func (b *Builder) AddBlob(ctx context.Context, digest string, opts ...LayerOption) (*BuiltLayer, error) {
	return b.add(ctx, C.LG_LAYER_BLOB, digest, "", -1, nil, opts)
}

func (b *Builder) set(what C.int, x, y string, xOpt, yOpt bool) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	var m cmem
	defer m.free()
	cx, err := m.str(x, "value", xOpt)
	if err != nil {
		return err
	}
	cy, err := m.str(y, "value", yOpt)
	if err != nil {
		return err
	}
	var e C.lg_error
	if C.lg_builder_set(b.h, what, cx, cy, &e) < 0 {
		return failure(context.Background(), &e)
	}
	return nil
}

func (b *Builder) list(cmd int, args []string, unset bool) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	var m cmem
	defer m.free()
	arr, err := m.strs(args, "argument")
	if err != nil {
		return err
	}
	var e C.lg_error
	if C.lg_builder_set_list(b.h, C.int(cmd), arr, C.size_t(len(args)), cbool(unset), &e) < 0 {
		return failure(context.Background(), &e)
	}
	return nil
}

// SetEntrypoint sets Entrypoint; nil removes it ([]string{} sets an empty list).
func (b *Builder) SetEntrypoint(args []string) error { return b.list(0, args, args == nil) }

// SetCmd sets Cmd; nil removes it.
func (b *Builder) SetCmd(args []string) error { return b.list(1, args, args == nil) }

// SetShell sets Shell (Dockerfile SHELL); nil removes it, an empty list is refused.
func (b *Builder) SetShell(args []string) error { return b.list(2, args, args == nil) }

// SetOnBuild sets OnBuild (Dockerfile ONBUILD triggers, such as "RUN make"); nil removes it.
func (b *Builder) SetOnBuild(triggers []string) error { return b.list(3, triggers, triggers == nil) }

// SetEnv sets an environment variable, replacing one of that name where it stands.
func (b *Builder) SetEnv(name, value string) error {
	return b.set(C.LG_SET_ENV, name, value, false, false)
}

// UnsetEnv removes an environment variable.
func (b *Builder) UnsetEnv(name string) error { return b.set(C.LG_SET_ENV, name, "", false, true) }

// SetLabel sets a label ("" value: an empty label; RemoveLabel removes).
func (b *Builder) SetLabel(key, value string) error {
	return b.set(C.LG_SET_LABEL, key, value, false, false)
}

// RemoveLabel removes a label.
func (b *Builder) RemoveLabel(key string) error { return b.set(C.LG_SET_LABEL, key, "", false, true) }

// SetAnnotation sets a manifest annotation.
func (b *Builder) SetAnnotation(key, value string) error {
	return b.set(C.LG_SET_ANNOTATION, key, value, false, false)
}

// SetUser sets User ("" removes it).
func (b *Builder) SetUser(user string) error { return b.set(C.LG_SET_USER, user, "", true, true) }

// SetWorkingDir sets WorkingDir (absolute; "" removes it).
func (b *Builder) SetWorkingDir(dir string) error {
	return b.set(C.LG_SET_WORKDIR, dir, "", true, true)
}

// SetStopSignal sets StopSignal ("" removes it).
func (b *Builder) SetStopSignal(signal string) error {
	return b.set(C.LG_SET_STOP_SIGNAL, signal, "", true, true)
}

// SetAuthor sets the config's author ("" removes it).
func (b *Builder) SetAuthor(author string) error {
	return b.set(C.LG_SET_AUTHOR, author, "", true, true)
}

// SetPlatform sets the image's platform ("linux/arm64/v8").
func (b *Builder) SetPlatform(platform string) error {
	return b.set(C.LG_SET_PLATFORM, platform, "", false, true)
}

// AddExposedPort adds an exposed port ("80", "53/udp", "8000-8010/tcp").
func (b *Builder) AddExposedPort(port string) error {
	return b.set(C.LG_ADD_PORT, port, "", false, true)
}

// AddVolume adds a volume (an absolute path).
func (b *Builder) AddVolume(path string) error { return b.set(C.LG_ADD_VOLUME, path, "", false, true) }

// AddHistory adds a history entry without a layer (as Docker records ENV or CMD).
func (b *Builder) AddHistory(createdBy, comment string) error {
	return b.set(C.LG_ADD_HISTORY, createdBy, comment, false, true)
}

// SetHealthcheck sets Healthcheck; nil removes it.
func (b *Builder) SetHealthcheck(h *Healthcheck) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	var m cmem
	defer m.free()
	var e C.lg_error
	if h == nil {
		if C.lg_builder_set_healthcheck(b.h, nil, 0, nil, &e) < 0 {
			return failure(context.Background(), &e)
		}
		return nil
	}
	arr, err := m.strs(h.Test, "test")
	if err != nil {
		return err
	}
	var o C.limg_healthcheck_opts
	C.limg_healthcheck_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.interval, o.timeout = C.int64_t(h.Interval), C.int64_t(h.Timeout)
	o.start_period, o.start_interval, o.retries = C.int64_t(h.StartPeriod), C.int64_t(h.StartInterval), C.int(h.Retries)
	if C.lg_builder_set_healthcheck(b.h, arr, C.size_t(len(h.Test)), &o, &e) < 0 {
		return failure(context.Background(), &e)
	}
	return nil
}

// Commit stores config and manifest and tags the image as tag ("": kept
// untagged); it returns the manifest's digest. The builder may go on.
func (b *Builder) Commit(ctx context.Context, tag string) (string, error) {
	if err := b.enter(); err != nil {
		return "", err
	}
	defer b.leave()
	end, err := b.store.quick(ctx)
	if err != nil {
		return "", err
	}
	defer end()
	var m cmem
	defer m.free()
	t, err := m.str(tag, "tag", true)
	if err != nil {
		return "", err
	}
	var out C.limg_buf
	var e C.lg_error
	if C.lg_builder_commit(&out, b.h, t, &e) < 0 {
		return "", failure(ctx, &e)
	}
	return takeBuf(&out), nil
}

// ---- verbs on stored images --------------------------------------------------

// Flatten makes one layer of what image unpacks to (each stored platform of
// an index), tagged tag ("": untagged); returns the new digest (crane
// flatten). Options: WithCompression, WithProgress.
func (s *Store) Flatten(ctx context.Context, image, tag string, opts ...FlattenOption) (string, error) {
	pcfg := collect(opts)
	var m cmem
	defer m.free()
	img, err := m.str(image, "image", false)
	if err != nil {
		return "", err
	}
	t, err := m.str(tag, "tag", true)
	if err != nil {
		return "", err
	}
	var o C.limg_flatten_opts
	C.limg_flatten_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.compression, o.level = C.int(pcfg.build.codec), C.int(pcfg.build.level)
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return "", err
	}
	defer end()
	o.cancel = cancel
	c := newCall(ctx, pcfg.progress)
	defer c.done()
	var out C.limg_buf
	var e C.lg_error
	rc := C.lg_build_flatten(&out, s.h, img, t, &o, c.h(), c.want(), &e)
	if err := c.result(rc, &e); err != nil {
		return "", err
	}
	return takeBuf(&out), nil
}

// Rebase moves image's own layers from oldBase onto newBase (crane rebase),
// after checking that image sits on oldBase (ErrConflict, subject image,
// when not); returns the new digest. Options: WithPlatform, WithoutBaseAnnotations.
func (s *Store) Rebase(ctx context.Context, image, oldBase, newBase, tag string, opts ...RebaseOption) (string, error) {
	pcfg := collect(opts)
	var m cmem
	defer m.free()
	var cs [4]*C.char
	for i, v := range []string{image, oldBase, newBase} {
		p, err := m.str(v, "image", false)
		if err != nil {
			return "", err
		}
		cs[i] = p
	}
	t, err := m.str(tag, "tag", true)
	if err != nil {
		return "", err
	}
	var o C.limg_rebase_opts
	C.limg_rebase_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(pcfg.platform, "platform", true); err != nil {
		return "", err
	}
	o.no_base_annotations = cbool(pcfg.build.noBaseAnnotations)
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return "", err
	}
	defer end()
	o.cancel = cancel
	var out C.limg_buf
	var e C.lg_error
	if C.lg_build_rebase(&out, s.h, cs[0], cs[1], cs[2], t, &o, &e) < 0 {
		return "", failure(ctx, &e)
	}
	return takeBuf(&out), nil
}

// Index assembles an index of per-platform images (each platform from its
// config), tagged tag ("": untagged); format FormatAuto makes a Docker list
// when every image is Docker's, else an OCI index.
func (s *Store) Index(ctx context.Context, images []string, tag string, format Format) (string, error) {
	var m cmem
	defer m.free()
	arr, err := m.strs(images, "image")
	if err != nil {
		return "", err
	}
	t, err := m.str(tag, "tag", true)
	if err != nil {
		return "", err
	}
	var o C.limg_index_opts
	C.limg_index_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.format = C.int(format)
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return "", err
	}
	defer end()
	o.cancel = cancel
	var out C.limg_buf
	var e C.lg_error
	if C.lg_build_index(&out, s.h, arr, C.size_t(len(images)), t, &o, &e) < 0 {
		return "", failure(ctx, &e)
	}
	return takeBuf(&out), nil
}

// BuildSpec builds an image from limg-build's JSON description (its
// relative paths are relative to dir; tag, when not "", wins over the
// spec's); SOURCE_DATE_EPOCH, when set, is its time. Returns the digest.
// Options: WithProgress (each layer's blob as it is written).
func (s *Store) BuildSpec(ctx context.Context, spec []byte, dir, tag string, opts ...SpecOption) (string, error) {
	pcfg := collect(opts)
	var m cmem
	defer m.free()
	d, err := m.str(dir, "dir", true)
	if err != nil {
		return "", err
	}
	t, err := m.str(tag, "tag", true)
	if err != nil {
		return "", err
	}
	text := (*C.char)(m.alloc(uintptr(len(spec) + 1)))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(text)), len(spec)), spec)
	var o C.limg_spec_opts
	C.limg_spec_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.dir, o.tag = d, t
	if v, ok := sourceDateEpoch(); ok {
		o.set_epoch, o.epoch = 1, C.int64_t(v)
	}
	cancel, end, err := s.begin(ctx, nil)
	if err != nil {
		return "", err
	}
	defer end()
	o.cancel = cancel
	c := newCall(ctx, pcfg.progress)
	defer c.done()
	var out C.limg_buf
	var e C.lg_error
	rc := C.lg_build_spec(&out, s.h, text, C.size_t(len(spec)), &o, c.h(), c.want(), &e)
	if err := c.result(rc, &e); err != nil {
		return "", err
	}
	return takeBuf(&out), nil
}
