// SPDX-License-Identifier: MIT

package libimage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// asked records the hosts a credentials function was asked for (from the
// library's threads).
type asked struct {
	mu    sync.Mutex
	hosts []string
}

func (a *asked) add(host string) {
	a.mu.Lock()
	a.hosts = append(a.hosts, host)
	a.mu.Unlock()
}

func (a *asked) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := append([]string(nil), a.hosts...)
	sort.Strings(out)
	return out
}

func TestAuthOverTLS(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	ref := fixtures.TLS + "/go/secure:v1"
	_, err := s.Pull(ctx, ref, WithSession(newSession(t, WithTLS(TLSVerify))))
	var e *Error
	if !errors.Is(err, ErrTLS) || !errors.As(err, &e) || e.Subject != SubjectCertificate || e.Object != fixtures.TLS {
		t.Fatalf("an unknown CA: %#v", err)
	}
	noCreds := newSession(t, WithCAFile(fixtures.CA), WithDockerConfigDir(""))
	if _, err := s.Pull(ctx, ref, WithSession(noCreds)); !errors.Is(err, ErrAuth) {
		t.Fatalf("no credentials: %v", err)
	}
	wrong := newSession(t, WithCAFile(fixtures.CA),
		WithCredentials(map[string]Credentials{fixtures.TLS: {fixtures.User, "not the password"}}))
	_, err = s.Pull(ctx, ref, WithSession(wrong))
	if !errors.Is(err, ErrAuth) || !errors.As(err, &e) || e.Subject != SubjectCredentials || e.HTTPStatus != 401 {
		t.Fatalf("refused credentials: %#v", err)
	}
	good := newSession(t, WithCAFile(fixtures.CA),
		WithCredentials(map[string]Credentials{fixtures.TLS: {fixtures.User, fixtures.Password}}))
	if _, err := s.Pull(ctx, ref, WithSession(good)); err != nil {
		t.Fatal(err)
	}
	var who asked
	locked := errors.New("the keyring is locked")
	failing := newSession(t, WithCAFile(fixtures.CA), WithCredentialsFunc(func(host string) (string, string, bool, error) {
		who.add(host)
		return "", "", false, locked
	}))
	_, err = s.Pull(ctx, ref, WithSession(failing))
	if err == nil || !strings.Contains(err.Error(), "the keyring is locked") || !errors.Is(err, locked) ||
		fmt.Sprint(who.list()) != fmt.Sprint([]string{fixtures.TLS}) {
		t.Fatalf("a failing credentials function: %v (asked for %q)", err, who.list())
	}
	// a panic in the credentials function comes back in the caller's goroutine
	panicking := newSession(t, WithCAFile(fixtures.CA), WithCredentialsFunc(func(string) (string, string, bool, error) {
		panic("no keyring")
	}))
	func() {
		defer func() {
			if p := recover(); p != "no keyring" {
				t.Fatalf("the panic: %v", p)
			}
		}()
		s.Pull(ctx, ref, WithSession(panicking))
		t.Fatal("the panic did not come back")
	}()
}

// A copy gives each registry its own credentials and its own CA: the
// source never sees the destination's password, nor the other way round
// (WithAuth of 0.2 sent one password to every registry a call touched).
func TestCopyGivesEachRegistryItsOwnCredentials(t *testing.T) {
	ctx := context.Background()
	src, dst := fixtures.A+"/go/source:v1", fixtures.B+"/go/dest:v1"
	// verified TLS (loopback registries are not verified by default, as Docker does)
	settings := []SessionOption{WithTLS(TLSVerify), WithRegistry(fixtures.A, WithCAFile(fixtures.ACA)),
		WithRegistry(fixtures.B, WithCAFile(fixtures.BCA)), WithDockerConfigDir("")}

	// a map: one entry per host
	byMap := newSession(t, append(settings, WithCredentials(map[string]Credentials{
		fixtures.A: {fixtures.AUser, fixtures.APassword}, fixtures.B: {fixtures.BUser, fixtures.BPassword}}))...)
	digest, err := Copy(ctx, src, dst, WithSession(byMap))
	if err != nil || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("copy with a map: %v %v", digest, err)
	}

	// a function: asked once per host, each answered with its own
	var who asked
	byFunc := newSession(t, append(settings, WithCredentialsFunc(func(host string) (string, string, bool, error) {
		who.add(host)
		switch host {
		case fixtures.A:
			return fixtures.AUser, fixtures.APassword, true, nil
		case fixtures.B:
			return fixtures.BUser, fixtures.BPassword, true, nil
		}
		return "", "", false, nil
	}))...)
	var events []Progress
	again, err := Copy(ctx, src, fixtures.B+"/go/dest:v2", WithSession(byFunc),
		WithProgress(func(p Progress) { events = append(events, p) }))
	if err != nil || again != digest || len(events) == 0 {
		t.Fatalf("copy with a function: %v %v", again, err)
	}
	want := []string{fixtures.A, fixtures.B}
	sort.Strings(want)
	if fmt.Sprint(who.list()) != fmt.Sprint(want) {
		t.Fatalf("credentials asked for %v, want each of %v once", who.list(), want)
	}

	// the destination has it, as its own user sees it
	r, err := byMap.Registry(fixtures.B)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tag := range []string{"v1", "v2"} {
		if m, err := r.Head(ctx, "go/dest", tag); err != nil || m.Digest != digest {
			t.Fatalf("the destination's %s: %+v %v", tag, m, err)
		}
	}

	// the 0.2 defect: the source's password sent to the destination too is refused there
	same := newSession(t, append(settings, WithCredentialsFunc(func(host string) (string, string, bool, error) {
		return fixtures.AUser, fixtures.APassword, true, nil
	}))...)
	_, err = Copy(ctx, src, fixtures.B+"/go/dest:v3", WithSession(same))
	var e *Error
	if !errors.Is(err, ErrAuth) || !errors.As(err, &e) || e.Subject != SubjectCredentials || e.Object != fixtures.B {
		t.Fatalf("A's password at B: %#v", err)
	}

	// each side's own CA: B's CA for A does not do
	crossed := newSession(t, WithTLS(TLSVerify), WithRegistry(fixtures.A, WithCAFile(fixtures.BCA)),
		WithRegistry(fixtures.B, WithCAFile(fixtures.BCA)), WithDockerConfigDir(""),
		WithCredentials(map[string]Credentials{fixtures.A: {fixtures.AUser, fixtures.APassword},
			fixtures.B: {fixtures.BUser, fixtures.BPassword}}))
	if _, err := Copy(ctx, src, fixtures.B+"/go/dest:v4", WithSession(crossed)); !errors.Is(err, ErrTLS) ||
		!errors.As(err, &e) || e.Object != fixtures.A {
		t.Fatalf("the wrong CA for the source: %v", err)
	}
}

// A host the caller did not give is looked up in Docker's config.json; a
// host given empty credentials goes anonymous (config.json unread).
func TestCredentialsPassThrough(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(fixtures.User + ":" + fixtures.Password))
	config := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, fixtures.TLS, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ref := fixtures.TLS + "/go/secure:v1"
	var who asked
	s := openStore(t)
	other := newSession(t, WithCAFile(fixtures.CA), WithDockerConfigDir(dir),
		WithCredentials(map[string]Credentials{fixtures.A: {fixtures.AUser, fixtures.APassword}}),
		WithCredentialsFunc(func(host string) (string, string, bool, error) {
			who.add(host)
			return "", "", false, nil
		}))
	if _, err := s.Pull(ctx, ref, WithSession(other)); err != nil {
		t.Fatalf("config.json for a host not given: %v", err)
	}
	if fmt.Sprint(who.list()) != fmt.Sprint([]string{fixtures.TLS}) {
		t.Fatalf("asked for %v", who.list())
	}
	anonymous := newSession(t, WithCAFile(fixtures.CA), WithDockerConfigDir(dir),
		WithCredentials(map[string]Credentials{fixtures.TLS: {}}))
	if _, err := openStore(t).Pull(ctx, ref, WithSession(anonymous)); !errors.Is(err, ErrAuth) {
		t.Fatalf("anonymous: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	r, err := OpenRegistry(fixtures.Plain)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.Ping(ctx); err != nil || r.Host() != fixtures.Plain || r.BaseURL() != "http://"+fixtures.Plain {
		t.Fatalf("ping: %v %q %q", err, r.Host(), r.BaseURL())
	}
	if tags, err := r.Tags(ctx, "go/app"); err != nil || len(tags) != 1 || tags[0] != "v1" {
		t.Fatalf("tags: %v %v", tags, err)
	}
	repos, err := r.Catalog(ctx)
	if err != nil || len(repos) < 3 {
		t.Fatalf("catalog: %v %v", repos, err)
	}
	m, err := r.Manifest(ctx, "go/app", "v1")
	if err != nil || !strings.HasPrefix(m.Digest, "sha256:") || len(m.Data) == 0 || int64(len(m.Data)) != m.Size {
		t.Fatalf("manifest: %+v %v", m, err)
	}
	if h, err := r.Head(ctx, "go/app", "v1"); err != nil || h.Digest != m.Digest || h.Data != nil {
		t.Fatalf("head: %+v %v", h, err)
	}
	_, err = r.Manifest(ctx, "go/app", "nope")
	var e *Error
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrManifestNotFound) || !errors.As(err, &e) ||
		e.HTTPStatus != 404 || e.RegistryCode != "MANIFEST_UNKNOWN" || e.Subject != SubjectManifest {
		t.Fatalf("a missing tag: %#v", err)
	}
	// blobs: asked, and streamed with their digest checked
	var doc struct {
		Layers []struct {
			Digest string
			Size   int64
		}
	}
	if err := json.Unmarshal(m.Data, &doc); err != nil || len(doc.Layers) == 0 {
		t.Fatalf("the manifest: %s %v", m.Data, err)
	}
	layer := doc.Layers[0]
	if ok, size, err := r.BlobExists(ctx, "go/app", layer.Digest); err != nil || !ok || size != layer.Size {
		t.Fatalf("blob exists: %v %v %v", ok, size, err)
	}
	var blob bytes.Buffer
	if err := r.FetchBlob(ctx, "go/app", layer.Digest, &blob); err != nil ||
		fmt.Sprintf("sha256:%x", sha256.Sum256(blob.Bytes())) != layer.Digest {
		t.Fatalf("fetch: %v", err)
	}
	missing := "sha256:" + strings.Repeat("0", 64)
	if ok, _, err := r.BlobExists(ctx, "go/app", missing); err != nil || ok {
		t.Fatalf("a missing blob exists: %v %v", ok, err)
	}
	if err := r.FetchBlob(ctx, "go/app", missing, &blob); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("a missing blob: %v", err)
	}
}

func TestRegistryLimits(t *testing.T) {
	r, err := OpenRegistry(fixtures.Plain, WithLimits(10, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if tags, err := r.Tags(context.Background(), "go/app"); err != nil || len(tags) != 1 {
		t.Fatalf("tags: %v %v", tags, err)
	}
	if _, err := OpenRegistry(fixtures.Plain, WithLimits(0, -1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a negative limit: %v", err)
	}
}

// A pull of a missing tag says what the registry said: 404, MANIFEST_UNKNOWN.
func TestRegistryAnswerReachesGo(t *testing.T) {
	_, err := openStore(t).Pull(context.Background(), plain("go/app:nope"))
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != 404 || e.RegistryCode != "MANIFEST_UNKNOWN" ||
		!errors.Is(err, ErrManifestNotFound) || e.Subject != SubjectManifest || e.Name != "LIMG_ENOTFOUND" {
		t.Fatalf("a missing tag: %#v", err)
	}
}

// One registry handle serves calls at once, each stopped by its own context.
func TestRegistryCallsStopAlone(t *testing.T) {
	slow, err := OpenRegistry(fixtures.Slow)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	m, err := slow.Manifest(context.Background(), "go/big", "v1")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Layers []struct{ Digest string } }
	if err := json.Unmarshal(m.Data, &doc); err != nil || len(doc.Layers) == 0 {
		t.Fatal(err)
	}
	big := doc.Layers[len(doc.Layers)-1].Digest
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	var other error
	go func() { // a call of its own on the same handle goes on
		defer wg.Done()
		_, other = slow.Tags(context.Background(), "go/big")
	}()
	err = slow.FetchBlob(ctx, "go/big", big, &bytes.Buffer{})
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("the fetch ran %v past a 300 ms deadline", took)
	}
	if !errors.Is(err, ErrCanceled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a canceled error wrapping the deadline, got %v", err)
	}
	wg.Wait()
	if other != nil {
		t.Fatalf("the other call: %v", other)
	}
}

// Closing a session stops the calls using it and refuses new ones; the
// registries it gave out stay until closed.
func TestSessionClose(t *testing.T) {
	ctx := context.Background()
	sess, err := NewSession()
	if err != nil {
		t.Fatal(err)
	}
	r, err := sess.Registry(fixtures.Plain)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	done := make(chan error)
	go func() {
		_, err := s.Pull(ctx, fixtures.Slow+"/go/big:v1", WithSession(sess))
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	sess.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrCanceled) {
			t.Fatalf("a pull when its session closed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the pull did not stop")
	}
	if _, err := s.Pull(ctx, plain("go/app:v1"), WithSession(sess)); !errors.Is(err, ErrClosed) {
		t.Fatalf("a closed session: %v", err)
	}
	if _, err := sess.Registry(fixtures.Plain); !errors.Is(err, ErrClosed) {
		t.Fatalf("a registry of a closed session: %v", err)
	}
	if tags, err := r.Tags(ctx, "go/app"); err != nil || len(tags) != 1 {
		t.Fatalf("the registry after its session closed: %v %v", tags, err)
	}
	r.Close()
	if _, err := r.Tags(ctx, "go/app"); !errors.Is(err, ErrClosed) || err.Error() != "libimage: the registry is closed" {
		t.Fatalf("a closed registry: %v", err)
	}
}

// A registry's mirrors are its own setting: here a registry that does not
// answer, served by a mirror.
func TestMirrors(t *testing.T) {
	dead := "127.0.0.1:1"
	sess := newSession(t, WithRegistry(dead, WithMirrors(Mirror{URL: "http://" + fixtures.Plain,
		Capabilities: MirrorPull | MirrorResolve})), WithRetries(1, time.Millisecond, time.Millisecond))
	res, err := openStore(t).Pull(context.Background(), dead+"/go/app:v1", WithSession(sess))
	if err != nil || res.Reference != dead+"/go/app:v1" {
		t.Fatalf("a pull through a mirror: %+v %v", res, err)
	}
	if _, err := NewSession(WithMirrors(Mirror{URL: "http://x\x00y"})); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a NUL: %v", err)
	}
}

func TestErrorValues(t *testing.T) {
	if ErrNotFound.Name != "LIMG_ENOTFOUND" || ErrImageNotFound.Subject != SubjectImage ||
		SubjectManifest.String() != "LIMG_SUBJECT_MANIFEST" || Subject(9999).String() != "Subject(9999)" {
		t.Fatalf("sentinels: %#v %#v", ErrNotFound, ErrImageNotFound)
	}
	if errors.Is(ErrNotFound, ErrImageNotFound) || !errors.Is(ErrNotFound, ErrNotFound) {
		t.Fatal("sentinels match only themselves")
	}
	e := &Error{Code: ErrTimeout.Code}
	if !errors.Is(e, ErrNetwork) || !errors.Is(e, ErrTimeout) || errors.Is(e, ErrTLS) {
		t.Fatal("ErrNetwork matches timeouts")
	}
	if EventComplete.String() != "complete" || Event(999).String() != "Event(999)" || KindLayer == KindConfig {
		t.Fatal("events")
	}
	if Version() == "" || !strings.Contains(Platform(), "/") {
		t.Fatalf("version %q, platform %q", Version(), Platform())
	}
}
