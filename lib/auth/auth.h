/* SPDX-License-Identifier: MIT */
/*
 * Authentication state of one registry: where credentials come from, the
 * tokens obtained per scope (cached until they expire), and answering a
 * 401 challenge with Bearer tokens or Basic credentials.
 */
#ifndef LIMG_AUTH_H
#define LIMG_AUTH_H

#include <stdbool.h>

#include "http/http.h"
#include "libimage/credentials.h"

typedef struct limg__auth limg__auth;

typedef struct {
	limg_context *ctx;
	const char *host;              /* as references name it: "docker.io", "localhost:5000" */
	limg_credentials_cb credentials;
	void *payload;
	const char *docker_config_dir; /* NULL: $DOCKER_CONFIG or ~/.docker; "" : none */
	bool secrets_over_http;        /* an insecure registry: credentials may travel over plain HTTP,
	                                  when the registry itself is reached that way */
} limg__auth_opts;

int limg__auth_new(limg__auth **out, const limg__auth_opts *opts);
void limg__auth_free(limg__auth *auth);

/* The Authorization value already known for @scope (a live token, or Basic
 * credentials the registry asked for), or NULL. The caller frees it. */
char *limg__auth_cached(limg__auth *auth, const char *scope);

/* Answers a 401 for @scope: parses @challenge (the WWW-Authenticate value),
 * obtains a token or uses Basic credentials, and gives the Authorization
 * value in *@out (caller frees). Credentials travel over plain HTTP (to the
 * registry or its token realm) only when @registry_plain says the registry
 * itself is reached that way and the options allowed it. LIMG_EAUTH when it
 * cannot (subject CREDENTIALS when the credentials were refused);
 * LIMG_EPROTOCOL for a malformed challenge or token answer; or the
 * callback's code. @cancel stops a token request. */
int limg__auth_answer(limg__auth *auth, limg__http *http, const char *challenge, const char *scope,
                      bool registry_plain, const limg_cancel *cancel, char **out);

/* True once credentials were found for the registry (the callback's or config.json's). */
bool limg__auth_has_credentials(limg__auth *auth);

/* Forgets the token of @scope (after a token was refused). */
void limg__auth_forget(limg__auth *auth, const char *scope);

/* Docker's config.json as text (@label names it in errors): *@helper gets
 * the credential helper to ask (the host's own in credHelpers, else
 * credsStore; NULL for none; the caller frees it); *@auths_rc what the
 * "auths" entry for @host gave (0 with @user and @secret set, LIMG_ENOTFOUND,
 * LIMG_ECORRUPT), or LIMG_PASSTHROUGH when the host's own helper's answer is
 * final. Returns 0, or LIMG_ECORRUPT (not a JSON object), LIMG_ENOMEM.
 * (Callable on bytes alone: the fuzz target does.) */
int limg__credentials_parse(limg_buf *user, limg_buf *secret, char **helper, int *auths_rc, const char *text,
                            size_t len, const char *host, const char *label);

#endif
