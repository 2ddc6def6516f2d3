// SPDX-License-Identifier: MIT

package libimage

/*
#include <string.h>
#include "helpers.h"
*/
import "C"

import (
	"context"
	"unsafe"
)

// StoreCredentials keeps credentials for a registry host as docker login
// does: through the credential helper Docker's config.json names for it
// (credHelpers, else credsStore), leaving an empty "auths" entry, else in
// "auths" as base64 user:secret ("<token>" as the user: an identity
// token). config.json (configDir's, else $DOCKER_CONFIG's or ~/.docker's
// when configDir is "") is replaced atomically, mode 0600, its other keys
// kept. It returns config.json's path when the secret was written there
// (not encrypted: docker login warns about it), "" when a helper took it.
func StoreCredentials(host, username, secret, configDir string) (string, error) {
	var m cmem
	defer m.free()
	h, err := m.str(host, "registry host", false)
	if err != nil {
		return "", err
	}
	u, err := m.str(username, "user name", false)
	if err != nil {
		return "", err
	}
	s, err := m.str(secret, "secret", false)
	if err != nil {
		return "", err
	}
	defer C.memset(unsafe.Pointer(s), 0, C.strlen(s))
	dir, err := m.str(configDir, "docker config dir", true)
	if err != nil {
		return "", err
	}
	var where C.limg_buf
	var e C.lg_error
	if C.lg_credentials_store(&where, h, u, s, dir, &e) < 0 {
		return "", fromC(&e)
	}
	return takeBuf(&where), nil
}

// EraseCredentials removes a registry's credentials as docker logout does:
// through the credential helper config.json names for it, and from "auths"
// (also under older Docker's spellings of the host). Nothing stored is no
// error. configDir as for StoreCredentials.
func EraseCredentials(host, configDir string) error {
	var m cmem
	defer m.free()
	h, err := m.str(host, "registry host", false)
	if err != nil {
		return err
	}
	dir, err := m.str(configDir, "docker config dir", true)
	if err != nil {
		return err
	}
	var e C.lg_error
	if C.lg_credentials_erase(h, dir, &e) < 0 {
		return fromC(&e)
	}
	return nil
}

// Login is docker login: it checks username and secret with the registry
// host (Registry.Login; opts give the registry's settings: WithRegistry,
// WithCAFile, ...), and only then keeps them with StoreCredentials in the
// default config.json. It returns where they went, as StoreCredentials.
// Refused credentials match ErrAuth with Subject SubjectCredentials, and
// nothing is stored.
func Login(ctx context.Context, host, username, secret string, opts ...SessionOption) (string, error) {
	opts = append(opts, WithCredentials(map[string]Credentials{host: {Username: username, Secret: secret}}))
	r, err := OpenRegistry(host, opts...)
	if err != nil {
		return "", err
	}
	defer r.Close()
	if err := r.Login(ctx); err != nil {
		return "", err
	}
	return StoreCredentials(host, username, secret, "")
}

// Logout is docker logout: EraseCredentials in the default config.json.
func Logout(host string) error {
	return EraseCredentials(host, "")
}
