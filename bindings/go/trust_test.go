// SPDX-License-Identifier: MIT

package libimage

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trustFixture: an ECDSA key made by Go's crypto (independent of libimage),
// its public half on disk, a registries.d that reads sigstore attachments,
// and a policy that wants the key's signature for the plain registry.
type trustFixture struct {
	key     *ecdsa.PrivateKey
	keyPEM  []byte
	pubPath string
	regD    string
	policy  *Policy
}

func newTrustFixture(t *testing.T) *trustFixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	dir := t.TempDir()
	f := &trustFixture{key: key, keyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pubPath: filepath.Join(dir, "key.pub"), regD: filepath.Join(dir, "registries.d")}
	os.WriteFile(f.pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	os.MkdirAll(f.regD, 0o755)
	os.WriteFile(filepath.Join(f.regD, "on.yaml"), []byte("default-docker:\n  use-sigstore-attachments: true\n"), 0o644)
	doc := map[string]any{"default": []any{map[string]any{"type": "reject"}},
		"transports": map[string]any{"docker": map[string]any{fixtures.Plain: []any{map[string]any{
			"type": "sigstoreSigned", "keyPath": f.pubPath, "signedIdentity": map[string]any{"type": "matchRepository"}}}}}}
	text, _ := json.Marshal(doc)
	if f.policy, err = ParsePolicy(text, WithRegistriesD(f.regD)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.policy.Close() })
	return f
}

func TestPolicySignAndReferrers(t *testing.T) {
	ctx := context.Background()
	f := newTrustFixture(t)
	s := openStore(t)
	// an unsigned image is refused before any layer, nothing stored
	_, err := s.Pull(ctx, plain("go/app:v1"), WithPolicy(f.policy))
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("want ErrRejected, got %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Subject != SubjectPolicy || !strings.Contains(e.Message, "no signature exists") {
		t.Fatalf("the rejection: %+v", e)
	}
	if rows, _ := s.Images(ctx); len(rows) != 0 {
		t.Fatalf("a rejected pull stored %v", rows)
	}
	v, err := f.policy.Verify(ctx, plain("go/app:v1"))
	if !errors.Is(err, ErrRejected) || v == nil || v.Accepted || v.Scope != fixtures.Plain || len(v.Requirements) != 1 {
		t.Fatalf("verify of an unsigned image: %+v, %v", v, err)
	}

	// signed by libimage when pushed; checked with Go's own crypto
	if _, err := s.Pull(ctx, plain("go/app:v1")); err != nil {
		t.Fatal(err)
	}
	signer, err := ParseSigner(f.keyPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	digest, err := s.Push(ctx, plain("go/signed:v1"), WithSource(plain("go/app:v1")), WithSigner(signer))
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenRegistry(fixtures.Plain)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sig, err := r.Manifest(ctx, "go/signed", strings.Replace(digest, ":", "-", 1)+".sig")
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Layers []struct {
			Digest      string
			Annotations map[string]string
		}
	}
	json.Unmarshal(sig.Data, &man)
	if len(man.Layers) != 1 {
		t.Fatalf("the .sig manifest: %s", sig.Data)
	}
	var payload strings.Builder
	if err := r.FetchBlob(ctx, "go/signed", man.Layers[0].Digest, &payload); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(man.Layers[0].Annotations["dev.cosignproject.cosign/signature"])
	hash := sha256.Sum256([]byte(payload.String()))
	if !ecdsa.VerifyASN1(&f.key.PublicKey, hash[:], raw) || !strings.Contains(payload.String(), digest) {
		t.Fatalf("Go's crypto does not verify the signature of %s: %s", digest, payload.String())
	}
	v, err = f.policy.Verify(ctx, plain("go/signed:v1"))
	if err != nil || !v.Accepted || !strings.Contains(v.Requirements[0].Reason, f.pubPath) {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	if _, err := s.Pull(ctx, plain("go/signed:v1"), WithPolicy(f.policy), WithReferrers()); err != nil {
		t.Fatal(err)
	}
	// kept beside the image: checked with no registry
	if v, err := f.policy.Verify(ctx, plain("go/signed:v1"), WithStore(s)); err != nil || !v.Accepted {
		t.Fatalf("verify in the store: %+v, %v", v, err)
	}

	// a bundle referrer (cosign v3), an SBOM attached, both listed
	if got, err := Sign(ctx, plain("go/signed:v1"), signer, WithSignatureFormat(BundleFormat)); err != nil ||
		got != digest {
		t.Fatalf("sign: %s, %v", got, err)
	}
	sbom := filepath.Join(t.TempDir(), "sbom.json")
	os.WriteFile(sbom, []byte("{}"), 0o644)
	attached, err := r.Attach(ctx, "go/signed", "v1", "application/spdx+json", []string{sbom},
		map[string]string{"org.example": "go"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := r.Referrers(ctx, "go/signed", digest, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("referrers: %+v, %v", all, err)
	}
	sboms, err := r.Referrers(ctx, "go/signed", digest, "application/spdx+json")
	if err != nil || len(sboms) != 1 || sboms[0].Digest != attached || sboms[0].Created == "" {
		t.Fatalf("SBOM referrers: %+v, %v", sboms, err)
	}

	// a copy checked, signed and carrying the referrers
	copied, err := Copy(ctx, plain("go/signed:v1"), plain("go/copied:v1"), WithPolicy(f.policy), WithSigner(signer),
		WithReferrers())
	if err != nil || copied != digest {
		t.Fatalf("copy: %s, %v", copied, err)
	}
	if got, err := r.Referrers(ctx, "go/copied", digest, ""); err != nil || len(got) != 2 {
		t.Fatalf("copied referrers: %+v, %v", got, err)
	}
	if _, err := Copy(ctx, plain("go/app:v1"), plain("go/nope:v1"), WithPolicy(f.policy)); !errors.Is(err, ErrRejected) {
		t.Fatalf("want ErrRejected, got %v", err)
	}
	if _, err := ParsePolicy([]byte(`{"default": []}`), WithRegistriesD("")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("an empty default: %v", err)
	}
	if _, err := ParseSigner([]byte("not a key"), ""); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("not a key: %v", err)
	}
}
