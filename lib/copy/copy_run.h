/* SPDX-License-Identifier: MIT */
/*
 * One copy's state and the steps a copy to a registry (copy.c) and a copy
 * into a directory (dir.c) share: the source's documents gathered, its
 * publisher checked.
 */
#ifndef LIMG_COPY_RUN_H
#define LIMG_COPY_RUN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "copy_internal.h"
#include "libimage/copy.h"
#include "libimage/reference.h"
#include "push/transfer.h"

typedef struct {
	limg_copy_opts o;
	limg_session *session;  /* the caller's, or one of the copy's own */
	limg_reference *src, *dst;
	limg_registry *from, *to;
	bool same_registry;
	limg_cancel *stop;
	limg__transfer plan;
	char *top_digest;       /* the source's manifest the reference names */
	char *image_digest;     /* with a platform: the image chosen from it */
	limg__blob_ledger *ledger; /* blobs shared with other copies into the destination, or NULL */
	atomic_llong sent;         /* bytes streamed (mounted and existing blobs not counted) */
	int dirfd;                 /* a copy into a directory: beneath this one, */
	const char *dir_name;      /* at this name (NULL: a copy to the registry of c->dst) */
} copy_run;

/* The source's manifests (each digest checked) and blobs into c->plan: the
 * children first, the top last; with a platform, only that image. */
int limg__copy_gather(copy_run *c);

/* The source's publisher against c->o.policy (none: 0), before any blob moves. */
int limg__copy_trust(copy_run *c);

/* The gathered documents and blobs into skopeo's dir: layout at c->dir_name
 * beneath c->dirfd (dir.c); *@out_digest: manifest.json's. */
int limg__copy_dir_write(copy_run *c, limg_buf *out_digest);

#endif
