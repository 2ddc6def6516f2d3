/* SPDX-License-Identifier: MIT */
/*
 * docker images --filter, in one place for limg-images and the bindings:
 * dangling=BOOL, reference=PATTERN (Docker's familiar match), before= and
 * since= an image, label=KEY[=VALUE] and label!=KEY[=VALUE]. Values of one
 * key are alternatives; different keys must all hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "filter.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "store/store_internal.h"

int limg__filters_parse(limg__filter **out, limg_store *store, const char *const *texts, size_t n)
{
	static const char *const known[] = { "dangling", "reference", "before", "since", "label", "label!" };
	limg__filter *f;

	*out = NULL;
	if (!n)
		return 0;
	if (!texts)
		return limg__error_invalid("filters");
	if (!(f = limg__calloc(n, sizeof *f)))
		return limg__error_oom();
	for (size_t i = 0; i < n; i++) {
		const char *eq = texts[i] ? strchr(texts[i], '=') : NULL;
		size_t klen = eq ? (size_t)(eq - texts[i]) : 0;
		bool ok = false;
		int rc;
		if (!eq) {
			limg__free(f);
			return limg__error_set(LIMG_EINVALID, "bad format of filter (expected name=value)");
		}
		/* "label!=k=v" splits as the key "label!" */
		for (size_t k = 0; k < sizeof known / sizeof *known; k++)
			ok |= strlen(known[k]) == klen && !strncmp(texts[i], known[k], klen);
		if (!ok) {
			limg__free(f);
			return limg__error_set(LIMG_EINVALID, "invalid filter '%.*s'", (int)(klen > 40 ? 40 : klen), texts[i]);
		}
		memcpy(f[i].key, texts[i], klen);
		f[i].value = eq + 1;
		if (!strcmp(f[i].key, "dangling") && strcmp(f[i].value, "true") && strcmp(f[i].value, "false") &&
		    strcmp(f[i].value, "1") && strcmp(f[i].value, "0")) {
			limg__free(f);
			return limg__error_set(LIMG_EINVALID, "invalid filter 'dangling=%.40s'", eq + 1);
		}
		if (!strcmp(f[i].key, "before") || !strcmp(f[i].key, "since")) {
			limg_image *img = NULL;
			if ((rc = limg_image_lookup(&img, store, f[i].value, NULL)) < 0) {
				limg__free(f);
				return rc == LIMG_ENOTFOUND ? limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, eq + 1,
				                                                    "No such image: %.200s", eq + 1)
				                            : rc;
			}
			f[i].created = limg_config_created_unix(limg_image_config(img));
			limg_image_free(img);
		}
	}
	*out = f;
	return 0;
}

static bool label_matches(limg_store *store, const char *id, const char *value)
{
	limg_buf body = LIMG_BUF_INIT;
	limg_config *c = NULL;
	const char *eq = strchr(value, '='), *got = NULL;
	char name[512];
	bool match = false;

	snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - value) : (int)strlen(value), value);
	if (id && limg_store_blob_read(&body, store, id, LIMG_MANIFEST_SIZE_MAX) == 0 &&
	    limg_config_parse(&c, body.ptr, body.size) == 0)
		got = limg_config_label(c, name);
	match = got && (!eq || !strcmp(got, eq + 1));
	limg_config_free(c);
	limg_buf_dispose(&body);
	limg_error_clear();
	return match;
}

bool limg__filters_keep(const limg__filter *f, size_t n, limg_store *store, const char *reference, const char *tag,
                        const char *repository, const char *id, int64_t created)
{
	for (size_t k = 0; k < n; k++) {
		bool any = false;
		/* each key once: its values are tried together */
		bool first = true;
		for (size_t j = 0; j < k && first; j++)
			first = strcmp(f[j].key, f[k].key) != 0;
		if (!first)
			continue;
		for (size_t j = k; j < n && !any; j++) {
			const char *key = f[j].key, *v = f[j].value;
			if (strcmp(key, f[k].key))
				continue;
			if (!strcmp(key, "dangling")) {
				/* <none> <none>: neither a tag nor a repository it was pulled from */
				any = (!strcmp(v, "true") || !strcmp(v, "1")) == (!tag && !repository);
			} else if (!strcmp(key, "reference")) {
				limg_reference *r = NULL;
				int m = 0;
				if (reference && limg_reference_parse_normalized(&r, reference) == 0)
					limg_reference_familiar_match(&m, r, v);
				limg_reference_free(r);
				limg_error_clear();
				any = m != 0;
			} else if (!strcmp(key, "before")) {
				any = created >= 0 && created < f[j].created;
			} else if (!strcmp(key, "since")) {
				any = created > f[j].created;
			} else {
				bool m = label_matches(store, id, v);
				any = !strcmp(key, "label") ? m : !m;
			}
		}
		if (!any)
			return false;
	}
	return true;
}

int limg__filters_select(const limg__filter *f, size_t n, int select)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].key, "dangling"))
			return !strcmp(f[i].value, "true") || !strcmp(f[i].value, "1") ? LIMG_LIST_UNTAGGED : LIMG_LIST_TAGGED;
	return select;
}
