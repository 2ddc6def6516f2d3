/* SPDX-License-Identifier: MIT */
/*
 * What refers to an image, on each side of a sync, as a set of manifest
 * digests: equal digests are equal artifacts (referrers are carried byte
 * for byte, and a .sig manifest merged at the destination from the same
 * signatures is the same bytes), so a destination that names every digest
 * of the source has nothing new to get.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "libimage/manifest.h"
#include "referrers.h"
#include "registry/registry_internal.h"
#include "store/store_internal.h"
#include "trust/trust_internal.h"

static int add(limg__sync_attached *a, const char *digest)
{
	char *c;

	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->digests[i], digest))
			return 0;
	if (limg__array_grow((void **)&a->digests, &a->cap, a->n + 1, sizeof *a->digests) < 0 || !(c = limg__strdup(digest)))
		return limg__error_oom();
	a->digests[a->n++] = c;
	return 0;
}

static int on_referrer(const limg_descriptor *d, void *payload)
{
	return add(payload, limg_descriptor_digest(d));
}

int limg__sync_attached_remote(limg__sync_attached *out, limg_registry *reg, const char *repo, const char *digest,
                               limg_cancel *stop)
{
	limg_registry_referrers_opts ro = LIMG_REGISTRY_REFERRERS_OPTS_INIT;
	limg_registry_referrers_callbacks cb = LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT;
	limg_remote_manifest *sig = NULL;
	char tag[160];
	int rc;

	if ((rc = limg__sig_tag(tag, sizeof tag, digest)) < 0)
		return rc;
	rc = limg__registry_manifest_probe(&sig, reg, repo, tag, stop); /* one HEAD, also when absent */
	if (rc == 0)
		rc = add(out, limg_remote_manifest_digest(sig));
	else if (rc == LIMG_ENOTFOUND) {
		limg_error_clear(); /* not signed this way */
		rc = 0;
	}
	limg_remote_manifest_free(sig);
	if (rc < 0)
		return rc;
	ro.cancel = stop;
	cb.referrer = on_referrer;
	cb.payload = out;
	return limg_registry_referrers_foreach(reg, repo, digest, &ro, &cb);
}

int limg__sync_attached_stored(limg__sync_attached *out, limg_store *store, const char *digest)
{
	limg_buf listing = LIMG_BUF_INIT;
	limg_manifest *index = NULL;
	const char *newest_sig = NULL;
	int rc;

	if ((rc = limg__store_referrers_read(&listing, store, digest)) < 0 || !listing.size)
		goto out;
	if ((rc = limg_manifest_parse(&index, listing.ptr, listing.size, LIMG_MEDIA_OCI_INDEX)) < 0) {
		limg__error_prefix("the store's referrers of %s", digest);
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < limg_manifest_count(index); i++) {
		const limg_descriptor *e = limg_manifest_entry(index, i);
		if (limg_descriptor_annotation(e, LIMG_REFERRER_TAG_KEY))
			newest_sig = limg_descriptor_digest(e); /* appended: the last is the newest */
		else
			rc = add(out, limg_descriptor_digest(e));
	}
	if (rc == 0 && newest_sig)
		rc = add(out, newest_sig);
out:
	limg_manifest_free(index);
	limg_buf_dispose(&listing);
	return rc;
}

bool limg__sync_attached_covers(const limg__sync_attached *have, const limg__sync_attached *want)
{
	for (size_t i = 0; i < want->n; i++) {
		bool found = false;
		for (size_t k = 0; k < have->n && !found; k++)
			found = !strcmp(have->digests[k], want->digests[i]);
		if (!found)
			return false;
	}
	return true;
}

void limg__sync_attached_dispose(limg__sync_attached *a)
{
	for (size_t i = 0; i < a->n; i++)
		limg__free(a->digests[i]);
	limg__free(a->digests);
	a->digests = NULL;
	a->n = a->cap = 0;
}
