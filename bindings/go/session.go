// SPDX-License-Identifier: MIT

package libimage

/*
#include "helpers.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// Session holds registries shared between calls (curl's share handle is the
// model): each registry host's settings (TLS, CA, certificates, mirrors,
// retries) and credentials, and, once used, its connections, TLS sessions
// and bearer tokens. Give it to Pull, Push and Copy with WithSession, or
// ask it for a Registry. Safe for concurrent use; Close while calls run
// stops them, and the session goes when the last has returned.
//
// Credentials are looked up per registry host: each registry gets the
// credentials given for it (WithCredentials, WithCredentialsFunc), and a
// host the caller did not give is looked up in Docker's config.json and its
// helpers, as the docker CLI does. A copy's source never sees the
// destination's password, nor the other way round.
type Session struct {
	life
	h      *C.limg_session
	creds  *credentials
	handle cgo.Handle
}

// SessionOption configures NewSession and OpenRegistry. Every RegistryOption
// is one too: given there, it is the setting of every registry the session
// reaches (WithRegistry gives one registry settings of its own).
type SessionOption interface{ applySession(*sessionConfig) }

// RegistryOption is a setting of a registry: for every registry of a
// session (as a SessionOption), or for one (WithRegistry).
type RegistryOption interface {
	SessionOption
	applyRegistry(*registryConfig)
}

type sessionConfig struct {
	defaults registryConfig
	hosts    []string // in the order given
	perHost  map[string][]RegistryOption
	byHost   map[string]Credentials
	fn       CredentialsFunc
}

type registryConfig struct {
	tls              TLSMode
	caFile           string
	certsDir         string
	dockerConfigDir  *string
	mirrors          []Mirror
	skipHostsTOML    bool
	maxAttempts      int
	backoff          time.Duration
	backoffMax       time.Duration
	retryAfterMax    time.Duration
	connectTimeout   time.Duration
	lowSpeedTime     time.Duration
	requestTimeout   time.Duration
	operationTimeout time.Duration
	maxBlobSize      int64
	perSecond        int
	connections      int
}

// CredentialsFunc gives the credentials of a registry host ("docker.io",
// "localhost:5000"), asked once per host and session when the registry
// wants them. ok false: not given (Docker's config.json is looked up, as for
// a host the caller did not name); an error stops the call that needed them
// and is what that call returns.
type CredentialsFunc func(host string) (user, secret string, ok bool, err error)

type sessionFunc func(*sessionConfig)

func (f sessionFunc) applySession(c *sessionConfig) { f(c) }

// WithCredentials gives each registry host (as references name it:
// "docker.io", "localhost:5000") its own credentials. A host not in the map
// is looked up in Docker's config.json; a host mapped to empty Credentials
// is reached anonymously.
func WithCredentials(byHost map[string]Credentials) SessionOption {
	return sessionFunc(func(c *sessionConfig) {
		if c.byHost == nil {
			c.byHost = map[string]Credentials{}
		}
		for h, cr := range byHost {
			c.byHost[h] = cr
		}
	})
}

// WithCredentialsFunc asks f for the credentials of the hosts WithCredentials
// does not name.
func WithCredentialsFunc(f CredentialsFunc) SessionOption {
	return sessionFunc(func(c *sessionConfig) { c.fn = f })
}

// WithRegistry gives one registry host settings of its own, on top of the
// session's (a copy's source and destination need not be alike: another
// CA, plain HTTP, mirrors).
func WithRegistry(host string, opts ...RegistryOption) SessionOption {
	return sessionFunc(func(c *sessionConfig) {
		if c.perHost == nil {
			c.perHost = map[string][]RegistryOption{}
		}
		if _, ok := c.perHost[host]; !ok {
			c.hosts = append(c.hosts, host)
		}
		c.perHost[host] = append(c.perHost[host], opts...)
	})
}

type registryFunc func(*registryConfig)

func (f registryFunc) applyRegistry(c *registryConfig) { f(c) }
func (f registryFunc) applySession(c *sessionConfig)   { f(&c.defaults) }

// WithTLS says how TLS is used (default TLSDefault: verified HTTPS, plain
// HTTP allowed on loopback).
func WithTLS(mode TLSMode) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.tls = mode })
}

// WithCAFile trusts a PEM CA bundle besides the system's.
func WithCAFile(path string) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.caFile = path })
}

// WithCertsDir reads DIR/<host:port>/ca.crt, client.cert, client.key and
// hosts.toml (default /etc/docker/certs.d).
func WithCertsDir(dir string) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.certsDir = dir })
}

// WithDockerConfigDir reads Docker's config.json in dir ("": none at all).
// Default: $DOCKER_CONFIG, else ~/.docker.
func WithDockerConfigDir(dir string) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.dockerConfigDir = &dir })
}

// WithMirrors tries these mirrors, in order, before the registry itself.
func WithMirrors(mirrors ...Mirror) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.mirrors = append(c.mirrors[:len(c.mirrors):len(c.mirrors)], mirrors...) })
}

// WithoutHostsTOML does not read containerd's hosts.toml in the certs directory.
func WithoutHostsTOML() RegistryOption {
	return registryFunc(func(c *registryConfig) { c.skipHostsTOML = true })
}

// WithRetries sets the tries per request on network errors, 5xx and 429
// (default 5), and the first and longest wait between them (default
// 200 ms, 10 s; 0 keeps a default).
func WithRetries(attempts int, first, longest time.Duration) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.maxAttempts, c.backoff, c.backoffMax = attempts, first, longest })
}

// WithRetryAfterMax sets the longest Retry-After honoured (default 60 s); a
// longer one fails at once with ErrRateLimited.
func WithRetryAfterMax(d time.Duration) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.retryAfterMax = d })
}

// WithLimits paces a registry, for every call and goroutine sharing the
// session: at most perSecond requests started each second and at most
// connections requests in flight at once (a streamed blob copy holds one at
// each end); 0 is no limit.
func WithLimits(perSecond, connections int) RegistryOption {
	return registryFunc(func(c *registryConfig) { c.perSecond, c.connections = perSecond, connections })
}

// WithTimeouts sets the connect timeout (default 30 s), how long a transfer
// may stall (default 30 s), how long one request may take (default 300 s)
// and one call with its retries (default: no limit); 0 keeps a default.
func WithTimeouts(connect, stall, request, operation time.Duration) RegistryOption {
	return registryFunc(func(c *registryConfig) {
		c.connectTimeout, c.lowSpeedTime, c.requestTimeout, c.operationTimeout = connect, stall, request, operation
	})
}

// toC fills o with the settings; what it points at lives in m.
func (rc *registryConfig) toC(o *C.limg_registry_opts, m *cmem) error {
	C.limg_registry_opts_init(o, C.size_t(unsafe.Sizeof(*o)))
	var err error
	o.tls = C.int(rc.tls)
	if o.ca_file, err = m.str(rc.caFile, "CA file", true); err != nil {
		return err
	}
	if o.certs_dir, err = m.str(rc.certsDir, "certs dir", true); err != nil {
		return err
	}
	if rc.dockerConfigDir != nil { // "" (not NULL) says: no config.json
		if o.docker_config_dir, err = m.str(*rc.dockerConfigDir, "docker config dir", false); err != nil {
			return err
		}
	}
	if len(rc.mirrors) > 0 {
		arr := (**C.limg_endpoint)(m.alloc(uintptr(len(rc.mirrors)) * unsafe.Sizeof((*C.limg_endpoint)(nil))))
		slots := unsafe.Slice(arr, len(rc.mirrors))
		for i, mi := range rc.mirrors {
			ep := (*C.limg_endpoint)(m.alloc(unsafe.Sizeof(C.limg_endpoint{})))
			C.limg_endpoint_init(ep, C.size_t(unsafe.Sizeof(*ep)))
			if ep.url, err = m.str(mi.URL, "mirror URL", false); err != nil {
				return err
			}
			ep.capabilities = C.uint(mi.Capabilities)
			ep.skip_verify = cbool(mi.SkipVerify)
			if ep.ca_file, err = m.str(mi.CAFile, "mirror CA file", true); err != nil {
				return err
			}
			if ep.client_cert, err = m.str(mi.ClientCert, "mirror client certificate", true); err != nil {
				return err
			}
			if ep.client_key, err = m.str(mi.ClientKey, "mirror client key", true); err != nil {
				return err
			}
			ep.override_path = cbool(mi.OverridePath)
			if ep.headers, err = m.strs(mi.Headers, "mirror header"); err != nil {
				return err
			}
			ep.headers_len = C.size_t(len(mi.Headers))
			ep.dial_timeout_ms = millis(mi.DialTimeout)
			slots[i] = ep
		}
		o.mirrors = arr
		o.mirrors_len = C.size_t(len(rc.mirrors))
	}
	o.skip_hosts_toml = cbool(rc.skipHostsTOML)
	o.max_attempts = C.int(rc.maxAttempts)
	o.backoff_ms = millis(rc.backoff)
	o.backoff_max_ms = millis(rc.backoffMax)
	o.retry_after_max_s = seconds(rc.retryAfterMax)
	o.connect_timeout_ms = millis(rc.connectTimeout)
	o.low_speed_time_s = seconds(rc.lowSpeedTime)
	o.request_timeout_s = seconds(rc.requestTimeout)
	o.operation_timeout_s = seconds(rc.operationTimeout)
	o.max_blob_size = C.int64_t(rc.maxBlobSize)
	o.max_requests_per_second = C.int(rc.perSecond)
	o.max_connections = C.int(rc.connections)
	return nil
}

// NewSession makes a session: registry options given here are the settings
// of every registry; WithRegistry gives one host its own; WithCredentials
// and WithCredentialsFunc give credentials per host. No request is made yet.
func NewSession(opts ...SessionOption) (*Session, error) {
	cfg := &sessionConfig{}
	for _, o := range opts {
		o.applySession(cfg)
	}
	for h, cr := range cfg.byHost {
		if containsNUL(h) || containsNUL(cr.Username) || containsNUL(cr.Secret) {
			return nil, invalid("credentials contain a NUL character")
		}
	}
	var m cmem
	defer m.free()
	var o C.limg_registry_opts
	if err := cfg.defaults.toC(&o, &m); err != nil {
		return nil, err
	}
	s := &Session{creds: &credentials{byHost: cfg.byHost, fn: cfg.fn}}
	s.handle = cgo.NewHandle(s.creds)
	var e C.lg_error
	if C.lg_session_new(&s.h, &o, C.uintptr_t(s.handle), &e) < 0 {
		s.handle.Delete()
		return nil, fromC(&e)
	}
	for _, host := range cfg.hosts {
		rc := cfg.defaults
		rc.mirrors = append([]Mirror(nil), rc.mirrors...)
		for _, ro := range cfg.perHost[host] {
			ro.applyRegistry(&rc)
		}
		var ho C.limg_registry_opts
		err := rc.toC(&ho, &m)
		var domain *C.char
		if err == nil {
			domain, err = m.str(host, "registry host", false)
		}
		if err == nil && C.lg_session_set_registry_opts(s.h, domain, &ho, &e) < 0 {
			err = fromC(&e)
		}
		if err != nil {
			C.limg_session_free(s.h)
			s.handle.Delete()
			return nil, err
		}
	}
	if err := s.life.init("session", func() {
		C.limg_session_free(s.h)
		s.h = nil
		s.handle.Delete()
	}); err != nil {
		C.limg_session_free(s.h)
		s.handle.Delete()
		return nil, err
	}
	return s, nil
}

// Close frees the session once the calls using it have returned (they are
// asked to stop). Registries it gave out stay usable until they are closed.
func (s *Session) Close() error {
	s.close()
	return nil
}

// credentials is what the session's credentials callback reaches: the
// caller's answers, and the failures of the caller's function, kept under
// a code of their own until the call that needed them picks them up.
type credentials struct {
	byHost map[string]Credentials
	fn     CredentialsFunc

	mu       sync.Mutex
	next     int
	failures map[int]credentialsFailure
}

type credentialsFailure struct {
	err      error
	panicked interface{}
}

// Codes of the callback's own, below the library's (errors.h): each
// failure gets one, so that concurrent calls each take back their own.
const (
	firstOwnCode = -10001
	ownCodes     = 1 << 20
)

func (c *credentials) fail(f credentialsFailure) C.int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures == nil {
		c.failures = map[int]credentialsFailure{}
	}
	code := firstOwnCode - c.next
	c.next = (c.next + 1) % ownCodes
	c.failures[code] = f
	return C.int(code)
}

// take gives the failure behind @code (and forgets it), or nil.
func (c *credentials) take(code int) error {
	if code > firstOwnCode || code <= firstOwnCode-ownCodes {
		return nil
	}
	c.mu.Lock()
	f, ok := c.failures[code]
	delete(c.failures, code)
	c.mu.Unlock()
	if !ok {
		return nil
	}
	if f.panicked != nil {
		panic(f.panicked)
	}
	return f.err
}

func (c *credentials) lookup(host string) (user, secret string, ok bool, err error) {
	if cr, found := c.byHost[host]; found {
		return cr.Username, cr.Secret, true, nil
	}
	if c.fn != nil {
		return c.fn(host)
	}
	return "", "", false, nil
}

func setBuf(buf *C.limg_buf, s string) {
	if s == "" {
		return
	}
	b := []byte(s)
	C.limg_buf_set(buf, unsafe.Pointer(&b[0]), C.size_t(len(b)))
	for i := range b { // the secret does not linger in Go's heap
		b[i] = 0
	}
}

//export lgCredentials
func lgCredentials(h C.uintptr_t, user, secret *C.limg_buf, host *C.char) (rc C.int) {
	c := cgo.Handle(h).Value().(*credentials)
	name := goString(host)
	defer func() {
		if p := recover(); p != nil {
			rc = c.fail(credentialsFailure{panicked: p})
		}
	}()
	u, s, ok, err := c.lookup(name)
	if err != nil {
		return c.fail(credentialsFailure{err: fmt.Errorf("libimage: credentials for %s: %w", name, err)})
	}
	if !ok {
		return C.LIMG_PASSTHROUGH // Docker's config.json and its helpers
	}
	if containsNUL(u) || containsNUL(s) {
		return c.fail(credentialsFailure{err: invalid("credentials for " + name + " contain a NUL character")})
	}
	setBuf(user, u)
	setBuf(secret, s)
	return 0
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
