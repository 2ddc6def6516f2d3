/* SPDX-License-Identifier: MIT */
/**
 * @file credentials.h
 * @brief Registry credentials.
 *
 * Where credentials come from, in order: the caller's callback
 * (limg_registry_callbacks), then Docker's config.json
 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): credHelpers,
 * credsStore (through `docker-credential-<name> get`), auths with base64
 * "auth" or an "identitytoken". Docker Hub's key there is
 * https://index.docker.io/v1/. Without credentials, requests go anonymous.
 * Secrets never appear in log messages or error messages.
 */
#ifndef LIBIMAGE_CREDENTIALS_H
#define LIBIMAGE_CREDENTIALS_H

#include "common.h"

LIMG_BEGIN_DECL

/**
 * Supplies credentials for a registry, when it asks for them.
 *
 * @param out_username receives the user name. The user name "<token>"
 *        means the secret is an identity (refresh) token.
 * @param out_secret receives the password or token
 * @param host the registry as references name it ("docker.io", "localhost:5000")
 * @param payload the registry's callbacks payload
 * @return 0 with both buffers set: use them; 0 with both left empty: go
 *         anonymous (config.json is not read); LIMG_PASSTHROUGH: look in
 *         Docker's config.json and its helpers, as without a callback;
 *         anything else stops the call that needed them (errors.h)
 * @since 1.0
 */
typedef int (*limg_credentials_cb)(limg_buf *out_username, limg_buf *out_secret, const char *host, void *payload);

/**
 * Looks up credentials for @p host in Docker's config.json and its helpers.
 *
 * @param out_username receives the user name ("<token>" for an identity token)
 * @param out_secret receives the secret
 * @param host registry host ("docker.io" means Docker Hub)
 * @param config_dir the directory holding config.json, or NULL for
 *        $DOCKER_CONFIG, else ~/.docker
 * @return 0, LIMG_ENOTFOUND (no credentials: an expected answer), LIMG_ECORRUPT
 *         (config.json unreadable), LIMG_EAUTH (a credential helper failed)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_credentials_lookup(limg_buf *out_username, limg_buf *out_secret, const char *host,
                                         const char *config_dir);

LIMG_END_DECL

#endif /* LIBIMAGE_CREDENTIALS_H */
