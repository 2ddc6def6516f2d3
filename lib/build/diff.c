/* SPDX-License-Identifier: MIT */
/*
 * umoci repack: the layer that turns an image's root filesystem into a
 * directory. The image's tree is read once into a sorted table of facts
 * (type, mode, owner, size, content digest, link target, device, xattrs
 * digest); the directory is walked twice in the same order: first its
 * names only, to find the paths it no longer has (whiteouts), then to
 * write what is new or changed, each with the directories above it as they
 * are on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "core/arena.h"
#include "core/core.h"
#include "core/strmap.h"
#include "dir.h"
#include "emit.h"
#include "image.h"
#include "libimage/digest.h"
#include "rootfs.h"
#include "walk.h"

#define DIGEST_LEN 72

typedef struct {
	const char *path;
	int type;
	unsigned mode;
	int64_t uid, gid, size;
	const char *link;
	unsigned devmajor, devminor;
	char content[DIGEST_LEN]; /* a regular file's sha256 */
	char xattrs[DIGEST_LEN];  /* of its xattrs, "" for none */
} fact;

typedef struct {
	fact *items;
	size_t n, cap;
	limg__arena arena;
	size_t *index;     /* open addressing by path while the table is built */
	size_t index_cap;
	limg__strhash_key key; /* an image's paths cannot be chosen to collide (strmap.h) */
} table;

/* ---- the image's side ------------------------------------------------------- */

static uint64_t hash_path(const table *t, const char *s)
{
	return limg__strhash(&t->key, s);
}

static fact *find_built(const table *t, const char *path)
{
	if (!t->index_cap)
		return NULL;
	for (size_t i = hash_path(t, path) & (t->index_cap - 1);; i = (i + 1) & (t->index_cap - 1)) {
		if (!t->index[i])
			return NULL;
		if (!strcmp(t->items[t->index[i] - 1].path, path))
			return &t->items[t->index[i] - 1];
	}
}

static int index_add(table *t, size_t item)
{
	if ((t->n + 1) * 2 > t->index_cap) {
		size_t cap = t->index_cap ? t->index_cap * 2 : 1024;
		size_t *ix = limg__calloc(cap, sizeof *ix);
		if (!ix)
			return limg__error_oom();
		if (!t->index_cap)
			limg__strhash_key_draw(&t->key);
		for (size_t k = 0; k < t->n; k++) {
			size_t j;
			for (j = hash_path(t, t->items[k].path) & (cap - 1); ix[j]; j = (j + 1) & (cap - 1))
				;
			ix[j] = k + 1;
		}
		limg__free(t->index);
		t->index = ix;
		t->index_cap = cap;
		return 0; /* @item is among those just placed */
	}
	{
		size_t j;
		for (j = hash_path(t, t->items[item].path) & (t->index_cap - 1); t->index[j]; j = (j + 1) & (t->index_cap - 1))
			;
		t->index[j] = item + 1;
	}
	return 0;
}

/* The digest of an entry's xattrs, in name order ("" when it has none). */
static int xattrs_digest(char out[DIGEST_LEN], const limg__tar_xattr *x, size_t n)
{
	const limg__tar_xattr *sorted[256];
	limg_hasher *h;
	const char *got;
	size_t k = 0;
	int rc;

	*out = '\0';
	for (size_t i = 0; i < n && k < 256; i++)
		if (strcmp(x[i].name, "security.selinux") != 0)
			sorted[k++] = &x[i];
	if (!k)
		return 0;
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && strcmp(sorted[j - 1]->name, sorted[j]->name) > 0; j--) {
			const limg__tar_xattr *tmp = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = tmp;
		}
	if ((rc = limg_hasher_new(&h, LIMG_DIGEST_SHA256)) < 0)
		return rc;
	for (size_t i = 0; i < k; i++) {
		uint64_t len = sorted[i]->len;
		limg_hasher_update(h, sorted[i]->name, strlen(sorted[i]->name) + 1);
		limg_hasher_update(h, &len, sizeof len);
		limg_hasher_update(h, sorted[i]->value, sorted[i]->len);
	}
	if ((rc = limg_hasher_finish(&got, h)) == 0)
		snprintf(out, DIGEST_LEN, "%s", got);
	limg_hasher_free(h);
	return rc;
}

static int hash_data(limg__rootfs *r, char out[DIGEST_LEN])
{
	limg_hasher *h;
	const void *data;
	const char *got;
	size_t len;
	int rc;

	if ((rc = limg_hasher_new(&h, LIMG_DIGEST_SHA256)) < 0)
		return rc;
	while ((rc = limg__rootfs_data(r, &data, &len)) == 0 && len)
		limg_hasher_update(h, data, len);
	if (rc == 0 && (rc = limg_hasher_finish(&got, h)) == 0)
		snprintf(out, DIGEST_LEN, "%s", got);
	limg_hasher_free(h);
	return rc;
}

static int fill(fact *f, const limg__tar_entry *e, limg__rootfs *r, table *t)
{
	int rc;

	f->type = e->type;
	f->mode = e->mode;
	f->uid = e->uid;
	f->gid = e->gid;
	f->size = e->type == LIMG__TAR_REG ? e->size : 0;
	f->devmajor = e->devmajor;
	f->devminor = e->devminor;
	if (e->link && e->type == LIMG__TAR_SYMLINK && !(f->link = limg__arena_strndup(&t->arena, e->link, strlen(e->link))))
		return limg__error_oom();
	if ((rc = xattrs_digest(f->xattrs, e->xattrs, e->nxattrs)) < 0)
		return rc;
	return e->type == LIMG__TAR_REG ? hash_data(r, f->content) : 0;
}

typedef struct {
	table *t;
	const char *link_name;
} collect_run;

static int add_fact(table *t, const char *path, fact **out)
{
	fact *f = find_built(t, path);
	int rc;

	if (f) {
		/* a path given again (a lower layer's, then a higher one's directory) */
		*out = f;
		return 0;
	}
	if ((rc = limg__array_grow((void **)&t->items, &t->cap, t->n + 1, sizeof *t->items)) < 0)
		return rc;
	f = &t->items[t->n];
	memset(f, 0, sizeof *f);
	if (!(f->path = limg__arena_strndup(&t->arena, path, strlen(path))))
		return limg__error_oom();
	t->n++;
	if ((rc = index_add(t, t->n - 1)) < 0)
		return rc;
	*out = &t->items[t->n - 1];
	return 0;
}

static int collect_link_target(limg__rootfs *r, const limg__tar_entry *e, int layer, void *payload)
{
	collect_run *c = payload;
	fact *f;
	int rc;

	(void)layer;
	if ((rc = add_fact(c->t, c->link_name, &f)) < 0)
		return rc;
	return fill(f, e, r, c->t);
}

static int collect(limg__rootfs *r, const limg__tar_entry *e, int layer, void *payload)
{
	collect_run *c = payload;
	fact *f;
	int rc;

	if (e->type == LIMG__TAR_HARDLINK) {
		fact *target = limg__rootfs_written(r, e->link) ? find_built(c->t, e->link) : NULL;
		char name[LIMG__TAR_PATH_MAX + 1];
		if (target) {
			fact copy = *target;
			if ((rc = add_fact(c->t, e->name, &f)) < 0)
				return rc;
			copy.path = f->path;
			*f = copy;
			return 0;
		}
		/* the file it points to lost its path above: its bytes from this layer */
		snprintf(name, sizeof name, "%s", e->name);
		c->link_name = name;
		return limg__rootfs_find_link_target(r, e->link, collect_link_target, c);
	}
	if ((rc = add_fact(c->t, e->name, &f)) < 0)
		return rc;
	return fill(f, e, r, c->t);
}

static int cmp_facts(const void *a, const void *b)
{
	return limg__tar_path_cmp(((const fact *)a)->path, ((const fact *)b)->path);
}

static const fact *lookup(const table *t, const char *path, size_t *at)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = limg__tar_path_cmp(t->items[mid].path, path);
		if (!c) {
			if (at)
				*at = mid;
			return &t->items[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return NULL;
}

static int image_table(table *t, limg_store *store, const limg__stored_image *img, const limg_layer_opts *o)
{
	limg__rootfs_opts ro = { 0 };
	collect_run c = { t, NULL };
	int rc;

	ro.store = store;
	ro.manifest = img->m;
	ro.config = img->c;
	ro.cancel = o->cancel;
	ro.max_entries = o->max_entries;
	ro.one_pass = 1; /* a table sorted afterwards: the order entries come in is no matter */
	if ((rc = limg__rootfs_walk(&ro, collect, &c)) != 0)
		return rc;
	/* directories no layer lists but an unpacker makes (0755, root's) to hold what layers list */
	for (size_t i = 0, n = t->n; i < n; i++) {
		char parent[LIMG__TAR_PATH_MAX + 1];
		char *slash;
		snprintf(parent, sizeof parent, "%s", t->items[i].path);
		while ((slash = strrchr(parent, '/'))) {
			fact *f;
			*slash = '\0';
			if (find_built(t, parent))
				break;
			if ((rc = add_fact(t, parent, &f)) < 0)
				return rc;
			f->type = LIMG__TAR_DIR;
			f->mode = 0755;
		}
	}
	limg__free(t->index);
	t->index = NULL;
	t->index_cap = 0;
	qsort(t->items, t->n, sizeof *t->items, cmp_facts);
	return 0;
}

/* ---- the directory's side ---------------------------------------------------- */

/* Paths of the image the directory no longer has (the topmost of each
 * missing subtree, and none beneath what became a non-directory). */
static int missing_paths(char ***out, size_t *nout, const table *t, const char *dir)
{
	limg__walk *w = NULL;
	limg__walk_entry we;
	size_t i = 0, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = limg__walk_open(&w, dir, "")) < 0)
		return rc;
	for (;;) {
		const char *p;
		rc = limg__walk_next(w, &we);
		if (rc < 0 && rc != LIMG_ITEROVER)
			break;
		p = rc == 0 ? we.path : NULL;
		/* image paths before this one are not in the directory */
		while (i < t->n && (!p || limg__tar_path_cmp(t->items[i].path, p) < 0)) {
			const char *gone = t->items[i].path;
			size_t len = strlen(gone);
			char *copy;
			if ((rc = limg__array_grow((void **)out, &cap, *nout + 1, sizeof **out)) < 0)
				goto done;
			if (!(copy = limg__malloc(len + 2))) {
				rc = limg__error_oom();
				goto done;
			}
			copy[0] = '/';
			memcpy(copy + 1, gone, len + 1);
			(*out)[(*nout)++] = copy;
			/* what it held goes with it */
			for (i++; i < t->n && !strncmp(t->items[i].path, gone, len) && t->items[i].path[len] == '/'; i++)
				;
		}
		if (!p) {
			rc = 0;
			break;
		}
		if (i < t->n && !strcmp(t->items[i].path, p)) {
			const fact *f = &t->items[i++];
			size_t len = strlen(p);
			/* a directory that is something else now takes what it held with it */
			if (f->type == LIMG__TAR_DIR && !S_ISDIR(we.st.st_mode))
				for (; i < t->n && !strncmp(t->items[i].path, p, len) && t->items[i].path[len] == '/'; i++)
					;
		}
	}
done:
	limg__walk_free(w);
	return rc;
}

/* A directory not written (unchanged) until something beneath it is. */
typedef struct {
	char *name;
	limg__tar_entry e;
	limg_buf xbuf;
	limg__tar_xattr x[256];
	bool written;
} pending_dir;

typedef struct {
	const table *t;
	limg__emitter *em;
	limg__tar_writer *tar;
	limg__dir_reader r;
	pending_dir *pend;
	size_t npend, cappend;
	unsigned char *buf;
} diff_run;

static int pend_push(diff_run *d, const limg__tar_entry *e)
{
	pending_dir *p;
	int rc;

	if ((rc = limg__array_grow((void **)&d->pend, &d->cappend, d->npend + 1, sizeof *d->pend)) < 0)
		return rc;
	p = &d->pend[d->npend];
	memset(p, 0, sizeof *p);
	if (!(p->name = limg__strdup(e->name)))
		return limg__error_oom();
	d->npend++;
	p->e = *e;
	p->e.name = p->name;
	p->e.xattrs = NULL;
	for (size_t i = 0; i < e->nxattrs && i < 256; i++) {
		/* offsets first, pointers when the buffer is whole */
		size_t at = p->xbuf.size;
		if (limg__buf_put(&p->xbuf, e->xattrs[i].name, strlen(e->xattrs[i].name) + 1) < 0 ||
		    limg__buf_put(&p->xbuf, e->xattrs[i].value, e->xattrs[i].len) < 0)
			return limg__error_oom();
		p->x[i].name = (const char *)(uintptr_t)at;
		p->x[i].len = e->xattrs[i].len;
	}
	for (size_t i = 0; i < e->nxattrs && i < 256; i++) {
		size_t at = (size_t)(uintptr_t)p->x[i].name;
		p->x[i].name = p->xbuf.ptr + at;
		p->x[i].value = p->xbuf.ptr + at + strlen(p->xbuf.ptr + at) + 1;
	}
	p->e.xattrs = p->x;
	return 0;
}

static void pend_pop(diff_run *d)
{
	pending_dir *p = &d->pend[--d->npend];

	limg__free(p->name);
	limg_buf_dispose(&p->xbuf);
}

/* The emitter asks for a parent: the directory as it is on disk. */
static int parent_of(const char *path, limg__tar_entry *out, void *payload)
{
	diff_run *d = payload;

	for (size_t i = 0; i < d->npend; i++)
		if (!strcmp(d->pend[i].name, path)) {
			*out = d->pend[i].e;
			d->pend[i].written = true;
			return 1;
		}
	return 0;
}

/* Writes the directories above the next entry that were not written yet. */
static int flush_pending(diff_run *d)
{
	int rc;

	for (size_t i = 0; i < d->npend; i++) {
		if (d->pend[i].written)
			continue;
		d->pend[i].written = true;
		if ((rc = limg__emit(d->em, &d->pend[i].e)) != 0)
			return rc;
	}
	return 0;
}

/* A regular file's content digest, read beneath its directory. */
static int file_digest(diff_run *d, const limg__walk_entry *we, char out[DIGEST_LEN])
{
	limg_hasher *h = NULL;
	struct stat st, opened;
	const char *got;
	int fd, rc;
	ssize_t n;
	int64_t total = 0;

	if ((rc = limg__walk_open_file(&fd, &opened, we)) < 0)
		return rc;
	if ((rc = limg_hasher_new(&h, LIMG_DIGEST_SHA256)) < 0)
		goto out;
	while ((n = read(fd, d->buf, 256 * 1024)) > 0) {
		limg_hasher_update(h, d->buf, (size_t)n);
		total += n;
	}
	if (n < 0 || fstat(fd, &st) < 0 || st.st_size != total) {
		rc = limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_FILE, we->host, "%s: changed while it was read",
		                           we->host);
		goto out;
	}
	if ((rc = limg_hasher_finish(&got, h)) == 0)
		snprintf(out, DIGEST_LEN, "%s", got);
out:
	limg_hasher_free(h);
	close(fd);
	return rc;
}

/* Is the walked entry what the image has there? */
static int unchanged(diff_run *d, const limg__walk_entry *we, const limg__tar_entry *te, const fact *f, bool *same)
{
	char x[DIGEST_LEN], content[DIGEST_LEN];
	int rc;

	*same = false;
	/* another name of a FIFO, device or symlink this layer writes: written with it */
	if (te->type == LIMG__TAR_HARDLINK && !S_ISREG(we->st.st_mode))
		return 0;
	if (!f || f->type != (te->type == LIMG__TAR_HARDLINK ? LIMG__TAR_REG : te->type) || f->mode != te->mode ||
	    f->uid != te->uid || f->gid != te->gid)
		return 0;
	if (te->type == LIMG__TAR_SYMLINK && strcmp(f->link ? f->link : "", te->link) != 0)
		return 0;
	if ((te->type == LIMG__TAR_CHAR || te->type == LIMG__TAR_BLOCK) &&
	    (f->devmajor != te->devmajor || f->devminor != te->devminor))
		return 0;
	if (te->type != LIMG__TAR_HARDLINK) {
		if ((rc = xattrs_digest(x, te->xattrs, te->nxattrs)) < 0)
			return rc;
		if (strcmp(x, f->xattrs) != 0)
			return 0;
	}
	if (f->type == LIMG__TAR_REG) {
		if (f->size != we->st.st_size)
			return 0;
		if ((rc = file_digest(d, we, content)) < 0)
			return rc;
		if (strcmp(content, f->content) != 0)
			return 0;
	}
	*same = true;
	return 0;
}

static int write_changes(diff_run *d, const char *dir, const limg_layer_opts *o)
{
	limg__walk *w = NULL;
	limg__walk_entry we;
	limg__tar_entry te;
	int rc;

	if ((rc = limg__walk_open(&w, dir, "")) < 0)
		return rc;
	while ((rc = limg__walk_next(w, &we)) == 0) {
		const fact *f;
		bool same;
		int fd = -1;
		struct stat st;
		/* whiteouts before it, while the directories above them are still known */
		if ((rc = limg__emit_whiteouts_before(d->em, we.path)) != 0)
			break;
		while (d->npend && !(strncmp(we.path, d->pend[d->npend - 1].name, strlen(d->pend[d->npend - 1].name)) == 0 &&
		                     we.path[strlen(d->pend[d->npend - 1].name)] == '/'))
			pend_pop(d);
		if ((rc = limg__dir_entry(&d->r, &we, &te, true)) < 0)
			break;
		f = lookup(d->t, we.path, NULL);
		if ((rc = unchanged(d, &we, &te, f, &same)) < 0)
			break;
		if (same) {
			if (te.type == LIMG__TAR_DIR && (rc = pend_push(d, &te)) < 0)
				break;
			continue;
		}
		if ((rc = flush_pending(d)) != 0)
			break;
		if (te.type == LIMG__TAR_REG) {
			if ((rc = limg__walk_open_file(&fd, &st, &we)) < 0)
				break;
			te.size = st.st_size;
			te.mtime = limg__layer_mtime(o, st.st_mtim.tv_sec);
		}
		if ((rc = limg__emit(d->em, &te)) == 0 && fd >= 0 && (rc = limg__dir_copy(&d->r, d->tar, fd, &st, we.host)) == 0)
			rc = limg__dir_link_add(&d->r, &st, te.name);
		else if (rc == 0 && fd < 0 && te.type != LIMG__TAR_DIR && te.type != LIMG__TAR_HARDLINK)
			rc = limg__dir_link_add(&d->r, &we.st, te.name); /* a FIFO, device or symlink with other names */
		if (fd >= 0)
			close(fd);
		if (rc != 0)
			break;
		if (te.type == LIMG__TAR_DIR) {
			/* written: what lies beneath has its parent */
			if ((rc = pend_push(d, &te)) < 0)
				break;
			d->pend[d->npend - 1].written = true;
		}
	}
	if (rc == LIMG_ITEROVER)
		rc = 0;
	limg__walk_free(w);
	return rc;
}

typedef struct {
	const char *image;
	const char *dir;
} diff_arg;

static int diff_source(struct limg__emitter *em, limg__tar_writer *tar, const char *prefix, const limg_layer_opts *o,
                       limg_store *store, const void *arg)
{
	const diff_arg *a = arg;
	limg__stored_image img;
	limg__lease *lease = NULL;
	limg_layer_opts with_removed = *o;
	table t;
	diff_run d;
	char **gone = NULL;
	size_t ngone = 0;
	int rc;

	memset(&t, 0, sizeof t);
	memset(&d, 0, sizeof d);
	memset(&img, 0, sizeof img);
	if (*prefix)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "prefix",
		                             "invalid argument: a diff is of the whole root filesystem (no prefix)");
	if (o->removed_len)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "removed",
		                             "invalid argument: a diff finds what was removed itself");
	if ((rc = limg__lease_new(&lease, store)) < 0 ||
	    (rc = limg__image_load(&img, store, a->image, o->platform, lease)) < 0 ||
	    (rc = image_table(&t, store, &img, o)) != 0 || (rc = missing_paths(&gone, &ngone, &t, a->dir)) < 0)
		goto out;
	/* the emitter writes the whiteouts, with the directories above them as they are on disk */
	limg__emitter_dispose(em);
	with_removed.removed = (const char *const *)gone;
	with_removed.removed_len = ngone;
	if ((rc = limg__emitter_init(em, tar, &with_removed)) < 0)
		goto out;
	d.t = &t;
	d.em = em;
	d.tar = tar;
	em->parent_of = parent_of;
	em->parent_payload = &d;
	if ((rc = limg__dir_reader_init(&d.r, o)) < 0 || !(d.buf = limg__malloc(256 * 1024))) {
		rc = rc < 0 ? rc : limg__error_oom();
		goto out;
	}
	d.r.keep_owner = true;
	rc = write_changes(&d, a->dir, o);
	if (rc == 0)
		rc = limg__emit_finish(em); /* whiteouts after the last entry, parents still known */
	limg__log(limg__store_context(store), LIMG_LOG_INFO, "diff of %s: %zu paths removed", a->image, ngone);
out:
	em->parent_of = NULL;
	while (d.npend)
		pend_pop(&d);
	limg__free(d.pend);
	limg__free(d.buf);
	limg__dir_reader_dispose(&d.r);
	for (size_t i = 0; i < ngone; i++)
		limg__free(gone[i]);
	limg__free(gone);
	limg__free(t.items);
	limg__free(t.index);
	limg__arena_free(&t.arena);
	limg__image_dispose(&img);
	limg__lease_free(lease);
	return rc;
}

int limg_layer_new_from_diff(limg_layer **out, limg_store *store, const char *image, const char *dir,
                             const limg_layer_opts *opts, const limg_layer_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	diff_arg a = { image, dir };
	limg_layer_opts o;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!image || !*image)
		return limg__error_invalid("image");
	if (!dir || !*dir)
		return limg__error_invalid("dir");
	if ((rc = limg__layer_opts(&o, opts)) < 0)
		return rc;
	o.base = NULL; /* the parents come from @image and the directory (parent_of above) */
	return limg__layer_build(out, store, &o, cb, diff_source, &a);
}
