/* gc: remove blobs nothing in index.json reaches, and stale ingests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "store_internal.h"

int limg_gc_opts_init(limg_gc_opts *opts, size_t size)
{
	static const limg_gc_opts defaults = LIMG_GC_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* Removes ingests older than the limit that nobody is writing (an ingest
 * in use holds its flock). */
static int sweep_ingests(const char *dir, const limg_gc_opts *o)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : limg__fs_error("cannot list", dir);
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		int fd;

		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || now - st.st_mtime < o->ingest_max_age)
			continue;
		if ((fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (o->removed)
				rc = o->removed(e->d_name, st.st_size, o->payload);
			if (rc == 0 && !o->dry_run)
				unlinkat(dirfd(d), e->d_name, 0);
		}
		close(fd);
	}
	closedir(d);
	return rc;
}

/* A manifest gc cannot read might reach blobs we cannot see: stop rather
 * than delete them. A missing blob is only something gc cannot remove. */
static int refuse_on_damage(const char *subject, int code, const char *message, void *payload)
{
	(void)subject;
	(void)payload;
	if (code != LIMG_ECORRUPT)
		return 0;
	return limg__error_set(LIMG_ECORRUPT, "gc stopped, nothing removed: %s (run fsck)", message);
}

int limg_store_gc(limg_store *s, const limg_gc_opts *opts)
{
	limg_gc_opts o = LIMG_GC_OPTS_INIT;
	limg__strset reached = LIMG_STRSET_INIT;
	limg_blob_iterator *it = NULL;
	cJSON *index = NULL;
	const char *digest;
	int64_t size;
	int lock = -1, rc;
	size_t removed = 0;

	if (!s)
		return limg__error_invalid("store");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_gc_opts")) < 0)
		return rc;
	/* Under the index lock no tag can appear while we decide what is unreachable. */
	if ((rc = limg__index_lock(&lock, s)) < 0)
		return rc;
	if ((rc = limg__index_load(&index, s)) < 0)
		goto out;
	if ((rc = limg__store_reach(s, index, &reached, refuse_on_damage, NULL)) < 0)
		goto out;
	if ((rc = limg_blob_iterator_new(&it, s)) < 0)
		goto out;
	while (rc == 0 && limg_blob_iterator_next(&digest, &size, it) == 0) {
		if (limg__strset_has(&reached, digest))
			continue;
		if (o.removed && (rc = o.removed(digest, size, o.payload)) != 0)
			break;
		if (!o.dry_run && (rc = limg_store_blob_delete(s, digest)) == LIMG_ENOTFOUND)
			rc = 0; /* removed by someone else meanwhile */
		removed++;
	}
	if (rc == 0 && !o.dry_run)
		rc = limg__store_layer_info_sweep(s, &reached);
	if (rc == 0 && o.ingest_max_age >= 0) {
		if ((rc = sweep_ingests(s->ingest_dir, &o)) == 0)
			rc = sweep_ingests(s->tmp_dir, &o);
	}
	if (rc == 0)
		limg__log(s->ctx, LIMG_LOG_INFO, "gc of %s: %zu unreachable blob%s %s", s->root, removed,
		          removed == 1 ? "" : "s", o.dry_run ? "found" : "removed");
out:
	limg_blob_iterator_free(it);
	cJSON_Delete(index);
	limg__strset_free(&reached);
	limg__index_unlock(lock);
	return rc;
}
