/* SPDX-License-Identifier: MIT */
/**
 * @file credentials.h
 * @brief Registry credentials: looked up, stored and erased as the docker
 *        CLI does.
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

/**
 * Stores credentials for @p host as `docker login` does. When config.json
 * names a credential helper for the host (credHelpers, else credsStore),
 * `docker-credential-<name> store` receives them and config.json keeps an
 * empty entry under "auths"; otherwise "auths" holds them as base64
 * user:password ("auth"), or as "identitytoken" when @p username is
 * "<token>". config.json (its symlink followed) is replaced atomically with
 * mode 0600, every other key kept; its directory is made (0700) when
 * missing. Docker Hub's key is https://index.docker.io/v1/.
 *
 * @param out_location receives config.json's path when the secret was
 *        written there (base64, not encrypted: docker login warns about
 *        it), or is left empty when a credential helper took it; may be NULL.
 *        Release with limg_buf_dispose().
 * @param host registry host as references name it ("localhost:5000", "docker.io")
 * @param username the user name (no ':'), or "<token>" for an identity token
 * @param secret the password or token
 * @param config_dir the directory holding config.json, or NULL for
 *        $DOCKER_CONFIG, else ~/.docker
 * @return 0, LIMG_EINVALID (an empty or unusable host, user name or secret),
 *         LIMG_ECORRUPT (config.json is not a JSON object: it is left as it
 *         is), LIMG_EAUTH (subject CREDENTIALS: the credential helper failed;
 *         config.json is unchanged), LIMG_ESYSTEM, LIMG_ENOSPACE, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_credentials_store(limg_buf *out_location, const char *host, const char *username,
                                        const char *secret, const char *config_dir);

/**
 * Removes the credentials of @p host as `docker logout` does: through the
 * credential helper config.json names for it (`erase`), and from "auths"
 * under the host and the spellings older Docker wrote (http://host,
 * https://host). Nothing stored is no error. config.json is replaced
 * atomically (mode 0600) only when it changes.
 *
 * @param host registry host as references name it
 * @param config_dir the directory holding config.json, or NULL for
 *        $DOCKER_CONFIG, else ~/.docker
 * @return 0, LIMG_EINVALID, LIMG_ECORRUPT (config.json is not a JSON
 *         object), LIMG_EAUTH (subject CREDENTIALS: the helper failed),
 *         LIMG_ESYSTEM, LIMG_ENOSPACE, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_credentials_erase(const char *host, const char *config_dir);

LIMG_END_DECL

#endif /* LIBIMAGE_CREDENTIALS_H */
