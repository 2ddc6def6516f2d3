/* SPDX-License-Identifier: MIT */
/*
 * One tar entry at a time, beneath the root: the name cleaned (a name that
 * leaves the root is refused), the parent resolved beneath the root and
 * made when missing, the entry created with *at calls that never follow
 * its last component, then owner, mode (setuid after chown), xattrs and
 * times. Directories get their mode and times when the layer ends, after
 * their children. Whiteouts remove what lower layers made, never what this
 * layer made (the OCI spec lets them come in any order).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "apply.h"
#include "core/core.h"
#include "tar/path.h"
#include "tar/reader.h"
#include "core/fs.h"
#include "overlay.h"
#include "resolve.h"

#define NAME_CAP 4096
#define ROOTLESS_XATTR "user.rootlesscontainers"
#define NOOP_ID 0xFFFFFFFFu

struct limg__dir_meta {
	char *path;
	bool restore;       /* a lower layer's directory this layer changed: its times only, as they were */
	uint32_t uid, gid;
	mode_t mode;
	struct timespec times[2];
};

/* A directory beneath the root: in the merged view for a shared layer. */
static int resolve_in(limg__applier *a, const char *path, limg__created_cb created, void *payload, int *out)
{
	return a->overlay ? limg__overlay_resolve_dir(a, path, created, payload, out)
	                  : limg__resolve_dir(a->root, path, created, payload, out);
}

static int record_upper(const char *path, void *payload);

struct limg__held_mode {
	char *path;
	mode_t mode;
	dev_t dev;
	ino_t ino; /* the directory it is for: one made again at the path is another */
};

/* An entry's failure, raised naming the layer and the entry (printably). */
static int bad(const limg__applier *a, const char *name, int code, const char *what)
{
	char q[300];

	limg__quote(q, sizeof q, name, strlen(name));
	limg__error_set(code, "layer %s: entry %s: %s", a->layer, q, what);
	/* a refused entry is about the layer's contents; a failing disk is not */
	return code == LIMG_ECORRUPT || code == LIMG_ETOOBIG ? limg__error_about(LIMG_SUBJECT_LAYER, a->layer) : code;
}

static int os_error(const limg__applier *a, const char *name, const char *what, int err)
{
	char why[300];

	snprintf(why, sizeof why, "%s: %s", what, strerror(err));
	return bad(a, name, err == ENOSPC || err == EDQUOT || err == EFBIG ? LIMG_ENOSPACE : LIMG_ESYSTEM, why);
}

void limg__apply_begin_layer(limg__applier *a, const char *layer)
{
	a->layer = layer;
	a->entries = a->logical = 0;
	limg__strset_free(&a->upper);
	limg__strset_free(&a->touched);
	for (size_t i = 0; i < a->ndirs; i++)
		limg__free(a->dirs[i].path);
	a->ndirs = 0;
	if (a->parent_fd >= 0)
		close(a->parent_fd);
	a->parent_fd = -1;
	a->parent_path[0] = '\0';
}

void limg__apply_dispose(limg__applier *a)
{
	limg__apply_begin_layer(a, NULL);
	limg__free(a->dirs);
	a->dirs = NULL;
	a->capdirs = 0;
	for (size_t i = 0; i < a->nheld; i++)
		limg__free(a->held[i].path);
	limg__free(a->held);
	a->held = NULL;
	a->nheld = a->capheld = 0;
}

int limg__apply_hold_mode(limg__applier *a, const char *path, int fd, mode_t mode)
{
	struct limg__held_mode *h;
	struct stat st;

	for (size_t i = 0; i < a->nheld; i++)
		if (!strcmp(a->held[i].path, path)) {
			limg__free(a->held[i].path);
			a->held[i] = a->held[--a->nheld];
			break;
		}
	if ((mode & 0700) == 0700 || fstat(fd, &st) < 0)
		return 0;
	if (limg__array_grow((void **)&a->held, &a->capheld, a->nheld + 1, sizeof *a->held) < 0)
		return limg__error_oom();
	h = &a->held[a->nheld];
	if (!(h->path = limg__strdup(path)))
		return limg__error_oom();
	h->mode = mode;
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	a->nheld++;
	return 0;
}

const char *limg__apply_held_unreadable(const limg__applier *a)
{
	for (size_t i = 0; i < a->nheld; i++)
		if ((a->held[i].mode & 0500) != 0500)
			return a->held[i].path;
	return NULL;
}

static size_t depth_of(const char *path)
{
	size_t n = *path ? 1 : 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

static int deepest_first(const void *pa, const void *pb)
{
	size_t a = depth_of(((const struct limg__held_mode *)pa)->path);
	size_t b = depth_of(((const struct limg__held_mode *)pb)->path);

	return a > b ? -1 : a < b;
}

int limg__apply_finish(limg__applier *a)
{
	struct stat st;
	int fd, rc;

	/* a parent shut before its children would keep them from being reached */
	if (a->nheld > 1)
		qsort(a->held, a->nheld, sizeof *a->held, deepest_first);
	for (size_t i = 0; i < a->nheld; i++) {
		const struct limg__held_mode *h = &a->held[i];
		if ((rc = resolve_in(a, h->path, NULL, NULL, &fd)) < 0) {
			if (rc == -ENOENT || rc == -ENOTDIR)
				continue; /* removed by a later layer */
			return os_error(a, h->path, "cannot reach the directory", -rc);
		}
		rc = fstat(fd, &st) == 0 && st.st_dev == h->dev && st.st_ino == h->ino && fchmod(fd, h->mode) < 0 ? errno : 0;
		close(fd);
		if (rc)
			return os_error(a, h->path, "cannot set its mode", rc);
	}
	return 0;
}

static uint32_t map_id(const limg_id_map *m, size_t n, uint32_t id, bool *ok)
{
	*ok = true;
	if (!n)
		return id;
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
			return m[i].host_id + (id - m[i].container_id);
	*ok = false;
	return id;
}

size_t limg__rootless_xattr(unsigned char out[16], uint32_t uid, uint32_t gid)
{
	uint32_t v[2] = { uid ? uid : NOOP_ID, gid ? gid : NOOP_ID };
	size_t n = 0;

	if (!uid && !gid)
		return 0;
	for (int f = 0; f < 2; f++) {
		uint32_t x = v[f];
		out[n++] = (unsigned char)((f + 1) << 3); /* field f+1, varint */
		do {
			out[n] = (unsigned char)(x & 0x7f);
			x >>= 7;
			if (x)
				out[n] |= 0x80;
			n++;
		} while (x);
	}
	return n;
}

int limg__apply_record_upper(const char *path, void *payload)
{
	return record_upper(path, payload);
}

static int record_upper(const char *path, void *payload)
{
	limg__applier *a = payload;
	return limg__strset_add(&a->upper, path) < 0 ? -ENOMEM : 0;
}

static struct limg__dir_meta *new_dir_meta(limg__applier *a, const char *path)
{
	struct limg__dir_meta *m;

	if (limg__array_grow((void **)&a->dirs, &a->capdirs, a->ndirs + 1, sizeof *a->dirs) < 0)
		return NULL;
	m = &a->dirs[a->ndirs];
	memset(m, 0, sizeof *m);
	if (!(m->path = limg__strdup(path)))
		return NULL;
	a->ndirs++;
	return m;
}

static int remember_times(limg__applier *a, int fd, const char *path);

int limg__apply_keep_times(limg__applier *a, int fd, const char *path)
{
	return remember_times(a, fd, path);
}

/* A directory of a lower layer that this layer is about to change: its
 * times are put back when the layer ends (as umoci does), so that only
 * what a layer says changes. */
static int remember_times(limg__applier *a, int fd, const char *path)
{
	struct limg__dir_meta *m;
	struct stat st;
	int rc;

	if (limg__strset_has(&a->upper, path) || (rc = limg__strset_add(&a->touched, path)) == 0)
		return 0;
	if (rc < 0 || !(m = new_dir_meta(a, path)))
		return limg__error_oom();
	if (fstat(fd, &st) == 0) {
		m->restore = true;
		m->times[0] = st.st_atim;
		m->times[1] = st.st_mtim;
	} else {
		limg__free(m->path);
		a->ndirs--;
	}
	return 0;
}

/* The parent directory of an entry (made when missing), cached: layers list
 * many entries of one directory in a row. */
static int parent_dir(limg__applier *a, const char *dir, const char *name, int *fd)
{
	int rc;

	if (a->parent_fd >= 0 && a->parent_valid && !strcmp(a->parent_path, dir)) {
		*fd = a->parent_fd;
		return 0;
	}
	if (a->parent_fd >= 0)
		close(a->parent_fd);
	a->parent_fd = -1;
	if ((rc = resolve_in(a, dir, record_upper, a, fd)) < 0) {
		if (rc == -ENOMEM)
			return limg__error_oom();
		return rc == -ENOTDIR || rc == -ELOOP || rc == -ENAMETOOLONG
		               ? bad(a, name, LIMG_ECORRUPT, "its directory is not one (a file, or a symlink loop)")
		               : os_error(a, name, "cannot reach its directory", -rc);
	}
	snprintf(a->parent_path, sizeof a->parent_path, "%s", dir);
	a->parent_fd = *fd;
	a->parent_valid = true;
	return remember_times(a, *fd, dir);
}

/* Removes what is at @base (a directory and all it holds), except what this
 * layer made; @path is its name from the root. */
static int remove_lower(limg__applier *a, int at, const char *base, const char *path, int depth)
{
	struct stat st;
	char child[NAME_CAP + 512];
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;
	bool kept = false;

	if (fstatat(at, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* this layer's own entry stays; a directory it (re)declared is still
	 * searched: what lower layers put beneath it goes (umoci, moby) */
	kept = limg__strset_has(&a->upper, path);
	if (!S_ISDIR(st.st_mode))
		return kept ? 1 : unlinkat(at, base, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (depth > 1024)
		return -ELOOP;
	if ((fd = openat(at, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	while (rc >= 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(child, sizeof child, "%s%s%s", path, *path ? "/" : "", de->d_name);
		if ((rc = remove_lower(a, dirfd(d), de->d_name, child, depth + 1)) == 1) {
			kept = true;
			rc = 0;
		}
	}
	closedir(d);
	if (rc < 0)
		return rc;
	if (kept)
		return 1;
	return unlinkat(at, base, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

/* A shared layer's whiteouts, in overlayfs' form: nothing of the lower
 * layers is removed, it is hidden. The same outcome as whiteout() below: a
 * directory this layer made, whited out, keeps what this layer put in it
 * and hides the rest (opaque); an entry this layer made stays. */
static int overlay_whiteout(limg__applier *a, const char *name, const char *dir, const char *base)
{
	const char *target = base + 4;
	struct stat st;
	bool own;
	int fd, sub, rc;

	if (!strcmp(base, ".wh..wh..opq")) {
		if ((rc = resolve_in(a, dir, record_upper, a, &fd)) < 0)
			return rc == -ENOTDIR || rc == -ELOOP ? bad(a, name, LIMG_ECORRUPT, "its directory is not one")
			                                      : os_error(a, name, "cannot reach its directory", -rc);
		rc = fsetxattr(fd, limg__overlay_opaque_xattr(a), "y", 1, 0) < 0 ? errno : 0;
		close(fd);
		return rc ? os_error(a, name, "cannot mark the directory opaque", rc) : 0;
	}
	if (!strncmp(base, ".wh..wh.", 8))
		return 0;
	if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
		return bad(a, name, LIMG_ECORRUPT, "a whiteout of nothing, or of a directory's parent");
	rc = limg__overlay_lookup(a, dir, target, &st, &own);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0; /* nothing there to hide */
	if (rc < 0)
		return os_error(a, name, "cannot look at what it whites out", -rc);
	if (own && !S_ISDIR(st.st_mode))
		return 0; /* this layer's own entry stays */
	if ((rc = resolve_in(a, dir, record_upper, a, &fd)) < 0)
		return os_error(a, name, "cannot reach its directory", -rc);
	if (own) {
		sub = openat(fd, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = sub < 0 || fsetxattr(sub, limg__overlay_opaque_xattr(a), "y", 1, 0) < 0 ? errno : 0;
		if (sub >= 0)
			close(sub);
		close(fd);
		return rc ? os_error(a, name, "cannot mark the directory opaque", rc) : 0;
	}
	if ((rc = remember_times(a, fd, dir)) < 0) {
		close(fd);
		return rc;
	}
	rc = mknodat(fd, target, S_IFCHR | 0, makedev(0, 0)) < 0 ? errno : 0;
	close(fd);
	return rc ? os_error(a, name, "cannot write the whiteout", rc) : 0;
}

/* ".wh.NAME" and ".wh..wh..opq" in @dir. */
static int whiteout(limg__applier *a, const char *name, const char *dir, const char *base)
{
	char path[NAME_CAP + 512];
	const char *target = base + 4;
	int fd, rc = 0;

	a->parent_valid = false; /* the cached directory may be what goes */
	if (a->overlay)
		return overlay_whiteout(a, name, dir, base);

	if (!strcmp(base, ".wh..wh..opq")) {
		struct dirent *de;
		DIR *d;
		int dfd;
		/* opaque: everything lower layers put in the directory goes */
		if ((rc = resolve_in(a, dir, record_upper, a, &fd)) < 0)
			return os_error(a, name, "cannot reach its directory", -rc);
		if ((rc = remember_times(a, fd, dir)) < 0) {
			close(fd);
			return rc;
		}
		if ((dfd = dup(fd)) < 0 || !(d = fdopendir(dfd))) {
			rc = errno;
			if (dfd >= 0)
				close(dfd);
			close(fd);
			return os_error(a, name, "cannot list its directory", rc);
		}
		while (rc >= 0 && (de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(path, sizeof path, "%s%s%s", dir, *dir ? "/" : "", de->d_name);
			rc = remove_lower(a, fd, de->d_name, path, 0);
		}
		closedir(d);
		close(fd);
		return rc < 0 ? os_error(a, name, "cannot clear the opaque directory", -rc) : 0;
	}
	if (!strncmp(base, ".wh..wh.", 8))
		return 0; /* aufs' own metadata (.wh..wh.plnk, .wh..wh.aufs): nothing to do */
	if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
		return bad(a, name, LIMG_ECORRUPT, "a whiteout of nothing, or of a directory's parent");
	rc = resolve_in(a, dir, NULL, NULL, &fd);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0; /* nothing there to remove */
	if (rc < 0)
		return os_error(a, name, "cannot reach its directory", -rc);
	if ((rc = remember_times(a, fd, dir)) < 0) {
		close(fd);
		return rc;
	}
	snprintf(path, sizeof path, "%s%s%s", dir, *dir ? "/" : "", target);
	rc = remove_lower(a, fd, target, path, 0);
	close(fd);
	return rc < 0 ? os_error(a, name, "cannot remove what it whites out", -rc) : 0;
}

/* Makes room for a new entry at @base: what is there goes, unless both
 * are directories. Returns 1 when an existing directory stays. */
static int make_room(limg__applier *a, int dirfd, const char *base, const char *name, bool want_dir)
{
	struct stat st;
	char label[NAME_CAP + 16];

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : os_error(a, name, "cannot look at what is there", errno);
	if (want_dir && S_ISDIR(st.st_mode))
		return 1;
	if (S_ISDIR(st.st_mode))
		a->parent_valid = false; /* the cached directory may be beneath it */
	snprintf(label, sizeof label, "entry %s", name);
	if (unlinkat(dirfd, base, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) == 0)
		return 0;
	return limg__fs_remove_tree_at(dirfd, base, label) < 0 ? os_error(a, name, "cannot replace what is there", errno)
	                                                       : 0;
}

static bool skip_xattr(const limg__applier *a, const char *key)
{
	/* never: labels of another system, NFS ACLs, the overlay's and other trusted
	 * namespaces, libimage's own marks (LIMG_UNPACK_INCOMPLETE_XATTR);
	 * capabilities only where privileged; ours in rootless mode */
	return !strcmp(key, "security.selinux") || !strcmp(key, "system.nfs4_acl") || !strncmp(key, "trusted.", 8) ||
	       (a->overlay && !strncmp(key, "user.overlay.", 13)) ||
	       !strncmp(key, "user.libimage.", 14) ||
	       (!strcmp(key, "security.capability") && !a->privileged) ||
	       (a->rootless && !strcmp(key, ROOTLESS_XATTR));
}

static void warn_xattr(limg__applier *a, const char *name, const char *key, int err)
{
	char q[300];

	if (a->warned_xattr)
		return;
	a->warned_xattr = true;
	limg__quote(q, sizeof q, name, strlen(name));
	limg__log(a->ctx, LIMG_LOG_WARN, "layer %s: entry %s: xattr %s not set (%s); further such warnings are not shown",
	          a->layer, q, key, strerror(err));
}

/* Owner, mode, xattrs and times of a regular file, device or FIFO, through @fd
 * (O_RDWR for files, O_PATH otherwise: then through /proc/self/fd). */
static int set_metadata(limg__applier *a, struct archive_entry *e, int fd, bool is_path_fd, const char *name)
{
	uint32_t uid = (uint32_t)archive_entry_uid(e), gid = (uint32_t)archive_entry_gid(e);
	mode_t mode = archive_entry_perm(e) & 07777;
	struct timespec times[2];
	const char *key;
	const void *value;
	size_t size;
	char proc[64];
	bool ok_u, ok_g;

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (a->rootless) {
		unsigned char x[16];
		size_t n = limg__rootless_xattr(x, uid, gid);
		if (n && (is_path_fd ? setxattr(proc, ROOTLESS_XATTR, x, n, 0) : fsetxattr(fd, ROOTLESS_XATTR, x, n, 0)) < 0)
			warn_xattr(a, name, ROOTLESS_XATTR, errno);
	} else {
		uid = map_id(a->uids, a->nuids, uid, &ok_u);
		gid = map_id(a->gids, a->ngids, gid, &ok_g);
		if (!ok_u || !ok_g)
			return bad(a, name, LIMG_EINVALID, "its owner is not in the id map");
		if (a->privileged && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
			return os_error(a, name, "cannot set its owner", errno);
	}
	/* after chown, which clears setuid */
	if ((is_path_fd ? chmod(proc, mode) : fchmod(fd, mode)) < 0 && !(is_path_fd && errno == ENOENT))
		return os_error(a, name, "cannot set its mode", errno);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
		if (skip_xattr(a, key))
			continue;
		if ((is_path_fd ? setxattr(proc, key, value, size, 0) : fsetxattr(fd, key, value, size, 0)) < 0) {
			if (errno == ENOTSUP || errno == EPERM || errno == EACCES)
				warn_xattr(a, name, key, errno);
			else
				return os_error(a, name, "cannot set an xattr", errno);
		}
	}
	times[1].tv_sec = archive_entry_mtime(e);
	times[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		times[0].tv_sec = archive_entry_atime(e);
		times[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		times[0] = times[1];
	}
	if ((is_path_fd ? utimensat(AT_FDCWD, proc, times, 0) : futimens(fd, times)) < 0 && !(is_path_fd && errno == ENOENT))
		return os_error(a, name, "cannot set its times", errno);
	return 0;
}

/* A regular file's data, sparse holes kept. */
static int write_data(limg__applier *a, struct archive *ar, int fd, int64_t size, const char *name)
{
	const void *buf;
	size_t len;
	la_int64_t offset;
	int r;

	while ((r = archive_read_data_block(ar, &buf, &len, &offset)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *p = buf;
		if (offset < 0 || (int64_t)len > size || offset > size - (int64_t)len)
			return bad(a, name, LIMG_ECORRUPT, "data past the size its header gives");
		while (len) {
			ssize_t n = pwrite(fd, p, len, offset);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return os_error(a, name, "cannot write", errno);
			p += n;
			len -= (size_t)n;
			offset += n;
		}
	}
	if (r != ARCHIVE_EOF) {
		char why[300];
		snprintf(why, sizeof why, "cannot read its data: %s", archive_error_string(ar) ? archive_error_string(ar) : "?");
		return bad(a, name, limg_error_code(limg_error_last()) < 0 && !archive_error_string(ar)
		                            ? limg_error_code(limg_error_last())
		                            : LIMG_ECORRUPT,
		           why);
	}
	if (ftruncate(fd, size) < 0) /* a sparse file's final hole */
		return os_error(a, name, "cannot set its size", errno);
	return 0;
}

static int add_dir_meta(limg__applier *a, const char *path, struct archive_entry *e)
{
	struct limg__dir_meta *m;

	if (!(m = new_dir_meta(a, path)))
		return limg__error_oom();
	m->uid = (uint32_t)archive_entry_uid(e);
	m->gid = (uint32_t)archive_entry_gid(e);
	m->mode = archive_entry_perm(e) & 07777;
	m->times[1].tv_sec = archive_entry_mtime(e);
	m->times[1].tv_nsec = archive_entry_mtime_nsec(e);
	m->times[0] = m->times[1];
	if (archive_entry_atime_is_set(e)) {
		m->times[0].tv_sec = archive_entry_atime(e);
		m->times[0].tv_nsec = archive_entry_atime_nsec(e);
	}
	return 0;
}

/* A directory's xattrs, through @fd (which is closed). */
static int set_dir_xattrs(limg__applier *a, struct archive_entry *e, int fd, const char *name)
{
	const char *key;
	const void *value;
	size_t size;
	int rc;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
		if (skip_xattr(a, key))
			continue;
		if (fsetxattr(fd, key, value, size, 0) < 0) {
			if (errno != ENOTSUP && errno != EPERM && errno != EACCES) {
				rc = errno;
				close(fd);
				return os_error(a, name, "cannot set an xattr", rc);
			}
			warn_xattr(a, name, key, errno);
		}
	}
	close(fd);
	return 0;
}

/* A directory's xattrs and owner go now; mode and times when the layer ends. */
static int apply_dir(limg__applier *a, struct archive_entry *e, int dirfd, const char *base, const char *path,
                     const char *name)
{
	int fd, rc;

	struct stat st;
	/* a shared layer's directory made where it whited the name out: nothing below shows through */
	bool opaque = a->overlay && fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && limg__overlay_is_whiteout(&st);

	if ((rc = make_room(a, dirfd, base, name, true)) < 0)
		return rc;
	/* owner-only until the layer ends: its children are still to come */
	if (!rc && mkdirat(dirfd, base, 0700) < 0 && errno != EEXIST)
		return os_error(a, name, "cannot make the directory", errno);
	if ((fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return os_error(a, name, "cannot open the directory", errno);
	if (opaque && fsetxattr(fd, limg__overlay_opaque_xattr(a), "y", 1, 0) < 0) {
		rc = errno;
		close(fd);
		return os_error(a, name, "cannot mark the directory opaque", rc);
	}
	if ((rc = set_dir_xattrs(a, e, fd, name)) < 0)
		return rc;
	return add_dir_meta(a, path, e);
}

/* The layer's "./": the root's own xattrs, owner, mode and times, as umoci
 * and podman apply them (a root made 0700 by its layer stays 0700). */
static int apply_root(limg__applier *a, struct archive_entry *e, const char *name)
{
	int fd, rc;

	if ((rc = resolve_in(a, "", NULL, NULL, &fd)) < 0)
		return os_error(a, name, "cannot open the root", -rc);
	if ((rc = set_dir_xattrs(a, e, fd, name)) < 0)
		return rc;
	if (limg__strset_add(&a->upper, "") < 0)
		return limg__error_oom();
	return add_dir_meta(a, "", e);
}

static int apply_dir_meta(limg__applier *a, const struct limg__dir_meta *m)
{
	uint32_t uid = m->uid, gid = m->gid;
	mode_t mode = m->mode;
	bool ok_u, ok_g;
	int fd, rc;

	if ((rc = resolve_in(a, m->path, NULL, NULL, &fd)) < 0) {
		if (rc == -ENOENT || rc == -ENOTDIR)
			return 0; /* removed or replaced later in the layer */
		return os_error(a, m->path, "cannot reach the directory", -rc);
	}
	if (m->restore) {
		rc = futimens(fd, m->times) < 0 ? errno : 0;
		close(fd);
		return rc ? os_error(a, m->path, "cannot put its times back", rc) : 0;
	}
	if (a->rootless) {
		unsigned char x[16];
		size_t n = limg__rootless_xattr(x, uid, gid);
		if (n && fsetxattr(fd, ROOTLESS_XATTR, x, n, 0) < 0)
			warn_xattr(a, m->path, ROOTLESS_XATTR, errno);
		if ((rc = limg__apply_hold_mode(a, m->path, fd, mode)) < 0) {
			close(fd);
			return rc;
		}
		mode |= 0700; /* the unpacking user keeps their way in until the unpack ends */
	} else {
		uid = map_id(a->uids, a->nuids, uid, &ok_u);
		gid = map_id(a->gids, a->ngids, gid, &ok_g);
		if (!ok_u || !ok_g) {
			close(fd);
			return bad(a, m->path, LIMG_EINVALID, "its owner is not in the id map");
		}
		if (a->privileged && fchown(fd, uid, gid) < 0) {
			rc = errno;
			close(fd);
			return os_error(a, m->path, "cannot set its owner", rc);
		}
	}
	if (fchmod(fd, mode) < 0 || futimens(fd, m->times) < 0) {
		rc = errno;
		close(fd);
		return os_error(a, m->path, "cannot set its mode and times", rc);
	}
	close(fd);
	return 0;
}

int limg__apply_end_layer(limg__applier *a)
{
	int rc;

	/* nothing is made any more: the lower layers' directories get their
	 * times back, then the layer's own directories their metadata, in
	 * order (the last entry of a directory wins) */
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < a->ndirs; k++)
			if (a->dirs[k].restore == (pass == 0) && (rc = apply_dir_meta(a, &a->dirs[k])) < 0)
				return rc;
	return 0;
}

static int apply_link(limg__applier *a, struct archive_entry *e, int dirfd, const char *base, const char *name)
{
	const char *target = archive_entry_hardlink(e);
	char cleaned[NAME_CAP], tdir[NAME_CAP];
	const char *tbase;
	struct stat st;
	int tfd, rc;

	/* the target is a path in the image (an absolute one too, as kaniko
	 * writes them), read as chroot reads it: ".." stops at the root, as
	 * umoci, podman and containerd clamp it; then resolved beneath the root */
	if (!target || limg__path_clean_clamped(target, cleaned, sizeof cleaned) < 0)
		return bad(a, name, LIMG_ECORRUPT, "a hard link whose target name is too long");
	if (!*cleaned)
		return bad(a, name, LIMG_ECORRUPT, "a hard link to the root directory");
	tbase = limg__split_path(cleaned, tdir, sizeof tdir);
	/* a shared layer links to its own copy of a lower layer's file */
	if ((rc = a->overlay ? limg__overlay_copy_up(a, tdir, tbase, &tfd) : resolve_in(a, tdir, NULL, NULL, &tfd)) < 0)
		return bad(a, name, LIMG_ECORRUPT, "a hard link to something that is not there");
	a->parent_valid = a->parent_valid && !a->overlay; /* a copy-up may have made directories */
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode)) {
		close(tfd);
		return bad(a, name, LIMG_ECORRUPT, "a hard link to something that is not there, or to a directory");
	}
	if ((rc = make_room(a, dirfd, base, name, false)) < 0) {
		close(tfd);
		return rc;
	}
	/* no AT_SYMLINK_FOLLOW: a link to a symlink is a link to the symlink */
	if (linkat(tfd, tbase, dirfd, base, 0) < 0) {
		rc = errno;
		close(tfd);
		return os_error(a, name, "cannot make the hard link", rc);
	}
	close(tfd);
	return 0;
}

static int apply_special(limg__applier *a, struct archive_entry *e, int dirfd, const char *base, const char *name,
                         mode_t type)
{
	int fd, rc;

	if ((rc = make_room(a, dirfd, base, name, false)) < 0)
		return rc;
	if ((type == S_IFCHR || type == S_IFBLK) && !a->privileged) {
		/* no device nodes without privilege: an empty file stands in (umoci does the same) */
		if (!a->warned_device) {
			a->warned_device = true;
			limg__log(a->ctx, LIMG_LOG_INFO, "layer %s: device nodes become empty files (unprivileged)", a->layer);
		}
		if ((fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
			return os_error(a, name, "cannot make a stand-in for the device", errno);
		rc = set_metadata(a, e, fd, false, name);
		close(fd);
		return rc;
	}
	if (mknodat(dirfd, base, type | 0600, type == S_IFIFO ? 0 : archive_entry_rdev(e)) < 0)
		return os_error(a, name, "cannot make the node", errno);
	if ((fd = openat(dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return os_error(a, name, "cannot open the node", errno);
	rc = set_metadata(a, e, fd, true, name);
	close(fd);
	return rc;
}

static int apply_symlink(limg__applier *a, struct archive_entry *e, int dirfd, const char *base, const char *name)
{
	const char *target = archive_entry_symlink(e);
	struct timespec times[2];
	uint32_t uid = (uint32_t)archive_entry_uid(e), gid = (uint32_t)archive_entry_gid(e);
	bool ok_u, ok_g;
	int rc;

	if (!target || strlen(target) >= NAME_CAP)
		return bad(a, name, LIMG_ECORRUPT, "a symlink without a usable target");
	if ((rc = make_room(a, dirfd, base, name, false)) < 0)
		return rc;
	/* the target is stored as written: it is read beneath the root when followed */
	if (symlinkat(target, dirfd, base) < 0)
		return os_error(a, name, "cannot make the symlink", errno);
	if (!a->rootless) {
		uid = map_id(a->uids, a->nuids, uid, &ok_u);
		gid = map_id(a->gids, a->ngids, gid, &ok_g);
		if (!ok_u || !ok_g)
			return bad(a, name, LIMG_EINVALID, "its owner is not in the id map");
		if (a->privileged && fchownat(dirfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return os_error(a, name, "cannot set its owner", errno);
	}
	times[1].tv_sec = archive_entry_mtime(e);
	times[1].tv_nsec = archive_entry_mtime_nsec(e);
	times[0] = times[1];
	/* never a chmod of a symlink: it would change its target (CVE-2021-32760) */
	if (utimensat(dirfd, base, times, AT_SYMLINK_NOFOLLOW) < 0)
		return os_error(a, name, "cannot set its times", errno);
	return 0;
}

static int apply_file(limg__applier *a, struct archive *ar, struct archive_entry *e, int dirfd, const char *base,
                      const char *name)
{
	int64_t size = archive_entry_size(e);
	int fd, rc;

	if (size < 0)
		return bad(a, name, LIMG_ECORRUPT, "a negative size");
	if ((rc = make_room(a, dirfd, base, name, false)) < 0)
		return rc;
	if ((fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return os_error(a, name, "cannot create the file", errno);
	if ((rc = write_data(a, ar, fd, size, name)) == 0)
		rc = set_metadata(a, e, fd, false, name);
	close(fd);
	return rc;
}

int limg__apply_entry(limg__applier *a, struct archive *ar, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	char name[NAME_CAP], dir[NAME_CAP];
	const char *base;
	mode_t type = archive_entry_filetype(e);
	int dirfd, rc;

	if (!raw)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, a->layer, "layer %s: an entry without a name",
		                             a->layer);
	if (++a->entries > a->max_entries)
		return bad(a, raw, LIMG_ETOOBIG, "more entries than the limit for one layer");
	if (archive_entry_hardlink(e) && !type)
		type = AE_IFREG; /* a hard link carries the type of what it links */
	/* sizes count, holes and all: a "10 GB" sparse file in a small layer stops here */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > a->limit - a->logical)
		return bad(a, raw, LIMG_ETOOBIG, "larger than the layer size limit allows");
	a->logical += archive_entry_size(e) > 0 ? archive_entry_size(e) : 0;
	if ((rc = limg__clean_name(raw, name, sizeof name)) < 0)
		return bad(a, raw, LIMG_ECORRUPT, rc == -2 ? "its name is too long" : "its name leads out of the root");
	if (!*name) {
		/* the root itself: a directory, or nothing (CVE-2021-29136: a
		 * symlink there sent later layers to the host) */
		if (type != AE_IFDIR)
			return bad(a, raw, LIMG_ECORRUPT, "the root can only be a directory");
		return apply_root(a, e, raw);
	}
	base = limg__split_path(name, dir, sizeof dir);
	if (!strncmp(base, ".wh.", 4))
		return whiteout(a, raw, dir, base);
	if ((rc = parent_dir(a, dir, raw, &dirfd)) < 0)
		return rc;
	if (archive_entry_hardlink(e))
		rc = apply_link(a, e, dirfd, base, raw);
	else if (type == AE_IFDIR)
		rc = apply_dir(a, e, dirfd, base, name, raw);
	else if (type == AE_IFREG)
		rc = apply_file(a, ar, e, dirfd, base, raw);
	else if (type == AE_IFLNK)
		rc = apply_symlink(a, e, dirfd, base, raw);
	else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO)
		rc = apply_special(a, e, dirfd, base, raw, type);
	else
		return 0; /* sockets and the like: not for images */
	if (rc < 0)
		return rc;
	/* what this layer made stays, whatever its whiteouts say */
	return limg__strset_add(&a->upper, name) < 0 ? limg__error_oom() : 0;
}
