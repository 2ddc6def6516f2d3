/* SPDX-License-Identifier: MIT */
/* The inside of a sync list: its sources and its per-registry settings. */
#ifndef LIMG_SYNC_LIST_H
#define LIMG_SYNC_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "libimage/registry.h"
#include "libimage/sync.h"
#include "select.h"

typedef enum {
	LIMG__SRC_REPOSITORY, /* a repository: its tags (all, listed, or filtered) */
	LIMG__SRC_STORE,      /* every tagged image of a store (an OCI layout) */
	LIMG__SRC_DIR         /* every image of a directory in skopeo's dir: layout */
} limg__src_kind;

typedef struct {
	limg__src_kind kind;
	char *domain, *path;     /* a repository: "registry.example.com", "team/app" */
	char **tags;             /* exactly these tags or digests; NULL with ntags 0: the tag list */
	size_t ntags;
	limg__tag_filter filter; /* over the tag list */
	char *dir;               /* LIMG__SRC_STORE, LIMG__SRC_DIR: the store's or the directory's path */
	char *origin;            /* where it was written ("list.yaml:12"), or NULL */
} limg__sync_source;

typedef struct {
	char *domain;
	limg_registry_opts o;    /* its string fields point at the copies below */
	char *ca_file, *certs_dir, *docker_config_dir, *username, *password, *client_cert, *client_key;
} limg__sync_registry;

struct limg_sync_list {
	limg__sync_source *src;
	size_t n, cap;
	limg__sync_registry *reg;
	size_t nreg, capreg;
};

#endif
