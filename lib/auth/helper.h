/* SPDX-License-Identifier: MIT */
/*
 * Docker's credential helpers (docker-credential-<name> get|store|erase)
 * and where config.json says to use one, shared by lookup, store and erase.
 */
#ifndef LIMG_AUTH_HELPER_H
#define LIMG_AUTH_HELPER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/json.h"
#include "libimage/common.h"

/* The key Docker files Docker Hub's credentials under. */
#define LIMG_DOCKER_HUB_KEY "https://index.docker.io/v1/"

/* True for the names Docker Hub goes by. */
bool limg__is_docker_hub(const char *host);

/* The server URL Docker gives helpers and uses as the auths key for @host:
 * LIMG_DOCKER_HUB_KEY for Docker Hub, else the host itself. */
const char *limg__credentials_key(const char *host);

/* The helper config.json names for @host: credHelpers[host] (Docker Hub's
 * under "index.docker.io" too), else credsStore; NULL when none. *@dedicated
 * (may be NULL) says it was credHelpers'. Borrowed from @doc. */
const char *limg__credentials_helper(const cJSON *doc, const char *host, bool *dedicated);

/* config.json's path: @config_dir, else $DOCKER_CONFIG, else ~/.docker.
 * LIMG_ENOTFOUND (not raised) when there is no home to put it in. */
int limg__docker_config_path(limg_buf *out, const char *config_dir);

/* Runs `docker-credential-<helper> <action>` with @input (of @len bytes) on
 * its stdin; its stdout (at most 64 KiB) goes to @out (may be NULL). 0 when
 * it exits 0; LIMG_ENOTFOUND (not raised) when it says it has no
 * credentials; LIMG_EAUTH, subject CREDENTIALS about @server, when it cannot
 * run or fails (its message in ours). */
int limg__credential_helper_run(limg_buf *out, const char *helper, const char *action, const char *input, size_t len,
                                const char *server);

#endif
