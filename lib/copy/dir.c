/* SPDX-License-Identifier: MIT */
/*
 * A copy into skopeo's dir: layout (containers/image's directory transport,
 * version 1.1): a directory per image holding "version", "manifest.json",
 * every blob under its hex digest and, for an index copied whole, each image
 * manifest as "HEX.manifest.json". Written at NAME.partial, blobs fetched on
 * a few threads (each verified against its digest before it takes its name,
 * so what a killed copy finished is kept, and hashed again before it is
 * reused), then renamed into place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy_run.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/jobs.h"
#include "digest/digest_internal.h"

#define DIR_VERSION "Directory Transport Version: 1.1\n"
#define MANIFEST_MAX (4 << 20)

typedef struct {
	copy_run *c;
	int fd;            /* NAME.partial */
	char *partial;     /* "NAME.partial", for the ledger: where another image may link from */
} dir_run;

typedef struct {
	int fd;
	const char *name;
	int64_t done;
	dir_run *d;
	const limg__xfer_blob *b;
	int64_t reported;  /* bytes last told to the progress callback */
} blob_sink;

static int to_file(const void *data, size_t len, void *payload)
{
	blob_sink *s = payload;
	int rc;

	if ((rc = limg__fs_write_all(s->fd, data, len, s->name)) < 0)
		return rc;
	s->done += (int64_t)len;
	if (s->done - s->reported < (1 << 20) && s->done != s->b->size)
		return 0;
	s->reported = s->done;
	return limg__transfer_report(&s->d->c->plan, s->b->digest, s->b->kind, LIMG_EVENT_DOWNLOADING, s->done, s->b->size,
	                             NULL);
}

/* Back to the start of the file (a mirror's bytes did not match: the fetch starts over). */
static int restart_file(void *payload)
{
	blob_sink *s = payload;

	s->done = 0;
	return ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0 ? limg__fs_error("cannot truncate", s->name) : 0;
}

/* A regular file of @size at @name beneath @fd (what this copy, or a killed one, finished). */
static bool have_file(int fd, const char *name, int64_t size)
{
	struct stat st;

	return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size == size;
}

/* A file a killed run left under a blob's name: kept only when its bytes are that blob
 * (another program may have written the directory since). */
static bool verified_file(int fd, const char *name, const char *digest, int64_t size)
{
	limg_hasher *h = NULL;
	char buf[1 << 16];
	ssize_t got = 0;
	int in;
	bool ok;

	if (!have_file(fd, name, size) || limg__fs_open_regular_at(&in, fd, name, name) < 0) {
		limg_error_clear();
		return false;
	}
	ok = limg_hasher_new(&h, LIMG_DIGEST_SHA256) == 0;
	while (ok && (got = read(in, buf, sizeof buf)) > 0)
		ok = limg_hasher_update(h, buf, (size_t)got) == 0;
	ok = ok && got == 0 && limg_hasher_verify(h, digest) == 0;
	limg_hasher_free(h);
	close(in);
	limg_error_clear();
	return ok;
}

/* The blob from another image's directory of this run, linked: 0, or -1 when it cannot be. */
static int link_from(dir_run *d, const char *dir, const char *hex, int64_t size)
{
	char path[4200];
	int from;

	snprintf(path, sizeof path, "%s", dir);
	if ((from = openat(d->c->dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		/* renamed into place since: its final name */
		size_t n = strlen(path);
		if (n > 8 && !strcmp(path + n - 8, ".partial"))
			path[n - 8] = '\0';
		if ((from = openat(d->c->dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return -1;
	}
	int ok = have_file(from, hex, size) && linkat(from, hex, d->fd, hex, 0) == 0;
	close(from);
	return ok ? 0 : -1;
}

static int fetch_blob(dir_run *d, const limg__xfer_blob *b, const char *hex)
{
	limg_registry_fetch_opts fo = LIMG_REGISTRY_FETCH_OPTS_INIT;
	limg_registry_fetch_callbacks fc = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;
	char part[80];
	blob_sink s = { -1, part, 0, d, b, 0 };
	int rc;

	snprintf(part, sizeof part, "%s.part", hex);
	if ((s.fd = openat(d->fd, part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		return limg__fs_error("cannot create", part);
	fo.cancel = d->c->stop;
	fc.write = to_file;
	fc.restart = restart_file;
	fc.payload = &s;
	rc = limg_registry_blob_fetch(d->c->from, limg_reference_path(d->c->src), b->digest, b->size, &fo, &fc);
	if (rc == 0 && s.done != b->size)
		rc = limg__error_set(LIMG_EPROTOCOL, "blob %s: %lld bytes, its descriptor says %lld", b->digest,
		                     (long long)s.done, (long long)b->size);
	if (rc == 0 && fsync(s.fd) < 0)
		rc = limg__fs_error("cannot flush", part);
	close(s.fd);
	/* only verified bytes take the blob's name */
	if (rc == 0 && renameat(d->fd, part, d->fd, hex) < 0)
		rc = limg__fs_error("cannot rename", part);
	if (rc < 0)
		unlinkat(d->fd, part, 0);
	else
		atomic_fetch_add(&d->c->sent, b->size);
	return rc;
}

static int copy_blob(size_t i, void *payload)
{
	dir_run *d = payload;
	const limg__xfer_blob *b = &d->c->plan.blobs[i];
	const char *hex = strchr(b->digest, ':') + 1;
	char *there = NULL;
	int claimed = 0, rc;

	if (verified_file(d->fd, hex, b->digest, b->size))
		return limg__transfer_report(&d->c->plan, b->digest, b->kind, LIMG_EVENT_EXISTS, b->size, b->size, NULL);
	if (d->c->ledger) {
		if ((rc = limg__blob_ledger_claim(d->c->ledger, b->digest, &there, d->c->stop)) < 0)
			return rc;
		claimed = rc == 0;
		if (there && link_from(d, there, hex, b->size) == 0) {
			limg__free(there);
			return limg__transfer_report(&d->c->plan, b->digest, b->kind, LIMG_EVENT_EXISTS, b->size, b->size, NULL);
		}
		limg__free(there);
	}
	rc = fetch_blob(d, b, hex);
	if (claimed)
		limg__blob_ledger_done(d->c->ledger, b->digest, d->partial, rc == 0);
	return rc < 0 ? rc : limg__transfer_report(&d->c->plan, b->digest, b->kind, LIMG_EVENT_COMPLETE, b->size, b->size, NULL);
}

/* The directories of @name beneath @dirfd that lead to it ("a/b" of "a/b/app:1.0"). */
static int make_parents(int dirfd, const char *name)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof path, "%s", name);
	for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		int rc;
		*slash = '\0';
		if ((rc = limg__fs_open_dir_at(&fd, dirfd, path, true, path)) < 0)
			return rc;
		close(fd);
		*slash = '/';
	}
	return 0;
}

/* The documents: the top as manifest.json, the others as HEX.manifest.json. */
static int write_docs(dir_run *d, const char **top_digest)
{
	const limg__transfer *t = &d->c->plan;
	const limg__xfer_doc *top = &t->docs[t->ndocs - 1];
	int rc;

	for (size_t i = 0; i + 1 < t->ndocs; i++) {
		char name[100];
		snprintf(name, sizeof name, "%s.manifest.json", strchr(t->docs[i].digest, ':') + 1);
		if ((rc = limg__fs_write_at(d->fd, name, t->docs[i].bytes.ptr, t->docs[i].bytes.size, true, name)) < 0)
			return rc;
	}
	if ((rc = limg__fs_write_at(d->fd, "manifest.json", top->bytes.ptr, top->bytes.size, true, "manifest.json")) < 0 ||
	    (rc = limg__fs_write_at(d->fd, "version", DIR_VERSION, strlen(DIR_VERSION), true, "version")) < 0)
		return rc;
	*top_digest = top->digest;
	return 0;
}

/* What a killed copy of another version of the image left that this one does not name. */
static int prune(dir_run *d)
{
	const limg__transfer *t = &d->c->plan;
	struct dirent *e;
	int fd, rc = 0;
	DIR *dir;

	if ((fd = dup(d->fd)) < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return limg__fs_error("cannot list", d->partial);
	}
	rewinddir(dir);
	while (rc == 0 && (e = readdir(dir))) {
		bool named = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "version") ||
		             !strcmp(e->d_name, "manifest.json");
		for (size_t i = 0; !named && i < t->nblobs; i++)
			named = !strcmp(e->d_name, strchr(t->blobs[i].digest, ':') + 1);
		for (size_t i = 0; !named && i < t->ndocs; i++) {
			const char *hex = strchr(t->docs[i].digest, ':') + 1;
			named = !strncmp(e->d_name, hex, strlen(hex)) && !strcmp(e->d_name + strlen(hex), ".manifest.json");
		}
		if (!named)
			rc = limg__fs_remove_tree_at(d->fd, e->d_name, e->d_name);
	}
	closedir(dir);
	return rc;
}

/* NAME.partial becomes NAME; what was at NAME goes. */
static int into_place(dir_run *d)
{
	const char *name = d->c->dir_name;
	int rc;

	if (renameat2(d->c->dirfd, d->partial, d->c->dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return limg__fs_error("cannot rename", d->partial);
	if (renameat2(d->c->dirfd, d->partial, d->c->dirfd, name, RENAME_EXCHANGE) < 0)
		return limg__fs_error("cannot rename", d->partial);
	/* the old image is at NAME.partial now */
	if ((rc = limg__fs_remove_tree_at(d->c->dirfd, d->partial, d->partial)) < 0)
		return rc;
	return limg__fs_sync_fd(d->c->dirfd, name);
}

int limg__copy_dir_write(copy_run *c, limg_buf *out_digest)
{
	dir_run d = { c, -1, NULL };
	const char *top = NULL;
	int rc;

	if (!c->plan.ndocs)
		return limg__error_set(LIMG_EMANIFEST, "%s: nothing to copy", limg_reference_string(c->src));
	if (!(d.partial = limg__malloc(strlen(c->dir_name) + 9)))
		return limg__error_oom();
	sprintf(d.partial, "%s.partial", c->dir_name);
	if ((rc = make_parents(c->dirfd, c->dir_name)) < 0 ||
	    (rc = limg__fs_open_dir_at(&d.fd, c->dirfd, d.partial, true, d.partial)) < 0)
		goto out;
	if ((rc = limg__transfer_waiting(&c->plan)) != 0 ||
	    (rc = limg__jobs_run(c->plan.nblobs, c->o.concurrency > 0 ? c->o.concurrency : 4, copy_blob, &d, c->stop)) != 0 ||
	    (rc = write_docs(&d, &top)) < 0 || (rc = prune(&d)) < 0 || (rc = limg__fs_sync_fd(d.fd, d.partial)) < 0 ||
	    (rc = into_place(&d)) < 0)
		goto out;
	if (out_digest)
		rc = limg_buf_set(out_digest, top, strlen(top));
out:
	if (d.fd >= 0)
		close(d.fd);
	limg__free(d.partial);
	return rc;
}

int limg__copy_dir_current(int dirfd, const char *dir_name, const char *digest)
{
	limg_buf manifest = LIMG_BUF_INIT;
	char path[4200], hex[65];
	int rc;

	snprintf(path, sizeof path, "%s/manifest.json", dir_name);
	if ((rc = limg__fs_read_at(&manifest, dirfd, path, MANIFEST_MAX, path)) < 0) {
		limg_buf_dispose(&manifest);
		if (rc == LIMG_ENOMEM)
			return rc;
		limg_error_clear(); /* absent, unreadable or too big: not this image */
		return 0;
	}
	limg__sha256_hex(hex, manifest.ptr, manifest.size);
	limg_buf_dispose(&manifest);
	return !strncmp(digest, "sha256:", 7) && !strcmp(digest + 7, hex);
}
