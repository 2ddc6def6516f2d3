package libimage

/*
#include "helpers.h"
*/
import "C"

import "unsafe"

// Option sets how an operation reaches registries and reports; each
// operation uses those that concern it.
type Option func(*settings)

type settings struct {
	platform        string
	progress        func(Progress)
	pushProgress    func(PushProgress)
	credentials     func(host string) (string, string, error)
	caFile          string
	certsDir        string
	dockerConfigDir *string
	insecure        *bool
	concurrency     int
	mirror          string
}

// WithPlatform chooses one platform of an index ("linux/arm64/v8").
func WithPlatform(p string) Option { return func(s *settings) { s.platform = p } }

// WithProgress receives pull progress (calls never overlap).
func WithProgress(f func(Progress)) Option { return func(s *settings) { s.progress = f } }

// WithPushProgress receives push and copy progress.
func WithPushProgress(f func(PushProgress)) Option { return func(s *settings) { s.pushProgress = f } }

// WithAuth gives a user name and password (or token) for every registry the call reaches.
func WithAuth(user, secret string) Option {
	return func(s *settings) {
		s.credentials = func(string) (string, string, error) { return user, secret, nil }
	}
}

// WithAuthFunc asks f for the credentials of each registry (host as references name it).
func WithAuthFunc(f func(host string) (user, secret string, err error)) Option {
	return func(s *settings) { s.credentials = f }
}

// WithCAFile trusts a PEM bundle besides the system's.
func WithCAFile(path string) Option { return func(s *settings) { s.caFile = path } }

// WithCertsDir reads <dir>/<host>/ca.crt, client certificates and containerd's hosts.toml mirrors.
func WithCertsDir(dir string) Option { return func(s *settings) { s.certsDir = dir } }

// WithDockerConfigDir reads Docker's config.json there ("" for none).
func WithDockerConfigDir(dir string) Option { return func(s *settings) { s.dockerConfigDir = &dir } }

// WithInsecure allows (true) or forbids (false) plain HTTP and unverified TLS;
// without it, loopback registries may be plain HTTP, as Docker allows.
func WithInsecure(on bool) Option { return func(s *settings) { s.insecure = &on } }

// WithConcurrency sets how many blobs go at once.
func WithConcurrency(n int) Option { return func(s *settings) { s.concurrency = n } }

// WithRegistryMirror serves docker.io from this mirror first, as Docker's registry-mirrors.
func WithRegistryMirror(m string) Option { return func(s *settings) { s.mirror = m } }

func collect(opts []Option) *settings {
	s := &settings{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// registryOpts fills the C options; the strings live in @cs.
func (s *settings) registryOpts(o *C.limg_registry_opts, cs *cstrings, cancel *C.limg_cancel) error {
	C.limg_registry_opts_init(o, C.size_t(unsafe.Sizeof(*o)))
	var err error
	if o.ca_file, err = cs.add(s.caFile, "CA file", true); err != nil {
		return err
	}
	if o.certs_dir, err = cs.add(s.certsDir, "certs dir", true); err != nil {
		return err
	}
	if s.dockerConfigDir != nil { // "" (not NULL) says: no config.json
		if o.docker_config_dir, err = cs.add(*s.dockerConfigDir, "docker config dir", false); err != nil {
			return err
		}
	}
	if s.insecure != nil {
		o.insecure = 0
		if *s.insecure {
			o.insecure = 1
		}
	}
	o.cancel = cancel
	return nil
}
