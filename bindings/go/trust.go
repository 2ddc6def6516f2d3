// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"os"
	"unsafe"
)

// Policy is a signature policy (containers-policy.json, as podman and
// skopeo read it) with the registries.d settings that say where
// sigstore attachments are read. Safe for concurrent use; Close frees it
// once the calls using it have returned.
type Policy struct {
	life
	h *C.limg_policy
}

// PolicyOption configures LoadPolicy and ParsePolicy.
type PolicyOption func(*policyConfig)

type policyConfig struct {
	registriesD *string
}

// WithRegistriesD reads use-sigstore-attachments from dir (registries.d's
// *.yaml files); "" reads none, so no signature is fetched from registries.
// Default: podman's ($HOME/.config/containers/registries.d when it exists,
// else /etc/containers/registries.d).
func WithRegistriesD(dir string) PolicyOption {
	return func(c *policyConfig) { c.registriesD = &dir }
}

// DefaultPolicyPath is the file podman and skopeo use:
// $HOME/.config/containers/policy.json when it exists, else /etc/containers/policy.json.
func DefaultPolicyPath() (string, error) {
	var out C.limg_buf
	var e C.lg_error
	if C.limg_policy_default_path(&out) < 0 {
		return "", invalid("no memory")
	}
	_ = e
	return takeBuf(&out), nil
}

// LoadPolicy reads a policy file (path "": the default, DefaultPolicyPath),
// strictly, as containers/image does: an unknown or duplicate field refuses
// it (ErrCorrupt, SubjectPolicy).
func LoadPolicy(path string, opts ...PolicyOption) (*Policy, error) {
	return newPolicy(path, nil, opts)
}

// ParsePolicy reads a policy document.
func ParsePolicy(text []byte, opts ...PolicyOption) (*Policy, error) {
	if text == nil {
		text = []byte{}
	}
	return newPolicy("", text, opts)
}

func newPolicy(path string, text []byte, opts []PolicyOption) (*Policy, error) {
	var cfg policyConfig
	for _, o := range opts {
		o(&cfg)
	}
	var m cmem
	defer m.free()
	var o C.limg_policy_opts
	C.limg_policy_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if cfg.registriesD != nil {
		dir, err := m.str(*cfg.registriesD, "registries.d", false)
		if err != nil {
			return nil, err
		}
		o.registries_d = dir
	}
	p, err := m.str(path, "path", true)
	if err != nil {
		return nil, err
	}
	var t *C.char
	if text != nil {
		t = (*C.char)(m.alloc(uintptr(len(text)) + 1))
		copy(unsafe.Slice((*byte)(unsafe.Pointer(t)), len(text)), text)
	}
	pol := &Policy{}
	var e C.lg_error
	if C.lg_policy_load(&pol.h, p, t, C.size_t(len(text)), &o, &e) < 0 {
		return nil, fromC(&e)
	}
	if err := pol.life.init("policy", func() { C.limg_policy_free(pol.h); pol.h = nil }); err != nil {
		C.limg_policy_free(pol.h)
		return nil, err
	}
	return pol, nil
}

// Close frees the policy once no call uses it.
func (p *Policy) Close() error {
	p.close()
	return nil
}

// Requirement is one requirement of the scope that applied: its type
// ("sigstoreSigned", "reject", ...), whether it held, and why (which
// signature, which key; or what failed).
type Requirement struct {
	Type     string
	Accepted bool
	Reason   string
}

// Verdict is what a policy decided about an image.
type Verdict struct {
	Accepted     bool
	Image        string // as the policy saw it ("docker.io/library/busybox:latest")
	Scope        string // the transports.docker scope that applied ("" its default) ...
	DefaultScope bool   // ... or true: the policy's "default"
	Message      string
	Requirements []Requirement
}

func verdictOf(v *C.limg_verdict) *Verdict {
	if v == nil {
		return nil
	}
	out := &Verdict{Accepted: C.limg_verdict_accepted(v) != 0, Image: goString(C.limg_verdict_image(v)),
		Message: goString(C.limg_verdict_message(v))}
	if scope := C.limg_verdict_scope(v); scope != nil {
		out.Scope = C.GoString(scope)
	} else {
		out.DefaultScope = true
	}
	for i := C.size_t(0); i < C.limg_verdict_count(v); i++ {
		out.Requirements = append(out.Requirements, Requirement{Type: goString(C.limg_verdict_requirement(v, i)),
			Accepted: C.limg_verdict_requirement_accepted(v, i) != 0, Reason: goString(C.limg_verdict_reason(v, i))})
	}
	return out
}

// VerifyOption configures Policy.Verify.
type VerifyOption interface {
	option
	verifyOption()
}

func (PlatformOption) verifyOption() {}
func (TransferOption) verifyOption() {}

type verifyOnly func(*opConfig)

func (f verifyOnly) apply(c *opConfig) { f(c) }
func (verifyOnly) verifyOption()       {}

// WithStore checks the image stored in s, with the signatures kept beside
// it (pulled WithReferrers, or loaded from an archive): no network.
func WithStore(s *Store) VerifyOption { return verifyOnly(func(c *opConfig) { c.store = s }) }

// IndexSignaturesOption says whether an index's signatures admit the image
// chosen from it (the default) or only the image's own do (containers/image's
// rule); for Pull, Copy and Policy.Verify.
type IndexSignaturesOption struct{ only bool }

// WithInstanceSignaturesOnly counts only the image's own signatures, not its index's.
func WithInstanceSignaturesOnly() IndexSignaturesOption { return IndexSignaturesOption{true} }

func (o IndexSignaturesOption) apply(c *opConfig) { c.instanceOnly = o.only }
func (IndexSignaturesOption) pullOption()         {}
func (IndexSignaturesOption) copyOption()         {}
func (IndexSignaturesOption) verifyOption()       {}

func indexSignatures(c *opConfig) C.int {
	if c.instanceOnly {
		return C.LIMG_INDEX_SIGNATURES_IGNORE
	}
	return C.LIMG_INDEX_SIGNATURES_ACCEPT
}

// Verify checks the image where it is (its registry, or a store with
// WithStore) as a pull would, and says which requirement accepted or
// rejected it. A rejection returns the Verdict together with an error
// matching ErrRejected. Options: WithPlatform, WithSession, WithStore,
// WithInstanceSignaturesOnly.
func (p *Policy) Verify(ctx context.Context, reference string, opts ...VerifyOption) (*Verdict, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	ref, err := m.str(reference, "reference", false)
	if err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var o C.limg_verify_opts
	C.limg_verify_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	if o.platform, err = m.str(cfg.platform, "platform", true); err != nil {
		return nil, err
	}
	o.index_signatures = indexSignatures(cfg)
	parents := []*C.limg_cancel{p.closing}
	if s := cfg.session; s != nil {
		if err := s.enter(); err != nil {
			return nil, err
		}
		defer s.leave()
		o.session = s.h
		parents = append(parents, s.closing)
	}
	if st := cfg.store; st != nil {
		if err := st.enter(); err != nil {
			return nil, err
		}
		defer st.leave()
		o.store = st.h
		parents = append(parents, st.closing)
	}
	if err := canceled(ctx); err != nil {
		return nil, err
	}
	cancel, release := token(ctx, parents...)
	defer release()
	o.cancel = cancel
	var v *C.limg_verdict
	var e C.lg_error
	rc := C.lg_verify(&v, p.h, ref, &o, &e)
	defer C.limg_verdict_free(v)
	verdict := verdictOf(v)
	if rc < 0 {
		return verdict, failure(ctx, &e)
	}
	return verdict, nil
}

// Signer is a private key that signs: ECDSA P-256 in PEM, or cosign's
// encrypted key with its passphrase. Safe for concurrent use.
type Signer struct {
	life
	h *C.limg_signer
}

// LoadSigner reads a private key file (passphrase "" for a key that is not encrypted).
func LoadSigner(path, passphrase string) (*Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSigner(data, passphrase)
}

// ParseSigner reads a private key (ErrCorrupt with SubjectKey for a wrong passphrase).
func ParseSigner(data []byte, passphrase string) (*Signer, error) {
	var m cmem
	defer m.free()
	pass, err := m.str(passphrase, "passphrase", true)
	if err != nil {
		return nil, err
	}
	buf := m.alloc(uintptr(len(data)) + 1)
	copy(unsafe.Slice((*byte)(buf), len(data)), data)
	s := &Signer{}
	var e C.lg_error
	if C.lg_signer_parse(&s.h, buf, C.size_t(len(data)), pass, &e) < 0 {
		return nil, fromC(&e)
	}
	if err := s.life.init("signer", func() { C.limg_signer_free(s.h); s.h = nil }); err != nil {
		C.limg_signer_free(s.h)
		return nil, err
	}
	return s, nil
}

// Close frees the key (wiped) once no call uses it.
func (s *Signer) Close() error {
	s.close()
	return nil
}

// PublicKey is the public half, PEM.
func (s *Signer) PublicKey() (string, error) {
	if err := s.enter(); err != nil {
		return "", err
	}
	defer s.leave()
	var out C.limg_buf
	var e C.lg_error
	if C.lg_signer_public_key(&out, s.h, &e) < 0 {
		return "", fromC(&e)
	}
	return takeBuf(&out), nil
}

// Sign signs data: ECDSA over its SHA-256, DER, standard base64.
func (s *Signer) Sign(data []byte) (string, error) {
	if err := s.enter(); err != nil {
		return "", err
	}
	defer s.leave()
	var m cmem
	defer m.free()
	buf := m.alloc(uintptr(len(data)) + 1)
	copy(unsafe.Slice((*byte)(buf), len(data)), data)
	var out C.limg_buf
	var e C.lg_error
	if C.lg_signer_sign(&out, s.h, buf, C.size_t(len(data)), &e) < 0 {
		return "", fromC(&e)
	}
	return takeBuf(&out), nil
}

// SignatureFormat is how a signature is stored (limg_signature_format).
type SignatureFormat int

// Signature formats.
const (
	SimpleSigning SignatureFormat = C.LIMG_SIGNATURE_SIMPLE // the sha256-<hex>.sig tag (podman, skopeo, cosign < 3)
	BundleFormat  SignatureFormat = C.LIMG_SIGNATURE_BUNDLE // a Sigstore bundle referrer (cosign v3)
)

// SignOption configures Sign, and signing in Push and Copy (WithSigner).
type SignOption interface {
	option
	signOption()
}

func (TransferOption) signOption() {}

type signOnly func(*opConfig)

func (f signOnly) apply(c *opConfig) { f(c) }
func (signOnly) signOption()         {}
func (signOnly) pushOption()         {}
func (signOnly) copyOption()         {}

// WithSignatureFormat chooses the format of the signatures written (default SimpleSigning).
func WithSignatureFormat(f SignatureFormat) signOnly {
	return signOnly(func(c *opConfig) { c.signFormat = f })
}

// WithSignIdentity names the docker-reference a simple-signing payload
// claims (default: the reference signed, with its tag).
func WithSignIdentity(identity string) signOnly {
	return signOnly(func(c *opConfig) { c.signIdentity = identity })
}

// WithSignRecursive signs each image of an index too (what podman needs).
func WithSignRecursive() signOnly { return signOnly(func(c *opConfig) { c.signRecursive = true }) }

// Sign signs an image in its registry, as cosign sign --key does, and
// returns the digest signed. Options: WithSession, WithSignatureFormat,
// WithSignIdentity, WithSignRecursive.
func Sign(ctx context.Context, reference string, signer *Signer, opts ...SignOption) (string, error) {
	cfg := collect(opts)
	var m cmem
	defer m.free()
	ref, err := m.str(reference, "reference", false)
	if err != nil {
		return "", err
	}
	var o C.limg_sign_opts
	C.limg_sign_opts_init(&o, C.size_t(unsafe.Sizeof(o)))
	o.format = C.int(cfg.signFormat)
	if o.identity, err = m.str(cfg.signIdentity, "identity", true); err != nil {
		return "", err
	}
	o.recursive = cbool(cfg.signRecursive)
	if err := signer.enter(); err != nil {
		return "", err
	}
	defer signer.leave()
	parents := []*C.limg_cancel{signer.closing}
	if s := cfg.session; s != nil {
		if err := s.enter(); err != nil {
			return "", err
		}
		defer s.leave()
		o.session = s.h
		parents = append(parents, s.closing)
	}
	if err := canceled(ctx); err != nil {
		return "", err
	}
	cancel, release := token(ctx, parents...)
	defer release()
	o.cancel = cancel
	var out C.limg_buf
	var e C.lg_error
	if C.lg_sign(&out, signer.h, ref, &o, &e) < 0 {
		return "", failure(ctx, &e)
	}
	return takeBuf(&out), nil
}

// ---- pull, push and copy ------------------------------------------------

// PolicyCheck checks a Pull's or Copy's image against a signature policy
// before any layer or blob moves (an error matching ErrRejected, nothing
// stored or copied).
type PolicyCheck struct{ p *Policy }

// WithPolicy checks the image against p first.
func WithPolicy(p *Policy) PolicyCheck { return PolicyCheck{p} }

func (o PolicyCheck) apply(c *opConfig) { c.policy = o.p }
func (PolicyCheck) pullOption()         {}
func (PolicyCheck) copyOption()         {}

// SignWith signs what Push or Copy wrote.
type SignWith struct{ s *Signer }

// WithSigner signs what is written with s (format: WithSignatureFormat).
func WithSigner(s *Signer) SignWith { return SignWith{s} }

func (o SignWith) apply(c *opConfig) { c.signer = o.s }
func (SignWith) pushOption()         {}
func (SignWith) copyOption()         {}

// ReferrersOption carries what refers to an image (its signatures, SBOMs):
// Pull keeps it beside the image, Push and Copy bring it along.
type ReferrersOption struct{}

// WithReferrers carries the image's referrers and cosign signatures too.
func WithReferrers() ReferrersOption { return ReferrersOption{} }

func (ReferrersOption) apply(c *opConfig) { c.referrers = true }
func (ReferrersOption) pullOption()       {}
func (ReferrersOption) pushOption()       {}
func (ReferrersOption) copyOption()       {}

// enterTrust counts the call into the policy and the signer it uses; the
// returned function counts it out.
func enterTrust(cfg *opConfig) (func(), error) {
	var left []func()
	leave := func() {
		for _, f := range left {
			f()
		}
	}
	if cfg.policy != nil {
		if err := cfg.policy.enter(); err != nil {
			return nil, err
		}
		left = append(left, cfg.policy.leave)
	}
	if cfg.signer != nil {
		if err := cfg.signer.enter(); err != nil {
			leave()
			return nil, err
		}
		left = append(left, cfg.signer.leave)
	}
	return leave, nil
}
