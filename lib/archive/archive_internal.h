/* SPDX-License-Identifier: MIT */
/* What save and load share: the referrers an archive carries. */
#ifndef LIMG_ARCHIVE_INTERNAL_H
#define LIMG_ARCHIVE_INTERNAL_H

#include "core/json.h"
#include "libimage/store.h"
#include "members.h"
#include "store/store_internal.h"

/* index.json's top-level annotation naming the referrers listing (a blob of the archive). */
#define LIMG_ARCHIVE_REFERRERS_KEY "io.libimage.referrers"
/* Each entry's subject, in that listing. */
#define LIMG_ARCHIVE_SUBJECT_KEY "io.libimage.referrer.subject"

/* Writes a stored blob into the archive (once). */
typedef int (*limg__archive_put_cb)(const char *digest, void *payload);

/* Adds to @list (a JSON array) the referrers the store keeps beside @subject
 * (and theirs), their blobs written through @put first. */
int limg__archive_save_referrers(limg_store *s, const char *subject, limg__archive_put_cb put, void *payload,
                                 cJSON *list);

/* Keeps, beside their subjects, the referrers an archive lists (index.json's
 * annotation), every entry checked first, their blobs committed from @m
 * (the images they refer to are committed already). */
int limg__archive_load_referrers(limg_store *s, limg__members *m, const cJSON *index_json);

#endif
