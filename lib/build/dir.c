/* SPDX-License-Identifier: MIT */
/* Walked entries as layer entries (see dir.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/core.h"
#include "dir.h"

#define IO_SIZE (256u * 1024)

/* Inodes with several links, by (dev, ino): open addressing. */
typedef struct {
	dev_t dev;
	ino_t ino;
	char *path;
} link_slot;

struct limg__links {
	link_slot *slots;
	size_t cap, count;
};

static size_t link_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;
	return (size_t)(h ^ (h >> 29));
}

static const char *links_find(const limg__links *l, dev_t dev, ino_t ino)
{
	if (!l || !l->cap)
		return NULL;
	for (size_t i = link_hash(dev, ino) & (l->cap - 1);; i = (i + 1) & (l->cap - 1)) {
		if (!l->slots[i].path)
			return NULL;
		if (l->slots[i].dev == dev && l->slots[i].ino == ino)
			return l->slots[i].path;
	}
}

static int links_put(limg__links *l, dev_t dev, ino_t ino, const char *path)
{
	if ((l->count + 1) * 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		link_slot *slots = limg__calloc(cap, sizeof *slots);
		if (!slots)
			return limg__error_oom();
		for (size_t i = 0; i < l->cap; i++) {
			size_t j;
			if (!l->slots[i].path)
				continue;
			for (j = link_hash(l->slots[i].dev, l->slots[i].ino) & (cap - 1); slots[j].path; j = (j + 1) & (cap - 1))
				;
			slots[j] = l->slots[i];
		}
		limg__free(l->slots);
		l->slots = slots;
		l->cap = cap;
	}
	{
		size_t j;
		char *copy = limg__strdup(path);
		if (!copy)
			return limg__error_oom();
		for (j = link_hash(dev, ino) & (l->cap - 1); l->slots[j].path; j = (j + 1) & (l->cap - 1))
			;
		l->slots[j] = (link_slot){ dev, ino, copy };
		l->count++;
	}
	return 0;
}

int limg__dir_reader_init(limg__dir_reader *r, const limg_layer_opts *o)
{
	memset(r, 0, sizeof *r);
	r->o = o;
	if (!(r->links = limg__calloc(1, sizeof *r->links)) || !(r->io = limg__malloc(IO_SIZE)))
		return limg__error_oom();
	return 0;
}

void limg__dir_reader_dispose(limg__dir_reader *r)
{
	if (r->links) {
		for (size_t i = 0; i < r->links->cap; i++)
			limg__free(r->links->slots[i].path);
		limg__free(r->links->slots);
		limg__free(r->links);
	}
	limg_buf_dispose(&r->xbuf);
	limg_buf_dispose(&r->target);
	limg__free(r->io);
}

bool limg__dir_is_link(const limg__dir_reader *r, const struct stat *st)
{
	return links_find(r->links, st->st_dev, st->st_ino) != NULL;
}

int limg__dir_link_add(limg__dir_reader *r, const struct stat *st, const char *path)
{
	if (st->st_nlink < 2 || links_find(r->links, st->st_dev, st->st_ino))
		return 0;
	return links_put(r->links, st->st_dev, st->st_ino, path);
}

static int entry_error(int code, const char *host, const char *what)
{
	return limg__error_set_about(code, LIMG_SUBJECT_FILE, host, "%s: %s", host, what);
}

/* A symlink's target, read beneath its directory. */
static int read_target(limg__dir_reader *r, const limg__walk_entry *we)
{
	ssize_t n;

	if (limg__buf_grow(&r->target, LIMG__TAR_PATH_MAX + 2) < 0)
		return LIMG_ENOMEM;
	n = readlinkat(we->dirfd, we->name, r->target.ptr, LIMG__TAR_PATH_MAX + 1);
	if (n < 0) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read the link: %s", strerror(errno));
		return entry_error(errno == ENOENT || errno == EINVAL ? LIMG_ECONFLICT : LIMG_ESYSTEM, we->host,
		                   errno == ENOENT || errno == EINVAL ? "changed while it was read (replaced)" : msg);
	}
	if (n > LIMG__TAR_PATH_MAX)
		return entry_error(LIMG_ETOOBIG, we->host, "a link target longer than 4095 bytes");
	r->target.ptr[n] = '\0';
	r->target.size = (size_t)n;
	return 0;
}

int limg__dir_entry(limg__dir_reader *r, const limg__walk_entry *we, limg__tar_entry *te, bool hardlinks)
{
	const limg_layer_opts *o = r->o;
	const struct stat *st = &we->st;
	int rc;

	memset(te, 0, sizeof *te);
	te->name = we->path;
	te->mode = st->st_mode & 07777;
	if (r->keep_owner || o->owner == LIMG_OWNER_KEEP) {
		te->uid = st->st_uid;
		te->gid = st->st_gid;
	} else {
		te->uid = o->uid;
		te->gid = o->gid;
	}
	te->mtime = limg__layer_mtime(o, st->st_mtim.tv_sec);
	/* another name of a file (of any kind but a directory) already written: a hard link to it,
	 * as GNU tar writes them, so that unpacked the names are one file again */
	if (hardlinks && !S_ISDIR(st->st_mode) && st->st_nlink > 1 &&
	    (te->link = links_find(r->links, st->st_dev, st->st_ino))) {
		te->type = LIMG__TAR_HARDLINK;
		return 0; /* a hard link carries no metadata of its own: the file it points to has it */
	}
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		te->type = LIMG__TAR_REG;
		te->size = st->st_size;
		break;
	case S_IFDIR: te->type = LIMG__TAR_DIR; break;
	case S_IFLNK:
		te->type = LIMG__TAR_SYMLINK;
		if ((rc = read_target(r, we)) < 0)
			return rc;
		te->link = r->target.ptr;
		break;
	case S_IFCHR:
	case S_IFBLK:
		te->type = S_ISCHR(st->st_mode) ? LIMG__TAR_CHAR : LIMG__TAR_BLOCK;
		te->devmajor = major(st->st_rdev);
		te->devminor = minor(st->st_rdev);
		break;
	case S_IFIFO: te->type = LIMG__TAR_FIFO; break;
	default: return entry_error(LIMG_EUNSUPPORTED, we->host, "a kind of file a layer cannot hold");
	}
	if (!o->no_xattrs) {
		/* through the entry's own descriptor when there is one, else through its directory's */
		if (we->fd >= 0)
			rc = limg__walk_xattrs(&r->xbuf, r->xattrs, 256, &te->nxattrs, -1, NULL, we->fd, we->host);
		else if (we->dirfd >= 0 && we->name)
			rc = limg__walk_xattrs(&r->xbuf, r->xattrs, 256, &te->nxattrs, we->dirfd, we->name, -1, we->host);
		else
			rc = 0;
		if (rc < 0)
			return rc;
		te->xattrs = r->xattrs;
	}
	return 0;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int limg__dir_copy(limg__dir_reader *r, limg__tar_writer *t, int fd, const struct stat *st, const char *host)
{
	int64_t left = st->st_size;
	struct stat after;
	ssize_t n;
	int rc;

	while (left > 0) {
		n = read(fd, r->io, left < (int64_t)IO_SIZE ? (size_t)left : IO_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			char msg[300];
			snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
			return entry_error(LIMG_ESYSTEM, host, msg);
		}
		if (n == 0)
			return entry_error(LIMG_ECONFLICT, host, "changed while it was read (it got shorter)");
		if ((rc = limg__tar_data(t, r->io, (size_t)n)) != 0)
			return rc;
		left -= n;
	}
	/* nothing may follow, and nothing about the file may have moved */
	do
		n = read(fd, r->io, 1);
	while (n < 0 && errno == EINTR);
	if (n != 0 || fstat(fd, &after) < 0 || after.st_size != st->st_size || !same_time(&after.st_mtim, &st->st_mtim) ||
	    !same_time(&after.st_ctim, &st->st_ctim))
		return entry_error(LIMG_ECONFLICT, host, "changed while it was read");
	return limg__tar_pad(t, st->st_size);
}
