/*
 * libimage: registry credentials.
 *
 * Where credentials come from, in order: the caller's callback (registry
 * options), then Docker's config.json ($DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json): credHelpers, credsStore (through
 * docker-credential-<name> get), auths with base64 "auth" or an
 * "identitytoken". Docker Hub's key there is https://index.docker.io/v1/.
 * Without credentials, requests go anonymous. Secrets never appear in log
 * messages or error messages.
 */
#ifndef LIBIMAGE_AUTH_H
#define LIBIMAGE_AUTH_H

#include "common.h"

LIMG_BEGIN_DECL

/**
 * Supplies credentials for a registry.
 *
 * @param out_username receives the user name; leave both empty for anonymous access.
 *        The user name "<token>" means the secret is an identity (refresh) token.
 * @param out_secret receives the password or token
 * @param host the registry as references name it ("docker.io", "localhost:5000")
 * @param payload the caller's payload
 * @return 0 to go on (with or without credentials); non-zero aborts the operation
 *         and is returned by it
 * @since 0.1
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
 * @since 0.1
 */
LIMG_EXTERN(int) limg_credentials_lookup(limg_buf *out_username, limg_buf *out_secret, const char *host,
                                         const char *config_dir);

LIMG_END_DECL

#endif /* LIBIMAGE_AUTH_H */
