/* SPDX-License-Identifier: MIT */
/*
 * The descriptors one manifest or index document points at. Generic over
 * OCI and Docker media types: "manifests" (index entries), "config",
 * "layers" and "blobs" (artifact manifests) all hold descriptors. Read with
 * the strict reader: a document with duplicate keys is no document.
 */
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "fields.h"
#include "walk.h"

struct desc {
	limg_buf digest, type;
	bool has_digest, has_type;
	int64_t size;
};

static int read_descriptor(limg__json *j, struct desc *d, limg_buf *key)
{
	int more;

	d->has_digest = d->has_type = false;
	d->size = -1;
	if (limg__json_peek(j) != LIMG_JSON_OBJECT)
		return limg__json_skip(j, NULL, NULL);
	if (limg__json_begin_object(j) < 0)
		return -1;
	while ((more = limg__json_next_key(j, key)) == 1) {
		enum limg__json_type t = limg__json_peek(j);
		if (!strcmp(key->ptr, "digest") && t == LIMG_JSON_STRING) {
			if (limg__json_string(j, &d->digest) < 0)
				return -1;
			d->has_digest = true;
		} else if (!strcmp(key->ptr, "mediaType") && t == LIMG_JSON_STRING) {
			if (limg__json_string(j, &d->type) < 0)
				return -1;
			d->has_type = true;
		} else if (!strcmp(key->ptr, "size") && t == LIMG_JSON_NUMBER) {
			if (limg__json_int64(j, &d->size) < 0)
				return -1;
		} else if (limg__json_skip(j, NULL, NULL) < 0) {
			return -1;
		}
	}
	return more;
}

static int visit(struct desc *d, const char *list, limg__child_cb cb, void *payload)
{
	if (!d->has_digest)
		return 0;
	return cb(d->digest.ptr, d->has_type ? d->type.ptr : NULL, d->size, list, payload);
}

int limg__walk_children(const char *json, size_t len, limg__child_cb cb, void *payload)
{
	static const char *const lists[] = { "manifests", "layers", "blobs" };
	struct desc d = { LIMG_BUF_INIT, LIMG_BUF_INIT, false, false, -1 };
	limg_buf key = LIMG_BUF_INIT;
	limg__json j;
	int more, rc = 0;

	limg__json_init(&j, json, len, &limg__manifest_fields);
	if (limg__json_begin_object(&j) < 0) {
		rc = j.oom ? LIMG_ENOMEM : LIMG_ECORRUPT;
		goto out;
	}
	while (rc == 0 && (more = limg__json_next_key(&j, &key)) == 1) {
		const char *list = NULL;
		for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
			if (!strcmp(key.ptr, lists[i]))
				list = lists[i];
		if (!strcmp(key.ptr, "config")) {
			if (read_descriptor(&j, &d, &key) < 0)
				break;
			rc = visit(&d, "config", cb, payload);
		} else if (list && limg__json_peek(&j) == LIMG_JSON_ARRAY) {
			int item;
			if (limg__json_begin_array(&j) < 0)
				break;
			while (rc == 0 && (item = limg__json_next_item(&j)) == 1) {
				if (read_descriptor(&j, &d, &key) < 0)
					break;
				rc = visit(&d, list, cb, payload);
			}
			if (rc == 0 && item < 0)
				break;
		} else if (limg__json_skip(&j, NULL, NULL) < 0) {
			break;
		}
	}
	if (rc == 0 && (j.failed || limg__json_finish(&j) < 0))
		rc = j.oom ? LIMG_ENOMEM : LIMG_ECORRUPT;
out:
	limg__json_dispose(&j);
	limg_buf_dispose(&key);
	limg_buf_dispose(&d.digest);
	limg_buf_dispose(&d.type);
	return rc;
}
