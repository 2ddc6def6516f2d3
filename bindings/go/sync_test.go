// SPDX-License-Identifier: MIT

package libimage

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A list from skopeo's YAML to the plain registry under a prefix, then a
// re-sync that moves nothing, a failure in the report, and a store and back.
func TestSync(t *testing.T) {
	ctx := context.Background()
	text := fmt.Sprintf("%s:\n  images:\n    go/busybox: ['v1']\n  tls-verify: false\n", fixtures.Plain)
	l, err := ParseSyncList([]byte(text), "go.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dest := fixtures.Plain + "/gosync"
	r, err := Sync(ctx, l, dest)
	if err != nil || r.Count(SyncCopied) != 1 || r.Images[0].Destination != dest+"/busybox:v1" {
		t.Fatalf("sync: %+v %v", r, err)
	}
	digest := r.Images[0].Digest
	r, err = Sync(ctx, l, dest)
	if err != nil || r.Count(SyncUpToDate) != 1 || r.Images[0].Digest != digest {
		t.Fatalf("re-sync: %+v %v", r, err)
	}
	var doc struct {
		Registries map[string]map[string]int `json:"registries"`
	}
	if err := json.Unmarshal([]byte(r.JSON), &doc); err != nil || doc.Registries[fixtures.Plain]["blob_upload"] != 0 ||
		doc.Registries[fixtures.Plain]["manifest_get"] != 0 {
		t.Fatalf("re-sync's requests: %s %v", r.JSON, err)
	}

	// one image missing: the others go on, the error matches ErrPartial
	l2, _ := NewSyncList()
	defer l2.Close()
	if err := l2.Add(plain("go/busybox"), &SyncSelect{Tags: []string{"v1", "nope"}}); err != nil {
		t.Fatal(err)
	}
	r, err = Sync(ctx, l2, fixtures.Plain+"/gopartial")
	if !errors.Is(err, ErrPartial) || r == nil || r.Count(SyncCopied) != 1 || r.Count(SyncFailed) != 1 {
		t.Fatalf("partial: %+v %v", r, err)
	}
	for _, i := range r.Images {
		if i.Status == SyncFailed && i.Error != "LIMG_ENOTFOUND" {
			t.Fatalf("failed image: %+v", i)
		}
	}

	// to a store and back
	store := filepath.Join(t.TempDir(), "store")
	if r, err = Sync(ctx, l, store, SyncToStore()); err != nil || r.Count(SyncCopied) != 1 {
		t.Fatalf("to a store: %+v %v", r, err)
	}
	l3, _ := NewSyncList()
	defer l3.Close()
	if err := l3.AddStore(store); err != nil {
		t.Fatal(err)
	}
	if r, err = Sync(ctx, l3, fixtures.Plain+"/goback"); err != nil || r.Images[0].Digest != digest {
		t.Fatalf("from a store: %+v %v", r, err)
	}

	// to a directory in skopeo's dir: layout, and again: nothing moves
	dir := filepath.Join(t.TempDir(), "dir")
	if r, err = Sync(ctx, l, dir, SyncToDir()); err != nil || r.Count(SyncCopied) != 1 ||
		r.Images[0].Destination != dir+"/busybox:v1" || r.Images[0].Digest != digest {
		t.Fatalf("to a directory: %+v %v", r, err)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "busybox:v1", "manifest.json"))
	if err != nil || fmt.Sprintf("sha256:%x", sha256.Sum256(manifest)) != digest {
		t.Fatalf("the directory's manifest.json: %v", err)
	}
	if r, err = Sync(ctx, l, dir, SyncToDir()); err != nil || r.Count(SyncUpToDate) != 1 {
		t.Fatalf("to a directory again: %+v %v", r, err)
	}
	// and from it to a registry, as skopeo sync --src dir names it
	l4, _ := NewSyncList()
	defer l4.Close()
	if err := l4.AddDir(dir); err != nil {
		t.Fatal(err)
	}
	if r, err = Sync(ctx, l4, fixtures.Plain+"/fromdir"); err != nil || r.Count(SyncCopied) != 1 ||
		r.Images[0].Destination != fixtures.Plain+"/fromdir/busybox:v1" || r.Images[0].Digest != digest {
		t.Fatalf("from a directory: %+v %v", r, err)
	}
	if _, err = Sync(ctx, l, dir, SyncToDir(), SyncToStore()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("two destination kinds: %v", err)
	}

	// what a list refuses
	if _, err := ParseSyncList([]byte("a:\n  b: &x 1\n"), "bad.yaml"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("anchors: %v", err)
	}
	if err := l2.Add(plain("go/busybox"), &SyncSelect{TagRegex: "(?i)x"}); !errors.Is(err, ErrInvalidReference) {
		t.Fatalf("Go-only regex: %v", err)
	}
}

// With SyncReferrers and SyncPolicy: the signed image goes with its signature,
// the unsigned one is refused alone.
func TestSyncReferrersAndPolicy(t *testing.T) {
	ctx := context.Background()
	f := newTrustFixture(t)
	s := openStore(t)
	if _, err := s.Pull(ctx, plain("go/app:v1")); err != nil {
		t.Fatal(err)
	}
	signer, err := ParseSigner(f.keyPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	digest, err := s.Push(ctx, plain("go/syncsigned:v1"), WithSource(plain("go/app:v1")), WithSigner(signer))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := NewSyncList()
	defer l.Close()
	for _, repo := range []string{"go/syncsigned", "go/busybox"} {
		if err := l.Add(plain(repo), &SyncSelect{Tags: []string{"v1"}}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Sync(ctx, l, fixtures.Plain+"/gosyncref", SyncReferrers(), SyncPolicy(f.policy))
	if !errors.Is(err, ErrPartial) || r == nil || r.Count(SyncCopied) != 1 || r.Count(SyncFailed) != 1 {
		t.Fatalf("sync: %+v %v", r, err)
	}
	for _, i := range r.Images {
		if (i.Status == SyncFailed) != (i.Error == "LIMG_EREJECTED") || (i.Status == SyncCopied) != (i.Digest == digest) {
			t.Fatalf("image: %+v", i)
		}
	}
	reg, err := OpenRegistry(fixtures.Plain)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if _, err := reg.Manifest(ctx, "gosyncref/syncsigned", strings.Replace(digest, ":", "-", 1)+".sig"); err != nil {
		t.Fatalf("the signature did not come along: %v", err)
	}
}
