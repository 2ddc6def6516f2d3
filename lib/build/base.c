/* SPDX-License-Identifier: MIT */
/*
 * The base image's directories (base.h): its root filesystem is read once
 * (the entries' headers; file data is skipped) into a table of every path
 * that wins there: a directory with its metadata, anything else as the
 * kind of thing it is, so that a parent the layer needs where the base has
 * a symlink or a file is refused rather than replaced.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "core/arena.h"
#include "core/core.h"
#include "image.h"
#include "rootfs.h"

struct limg__base_dirs {
	limg__tar_entry *e;   /* names, owner names and xattrs in the arena */
	size_t n, cap;
	size_t *index;        /* open addressing by name: item + 1, 0 for a free slot */
	size_t index_cap;
	limg__arena arena;
	const char *base;     /* the image's name, for messages */
};

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static const limg__tar_entry *find(const limg__base_dirs *b, const char *path)
{
	if (!b->index_cap)
		return NULL;
	for (size_t i = hash_path(path) & (b->index_cap - 1);; i = (i + 1) & (b->index_cap - 1)) {
		if (!b->index[i])
			return NULL;
		if (!strcmp(b->e[b->index[i] - 1].name, path))
			return &b->e[b->index[i] - 1];
	}
}

static void place(size_t *index, size_t cap, const char *name, size_t item)
{
	size_t j;

	for (j = hash_path(name) & (cap - 1); index[j]; j = (j + 1) & (cap - 1))
		;
	index[j] = item + 1;
}

static int add(limg__base_dirs *b, const limg__tar_entry *e)
{
	limg__tar_entry *had = (limg__tar_entry *)find(b, e->name);

	if (had) {
		*had = *e; /* a layer that names a path twice: the later wins (rootfs.h) */
		return 0;
	}
	if ((b->n + 1) * 2 > b->index_cap) {
		size_t cap = b->index_cap ? b->index_cap * 2 : 1024;
		size_t *ix = limg__calloc(cap, sizeof *ix);
		if (!ix)
			return limg__error_oom();
		for (size_t k = 0; k < b->n; k++)
			place(ix, cap, b->e[k].name, k);
		limg__free(b->index);
		b->index = ix;
		b->index_cap = cap;
	}
	if (limg__array_grow((void **)&b->e, &b->cap, b->n + 1, sizeof *b->e) < 0)
		return limg__error_oom();
	b->e[b->n] = *e;
	place(b->index, b->index_cap, e->name, b->n);
	b->n++;
	return 0;
}

static const char *keep(limg__base_dirs *b, const char *s, bool *oom)
{
	const char *copy = s ? limg__arena_strndup(&b->arena, s, strlen(s)) : NULL;

	*oom = *oom || (s && !copy);
	return copy;
}

static int take(limg__rootfs *r, const limg__tar_entry *e, int layer, void *payload)
{
	limg__base_dirs *b = payload;
	limg__tar_entry k;
	limg__tar_xattr *x = NULL;
	bool oom = false;

	(void)r;
	(void)layer;
	memset(&k, 0, sizeof k);
	k.type = e->type;
	k.name = keep(b, e->name, &oom);
	if (e->type == LIMG__TAR_DIR) {
		k.mode = e->mode;
		k.uid = e->uid;
		k.gid = e->gid;
		k.mtime = e->mtime;
		k.uname = keep(b, e->uname, &oom);
		k.gname = keep(b, e->gname, &oom);
		if (e->nxattrs && !(x = limg__arena_alloc(&b->arena, e->nxattrs * sizeof *x)))
			return limg__error_oom();
		for (size_t i = 0; i < e->nxattrs; i++) {
			void *v = limg__arena_alloc(&b->arena, e->xattrs[i].len ? e->xattrs[i].len : 1);
			if (!v)
				return limg__error_oom();
			memcpy(v, e->xattrs[i].value, e->xattrs[i].len);
			x[i].name = keep(b, e->xattrs[i].name, &oom);
			x[i].value = v;
			x[i].len = e->xattrs[i].len;
		}
		k.xattrs = x;
		k.nxattrs = e->nxattrs;
	}
	return oom ? limg__error_oom() : add(b, &k);
}

int limg__base_dirs_read(limg__base_dirs **out, limg_store *store, const limg_layer_opts *o)
{
	limg__base_dirs *b = limg__calloc(1, sizeof *b);
	limg__stored_image img;
	limg__rootfs_opts ro = { 0 };
	limg__lease *lease = NULL;
	int rc;

	*out = NULL;
	memset(&img, 0, sizeof img);
	if (!b)
		return limg__error_oom();
	b->base = o->base;
	if ((rc = limg__lease_new(&lease, store)) == 0 &&
	    (rc = limg__image_load(&img, store, o->base, o->platform, lease)) == 0) {
		ro.store = store;
		ro.manifest = img.m;
		ro.config = img.c;
		ro.cancel = o->cancel;
		ro.max_entries = o->max_entries;
		ro.one_pass = 1; /* each path's winner once; their order is no matter */
		rc = limg__rootfs_walk(&ro, take, b);
	}
	if (rc < 0)
		limg__error_prefix("the layer's base %s: ", o->base);
	limg__image_dispose(&img);
	limg__lease_free(lease);
	if (rc < 0) {
		limg__base_dirs_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

int limg__base_dir_of(const char *path, limg__tar_entry *out, void *payload)
{
	const limg__base_dirs *b = payload;
	const limg__tar_entry *e = find(b, path);
	char q[300];

	if (!e)
		return 0; /* an unpacker makes it as the layer says */
	if (e->type == LIMG__TAR_DIR) {
		*out = *e;
		return 1;
	}
	limg__sanitize(q, sizeof q, path, strlen(path));
	return limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, b->base,
	                             "/%s is %s in the base %s, where the layer needs a directory: the layer would "
	                             "replace it%s", q, e->type == LIMG__TAR_SYMLINK ? "a symlink" : "no directory",
	                             b->base, e->type == LIMG__TAR_SYMLINK ? " (give the path it points to)" : "");
}

void limg__base_dirs_free(limg__base_dirs *b)
{
	if (!b)
		return;
	limg__free(b->e);
	limg__free(b->index);
	limg__arena_free(&b->arena);
	limg__free(b);
}
