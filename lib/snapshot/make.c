/* SPDX-License-Identifier: MIT */
/*
 * One snapshot made: the layer applied into tmp-XXXX/fs over the lower
 * snapshots (overlay.h), its tree hashed, the marker written, and the
 * directory renamed to its chain ID's hex. Another process that made the
 * same snapshot first wins: ours is removed, and both succeed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "make.h"
#include "snapshot_internal.h"
#include "store/store_internal.h"
#include "unpack/layer.h"
#include "unpack/overlay.h"

static int apply(const limg__snapshot_job *j, int fs)
{
	limg__applier a;
	limg__layer_job job;
	int c = limg_compression_from_media_type(j->media_type);
	int rc;

	if (c < 0 || c == LIMG_COMPRESSION_UNKNOWN)
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_LAYER, j->digest,
		                             "layer %s has media type %s, which this library cannot unpack", j->digest,
		                             j->media_type ? j->media_type : "(none)");
	memset(&a, 0, sizeof a);
	a.ctx = limg__store_context(j->store);
	a.root = fs;
	a.privileged = !j->rootless;
	a.rootless = j->rootless;
	a.limit = j->max_layer_size ? j->max_layer_size : LIMG_LAYER_SIZE_MAX_DEFAULT;
	a.max_entries = j->max_entries ? j->max_entries : LIMG_LAYER_ENTRIES_MAX_DEFAULT;
	a.parent_fd = -1;
	a.overlay = true;
	a.lowers = j->lowers;
	a.nlowers = j->nlowers;
	memset(&job, 0, sizeof job);
	job.store = j->store;
	job.digest = j->digest;
	job.diff_id = j->diff_id;
	job.compression = c;
	job.size = j->size;
	job.cancel = j->cancel;
	job.progress = j->progress;
	job.payload = j->payload;
	rc = limg__unpack_layer(&a, &job);
	if (rc == 0 && j->rootless) {
		/* without privileges a snapshot is read as its owner: by the layers above
		 * it, gc, fsck and copies, while others may be reading it too */
		const char *shut = limg__apply_held_unreadable(&a);
		if (shut)
			rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_LAYER, j->digest,
			                           "layer %s: directory %s has a mode its owner cannot list; without "
			                           "privileges such layers cannot be shared (limg_unpack() makes a root "
			                           "of its own)", j->digest, shut);
		else
			rc = limg__apply_finish(&a); /* the modes without the owner's w, now the layer is whole */
	}
	limg__apply_dispose(&a);
	if (rc == 0 && limg__store_writable(j->store) == 0) {
		limg__store_layer_info_put(j->store, j->digest, job.got_diff_id, job.got_size);
		limg_error_clear();
	}
	return rc;
}

int limg__snapshot_make(const limg__snapshot_job *j)
{
	char tmp[64], label[4400], text[1024];
	const char *hex = limg__chain_hex(j->chain);
	limg__snapshot_info info;
	int tfd = -1, fs = -1, rc;

	memset(&info, 0, sizeof info);
	if ((rc = limg__fs_mkdir_unique_at(&tfd, j->dir, "tmp-", tmp, sizeof tmp, j->label)) < 0)
		return rc;
	snprintf(label, sizeof label, "%s/%s/" LIMG_SNAPSHOT_FS, j->label, tmp);
	if (mkdirat(tfd, LIMG_SNAPSHOT_FS, 0755) < 0 ||
	    (fs = openat(tfd, LIMG_SNAPSHOT_FS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = limg__fs_error("cannot make", label);
		goto out;
	}
	/* the root as the layers below leave it, until the layer's "./" says otherwise */
	if (j->nlowers && (rc = -limg__clone_dir_meta(j->lowers[0], fs)) > 0) {
		rc = limg__error_set(LIMG_ESYSTEM, "cannot copy the root's metadata to %s: %s", label, strerror(rc));
		goto out;
	}
	if ((rc = apply(j, fs)) != 0 || (rc = limg__snapshot_tree(info.tree, fs, label)) < 0)
		goto out;
	/* on disk before the marker says it is whole: a crash never leaves a
	 * snapshot whose files are empty but whose marker is there */
	if (syncfs(fs) < 0) {
		rc = limg__fs_error("cannot flush", label);
		goto out;
	}
	snprintf(info.chain, sizeof info.chain, "%s", j->chain);
	snprintf(info.parent, sizeof info.parent, "%s", j->parent ? j->parent : "");
	snprintf(info.diff_id, sizeof info.diff_id, "%s", j->diff_id);
	snprintf(info.layer, sizeof info.layer, "%s", j->digest);
	info.rootless = j->rootless;
	snprintf(label, sizeof label, "%s/%s/" LIMG_SNAPSHOT_MARKER, j->label, tmp);
	if ((rc = limg__snapshot_info_format(text, sizeof text, &info)) < 0 ||
	    (rc = limg__fs_write_at(tfd, LIMG_SNAPSHOT_MARKER, text, (size_t)rc, true, label)) < 0)
		goto out;
	if (renameat(j->dir, tmp, j->dir, hex) == 0) {
		rc = 0;
		*tmp = '\0';
	} else if (errno == EEXIST || errno == ENOTEMPTY) {
		rc = 0; /* another process made it first: theirs is as good */
	} else {
		snprintf(label, sizeof label, "%s/%s", j->label, hex);
		rc = limg__fs_error("cannot put the snapshot in place", label);
	}
out:
	if (fs >= 0)
		close(fs);
	if (tfd >= 0)
		close(tfd);
	if (*tmp) {
		limg__error_copy saved;
		limg__error_save(&saved);
		snprintf(label, sizeof label, "%s/%s", j->label, tmp);
		limg__fs_remove_tree_at(j->dir, tmp, label);
		limg__error_restore(&saved);
		if (rc == 0)
			limg_error_clear();
	}
	return rc;
}
