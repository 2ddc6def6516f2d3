/* SPDX-License-Identifier: MIT */
/*
 * Whether an image is whole: unpack and save must never take an image the
 * store holds only in part (a foreign layer a pull skipped, a blob gone or
 * of another size) for the image, and a listing must not show it as one.
 */
#include <stdio.h>
#include <string.h>

#include "complete.h"
#include "core/core.h"
#include "manifest/media.h"
#include "store/store_internal.h"

/* The descriptor @i of an image: -1 its config, else its layer @i. */
static const limg_descriptor *part(const limg_manifest *image, long i)
{
	return i < 0 ? limg_manifest_config(image) : limg_manifest_entry(image, (size_t)i);
}

int limg__image_state(limg_store *s, const limg_manifest *image, const limg_descriptor **bad, int64_t *stored)
{
	for (long i = -1; i < (long)limg_manifest_count(image); i++) {
		const limg_descriptor *d = part(image, i);
		int64_t size = -1;
		int rc = limg_store_blob_stat(&size, s, limg_descriptor_digest(d));

		if (rc == 0 && size == limg_descriptor_size(d))
			continue;
		limg_error_clear();
		if (bad)
			*bad = d;
		if (stored)
			*stored = rc == 0 ? size : -1;
		/* held in part on purpose: a foreign layer not pulled, or a layer
		 * discarded once unpacked (limg_pull_unpack); anything else is damage */
		return rc == LIMG_ENOTFOUND && i >= 0 &&
		               (limg_descriptor_is_foreign(d) || limg__store_layer_discarded(s, limg_descriptor_digest(d)))
		           ? LIMG_IMAGE_INCOMPLETE
		           : LIMG_IMAGE_DAMAGED;
	}
	return LIMG_IMAGE_COMPLETE;
}

int limg__image_check_whole(limg_store *s, const limg_manifest *image, const char *id)
{
	if (limg__manifest_artifact(image)) {
		char q[300];
		limg__quote(q, sizeof q, limg__manifest_artifact(image), strlen(limg__manifest_artifact(image)));
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_IMAGE, id,
		                             "%s is not an image but an artifact (%s)", id, q);
	}
	return limg__image_check_stored(s, image, id);
}

int limg__image_check_stored(limg_store *s, const limg_manifest *image, const char *id)
{
	const limg_descriptor *d = NULL;
	int64_t stored = -1;
	int state = limg__image_state(s, image, &d, &stored);
	char what[64];
	size_t n = limg_manifest_count(image), i;

	if (state == LIMG_IMAGE_COMPLETE)
		return 0;
	for (i = 0; i < n && limg_manifest_entry(image, i) != d; i++)
		;
	if (i < n)
		snprintf(what, sizeof what, "layer %zu of %zu", i + 1, n);
	else
		snprintf(what, sizeof what, "config");
	if (state == LIMG_IMAGE_INCOMPLETE && !limg_descriptor_is_foreign(d))
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, limg_descriptor_digest(d),
		                             "image %s is incomplete: its %s %s was discarded once it was unpacked (pull "
		                             "the image again to store it whole)",
		                             id, what, limg_descriptor_digest(d));
	if (state == LIMG_IMAGE_INCOMPLETE)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, limg_descriptor_digest(d),
		                             "image %s is incomplete: its foreign layer %s (%s) is not in the store (it was "
		                             "not pulled: pull the image again, its foreign layers from the registry or their "
		                             "URLs)",
		                             id, limg_descriptor_digest(d), what);
	if (stored < 0)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, limg_descriptor_digest(d),
		                             "image %s is damaged: its %s %s is not in the store", id, what,
		                             limg_descriptor_digest(d));
	return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, limg_descriptor_digest(d),
	                             "image %s is damaged: its %s %s has %lld bytes in the store, its manifest says %lld",
	                             id, what, limg_descriptor_digest(d), (long long)stored,
	                             (long long)limg_descriptor_size(d));
}
