/* SPDX-License-Identifier: MIT */
/*
 * gc and fsck of the snapshots, under the snapshots lock held exclusively
 * (no snapshot is being made or used meanwhile). gc keeps the chains of
 * every image config that index.json reaches or a running operation
 * leases, and of every prepared root whose directory is still there; it
 * removes other snapshots and unfinished temporary directories, and leaves
 * names it does not know alone (fsck reports them).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/strset.h"
#include "libimage/manifest.h"
#include "root.h"
#include "snapshot_internal.h"
#include "store/store_internal.h"

#define CONFIG_MAX (4u << 20)

/* Adds the chain IDs (hex) of the config @digest to @keep; a blob that is no config adds nothing. */
static int keep_config(limg_store *s, const char *digest, limg__strset *keep)
{
	char chain[LIMG_CHAIN_MAX] = "";
	limg_config *cfg = NULL;
	limg_buf b = LIMG_BUF_INIT;
	int64_t size;
	int rc = 0;

	if (limg_store_blob_stat(&size, s, digest) < 0 || size > (int64_t)CONFIG_MAX ||
	    limg_store_blob_read(&b, s, digest, CONFIG_MAX) < 0 || limg_config_parse(&cfg, b.ptr, b.size) < 0) {
		limg_error_clear();
		limg_buf_dispose(&b);
		return 0;
	}
	for (size_t i = 0; rc == 0 && i < limg_config_diff_id_count(cfg); i++)
		if ((rc = limg__chain_next(chain, i ? chain : NULL, limg_config_diff_id(cfg, i))) == 0 &&
		    limg__strset_add(keep, limg__chain_hex(chain)) < 0)
			rc = limg__error_oom();
	limg_config_free(cfg);
	limg_buf_dispose(&b);
	return rc;
}

/* The snapshots every stored image, leased blob and standing root needs. */
static int needed(limg_store *s, int dir, limg__strset *keep, int *gc_lock)
{
	limg__strset reached = LIMG_STRSET_INIT;
	limg__index *index = NULL;
	struct dirent *e;
	int rc, roots, d2;
	DIR *d;

	if ((rc = limg__index_load(&index, s)) < 0 || (rc = limg__store_reach(s, index, &reached, NULL, NULL)) < 0 ||
	    (rc = limg__leases_collect(gc_lock, s, &reached)) < 0)
		goto out;
	for (size_t i = 0; rc == 0 && i < reached.cap; i++)
		if (reached.slots[i])
			rc = keep_config(s, reached.slots[i], keep);
	if (rc < 0 || (roots = openat(dir, "roots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		goto out;
	if ((d2 = dup(roots)) < 0 || !(d = fdopendir(d2))) {
		if (d2 >= 0)
			close(d2);
		close(roots);
		goto out;
	}
	while (rc >= 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if ((rc = limg__root_record_check(roots, e->d_name, keep)) == 0)
			unlinkat(roots, e->d_name, 0); /* its root is gone: the record goes */
	}
	closedir(d);
	close(roots);
	rc = rc < 0 ? rc : 0;
out:
	limg__index_free(index);
	limg__strset_free(&reached);
	return rc;
}

/* Bytes a tree takes on disk. */
static int64_t usage(int dir, const char *name, int depth)
{
	struct stat st;
	struct dirent *e;
	int64_t total;
	int fd;
	DIR *d;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	total = (int64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode) || depth > 256 ||
	    (fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return total;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return total;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			total += usage(fd, e->d_name, depth + 1);
	closedir(d);
	return total;
}

int limg_snapshot_gc(int64_t *out_reclaimed, limg_store *s, const limg_store_gc_opts *opts,
                     const limg_store_gc_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_store_gc_opts o;
	limg_store_gc_callbacks c;
	limg__strset keep = LIMG_STRSET_INIT;
	int64_t reclaimed = 0;
	char label[4200], sub[4600], what[300];
	struct dirent *e;
	int dir = -1, lock = -1, gc_lock = -1, d2, rc;
	DIR *d = NULL;

	if (out_reclaimed)
		*out_reclaimed = 0;
	if (!s)
		return limg__error_invalid("store");
	limg_store_gc_opts_init(&o, sizeof o);
	limg_store_gc_callbacks_init(&c, sizeof c);
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_store_gc_opts")) < 0 ||
	    (rc = limg__opts_copy(&c, sizeof c, cb, "limg_store_gc_callbacks")) < 0)
		return rc;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if ((rc = limg__store_writable(s)) < 0)
		goto out;
	limg__store_label(label, sizeof label, s, ".libimage/snapshots");
	if ((rc = limg__snapshots_open(&dir, s, false)) == LIMG_ENOTFOUND) {
		limg_error_clear();
		rc = 0; /* no snapshot was ever made */
		goto out;
	}
	if (rc < 0 || (rc = limg__snapshots_lock(&lock, dir, true, label)) < 0 || (rc = needed(s, dir, &keep, &gc_lock)) < 0)
		goto out;
	if ((d2 = dup(dir)) < 0 || !(d = fdopendir(d2))) {
		if (d2 >= 0)
			close(d2);
		rc = limg__fs_error("cannot list", label);
		goto out;
	}
	while (rc == 0 && (e = readdir(d))) {
		bool temp = limg__fs_is_unique_name(e->d_name, "tmp-");
		int64_t size;
		if (!temp && (!limg__snapshot_name_ok(e->d_name) || limg__strset_has(&keep, e->d_name)))
			continue;
		if (limg_cancel_requested(o.cancel)) {
			rc = limg__error_set(LIMG_ECANCELLED, "gc of %s cancelled", label);
			break;
		}
		size = usage(dir, e->d_name, 0);
		snprintf(what, sizeof what, "%s %s", temp ? "unfinished snapshot" : "snapshot", e->d_name);
		if (c.removed && (rc = c.removed(what, size, c.payload)) != 0) {
			rc = limg__error_after_callback(rc, "snapshot gc");
			break;
		}
		snprintf(sub, sizeof sub, "%s/%s", label, e->d_name);
		if (!o.dry_run && (rc = limg__fs_remove_tree_at(dir, e->d_name, sub)) < 0)
			break;
		reclaimed += size;
	}
out:
	if (d)
		closedir(d);
	limg__strset_free(&keep);
	limg__fs_unlock(gc_lock);
	limg__fs_unlock(lock);
	if (dir >= 0)
		close(dir);
	limg__store_leave(s);
	if (out_reclaimed)
		*out_reclaimed = reclaimed;
	return rc;
}

/* fsck's report of one problem; what the callback returns to stop follows errors.h. */
static int problem(const limg_store_fsck_callbacks *c, size_t *count, const char *name, int code, const char *fmt,
                   const char *a)
{
	char object[600], msg[1024];
	int rc;

	++*count;
	if (!c->problem)
		return 0;
	snprintf(object, sizeof object, "snapshot %s", name);
	snprintf(msg, sizeof msg, fmt, a);
	rc = c->problem(object, code, msg, c->payload);
	return rc ? limg__error_after_callback(rc, "snapshot fsck") : 0;
}

static int check_one(int dir, const char *name, const char *label, const limg_store_fsck_callbacks *c, size_t *count)
{
	limg__snapshot_info info;
	char chain[LIMG_CHAIN_MAX], tree[LIMG_CHAIN_MAX], sub[4600], q[300];
	struct stat st;
	int fd, fs, rc;

	snprintf(sub, sizeof sub, "%s/%s", label, name);
	limg__quote(q, sizeof q, sub, strlen(sub));
	if (limg__snapshot_info_read(&info, dir, name, label) < 0) {
		char why[600];
		limg__sanitize(why, sizeof why, limg_error_message(limg_error_last()), strlen(limg_error_message(limg_error_last())));
		limg_error_clear();
		return problem(c, count, name, LIMG_ECORRUPT, "incomplete or damaged snapshot: %s", why);
	}
	if (strcmp(limg__chain_hex(info.chain), name))
		return problem(c, count, name, LIMG_ECORRUPT, "%s says it is another snapshot", q);
	if ((rc = limg__chain_next(chain, info.parent, info.diff_id)) < 0)
		return rc;
	if (strcmp(chain, info.chain))
		return problem(c, count, name, LIMG_ECORRUPT, "%s: its chain ID does not follow from its parent and diff_id", q);
	if (*info.parent && fstatat(dir, limg__chain_hex(info.parent), &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (rc = problem(c, count, name, LIMG_ENOTFOUND, "%s: the snapshot below it is missing", q)) != 0)
		return rc;
	if (limg__fs_open_dir_at(&fd, dir, name, false, sub) < 0) {
		limg_error_clear();
		return problem(c, count, name, LIMG_ECORRUPT, "%s cannot be opened", q);
	}
	rc = limg__fs_open_dir_at(&fs, fd, LIMG_SNAPSHOT_FS, false, sub);
	close(fd);
	if (rc < 0) {
		limg_error_clear();
		return problem(c, count, name, LIMG_ECORRUPT, "%s has no fs directory", q);
	}
	rc = limg__snapshot_tree(tree, fs, sub);
	close(fs);
	if (rc < 0) {
		limg_error_clear();
		return problem(c, count, name, LIMG_ECORRUPT, "%s cannot be read whole", q);
	}
	if (strcmp(tree, info.tree))
		return problem(c, count, name, LIMG_ECORRUPT, "%s was changed after it was made (its tree digest differs)", q);
	return 0;
}

int limg_snapshot_fsck(size_t *out_problems, limg_store *s, const limg_store_fsck_opts *opts,
                       const limg_store_fsck_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_store_fsck_opts o;
	limg_store_fsck_callbacks c;
	size_t count = 0;
	char label[4200], q[300];
	struct dirent *e;
	int dir = -1, lock = -1, d2, rc;
	DIR *d = NULL;

	if (out_problems)
		*out_problems = 0;
	if (!s)
		return limg__error_invalid("store");
	limg_store_fsck_opts_init(&o, sizeof o);
	limg_store_fsck_callbacks_init(&c, sizeof c);
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_store_fsck_opts")) < 0 ||
	    (rc = limg__opts_copy(&c, sizeof c, cb, "limg_store_fsck_callbacks")) < 0)
		return rc;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	limg__store_label(label, sizeof label, s, ".libimage/snapshots");
	if ((rc = limg__snapshots_open(&dir, s, false)) == LIMG_ENOTFOUND) {
		limg_error_clear();
		rc = 0;
		goto out;
	}
	if (rc < 0 || (rc = limg__snapshots_lock(&lock, dir, true, label)) < 0)
		goto out;
	if ((d2 = dup(dir)) < 0 || !(d = fdopendir(d2))) {
		if (d2 >= 0)
			close(d2);
		rc = limg__fs_error("cannot list", label);
		goto out;
	}
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "lock") ||
		    !strcmp(e->d_name, "roots"))
			continue;
		if (limg_cancel_requested(o.cancel)) {
			rc = limg__error_set(LIMG_ECANCELLED, "fsck of %s cancelled", label);
			break;
		}
		limg__quote(q, sizeof q, e->d_name, strlen(e->d_name));
		if (limg__fs_is_unique_name(e->d_name, "tmp-"))
			rc = problem(&c, &count, q, LIMG_ECORRUPT, "%s: a snapshot never finished (gc removes it)", q);
		else if (!limg__snapshot_name_ok(e->d_name))
			rc = problem(&c, &count, q, LIMG_ECORRUPT, "%s: not libimage's (a snapshot's name is 64 hex digits)", q);
		else
			rc = check_one(dir, e->d_name, label, &c, &count);
	}
out:
	if (d)
		closedir(d);
	limg__fs_unlock(lock);
	if (dir >= 0)
		close(dir);
	limg__store_leave(s);
	if (out_problems)
		*out_problems = count;
	return rc;
}
