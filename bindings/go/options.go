// SPDX-License-Identifier: MIT

package libimage

import "time"

// Every operation takes options of its own type: Pull takes PullOptions,
// Push PushOptions, and so on, so that an option an operation does not
// understand is a compile error, not silently ignored. An option that
// several operations understand (WithPlatform, WithProgress, WithSession,
// ...) is of a type that is an option of each of them. Registry settings
// (TLS, CA, mirrors, credentials) belong to a Session (NewSession), given
// to the operations that reach registries with WithSession.

// opConfig is what the options of the store operations set; each operation
// reads the fields that concern it (its option types let through only those).
type opConfig struct {
	platform       string
	progress       func(Progress)
	session        *Session
	concurrency    int
	noMount        bool
	chunkSize      int64
	maxLayerSize   int64
	skipDiffIDs    bool
	foreign        ForeignLayers
	noRanges       bool
	rangeThreshold int64
	rangeChunk     int64
	rangeParallel  int
	source         string
	sel            ListSelect
	filters        []string
	force          bool
	dryRun         bool
	keepIngests    bool
	ingestMaxAge   time.Duration
	maxBlobSize    int64
	bundle         bool
	rootless       RootlessMode
	uidMap, gidMap []IDMap
	noTerminal     bool
	maxEntries     int64
	store          *Store
	instanceOnly   bool
	policy         *Policy
	signer         *Signer
	signFormat     SignatureFormat
	signIdentity   string
	signRecursive  bool
	referrers      bool
	keepFailed     bool
	pullOpts       []PullOption
	unpackOpts     []UnpackOption
	discardLayers  bool
	build          buildConfig // the build options (build.go)
}

type option interface{ apply(*opConfig) }

// PullOption configures Store.Pull.
type PullOption interface {
	option
	pullOption()
}

// PushOption configures Store.Push.
type PushOption interface {
	option
	pushOption()
}

// CopyOption configures Copy.
type CopyOption interface {
	option
	copyOption()
}

// ImagesOption configures Store.Images.
type ImagesOption interface {
	option
	imagesOption()
}

// InspectOption configures Store.Inspect.
type InspectOption interface {
	option
	inspectOption()
}

// TagOption configures Store.Tag (there is none yet; the parameter keeps
// room for some).
type TagOption interface {
	option
	tagOption()
}

// RemoveOption configures Store.Remove.
type RemoveOption interface {
	option
	removeOption()
}

// GCOption configures Store.GC.
type GCOption interface {
	option
	gcOption()
}

// SaveOption configures Store.Save and Store.SaveFile.
type SaveOption interface {
	option
	saveOption()
}

// LoadOption configures Store.Load and Store.LoadFile.
type LoadOption interface {
	option
	loadOption()
}

// UnpackOption configures Store.Unpack.
type UnpackOption interface {
	option
	unpackOption()
}

// PullUnpackOption configures Store.PullUnpack.
type PullUnpackOption interface {
	option
	pullUnpackOption()
}

func collect[O option](opts []O) *opConfig {
	c := &opConfig{}
	for _, o := range opts {
		o.apply(c)
	}
	return c
}

// ---- options of several operations -------------------------------------

// PlatformOption chooses one platform of an index; for Pull, Push, Copy,
// Images, Inspect, Save and Unpack.
type PlatformOption struct{ platform string }

// WithPlatform chooses one platform of an index ("linux/arm64/v8"): the one
// to pull, push, copy, save or unpack, or the one listings and inspect
// describe. Without it: this machine's (Pull, Images, Inspect, Save,
// Unpack) or the whole index (Push, Copy).
func WithPlatform(platform string) PlatformOption { return PlatformOption{platform} }

func (o PlatformOption) apply(c *opConfig) { c.platform = o.platform }
func (PlatformOption) pullOption()         {}
func (PlatformOption) pushOption()         {}
func (PlatformOption) copyOption()         {}
func (PlatformOption) imagesOption()       {}
func (PlatformOption) inspectOption()      {}
func (PlatformOption) saveOption()         {}
func (PlatformOption) unpackOption()       {}

// ProgressOption receives progress reports; for Pull, Push, Copy, Save,
// Load and Unpack.
type ProgressOption struct{ f func(Progress) }

// WithProgress calls f with the operation's progress reports (calls never
// overlap). A panic in f stops the operation and is raised again when it
// returns.
func WithProgress(f func(Progress)) ProgressOption { return ProgressOption{f} }

func (o ProgressOption) apply(c *opConfig) { c.progress = o.f }
func (ProgressOption) pullOption()         {}
func (ProgressOption) pushOption()         {}
func (ProgressOption) copyOption()         {}
func (ProgressOption) saveOption()         {}
func (ProgressOption) loadOption()         {}
func (ProgressOption) unpackOption()       {}
func (ProgressOption) pullUnpackOption()   {}

// TransferOption sets how Pull, Push and Copy reach registries.
type TransferOption struct{ f func(*opConfig) }

func (o TransferOption) apply(c *opConfig) { o.f(c) }
func (TransferOption) pullOption()         {}
func (TransferOption) pushOption()         {}
func (TransferOption) copyOption()         {}

// WithSession reaches registries through s: its per-registry settings and
// credentials, its connections and tokens. Without it, a session of the
// call's own with the defaults (Docker's config.json for credentials).
func WithSession(s *Session) TransferOption {
	return TransferOption{func(c *opConfig) { c.session = s }}
}

// WithConcurrency sets how many blobs go at once (default: 3 for Pull, 4 for Push and Copy).
func WithConcurrency(n int) TransferOption {
	return TransferOption{func(c *opConfig) { c.concurrency = n }}
}

// UploadOption sets how Push and Copy upload blobs.
type UploadOption struct{ f func(*opConfig) }

func (o UploadOption) apply(c *opConfig) { o.f(c) }
func (UploadOption) pushOption()         {}
func (UploadOption) copyOption()         {}

// WithoutMount never mounts blobs from other repositories of the registry.
func WithoutMount() UploadOption { return UploadOption{func(c *opConfig) { c.noMount = true }} }

// WithChunkSize uploads blobs as PATCH requests of n bytes (default: one PUT per blob).
func WithChunkSize(n int64) UploadOption { return UploadOption{func(c *opConfig) { c.chunkSize = n }} }

// LayerLimitOption bounds what one layer may unpack to; for Pull and Unpack.
type LayerLimitOption struct{ n int64 }

// WithMaxLayerSize refuses a layer that unpacks to more than n bytes (a
// gzip bomb) with ErrTooBig. Default: 64 GiB.
func WithMaxLayerSize(n int64) LayerLimitOption { return LayerLimitOption{n} }

func (o LayerLimitOption) apply(c *opConfig) { c.maxLayerSize = o.n }
func (LayerLimitOption) pullOption()         {}
func (LayerLimitOption) unpackOption()       {}

// BlobLimitOption bounds blobs: a registry setting (NewSession, WithRegistry,
// OpenRegistry) and a Load option.
type BlobLimitOption struct{ n int64 }

// WithMaxBlobSize refuses blobs larger than n bytes before any byte is
// fetched or stored (ErrTooBig). Default: 64 GiB.
func WithMaxBlobSize(n int64) BlobLimitOption { return BlobLimitOption{n} }

func (o BlobLimitOption) apply(c *opConfig)               { c.maxBlobSize = o.n }
func (BlobLimitOption) loadOption()                       {}
func (o BlobLimitOption) applyRegistry(c *registryConfig) { c.maxBlobSize = o.n }
func (o BlobLimitOption) applySession(c *sessionConfig)   { o.applyRegistry(&c.defaults) }

// ---- options of one operation ------------------------------------------

type pullOnly func(*opConfig)

func (f pullOnly) apply(c *opConfig) { f(c) }
func (pullOnly) pullOption()         {}

// WithSkipDiffIDs does not check layers against the config's diff_ids while
// pulling (blob digests are checked always; unpacking checks diff_ids).
func WithSkipDiffIDs() PullOption { return pullOnly(func(c *opConfig) { c.skipDiffIDs = true }) }

// WithForeignLayers says where foreign (non-distributable) layers come from.
func WithForeignLayers(f ForeignLayers) PullOption {
	return pullOnly(func(c *opConfig) { c.foreign = f })
}

// WithoutRanges fetches every blob with one request.
func WithoutRanges() PullOption { return pullOnly(func(c *opConfig) { c.noRanges = true }) }

// WithRanges fetches blobs of at least threshold bytes as parallel Range
// requests of chunk bytes, parallel at once (0 in any: the default).
func WithRanges(threshold, chunk int64, parallel int) PullOption {
	return pullOnly(func(c *opConfig) { c.rangeThreshold, c.rangeChunk, c.rangeParallel = threshold, chunk, parallel })
}

type pushOnly func(*opConfig)

func (f pushOnly) apply(c *opConfig) { f(c) }
func (pushOnly) pushOption()         {}

// WithSource pushes this stored image (a reference, an image ID or a
// unique ID prefix), not the one stored under the reference pushed to.
func WithSource(image string) PushOption { return pushOnly(func(c *opConfig) { c.source = image }) }

type imagesOnly func(*opConfig)

func (f imagesOnly) apply(c *opConfig) { f(c) }
func (imagesOnly) imagesOption()       {}

// WithSelect chooses tagged rows (the default), untagged images, or both.
func WithSelect(s ListSelect) ImagesOption { return imagesOnly(func(c *opConfig) { c.sel = s }) }

// WithAll lists untagged images too (docker images -a): WithSelect(ListAll).
func WithAll() ImagesOption { return WithSelect(ListAll) }

// WithFilters adds `docker images --filter` texts: dangling=BOOL,
// reference=PATTERN, before=IMAGE, since=IMAGE, label=KEY[=VALUE],
// label!=KEY[=VALUE]. Values of one key are alternatives; keys must all hold.
func WithFilters(filters ...string) ImagesOption {
	return imagesOnly(func(c *opConfig) { c.filters = append(c.filters, filters...) })
}

type removeOnly func(*opConfig)

func (f removeOnly) apply(c *opConfig) { f(c) }
func (removeOnly) removeOption()       {}

// WithForce removes an image ID that has tags in several repositories (docker rmi -f).
func WithForce() RemoveOption { return removeOnly(func(c *opConfig) { c.force = true }) }

type gcOnly func(*opConfig)

func (f gcOnly) apply(c *opConfig) { f(c) }
func (gcOnly) gcOption()           {}

// WithDryRun reports what would be removed, and removes nothing.
func WithDryRun() GCOption { return gcOnly(func(c *opConfig) { c.dryRun = true }) }

// WithKeepIngests removes no unfinished download, whatever its age.
func WithKeepIngests() GCOption { return gcOnly(func(c *opConfig) { c.keepIngests = true }) }

// WithIngestMaxAge removes unfinished downloads older than d (default 24 h).
func WithIngestMaxAge(d time.Duration) GCOption {
	return gcOnly(func(c *opConfig) { c.ingestMaxAge = d })
}

type unpackOnly func(*opConfig)

func (f unpackOnly) apply(c *opConfig) { f(c) }
func (unpackOnly) unpackOption()       {}

// WithBundle makes a runtime bundle: dir/rootfs and dir/config.json, for runc or crun.
func WithBundle() UnpackOption { return unpackOnly(func(c *opConfig) { c.bundle = true }) }

// WithRootless unpacks as an unprivileged user (RootlessOn), privileged
// (RootlessOff), or by the effective uid (RootlessAuto, the default).
func WithRootless(m RootlessMode) UnpackOption {
	return unpackOnly(func(c *opConfig) { c.rootless = m })
}

// WithIDMaps maps container uids and gids to host ids (as /proc/PID/uid_map).
func WithIDMaps(uids, gids []IDMap) UnpackOption {
	return unpackOnly(func(c *opConfig) { c.uidMap, c.gidMap = uids, gids })
}

// WithTerminal sets process.terminal of a bundle's config.json (default true).
func WithTerminal(on bool) UnpackOption { return unpackOnly(func(c *opConfig) { c.noTerminal = !on }) }

// WithMaxEntries refuses a layer of more than n entries (default 1000000).
func WithMaxEntries(n int64) UnpackOption { return unpackOnly(func(c *opConfig) { c.maxEntries = n }) }

// WithKeepFailed leaves what a failed unpack made in dir, marked with the
// extended attribute user.libimage.incomplete, instead of removing it.
func WithKeepFailed() UnpackOption { return unpackOnly(func(c *opConfig) { c.keepFailed = true }) }

type pullUnpackOnly func(*opConfig)

func (f pullUnpackOnly) apply(c *opConfig) { f(c) }
func (pullUnpackOnly) pullUnpackOption()   {}

// WithPullOptions gives Store.PullUnpack how to pull (WithPlatform,
// WithSession, WithConcurrency, WithRanges, ...; WithProgress too).
func WithPullOptions(opts ...PullOption) PullUnpackOption {
	return pullUnpackOnly(func(c *opConfig) { c.pullOpts = append(c.pullOpts, opts...) })
}

// WithUnpackOptions gives Store.PullUnpack how to unpack (WithBundle,
// WithRootless, WithIDMaps, WithKeepFailed, ...; not WithPlatform: the
// pull's chooses).
func WithUnpackOptions(opts ...UnpackOption) PullUnpackOption {
	return pullUnpackOnly(func(c *opConfig) { c.unpackOpts = append(c.unpackOpts, opts...) })
}

// WithDiscardLayers removes the layer blobs Store.PullUnpack brought once
// the root filesystem is made (containerd's discard_unpacked_layers): the
// image is then stored incomplete, until a pull fetches them again.
func WithDiscardLayers() PullUnpackOption {
	return pullUnpackOnly(func(c *opConfig) { c.discardLayers = true })
}
