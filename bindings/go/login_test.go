// SPDX-License-Identifier: MIT

package libimage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// docker login and logout against the TLS registry with basic auth:
// credentials checked first, then kept in config.json, then used by a pull.
func TestLoginAndLogout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	path := filepath.Join(dir, "config.json")
	settings := WithCAFile(fixtures.CA)

	_, err := Login(ctx, fixtures.TLS, fixtures.User, "not the password", settings)
	var e *Error
	if !errors.Is(err, ErrAuth) || !errors.As(err, &e) || e.Subject != SubjectCredentials {
		t.Fatalf("refused credentials: %#v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("refused credentials were stored: %v", err)
	}
	where, err := Login(ctx, fixtures.TLS, fixtures.User, fixtures.Password, settings)
	if err != nil || where != path {
		t.Fatalf("login: %q, %v", where, err)
	}
	var doc struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &doc); err != nil ||
		doc.Auths[fixtures.TLS]["auth"] != base64.StdEncoding.EncodeToString([]byte(fixtures.User+":"+fixtures.Password)) {
		t.Fatalf("config.json: %s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("config.json mode %v", st.Mode())
	}
	// config.json's credentials now serve a session that names none
	s := openStore(t)
	ref := fixtures.TLS + "/go/secure:v1"
	if _, err := s.Pull(ctx, ref, WithSession(newSession(t, settings))); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRegistry(fixtures.TLS, settings)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Login(ctx); err != nil {
		t.Fatalf("the stored credentials: %v", err)
	}
	if err := Logout(fixtures.TLS); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "{\n\t\"auths\":\t{\n\t}\n}\n" {
		t.Fatalf("after logout: %q", data)
	}
	if _, err := s.Pull(ctx, ref, WithSession(newSession(t, settings))); !errors.Is(err, ErrAuth) {
		t.Fatalf("after logout a pull goes anonymous: %v", err)
	}
	if _, err := StoreCredentials(fixtures.TLS, "a:b", "x", dir); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a user name with ':': %v", err)
	}
	if _, err := StoreCredentials("x\x00y", "a", "b", dir); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a NUL: %v", err)
	}
}
