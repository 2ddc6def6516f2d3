/* SPDX-License-Identifier: MIT */
/* A prepared root's directory: made, marked, filled, recorded (root.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/strset.h"
#include "libimage/digest.h"
#include "libimage/unpack.h"
#include "root.h"
#include "unpack/overlay.h"

#define RECORD_MAX 65536

void limg__root_init(limg__root *r)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

static bool is_empty(int fd)
{
	int d2 = dup(fd);
	DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
	struct dirent *e;
	bool empty = true;

	if (!d) {
		if (d2 >= 0)
			close(d2);
		return false;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int limg__root_begin(limg__root *r, const char *dir, bool overlay)
{
	char proc[64];
	ssize_t n;

	r->made = mkdir(dir, 0755) == 0;
	if (!r->made && errno != EEXIST)
		return limg__error_set_about(errno == ENOSPC ? LIMG_ENOSPACE : LIMG_ESYSTEM, LIMG_SUBJECT_FILE, dir,
		                             "cannot make %s: %s", dir, strerror(errno));
	if ((r->fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return limg__error_set_about(errno == ENOTDIR || errno == ELOOP ? LIMG_EEXISTS : LIMG_ESYSTEM,
		                             LIMG_SUBJECT_FILE, dir, "cannot open %s: %s", dir, strerror(errno));
	if (!r->made && !is_empty(r->fd))
		return limg__error_set_about(LIMG_EEXISTS, LIMG_SUBJECT_FILE, dir, "%s is not empty", dir);
	r->owned = true;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", r->fd);
	if ((n = readlink(proc, r->path, sizeof r->path - 1)) < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot name %s: %s", dir, strerror(errno));
	r->path[n] = '\0';
	if (strchr(r->path, '\n'))
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_FILE, dir,
		                             "a root's path cannot hold a line break (its record in the store is by lines)");
	if (overlay && strpbrk(r->path, ",:"))
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_FILE, dir,
		                             "%s has ',' or ':' in its path, which overlay options cannot carry", dir);
	if (fsetxattr(r->fd, LIMG_UNPACK_INCOMPLETE_XATTR, "1", 1, 0) < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot mark %s incomplete: %s", dir, strerror(errno));
	return 0;
}

static int subdir(limg__root *r, const char *name, mode_t mode, int *out)
{
	if (mkdirat(r->fd, name, mode) < 0 ||
	    (*out = openat(r->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return limg__error_set(errno == ENOSPC ? LIMG_ENOSPACE : LIMG_ESYSTEM, "cannot make %s/%s: %s", r->path,
		                       name, strerror(errno));
	return 0;
}

int limg__root_overlay(limg__root *r, int top)
{
	int upper, work, rootfs, rc;

	if ((rc = subdir(r, "work", 0700, &work)) < 0)
		return rc;
	close(work);
	if ((rc = subdir(r, "rootfs", 0755, &rootfs)) < 0)
		return rc;
	close(rootfs);
	if ((rc = subdir(r, "upper", 0755, &upper)) < 0)
		return rc;
	/* the merged root shows the upper directory's owner, mode and times */
	rc = limg__clone_dir_meta(top, upper);
	close(upper);
	return rc < 0 ? limg__error_set(LIMG_ESYSTEM, "cannot give %s/upper the root's metadata: %s", r->path,
	                                strerror(-rc))
	              : 0;
}

int limg__root_copy(limg__root *r, const int *fs, size_t n, bool rootless)
{
	char label[4400];
	int rootfs, rc;

	if ((rc = subdir(r, "rootfs", 0755, &rootfs)) < 0)
		return rc;
	snprintf(label, sizeof label, "%s/rootfs", r->path);
	rc = limg__snapshot_copy(rootfs, fs, n, rootless, label);
	close(rootfs);
	return rc;
}

int limg__root_finish(limg__root *r, int dir, const char *label, const char (*chain)[LIMG_CHAIN_MAX], size_t n)
{
	limg_buf text = LIMG_BUF_INIT, id = LIMG_BUF_INIT;
	char l[4400];
	int roots, rc;

	if ((rc = limg_digest_compute(&id, LIMG_DIGEST_SHA256, r->path, strlen(r->path))) < 0)
		return rc;
	rc = limg__buf_put(&text, r->path, strlen(r->path));
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = limg__buf_put(&text, "\n", 1)) == 0)
			rc = limg__buf_put(&text, limg__chain_hex(chain[i]), strlen(limg__chain_hex(chain[i])));
	if (rc == 0)
		rc = limg__buf_put(&text, "\n", 1);
	snprintf(l, sizeof l, "%s/roots", label);
	if (rc == 0 && (rc = limg__fs_open_dir_at(&roots, dir, "roots", true, l)) == 0) {
		const char *hex = id.ptr + 7;
		snprintf(l, sizeof l, "%s/roots/%s", label, hex);
		rc = limg__fs_write_at(roots, hex, text.ptr, text.size, true, l);
		close(roots);
		if (rc == 0 && fsetxattr(r->fd, LIMG_SNAPSHOT_ROOT_XATTR, hex, strlen(hex), 0) < 0)
			rc = limg__error_set(LIMG_ESYSTEM, "cannot mark %s: %s", r->path, strerror(errno));
	}
	if (rc == 0 && fremovexattr(r->fd, LIMG_UNPACK_INCOMPLETE_XATTR) < 0)
		rc = limg__error_set(LIMG_ESYSTEM, "cannot mark %s complete: %s", r->path, strerror(errno));
	limg_buf_dispose(&text);
	limg_buf_dispose(&id);
	if (rc == 0)
		r->done = true;
	return rc;
}

static void remove_all(int fd, const char *path)
{
	int d2 = dup(fd);
	DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
	struct dirent *e;
	char label[4600];

	if (!d) {
		if (d2 >= 0)
			close(d2);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(label, sizeof label, "%s/%s", path, e->d_name);
			limg__fs_remove_tree_at(fd, e->d_name, label);
		}
	closedir(d);
}

void limg__root_end(limg__root *r, bool ok)
{
	limg__error_copy saved;

	if (!ok && r->owned && !r->done && r->fd >= 0) {
		limg__error_save(&saved);
		remove_all(r->fd, r->path);
		fremovexattr(r->fd, LIMG_UNPACK_INCOMPLETE_XATTR);
		if (r->made)
			rmdir(r->path);
		limg__error_restore(&saved);
	}
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int limg__root_record_check(int roots, const char *name, limg__strset *keep)
{
	limg_buf b = LIMG_BUF_INIT;
	char value[80], *line, *next;
	ssize_t n;
	int rc;

	if (!limg__snapshot_name_ok(name))
		return 0;
	if ((rc = limg__fs_read_at(&b, roots, name, RECORD_MAX, name)) < 0) {
		limg_error_clear();
		return 0;
	}
	if (limg__buf_put(&b, "", 1) < 0) {
		limg_buf_dispose(&b);
		return limg__error_oom();
	}
	line = b.ptr;
	next = strchr(line, '\n');
	if (next)
		*next++ = '\0';
	/* the directory still there and still naming this record (lgetxattr: never through a symlink) */
	n = lgetxattr(line, LIMG_SNAPSHOT_ROOT_XATTR, value, sizeof value - 1);
	if (n < 0 || (size_t)n != strlen(name) || memcmp(value, name, (size_t)n) || !next) {
		limg_buf_dispose(&b);
		return 0;
	}
	for (line = next; line && *line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (limg__snapshot_name_ok(line) && limg__strset_add(keep, line) < 0) {
			limg_buf_dispose(&b);
			return limg__error_oom();
		}
	}
	limg_buf_dispose(&b);
	return 1;
}
