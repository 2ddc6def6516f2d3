/* SPDX-License-Identifier: MIT */
/*
 * What refers to a stored manifest (signatures, SBOMs, cosign's .sig
 * manifests): one OCI index per subject in .libimage/referrers, the same
 * document a registry keeps under the referrers tag. Written atomically
 * under the index lock (gc reads them under it); read as untrusted input,
 * like everything beneath the store.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "libimage/manifest.h"
#include "store_internal.h"

#define REFERRERS_MAX 10000

static int referrers_dir(limg_store *s, bool create, int *out)
{
	char label[4096];
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->referrers_fd < 0) {
		snprintf(label, sizeof label, "%s/.libimage/referrers", s->root);
		rc = limg__fs_open_dir_at(&s->referrers_fd, s->meta_fd, "referrers", create, label);
	}
	*out = s->referrers_fd;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int limg__store_referrers_read(limg_buf *out, limg_store *s, const char *subject)
{
	char name[160], label[4096];
	int dir, rc;

	out->size = 0;
	if (limg__digest_check(subject, strlen(subject), NULL) != 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, subject, "invalid argument: digest");
	if ((rc = referrers_dir(s, false, &dir)) < 0) {
		limg_error_clear(); /* none made yet: none */
		return 0;
	}
	limg__store_flat_name(name, sizeof name, subject);
	snprintf(label, sizeof label, "%s/.libimage/referrers/%s", s->root, name);
	rc = limg__fs_read_at(out, dir, name, LIMG_MANIFEST_SIZE_MAX, label);
	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		out->size = 0;
		return 0;
	}
	return rc;
}

static cJSON *entry_of(const char *media_type, const char *digest, int64_t size, const char *artifact_type,
                       const char *const *annotations, size_t nann)
{
	cJSON *d = cJSON_CreateObject(), *ann = NULL;

	if (!d || !cJSON_AddStringToObject(d, "mediaType", media_type) || !cJSON_AddStringToObject(d, "digest", digest) ||
	    !cJSON_AddNumberToObject(d, "size", (double)size) ||
	    (artifact_type && !cJSON_AddStringToObject(d, "artifactType", artifact_type)) ||
	    (nann && !(ann = cJSON_AddObjectToObject(d, "annotations")))) {
		cJSON_Delete(d);
		return NULL;
	}
	for (size_t i = 0; i + 1 < nann; i += 2)
		if (!cJSON_AddStringToObject(ann, annotations[i], annotations[i + 1])) {
			cJSON_Delete(d);
			return NULL;
		}
	return d;
}

int limg__store_referrer_add(limg_store *s, const char *subject, const char *media_type, const char *digest,
                             int64_t size, const char *artifact_type, const char *const *annotations, size_t nann)
{
	limg_buf old = LIMG_BUF_INIT;
	limg_manifest *parsed = NULL;
	cJSON *doc = NULL, *list, *entry = NULL;
	char name[160], label[4096], why[200], *text = NULL;
	int dir, lock = -1, rc;

	if (limg__digest_check(digest, strlen(digest), NULL) != 0 || limg__digest_check(subject, strlen(subject), NULL))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, digest, "invalid argument: digest");
	if (!strcmp(subject, digest))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, digest, "a manifest cannot refer to itself");
	if ((rc = referrers_dir(s, true, &dir)) < 0 || (rc = limg__index_lock(&lock, s)) < 0)
		return rc;
	limg__store_flat_name(name, sizeof name, subject);
	snprintf(label, sizeof label, "%s/.libimage/referrers/%s", s->root, name);
	if ((rc = limg__store_referrers_read(&old, s, subject)) < 0)
		goto out;
	if (old.size) {
		/* what another program may have written: read strictly; a damaged one is replaced */
		if (limg_manifest_parse(&parsed, old.ptr, old.size, LIMG_MEDIA_OCI_INDEX) < 0 ||
		    limg_manifest_kind(parsed) != LIMG_MANIFEST_INDEX ||
		    limg__json_parse(&doc, old.ptr, old.size, NULL, why, sizeof why) < 0) {
			limg__log(s->ctx, LIMG_LOG_WARN, "%s is damaged: replaced", label);
			limg_error_clear();
		} else {
			for (size_t i = 0; i < limg_manifest_count(parsed); i++)
				if (!strcmp(limg_descriptor_digest(limg_manifest_entry(parsed, i)), digest))
					goto out; /* known */
			if (limg_manifest_count(parsed) >= REFERRERS_MAX) {
				rc = limg__error_set(LIMG_ETOOBIG, "%s lists %d referrers already", label, REFERRERS_MAX);
				goto out;
			}
		}
	}
	if (!doc && (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "schemaVersion", 2) ||
	             !cJSON_AddStringToObject(doc, "mediaType", LIMG_MEDIA_OCI_INDEX) ||
	             !cJSON_AddArrayToObject(doc, "manifests"))) {
		rc = limg__error_oom();
		goto out;
	}
	list = cJSON_GetObjectItemCaseSensitive(doc, "manifests");
	if (!cJSON_IsArray(list) || !(entry = entry_of(media_type, digest, size, artifact_type, annotations, nann))) {
		rc = limg__error_oom();
		goto out;
	}
	if (!cJSON_AddItemToArray(list, entry)) {
		cJSON_Delete(entry);
		rc = limg__error_oom();
		goto out;
	}
	if (!(text = limg__json_print(doc, false))) {
		rc = limg__error_oom();
		goto out;
	}
	rc = limg__fs_write_at(dir, name, text, strlen(text), true, label);
out:
	limg__free(text);
	cJSON_Delete(doc);
	limg_manifest_free(parsed);
	limg_buf_dispose(&old);
	limg__index_unlock(lock);
	return rc;
}

/* ---- gc: referrers of what is kept are kept too --------------------------- */

int limg__store_reach_referrers(limg_store *s, limg__strset *reached, limg__store_root_cb root, void *payload)
{
	bool grew = true;
	int dir, rc = 0;

	if (referrers_dir(s, false, &dir) < 0) {
		limg_error_clear();
		return 0;
	}
	/* until nothing new: a signature of an SBOM of an image is kept with the image */
	while (grew && rc == 0) {
		int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct dirent *e;
		DIR *d;
		grew = false;
		if (fd < 0 || !(d = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			return 0;
		}
		while (rc == 0 && (e = readdir(d))) {
			char subject[160];
			limg_buf text = LIMG_BUF_INIT;
			limg_manifest *index = NULL;
			if (!limg__store_unflat_name(subject, sizeof subject, e->d_name) || !limg__strset_has(reached, subject))
				continue;
			if (limg__store_referrers_read(&text, s, subject) < 0 || !text.size ||
			    limg_manifest_parse(&index, text.ptr, text.size, LIMG_MEDIA_OCI_INDEX) < 0) {
				limg_error_clear(); /* a damaged listing keeps nothing: its referrers become garbage */
				limg_buf_dispose(&text);
				continue;
			}
			for (size_t i = 0; rc == 0 && i < limg_manifest_count(index); i++) {
				const char *digest = limg_descriptor_digest(limg_manifest_entry(index, i));
				if (limg__strset_has(reached, digest))
					continue;
				if ((rc = root(digest, payload)) == 0)
					grew = true;
			}
			limg_manifest_free(index);
			limg_buf_dispose(&text);
		}
		closedir(d);
	}
	return rc;
}

int limg__store_referrers_sweep(limg_store *s, const limg__strset *keep)
{
	time_t now = time(NULL);
	struct dirent *e;
	DIR *d;
	int dir, fd;

	if (referrers_dir(s, false, &dir) < 0) {
		limg_error_clear();
		return 0;
	}
	limg__store_sweep_flat(dir, keep);
	/* replacements a killed writer left (writers hold the index lock, as gc does now) */
	if ((fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		const char *tmp = strstr(e->d_name, ".tmp-");
		char flat[160], digest[160];
		struct stat st;
		if (!tmp || (size_t)(tmp - e->d_name) >= sizeof flat)
			continue;
		snprintf(flat, sizeof flat, "%.*s", (int)(tmp - e->d_name), e->d_name);
		if (!limg__store_unflat_name(digest, sizeof digest, flat) || !limg__fs_is_unique_name(tmp + 1, "tmp-") ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    now - st.st_mtime < 60)
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return 0;
}
