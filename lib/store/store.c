/* SPDX-License-Identifier: MIT */
/*
 * Opening a store: the OCI layout files and the private .libimage area,
 * each held as a directory descriptor; the reference count that lets
 * limg_store_close() run while other threads are inside calls.
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
#include "core/json.h"
#include "digest/digest_internal.h"
#include "libimage/manifest.h"
#include "store_internal.h"

static const char layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char empty_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":[]}";

int limg_store_opts_init(limg_store_opts *opts, size_t size)
{
	static const limg_store_opts defaults = LIMG_STORE_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

void limg__store_label(char *out, size_t cap, const limg_store *s, const char *relative)
{
	snprintf(out, cap, "%s/%s", s->root, relative);
}

/* {"imageLayoutVersion":"1.x", ...} */
/* 1: an oci-layout of version 1.x; 0: not; LIMG_ENOMEM */
static int layout_version_1(const char *text, size_t len)
{
	limg__json j;
	limg_buf key = LIMG_BUF_INIT, value = LIMG_BUF_INIT;
	bool ok = false;
	int more;

	limg__json_init(&j, text, len, NULL);
	if (limg__json_begin_object(&j) == 0) {
		while ((more = limg__json_next_key(&j, &key)) == 1) {
			if (!strcmp(key.ptr, "imageLayoutVersion") && limg__json_peek(&j) == LIMG_JSON_STRING) {
				if (limg__json_string(&j, &value) < 0)
					break;
				ok = !strncmp(value.ptr, "1.", 2);
			} else if (limg__json_skip(&j, NULL, NULL) < 0) {
				break;
			}
		}
		if (more != 0 || limg__json_finish(&j) < 0)
			ok = false;
	}
	limg__json_dispose(&j);
	limg_buf_dispose(&key);
	limg_buf_dispose(&value);
	return j.oom ? limg__error_oom() : ok;
}

/* Checks oci-layout, or writes it (and an empty index.json) when allowed. */
static int check_layout(limg_store *s, bool create)
{
	limg_buf buf = LIMG_BUF_INIT;
	char label[4096];
	int rc, lock = -1;

	limg__store_label(label, sizeof label, s, "oci-layout");
	rc = limg__fs_read_at(&buf, s->root_fd, "oci-layout", 64 * 1024, label);
	if (rc == LIMG_ENOTFOUND && create) {
		rc = limg__fs_write_at(s->root_fd, "oci-layout", layout_json, sizeof layout_json - 1, true, label);
	} else if (rc == LIMG_ENOTFOUND) {
		rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_STORE, s->root, "no store at %s (%s is missing)",
		                           s->root, label);
	} else if (rc == 0 && (rc = layout_version_1(buf.ptr, buf.size)) == 0) {
		rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_STORE, s->root,
		                           "%s: not an OCI image layout version 1 file", label);
	} else if (rc == 1) {
		rc = 0;
	}
	limg_buf_dispose(&buf);
	if (rc < 0)
		return rc;
	limg__store_label(label, sizeof label, s, "index.json");
	if (faccessat(s->root_fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return limg__fs_error("cannot stat", label);
	if (!create)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_STORE, s->root, "%s is missing", label);
	/* under the lock: a writer that is just replacing it must not be overwritten */
	if ((rc = limg__index_lock(&lock, s)) < 0)
		return rc;
	if (faccessat(s->root_fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		rc = limg__fs_write_at(s->root_fd, "index.json", empty_index, sizeof empty_index - 1, true, label);
	limg__index_unlock(lock);
	return rc;
}

static void destroy(limg_store *s)
{
	int *fds[] = { &s->root_fd, &s->blobs_fd, &s->meta_fd, &s->ingest_fd, &s->tmp_fd,
	               &s->layers_fd, &s->leases_fd, &s->sources_fd, &s->referrers_fd, &s->algo_fd[0], &s->algo_fd[1] };

	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	pthread_mutex_destroy(&s->lock);
	limg_cancel_free(s->closing);
	limg__free(s->root);
	limg__free(s);
}

/* A directory that may be missing in a read-only store: -1 then. */
static int open_present(int *fd, int at, const char *name, const char *label)
{
	int rc;

	*fd = -1;
	if (at < 0)
		return 0;
	rc = limg__fs_open_dir_at(fd, at, name, false, label);
	if (rc == LIMG_ENOTFOUND || (rc < 0 && errno == ENOENT)) {
		limg_error_clear();
		return 0;
	}
	return rc;
}

int limg__store_writable(const limg_store *s)
{
	if (!s->read_only)
		return 0;
	return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_STORE, s->root,
	                             "invalid argument: store %s is open read-only", s->root);
}

static int open_dirs(limg_store *s)
{
	static const struct {
		size_t offset;
		const char *name;
	} meta_dirs[] = {
		{ offsetof(limg_store, ingest_fd), "ingest" },
		{ offsetof(limg_store, tmp_fd), "tmp" },
		{ offsetof(limg_store, layers_fd), "layers" },
		{ offsetof(limg_store, leases_fd), "leases" },
	};
	char label[4096];
	int rc;

	/* read-only: what is there is used, nothing is made */
	limg__store_label(label, sizeof label, s, "blobs");
	if ((rc = s->read_only ? open_present(&s->blobs_fd, s->root_fd, "blobs", label)
	                       : limg__fs_open_dir_at(&s->blobs_fd, s->root_fd, "blobs", true, label)) < 0)
		return rc;
	limg__store_label(label, sizeof label, s, ".libimage");
	if ((rc = s->read_only ? open_present(&s->meta_fd, s->root_fd, ".libimage", label)
	                       : limg__fs_open_dir_at(&s->meta_fd, s->root_fd, ".libimage", true, label)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof meta_dirs / sizeof meta_dirs[0]; i++) {
		int *fd = (int *)(void *)((char *)s + meta_dirs[i].offset);
		snprintf(label, sizeof label, "%s/.libimage/%s", s->root, meta_dirs[i].name);
		if ((rc = s->read_only ? open_present(fd, s->meta_fd, meta_dirs[i].name, label)
		                       : limg__fs_open_dir_at(fd, s->meta_fd, meta_dirs[i].name, true, label)) < 0)
			return rc;
	}
	return 0;
}

int limg_store_open(limg_store **out, limg_context *ctx, const char *path, const limg_store_opts *opts)
{
	LIMG__ALLOCATOR_FROM(ctx);
	limg_store_opts o = LIMG_STORE_OPTS_INIT;
	limg_store *s;
	struct stat st;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!path || !*path)
		return limg__error_invalid("path");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_store_opts")) < 0)
		return rc;
	if (o.mode != LIMG_STORE_CREATE && o.mode != LIMG_STORE_EXISTING && o.mode != LIMG_STORE_READ_ONLY)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "mode", "invalid argument: store mode %d",
		                             o.mode);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT && o.mode != LIMG_STORE_CREATE)
			return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_STORE, path, "no store at %s", path);
		if (errno != ENOENT)
			return limg__fs_error("cannot open store", path);
		if ((rc = limg__fs_mkdirs(path)) < 0)
			return rc;
	} else if (!S_ISDIR(st.st_mode)) {
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_STORE, path, "store %s is not a directory", path);
	}

	if (!(s = limg__calloc(1, sizeof *s)))
		return limg__error_oom();
	s->root_fd = s->blobs_fd = s->meta_fd = s->ingest_fd = s->tmp_fd = s->layers_fd = s->leases_fd = s->sources_fd = -1;
	s->referrers_fd = -1;
	s->algo_fd[0] = s->algo_fd[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->refs = 1;
	s->ctx = ctx;
	s->read_only = o.mode == LIMG_STORE_READ_ONLY;
	if (!(s->root = limg__strdup(path)) || limg_cancel_new(&s->closing) < 0) {
		destroy(s);
		return limg__error_oom();
	}
	/* the root may be reached through symlinks (the caller chose it); nothing beneath it is */
	if ((s->root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = limg__fs_error("cannot open store", path);
		destroy(s);
		return rc;
	}
	/* a layout that must exist is checked before anything is opened (or made) in it */
	if ((o.mode != LIMG_STORE_CREATE && (rc = check_layout(s, false)) < 0) || (rc = open_dirs(s)) < 0 ||
	    (o.mode == LIMG_STORE_CREATE && (rc = check_layout(s, true)) < 0)) {
		destroy(s);
		return rc;
	}
	limg__log(ctx, LIMG_LOG_DEBUG, "store %s open", path);
	*out = s;
	return 0;
}

void limg_store_close(limg_store *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->closed = true;
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->lock);
	/* operations still running on the store stop at their next check */
	limg_cancel_request(s->closing);
	if (last)
		destroy(s);
}

int limg__store_enter(limg_store *s)
{
	if (!s)
		return limg__error_invalid("store");
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		return limg__error_set(LIMG_EINVALID, "invalid argument: the store is closed");
	}
	s->refs++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void limg__store_leave(limg_store *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		destroy(s);
}

const char *limg_store_path(const limg_store *s)
{
	return s ? s->root : NULL;
}

limg_context *limg__store_context(const limg_store *s)
{
	return s ? s->ctx : NULL;
}

int limg_store_default_path(limg_buf *out)
{
	const char *env;
	char *path = NULL;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if ((env = getenv("LIBIMAGE_STORE")) && *env)
		rc = limg__asprintf(&path, "%s", env);
	else if ((env = getenv("XDG_DATA_HOME")) && *env)
		rc = limg__asprintf(&path, "%s/libimage", env);
	else if ((env = getenv("HOME")) && *env)
		rc = limg__asprintf(&path, "%s/.local/share/libimage", env);
	else
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_STORE, NULL,
		                             "no default store: none of LIBIMAGE_STORE, XDG_DATA_HOME and HOME is set");
	if (rc < 0)
		return limg__error_oom();
	rc = limg_buf_set(out, path, strlen(path));
	limg__free(path);
	return rc;
}

int limg__store_algo_dir(int *out, limg_store *s, int algorithm, bool create)
{
	int i = algorithm == LIMG_DIGEST_SHA512 ? 1 : 0, rc = 0, fd;
	char label[4096];

	pthread_mutex_lock(&s->lock);
	if (s->algo_fd[i] >= 0) {
		*out = s->algo_fd[i];
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	snprintf(label, sizeof label, "%s/blobs/%s", s->root, i ? "sha512" : "sha256");
	if (s->blobs_fd < 0) {
		rc = LIMG_ENOTFOUND; /* a read-only layout without blobs/ */
	} else if (!create) {
		fd = openat(s->blobs_fd, i ? "sha512" : "sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			rc = LIMG_ENOTFOUND;
		else if (fd < 0)
			rc = errno == ELOOP || errno == ENOTDIR
			             ? limg__error_set(LIMG_ECORRUPT, "%s is not a directory (a symlink or a file there is "
			                                              "refused)", label)
			             : limg__fs_error("cannot open directory", label);
	} else {
		rc = limg__fs_open_dir_at(&fd, s->blobs_fd, i ? "sha512" : "sha256", true, label);
	}
	if (rc == 0)
		*out = s->algo_fd[i] = fd;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int limg__store_blob_locate(limg_store *s, const char *digest, bool create_dir, int *dirfd, const char **name)
{
	int rc, algo = 0;

	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(digest, strlen(digest), &algo)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	*name = strchr(digest, ':') + 1;
	return limg__store_algo_dir(dirfd, s, algo, create_dir);
}

int limg__store_blob_file(limg_buf *out, const limg_store *s, const char *digest)
{
	const char *colon;
	int rc;

	if (!s)
		return limg__error_invalid("store");
	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	colon = strchr(digest, ':');
	out->size = 0;
	if (limg__buf_put(out, s->root, strlen(s->root)) < 0 || limg__buf_put(out, "/blobs/", 7) < 0 ||
	    limg__buf_put(out, digest, (size_t)(colon - digest)) < 0 || limg__buf_put(out, "/", 1) < 0 ||
	    limg__buf_put(out, colon + 1, strlen(colon + 1)) < 0) {
		limg_buf_dispose(out);
		return limg__error_oom();
	}
	return 0;
}

int limg__store_blob_open(int *fd, limg_store *s, const char *digest)
{
	limg_buf label = LIMG_BUF_INIT;
	const char *name;
	int dirfd, rc;

	*fd = -1;
	rc = limg__store_blob_locate(s, digest, false, &dirfd, &name);
	if (rc == LIMG_ENOTFOUND)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest, "blob %s is not in the store",
		                             digest);
	if (rc < 0)
		return rc;
	if ((rc = limg__store_blob_file(&label, s, digest)) < 0)
		return rc;
	rc = limg__fs_open_regular_at(fd, dirfd, name, label.ptr);
	if (rc == LIMG_ENOTFOUND)
		rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest, "blob %s is not in the store", digest);
	limg_buf_dispose(&label);
	return rc;
}

void limg__store_flat_name(char *out, size_t cap, const char *digest)
{
	char *colon;

	snprintf(out, cap, "%s", digest);
	if ((colon = strchr(out, ':')))
		*colon = '-';
}

bool limg__store_unflat_name(char *out, size_t cap, const char *name)
{
	char *dash;

	if (strlen(name) >= cap)
		return false;
	strcpy(out, name);
	if (!(dash = strchr(out, '-')))
		return false;
	*dash = ':';
	return limg__digest_check(out, strlen(out), NULL) == 0;
}

int limg__store_link_stop(limg_store *s, limg_cancel *stop, const limg_cancel *cancel)
{
	int rc = limg__cancel_follow(stop, cancel);
	return rc < 0 ? rc : limg_cancel_link(stop, s->closing);
}

int limg__store_stopped(int rc, limg_store *s, const limg_cancel *cancel, const char *what, const char *name)
{
	if (rc == LIMG_ECANCELLED && limg_cancel_requested(cancel))
		limg__error_set(LIMG_ECANCELLED, "%s of %s cancelled", what, name);
	else if (rc == LIMG_ECANCELLED && limg_cancel_requested(s->closing))
		limg__error_set(LIMG_ECANCELLED, "%s of %s stopped: the store was closed", what, name);
	return rc;
}

int limg__store_sweep_flat(int dir, const limg__strset *keep)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		char digest[160];
		/* only names libimage made */
		if (limg__store_unflat_name(digest, sizeof digest, e->d_name) && !limg__strset_has(keep, digest))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return 0;
}
