package libimage

import (
	"encoding/json"
	"time"
)

// PullEvent is what a pull progress report says about a blob.
type PullEvent int

// Pull events (the library's values).
const (
	PullWaiting     PullEvent = 1 // "Pulling fs layer"
	PullExists      PullEvent = 2 // "Already exists"
	PullDownloading PullEvent = 3 // Done of Total
	PullVerifying   PullEvent = 4 // "Verifying Checksum"
	PullDownloaded  PullEvent = 5 // "Download complete"
	PullComplete    PullEvent = 6 // "Pull complete"
	PullSkipped     PullEvent = 7 // a foreign layer
	PullOverall     PullEvent = 8 // all blobs together (Digest "")
)

// BlobKind says what a blob is.
type BlobKind int

// Kinds of blob.
const (
	KindLayer    BlobKind = 1
	KindConfig   BlobKind = 2
	KindManifest BlobKind = 3
)

// Progress is one pull progress report.
type Progress struct {
	Digest      string
	Kind        BlobKind
	Event       PullEvent
	Done, Total int64
}

// PushEvent is what a push or copy progress report says.
type PushEvent int

// Push events.
const (
	PushWaiting   PushEvent = 1 // "Preparing"
	PushExists    PushEvent = 2 // "Layer already exists"
	PushMounted   PushEvent = 3 // "Mounted from From"
	PushUploading PushEvent = 4 // Done of Total
	PushPushed    PushEvent = 5 // "Pushed"
	PushManifest  PushEvent = 6 // a manifest put; From is its tag ("" by digest)
)

// PushProgress is one push or copy progress report.
type PushProgress struct {
	Digest      string
	Kind        BlobKind
	Event       PushEvent
	Done, Total int64
	From        string
}

// Image is what a pull brought.
type Image struct {
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
func (r ImageRow) ShortID() string {
	if len(r.ID) < 19 {
		return r.ID
	}
	return r.ID[7:19]
}

// Layer is one layer of an image.
type Layer struct {
	Digest    string
	Size      int64
	MediaType string
	DiffID    string
}

// Config is what an image's config says its containers run.
type Config struct {
	Env        []string          `json:"Env"`
	Cmd        []string          `json:"Cmd"`
	Entrypoint []string          `json:"Entrypoint"`
	Labels     map[string]string `json:"Labels"`
	WorkingDir string            `json:"WorkingDir"`
	User       string            `json:"User"`
}

// ImageInfo is a stored image as `docker image inspect` sees it.
type ImageInfo struct {
	ID             string
	Digest         string
	ManifestDigest string
	Tags           []string // familiar: "redis:7"
	Layers         []Layer
	Config         Config
	Created        time.Time
	Architecture   string
	OS             string
	Size           int64           // uncompressed, -1 when unknown
	Raw            json.RawMessage // the image config, as stored
}

// RemoveEvent is one kind of removal step.
type RemoveEvent int

// Removal steps.
const (
	Untagged RemoveEvent = 1
	Deleted  RemoveEvent = 2
)

// RemoveStep is one step of a removal, as docker rmi prints it.
type RemoveStep struct {
	Event RemoveEvent
	What  string
}

func (s RemoveStep) String() string {
	if s.Event == Deleted {
		return "Deleted: " + s.What
	}
	return "Untagged: " + s.What
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
