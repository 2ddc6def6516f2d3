/* SPDX-License-Identifier: MIT */
/*
 * What a sync needs of copy beyond limg_copy(): a ledger of the blobs that
 * many copies into one destination registry share, so that each moves once
 * and the others mount it from the repository that got it first.
 */
#ifndef LIMG_COPY_INTERNAL_H
#define LIMG_COPY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "libimage/cancel.h"
#include "libimage/common.h"
#include "libimage/copy.h"
#include "libimage/registry.h"

typedef struct limg__blob_ledger limg__blob_ledger;

int limg__blob_ledger_new(limg__blob_ledger **out);
void limg__blob_ledger_free(limg__blob_ledger *l);

/* Claims blob @digest for a copy into a repository of the destination.
 * 0: the caller moves it and then calls limg__blob_ledger_done(). 1 with
 * *@mount_from (malloc'd): a repository of the destination has it now (one
 * in flight was waited for): mount it from there. LIMG_ECANCELLED, LIMG_ENOMEM. */
int limg__blob_ledger_claim(limg__blob_ledger *l, const char *digest, char **mount_from, const limg_cancel *cancel);
/* The claimed blob is in @repo (@ok), or its transfer failed (another copy may claim it). */
void limg__blob_ledger_done(limg__blob_ledger *l, const char *digest, const char *repo, bool ok);

/* limg_copy() with a ledger shared with other copies into the same
 * destination registry (NULL: none), adding the bytes it sent to *@bytes. */
int limg__copy_shared(limg_buf *out_digest, limg_session *session, const char *source, const char *destination,
                      const limg_copy_opts *opts, const limg_copy_callbacks *cb, limg__blob_ledger *ledger,
                      int64_t *bytes);

/* A copy of @source into skopeo's dir: layout at @dir_name beneath @dirfd
 * (parents made): version, manifest.json, each blob under its hex digest and
 * an index's images as HEX.manifest.json, written at DIR_NAME.partial (what a
 * killed copy wrote there is kept) and renamed into place, replacing what was
 * there. @ledger (or NULL) shares blobs between the copies of one run: a blob
 * another image's directory has is linked, not fetched. */
int limg__copy_to_dir(limg_buf *out_digest, limg_session *session, const char *source, int dirfd,
                      const char *dir_name, const limg_copy_opts *opts, const limg_copy_callbacks *cb,
                      limg__blob_ledger *ledger, int64_t *bytes);

/* Whether the directory @dir_name beneath @dirfd holds skopeo's dir: layout
 * of the image @digest (its manifest.json is that manifest): 1, 0, or
 * LIMG_ENOMEM. */
int limg__copy_dir_current(int dirfd, const char *dir_name, const char *digest);

/* The image in skopeo's dir: layout in the directory @dir (named @label in
 * messages), whose manifest.json the caller read (@text), to repository
 * @repo of @to, tagged @tag (from_dir.c). Every blob is checked against its
 * digest as it goes; the registry gets no manifest before what it names.
 * *@bytes: what was sent. */
int limg__copy_from_dir(limg_registry *to, const char *repo, const char *tag, int dir, const char *label,
                        const limg_buf *text, limg_cancel *cancel, int64_t *bytes);

#endif
