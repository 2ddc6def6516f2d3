/* SPDX-License-Identifier: MIT */
/*
 * The base image's directories (base.h): its root filesystem is read once,
 * when the layer first needs a parent it does not have (the entries'
 * headers; file data is skipped), into a table of every path
 * that wins there: a directory with its metadata, anything else as the
 * kind of thing it is, so that a parent the layer needs where the base has
 * a symlink or a file is refused rather than replaced.
 */
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "core/arena.h"
#include "core/core.h"
#include "core/strmap.h"
#include "image.h"
#include "rootfs.h"

struct limg__base_dirs {
	limg__tar_entry *e;   /* names, owner names and xattrs in the arena */
	size_t n, cap;
	limg__strmap by_name; /* keyed: a layer's names cannot be made to collide */
	limg__arena arena;
	/* what to read, when the first parent is asked for */
	limg_store *store;
	const char *base, *platform;
	const limg_cancel *cancel;
	int64_t max_entries;
	bool read;
};

static const limg__tar_entry *find(const limg__base_dirs *b, const char *path)
{
	size_t i;

	return limg__strmap_get(&b->by_name, path, &i) ? &b->e[i] : NULL;
}

static int add(limg__base_dirs *b, const limg__tar_entry *e)
{
	size_t i;

	if (limg__strmap_get(&b->by_name, e->name, &i)) {
		b->e[i] = *e; /* a layer that names a path twice: the later wins (rootfs.h) */
		return 0;
	}
	if (limg__array_grow((void **)&b->e, &b->cap, b->n + 1, sizeof *b->e) < 0)
		return limg__error_oom();
	b->e[b->n++] = *e;
	return limg__strmap_put(&b->by_name, e->name, b->n - 1);
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

int limg__base_dirs_new(limg__base_dirs **out, limg_store *store, const limg_layer_opts *o)
{
	limg__base_dirs *b = limg__calloc(1, sizeof *b);

	*out = NULL;
	if (!b)
		return limg__error_oom();
	b->store = store;
	b->base = o->base;
	b->platform = o->platform;
	b->cancel = o->cancel;
	b->max_entries = o->max_entries;
	*out = b;
	return 0;
}

/* The base's root filesystem, read once, when a parent is first asked for
 * (a layer whose every directory is its own never reads it). */
static int read_base(limg__base_dirs *b)
{
	limg__stored_image img;
	limg__rootfs_opts ro = { 0 };
	limg__lease *lease = NULL;
	int rc;

	memset(&img, 0, sizeof img);
	b->read = true;
	if ((rc = limg__lease_new(&lease, b->store)) == 0 &&
	    (rc = limg__image_load(&img, b->store, b->base, b->platform, lease)) == 0) {
		ro.store = b->store;
		ro.manifest = img.m;
		ro.config = img.c;
		ro.cancel = b->cancel;
		ro.max_entries = b->max_entries;
		ro.one_pass = 1; /* each path's winner once; their order is no matter */
		rc = limg__rootfs_walk(&ro, take, b);
	}
	if (rc < 0)
		limg__error_prefix("the layer's base %s: ", b->base);
	limg__image_dispose(&img);
	limg__lease_free(lease);
	return rc;
}

int limg__base_dir_of(const char *path, limg__tar_entry *out, void *payload)
{
	limg__base_dirs *b = payload;
	const limg__tar_entry *e;
	char q[300];
	int rc;

	if (!b->read && (rc = read_base(b)) < 0)
		return rc;
	if (!(e = find(b, path)))
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
	limg__strmap_free(&b->by_name);
	limg__arena_free(&b->arena);
	limg__free(b);
}
