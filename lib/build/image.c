/* SPDX-License-Identifier: MIT */
/* Stored images as documents, and new documents into the store (see image.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "image.h"
#include "libimage/bounds.h"
#include "libimage/digest.h"
#include "libimage/platform.h"
#include "libimage/tags.h"
#include "manifest/fields.h"
#include "tags/tags_internal.h"

void limg__rfc3339(char out[40], int64_t seconds)
{
	struct tm tm;
	time_t t = (time_t)seconds;

	if (!gmtime_r(&t, &tm) || strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 40, "1970-01-01T00:00:00Z");
}

bool limg__json_numbers_exact(const cJSON *doc, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	(void)doc;
	while (p < end) {
		if (*p == '"') {
			/* a string: numbers in it are text */
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
			continue;
		}
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			const char *s = p;
			bool integer = true;
			if (*p == '-')
				p++;
			while (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
			                   *p == '-')) {
				if (*p == '.' || *p == 'e' || *p == 'E')
					integer = false;
				p++;
			}
			if (integer) {
				/* cJSON holds a double: exact up to 2^53 */
				char digits[32];
				size_t n = (size_t)(p - s);
				if (n >= sizeof digits)
					return false;
				memcpy(digits, s, n);
				digits[n] = '\0';
				errno = 0;
				long long v = strtoll(digits, NULL, 10);
				if (errno || v > (1LL << 53) || v < -(1LL << 53))
					return false;
			}
			continue;
		}
		p++;
	}
	return true;
}

/* A manifest or index digest the store holds: the image manifest of it
 * (of an index, @platform's). 1 when @name is no stored digest. */
static int by_digest(char digest[80], limg_store *store, const char *name, const char *platform)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	const limg_descriptor *d;
	int64_t size;
	int rc;

	if (strncmp(name, "sha256:", 7) || strlen(name) != 71 || limg_store_blob_stat(&size, store, name) < 0 ||
	    size > LIMG_MANIFEST_SIZE_MAX) {
		limg_error_clear();
		return 1;
	}
	if (limg_store_blob_read(&bytes, store, name, LIMG_MANIFEST_SIZE_MAX) < 0 ||
	    limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL) < 0) {
		/* a config (an image ID) or another blob: looked up as docker does */
		limg_error_clear();
		limg_buf_dispose(&bytes);
		return 1;
	}
	rc = 0;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_IMAGE)
		snprintf(digest, 80, "%s", name);
	else if ((rc = limg_manifest_select(&d, m, platform ? platform : limg_platform_native())) == 0)
		snprintf(digest, 80, "%s", limg_descriptor_digest(d));
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	return rc;
}

int limg__image_load(limg__stored_image *out, limg_store *store, const char *name, const char *platform,
                     limg__lease *lease)
{
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	limg_image *info = NULL;
	char digest[80];
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = by_digest(digest, store, name, platform)) < 0)
		return rc;
	if (rc > 0) {
		lo.platform = platform;
		if ((rc = limg_image_lookup(&info, store, name, &lo)) < 0)
			return rc;
		snprintf(digest, sizeof digest, "%s", limg_image_manifest_digest(info));
		limg_image_free(info);
	}
	return limg__image_load_manifest(out, store, digest, lease);
}

static int parse_doc(cJSON **out, const limg_buf *bytes, int subject, const char *digest, const char *what)
{
	char why[200];

	if (limg__json_parse(out, bytes->ptr, bytes->size, &limg__manifest_fields, why, sizeof why) < 0 ||
	    !cJSON_IsObject(*out))
		return limg__error_set_about(LIMG_EMANIFEST, subject, digest, "%s %s: %s", what, digest,
		                             *out ? "not an object" : why);
	return 0;
}

int limg__image_load_manifest(limg__stored_image *out, limg_store *store, const char *digest, limg__lease *lease)
{
	limg_buf bytes = LIMG_BUF_INIT, cfg = LIMG_BUF_INIT;
	const limg_descriptor *cd;
	const char *type;
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->digest, sizeof out->digest, "%s", digest);
	/* leased before it is read: what we build on stays while we build */
	if ((rc = limg__lease_add(lease, digest)) < 0 ||
	    (rc = limg_store_blob_read(&bytes, store, digest, LIMG_MANIFEST_SIZE_MAX)) < 0 ||
	    (rc = limg_manifest_parse(&out->m, bytes.ptr, bytes.size, NULL)) < 0)
		goto fail;
	if (limg_manifest_kind(out->m) != LIMG_MANIFEST_IMAGE) {
		rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_IMAGE, digest, "%s is an index, not an image", digest);
		goto fail;
	}
	cd = limg_manifest_config(out->m);
	type = limg_descriptor_media_type(cd);
	if (!type || (strcmp(type, LIMG_MEDIA_OCI_CONFIG) && strcmp(type, LIMG_MEDIA_DOCKER_CONFIG))) {
		rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_IMAGE, digest,
		                           "%s is not a container image (its config is %s)", digest, type ? type : "untyped");
		goto fail;
	}
	out->docker = !strcmp(limg_manifest_media_type(out->m), LIMG_MEDIA_DOCKER_MANIFEST);
	if ((rc = limg__lease_add(lease, limg_descriptor_digest(cd))) < 0)
		goto fail;
	for (size_t i = 0; i < limg_manifest_count(out->m); i++)
		if (!limg_descriptor_is_foreign(limg_manifest_entry(out->m, i)) &&
		    (rc = limg__lease_add(lease, limg_descriptor_digest(limg_manifest_entry(out->m, i)))) < 0)
			goto fail;
	if ((rc = limg_store_blob_read(&cfg, store, limg_descriptor_digest(cd), LIMG_MANIFEST_SIZE_MAX)) < 0 ||
	    (rc = limg_config_parse(&out->c, cfg.ptr, cfg.size)) < 0 ||
	    (rc = parse_doc(&out->manifest, &bytes, LIMG_SUBJECT_MANIFEST, digest, "manifest")) < 0 ||
	    (rc = parse_doc(&out->config, &cfg, LIMG_SUBJECT_CONFIG, limg_descriptor_digest(cd), "config")) < 0)
		goto fail;
	if (!limg__json_numbers_exact(out->config, cfg.ptr, cfg.size)) {
		rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_CONFIG, limg_descriptor_digest(cd),
		                           "config %s holds a number beyond 2^53, which would not be kept exactly",
		                           limg_descriptor_digest(cd));
		goto fail;
	}
	limg_buf_dispose(&bytes);
	limg_buf_dispose(&cfg);
	return 0;
fail:
	limg_buf_dispose(&bytes);
	limg_buf_dispose(&cfg);
	limg__image_dispose(out);
	return rc;
}

void limg__image_dispose(limg__stored_image *img)
{
	limg_manifest_free(img->m);
	limg_config_free(img->c);
	cJSON_Delete(img->manifest);
	cJSON_Delete(img->config);
	memset(img, 0, sizeof *img);
}

int limg__store_json(limg_store *store, limg__lease *lease, const cJSON *doc, char digest[80], int64_t *size)
{
	char *text = limg__json_print(doc, false);
	limg_blob_writer *w = NULL;
	limg_buf d = LIMG_BUF_INIT;
	size_t len;
	int rc;

	if (!text)
		return limg__error_oom();
	len = strlen(text);
	if ((rc = limg_digest_compute(&d, LIMG_DIGEST_SHA256, text, len)) < 0)
		goto out;
	snprintf(digest, 80, "%s", d.ptr);
	*size = (int64_t)len;
	if ((rc = limg__lease_add(lease, digest)) < 0)
		goto out;
	rc = limg_blob_writer_open(&w, store, digest, (int64_t)len);
	if (rc == LIMG_EEXISTS) {
		limg_error_clear();
		rc = 0;
		goto out;
	}
	if (rc == 0 && (rc = limg_blob_writer_write(w, text, len)) == 0)
		rc = limg_blob_writer_commit(w);
out:
	limg_blob_writer_close(w);
	limg_buf_dispose(&d);
	limg__free(text);
	return rc;
}

int limg__image_keep(limg_store *store, const char *digest, const char *tag)
{
	if (tag)
		return limg_tags_set(store, tag, digest);
	return limg__tags_keep_untagged(store, digest, NULL);
}
