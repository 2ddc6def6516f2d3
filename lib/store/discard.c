/* SPDX-License-Identifier: MIT */
/*
 * Layer blobs discarded once they are unpacked (containerd's
 * discard_unpacked_layers, for machines short of disk): removed under the
 * index lock and the gc lock, as gc removes blobs, but only those that no
 * other image of index.json reaches and no other running operation holds.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/fs.h"
#include "store_internal.h"

int limg__store_discard_layers(limg_store *s, const limg__lease *mine, const char *top, const char *const *digests,
                               size_t n)
{
	limg__strset keep = LIMG_STRSET_INIT;
	limg__index *index = NULL;
	limg__index others;
	int lock = -1, gc = -1, rc;

	if (!n)
		return 0;
	if ((rc = limg__store_writable(s)) < 0)
		return rc;
	/* under the index lock no tag can come to need them while we decide */
	if ((rc = limg__index_lock(&lock, s)) < 0)
		return rc;
	if ((rc = limg__index_load(&index, s)) < 0)
		goto out;
	/* what every other image reaches (a damaged one is no reason to keep them: problems are ignored) */
	others = *index;
	if (!(others.entries = limg__calloc(index->count + 1, sizeof *others.entries))) {
		rc = limg__error_oom();
		goto out;
	}
	others.count = 0;
	for (size_t i = 0; i < index->count; i++)
		if (!index->entries[i].digest || strcmp(index->entries[i].digest, top) != 0)
			others.entries[others.count++] = index->entries[i];
	rc = limg__store_reach(s, &others, &keep, NULL, NULL);
	limg__free(others.entries);
	limg_error_clear();
	if (rc < 0)
		goto out;
	/* and what other running operations hold */
	if ((rc = limg__leases_collect_except(&gc, s, &keep, mine)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (limg__strset_has(&keep, digests[i]))
			continue;
		if ((rc = limg__store_layer_info_discarded(s, digests[i])) < 0 ||
		    ((rc = limg_store_blob_delete(s, digests[i])) < 0 && rc != LIMG_ENOTFOUND))
			break;
		rc = 0;
		limg__log(s->ctx, LIMG_LOG_DEBUG, "discarded layer %s, unpacked", digests[i]);
	}
out:
	limg__index_free(index);
	limg__strset_free(&keep);
	limg__fs_unlock(gc);
	limg__index_unlock(lock);
	return rc;
}
