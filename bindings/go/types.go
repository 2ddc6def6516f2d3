// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is what a progress report says. One set for every operation (pull,
// push, copy, unpack, save, load); the values are the C library's
// (limg_event). Ignore events you do not know: a newer library may add some.
type Event int

// Progress events.
const (
	EventWaiting     Event = C.LIMG_EVENT_WAITING      // queued ("Pulling fs layer", "Preparing", "Waiting")
	EventExists      Event = C.LIMG_EVENT_EXISTS       // the destination has it ("Already exists")
	EventDownloading Event = C.LIMG_EVENT_DOWNLOADING  // bytes arriving: Done of Total
	EventVerifying   Event = C.LIMG_EVENT_VERIFYING    // all bytes here; checking digests
	EventDownloaded  Event = C.LIMG_EVENT_DOWNLOADED   // verified ("Download complete")
	EventComplete    Event = C.LIMG_EVENT_COMPLETE     // committed to the store ("Pull complete")
	EventSkipped     Event = C.LIMG_EVENT_SKIPPED      // a foreign layer that is not moved
	EventOverall     Event = C.LIMG_EVENT_OVERALL      // all blobs together: Done of Total bytes (Digest "")
	EventMounted     Event = C.LIMG_EVENT_MOUNTED      // mounted from another repository (Detail: that repository)
	EventUploading   Event = C.LIMG_EVENT_UPLOADING    // bytes going out: Done of Total ("Pushing")
	EventPushed      Event = C.LIMG_EVENT_PUSHED       // uploaded ("Pushed")
	EventManifestPut Event = C.LIMG_EVENT_MANIFEST_PUT // a manifest was put; Detail its tag ("" by digest)
	EventLayerStart  Event = C.LIMG_EVENT_LAYER_START  // unpack: a layer starts (Done its index, Total the count)
	EventApplying    Event = C.LIMG_EVENT_APPLYING     // unpack: compressed bytes of the layer applied
	EventLayerDone   Event = C.LIMG_EVENT_LAYER_DONE   // unpack: the layer is applied and verified
	EventBundle      Event = C.LIMG_EVENT_BUNDLE       // unpack: a bundle's config.json was written
	EventWriting     Event = C.LIMG_EVENT_WRITING      // save: a blob goes into the archive
	EventReading     Event = C.LIMG_EVENT_READING      // load: archive bytes read (Total -1: unknown)
)

var eventNames = map[Event]string{EventWaiting: "waiting", EventExists: "exists", EventDownloading: "downloading",
	EventVerifying: "verifying", EventDownloaded: "downloaded", EventComplete: "complete", EventSkipped: "skipped",
	EventOverall: "overall", EventMounted: "mounted", EventUploading: "uploading", EventPushed: "pushed",
	EventManifestPut: "manifest put", EventLayerStart: "layer start", EventApplying: "applying",
	EventLayerDone: "layer done", EventBundle: "bundle", EventWriting: "writing", EventReading: "reading"}

func (e Event) String() string {
	if n, ok := eventNames[e]; ok {
		return n
	}
	return fmt.Sprintf("Event(%d)", int(e))
}

// BlobKind says what a progress report's blob is (limg_blob_kind).
type BlobKind int

// Kinds of blob.
const (
	KindNone     BlobKind = C.LIMG_BLOB_NONE // no blob: a report about the whole operation
	KindLayer    BlobKind = C.LIMG_BLOB_LAYER
	KindConfig   BlobKind = C.LIMG_BLOB_CONFIG
	KindManifest BlobKind = C.LIMG_BLOB_MANIFEST
)

// Progress is one progress report. Reports of one call never overlap.
type Progress struct {
	Digest      string // the blob, or "" for reports about the whole operation
	Kind        BlobKind
	Event       Event
	Done, Total int64  // bytes (or items); Total -1 when unknown
	Detail      string // what the event names (a repository mounted from, a tag), or ""
}

// PullResult is what a pull brought.
type PullResult struct {
	Reference       string // canonical: "docker.io/library/redis:latest"
	Digest          string // what the reference resolved to (an index or a manifest)
	ManifestDigest  string // the platform's image manifest
	ID              string // the image ID: the config digest
	UpToDate        bool   // nothing new was fetched
	BytesDownloaded int64
}

// ImageRow is one row of `docker images`.
type ImageRow struct {
	Repository string // familiar ("redis"); "" for <none>
	Tag        string // "" for <none>
	ID         string // "sha256:..."; "" when unknown
	Digest     string
	Reference  string    // canonical tag reference, "" for an untagged image
	Created    time.Time // zero when unknown
	Size       int64     // -1 when unknown
}

// ShortID is the ID as docker images prints it (12 hex digits).
func (r ImageRow) ShortID() string { return shortID(r.ID) }

func shortID(id string) string {
	if len(id) < 19 {
		return id
	}
	return id[7:19]
}

// Layer is one layer of an image.
type Layer struct {
	Digest    string
	Size      int64
	MediaType string
	DiffID    string // its uncompressed digest, from the config
}

// Config is what an image's config says its containers run.
type Config struct {
	Env          []string
	Cmd          []string
	Entrypoint   []string
	Labels       map[string]string
	WorkingDir   string
	User         string
	ExposedPorts []string // "80/tcp"
	Volumes      []string // "/data"
	StopSignal   string
}

// History is one step of how an image was built.
type History struct {
	Created    time.Time // zero when unknown
	CreatedBy  string
	Comment    string
	Author     string
	EmptyLayer bool // made no layer
}

// ImageInfo is a stored image as `docker image inspect` sees it.
type ImageInfo struct {
	ID             string
	Digest         string   // what the lookup found (an index or a manifest)
	ManifestDigest string   // the platform's image manifest
	Tags           []string // RepoTags, familiar: "redis:7"
	RepoDigests    []string // "redis@sha256:..."
	Layers         []Layer
	Config         Config
	History        []History
	Created        time.Time
	Author         string
	Architecture   string
	OS             string
	Variant        string
	OSVersion      string
	Size           int64           // uncompressed, -1 when unknown
	Raw            json.RawMessage // the image config, as stored
}

// ShortID is the ID as docker prints it (12 hex digits).
func (i ImageInfo) ShortID() string { return shortID(i.ID) }

// RemoveEvent is one kind of removal step (limg_remove_event).
type RemoveEvent int

// Removal steps.
const (
	Untagged RemoveEvent = C.LIMG_REMOVE_UNTAGGED
	Deleted  RemoveEvent = C.LIMG_REMOVE_DELETED
)

// RemoveStep is one step of a removal, as docker rmi prints it.
type RemoveStep struct {
	Event RemoveEvent
	What  string // the familiar reference untagged, or the image ID deleted
}

func (s RemoveStep) String() string {
	if s.Event == Deleted {
		return "Deleted: " + s.What
	}
	return "Untagged: " + s.What
}

// GCResult is what a collection removed (or would, in a dry run).
type GCResult struct {
	Removed   []string // blob digests and names of stale ingests
	Reclaimed int64    // bytes
}

// Loaded is an image an archive brought.
type Loaded struct {
	Reference string // "busybox:latest", or "" for an image the archive does not name
	ID        string
}

// Manifest is a manifest as a registry served it.
type Manifest struct {
	Digest    string
	MediaType string
	Size      int64
	Data      []byte // nil after a Head
}

// ListSelect says which entries a listing shows (limg_list_select).
type ListSelect int

// Listing selections.
const (
	ListTagged   ListSelect = C.LIMG_LIST_TAGGED   // tags only (the default)
	ListUntagged ListSelect = C.LIMG_LIST_UNTAGGED // untagged images only
	ListAll      ListSelect = C.LIMG_LIST_ALL      // both (docker images -a)
)

// TLSMode says how a registry uses TLS (limg_tls_mode).
type TLSMode int

// TLS modes.
const (
	// TLSDefault is verified HTTPS; a registry on loopback may also answer
	// over plain HTTP (Docker's rule).
	TLSDefault TLSMode = C.LIMG_TLS_DEFAULT
	// TLSVerify is verified HTTPS only, loopback too (--tls-verify=true).
	TLSVerify TLSMode = C.LIMG_TLS_VERIFY
	// TLSInsecure allows plain HTTP and unverified TLS (--tls-verify=false).
	TLSInsecure TLSMode = C.LIMG_TLS_INSECURE
)

// MirrorCapability says what a mirror may be asked (bits; limg_endpoint_capability).
type MirrorCapability uint

// Mirror capabilities.
const (
	MirrorPull    MirrorCapability = C.LIMG_ENDPOINT_CAP_PULL    // blobs, and manifests by digest
	MirrorResolve MirrorCapability = C.LIMG_ENDPOINT_CAP_RESOLVE // tags to digests
	MirrorPush    MirrorCapability = C.LIMG_ENDPOINT_CAP_PUSH
)

// Mirror is a mirror or pull-through cache of a registry, tried before
// the registry itself; whatever it serves is verified by digest.
type Mirror struct {
	URL          string           // "https://mirror:5000", with a path, or "host:port" (https)
	Capabilities MirrorCapability // 0: pull and resolve
	SkipVerify   bool             // do not verify its TLS certificate
	CAFile       string           // PEM CA bundle trusted for it
	ClientCert   string           // PEM client certificate
	ClientKey    string           // its key ("": in ClientCert)
	OverridePath bool             // the URL's path is the API root (no "/v2" added)
	Headers      []string         // "Name: value" lines sent to it only
	DialTimeout  time.Duration    // 0: 3 s
}

// Credentials are a user name and a password or token for one registry.
// The user name "<token>" says the secret is an identity (refresh) token;
// both empty mean anonymous access.
type Credentials struct {
	Username string
	Secret   string
}

// RootlessMode says whether an unpack runs as an unprivileged user (limg_rootless_mode).
type RootlessMode int

// Rootless modes.
const (
	RootlessAuto RootlessMode = C.LIMG_ROOTLESS_AUTO // by the effective uid
	RootlessOn   RootlessMode = C.LIMG_ROOTLESS_ON   // no device nodes, ownership in an xattr
	RootlessOff  RootlessMode = C.LIMG_ROOTLESS_OFF  // privileged: ownership and devices as the layers say
)

// IDMap maps container ids [ContainerID, ContainerID+Size) to host ids from HostID on.
type IDMap struct {
	ContainerID, HostID, Size uint32
}

// ForeignLayers says where a pull takes foreign (non-distributable) layers from.
type ForeignLayers int

// Foreign layer policies.
const (
	ForeignFromRegistry ForeignLayers = C.LIMG_FOREIGN_REGISTRY // as other layers (Docker's way)
	ForeignFromURLs     ForeignLayers = C.LIMG_FOREIGN_URLS     // the registry, else the descriptor's urls
	ForeignSkip         ForeignLayers = C.LIMG_FOREIGN_SKIP     // not fetched
)
