/* SPDX-License-Identifier: MIT */
/*
 * Referrers in archives, so that an air-gapped copy keeps its signatures:
 * save writes the referrers the store keeps beside each saved manifest
 * (and theirs) as blobs, and one listing of them (an OCI index whose
 * entries name their subject), named by index.json's top-level annotation
 * io.libimage.referrers; other loaders ignore both. Load checks every
 * entry of it (the listing, the referrer and its blobs all in the archive,
 * the referrer's own subject where it has one) before keeping it beside
 * its subject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "core/core.h"
#include "digest/digest_internal.h"
#include "libimage/manifest.h"
#include "store/store_internal.h"

#define DEPTH_MAX 3
#define ENTRIES_MAX 1000

/* ---- save ------------------------------------------------------------------ */

static int save_subject(limg_store *s, const char *subject, int depth, limg__archive_put_cb put, void *payload,
                        cJSON *list)
{
	limg_buf listing = LIMG_BUF_INIT, bytes = LIMG_BUF_INIT;
	limg_manifest *index = NULL, *m = NULL;
	int rc;

	if ((rc = limg__store_referrers_read(&listing, s, subject)) < 0 || !listing.size)
		goto out;
	if (limg_manifest_parse(&index, listing.ptr, listing.size, LIMG_MEDIA_OCI_INDEX) < 0) {
		limg__log(limg__store_context(s), LIMG_LOG_WARN, "the store's referrers of %s are damaged: not saved",
		          subject);
		limg_error_clear();
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < limg_manifest_count(index); i++) {
		const limg_descriptor *e = limg_manifest_entry(index, i);
		const char *tag = limg_descriptor_annotation(e, LIMG_REFERRER_TAG_KEY);
		cJSON *d, *ann;
		limg_manifest_free(m);
		m = NULL;
		if (cJSON_GetArraySize(list) >= ENTRIES_MAX)
			break;
		/* a referrer the store lists but lacks (never fetched, or collected): left out */
		if (limg_store_blob_read(&bytes, s, limg_descriptor_digest(e), LIMG_MANIFEST_SIZE_MAX) < 0 ||
		    limg_manifest_parse(&m, bytes.ptr, bytes.size, limg_descriptor_media_type(e)) < 0 ||
		    limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE) {
			limg_error_clear();
			continue;
		}
		if ((rc = put(limg_descriptor_digest(limg_manifest_config(m)), payload)) < 0)
			break;
		for (size_t k = 0; rc == 0 && k < limg_manifest_count(m); k++)
			rc = put(limg_descriptor_digest(limg_manifest_entry(m, k)), payload);
		if (rc < 0 || (rc = put(limg_descriptor_digest(e), payload)) < 0)
			break;
		if (!(d = cJSON_CreateObject()) || !cJSON_AddItemToArray(list, d) ||
		    !cJSON_AddStringToObject(d, "mediaType", limg_descriptor_media_type(e)) ||
		    !cJSON_AddStringToObject(d, "digest", limg_descriptor_digest(e)) ||
		    !cJSON_AddNumberToObject(d, "size", (double)limg_descriptor_size(e)) ||
		    (limg_descriptor_artifact_type(e) &&
		     !cJSON_AddStringToObject(d, "artifactType", limg_descriptor_artifact_type(e))) ||
		    !(ann = cJSON_AddObjectToObject(d, "annotations")) ||
		    !cJSON_AddStringToObject(ann, LIMG_ARCHIVE_SUBJECT_KEY, subject) ||
		    (tag && !cJSON_AddStringToObject(ann, LIMG_REFERRER_TAG_KEY, tag))) {
			rc = limg__error_oom();
			break;
		}
		if (depth + 1 < DEPTH_MAX)
			rc = save_subject(s, limg_descriptor_digest(e), depth + 1, put, payload, list);
	}
out:
	limg_manifest_free(m);
	limg_manifest_free(index);
	limg_buf_dispose(&listing);
	limg_buf_dispose(&bytes);
	return rc;
}

int limg__archive_save_referrers(limg_store *s, const char *subject, limg__archive_put_cb put, void *payload,
                                 cJSON *list)
{
	return save_subject(s, subject, 0, put, payload, list);
}

/* ---- load ------------------------------------------------------------------ */

/* One entry, checked: the referrer, its blobs and its subject are in the store (the archive's). */
/* In the archive (or the store, for blobs it had): its size. */
static int held_size(limg_store *s, limg__members *mb, const char *digest, int64_t *size)
{
	return limg__members_size(mb, digest, size) == 0 || limg_store_blob_stat(size, s, digest) == 0 ? 0 : LIMG_ENOTFOUND;
}

static int check_entry(limg_store *s, limg__members *mb, const limg_descriptor *e, const char **subject)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	const char *tag = limg_descriptor_annotation(e, LIMG_REFERRER_TAG_KEY);
	const char *digest = limg_descriptor_digest(e);
	int64_t size;
	int rc;

	*subject = limg_descriptor_annotation(e, LIMG_ARCHIVE_SUBJECT_KEY);
	if (!*subject || limg__digest_check(*subject, strlen(*subject), NULL) != 0 || !strcmp(*subject, digest))
		return limg__error_set(LIMG_ECORRUPT, "archive: referrer %s names no valid subject", digest);
	if (held_size(s, mb, *subject, &size) < 0)
		return limg__error_set(LIMG_ECORRUPT, "archive: the subject %s of referrer %s is not in it", *subject, digest);
	if ((rc = limg__members_read(mb, digest, LIMG_MANIFEST_SIZE_MAX, &bytes)) < 0) {
		rc = rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "archive: referrer %s is not in it", digest) : rc;
		goto out;
	}
	if ((int64_t)bytes.size != limg_descriptor_size(e)) {
		rc = limg__error_set(LIMG_ECORRUPT, "archive: referrer %s has %zu bytes, its listing says %lld", digest,
		                     bytes.size, (long long)limg_descriptor_size(e));
		goto out;
	}
	if ((rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, limg_descriptor_media_type(e))) < 0) {
		limg__error_prefix("archive: referrer %s", digest);
		goto out;
	}
	/* a referrer names its subject itself; a .sig manifest is named by the tag of it */
	if (!tag && (!limg_manifest_subject(m) || strcmp(limg_descriptor_digest(limg_manifest_subject(m)), *subject))) {
		rc = limg__error_set(LIMG_ECORRUPT, "archive: referrer %s does not refer to %s", digest, *subject);
		goto out;
	}
	if (tag) {
		char want[160];
		snprintf(want, sizeof want, "%s.sig", *subject);
		*strchr(want, ':') = '-';
		if (strcmp(tag, want) != 0) {
			rc = limg__error_set(LIMG_ECORRUPT, "archive: signature manifest %s is tagged for another image", digest);
			goto out;
		}
	}
	if (limg_manifest_kind(m) == LIMG_MANIFEST_IMAGE)
		for (size_t i = 0; i <= limg_manifest_count(m) && rc == 0; i++) {
			const limg_descriptor *b = i ? limg_manifest_entry(m, i - 1) : limg_manifest_config(m);
			if (held_size(s, mb, limg_descriptor_digest(b), &size) < 0 || size != limg_descriptor_size(b))
				rc = limg__error_set(LIMG_ECORRUPT, "archive: blob %s of referrer %s is not in it",
				                     limg_descriptor_digest(b), digest);
		}
out:
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	return rc;
}

/* Commits a checked referrer: its config and layers, then itself. */
static int commit_referrer(limg__members *mb, const limg_descriptor *e)
{
	const char *digest = limg_descriptor_digest(e);
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	int rc;

	if ((rc = limg__members_read(mb, digest, LIMG_MANIFEST_SIZE_MAX, &bytes)) < 0 ||
	    (rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, limg_descriptor_media_type(e))) < 0)
		goto out;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_IMAGE)
		for (size_t i = 0; i <= limg_manifest_count(m) && rc == 0; i++) {
			const limg_descriptor *b = i ? limg_manifest_entry(m, i - 1) : limg_manifest_config(m);
			rc = limg__members_commit(mb, limg_descriptor_digest(b));
		}
	if (rc == 0)
		rc = limg__members_commit(mb, digest);
out:
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	return rc;
}

int limg__archive_load_referrers(limg_store *s, limg__members *mb, const cJSON *index_json)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(index_json, "annotations");
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(ann, LIMG_ARCHIVE_REFERRERS_KEY);
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *list = NULL;
	int rc;

	if (!ref)
		return 0;
	if (!cJSON_IsString(ref) || limg__digest_check(ref->valuestring, strlen(ref->valuestring), NULL) != 0)
		return limg__error_set(LIMG_ECORRUPT, "archive: index.json's %s is no digest", LIMG_ARCHIVE_REFERRERS_KEY);
	if ((rc = limg__members_read(mb, ref->valuestring, LIMG_MANIFEST_SIZE_MAX, &bytes)) < 0) {
		rc = rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "archive: its referrers listing %s is not in it",
		                                            ref->valuestring)
		                          : rc;
		goto out;
	}
	if ((rc = limg_manifest_parse(&list, bytes.ptr, bytes.size, LIMG_MEDIA_OCI_INDEX)) < 0 ||
	    limg_manifest_kind(list) != LIMG_MANIFEST_INDEX) {
		rc = limg__error_set(LIMG_ECORRUPT, "archive: its referrers listing is no OCI index");
		goto out;
	}
	if (limg_manifest_count(list) > ENTRIES_MAX) {
		rc = limg__error_set(LIMG_ECORRUPT, "archive: over %d referrers", ENTRIES_MAX);
		goto out;
	}
	/* every entry checked before any is kept */
	for (size_t i = 0; i < limg_manifest_count(list) && rc == 0; i++) {
		const char *subject;
		rc = check_entry(s, mb, limg_manifest_entry(list, i), &subject);
	}
	/* then each referrer becomes part of the store, its blobs first */
	for (size_t i = 0; i < limg_manifest_count(list) && rc == 0; i++)
		rc = commit_referrer(mb, limg_manifest_entry(list, i));
	for (size_t i = 0; i < limg_manifest_count(list) && rc == 0; i++) {
		const limg_descriptor *e = limg_manifest_entry(list, i);
		const char *tag = limg_descriptor_annotation(e, LIMG_REFERRER_TAG_KEY);
		const char *pair[2] = { LIMG_REFERRER_TAG_KEY, tag };
		rc = limg__store_referrer_add(s, limg_descriptor_annotation(e, LIMG_ARCHIVE_SUBJECT_KEY),
		                              limg_descriptor_media_type(e), limg_descriptor_digest(e), limg_descriptor_size(e),
		                              limg_descriptor_artifact_type(e), tag ? pair : NULL, tag ? 2 : 0);
	}
out:
	limg_manifest_free(list);
	limg_buf_dispose(&bytes);
	return rc;
}
