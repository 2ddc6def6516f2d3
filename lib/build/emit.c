/* SPDX-License-Identifier: MIT */
/* A new layer's entries in order, whiteouts and parents included (see emit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "emit.h"
#include "tar/path.h"

int limg__clean_image_path(char *out, size_t cap, const char *path, const char *what)
{
	char quoted[160];
	int rc = path ? limg__path_clean(path, out, cap, 255) : -1;

	if (rc == 0)
		return 0;
	limg__quote(quoted, sizeof quoted, path ? path : "(null)", path ? strlen(path) : 6);
	if (rc == -2)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_FILE, path, "%s %s is longer than %d bytes (or "
		                             "has a name longer than 255)", what, quoted, LIMG__TAR_PATH_MAX);
	return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, path, "%s %s leaves the image's root", what,
	                             quoted);
}

static int cmp_names(const void *a, const void *b)
{
	return limg__tar_path_cmp(*(char *const *)a, *(char *const *)b);
}

int limg__emitter_init(limg__emitter *em, limg__tar_writer *tar, const limg_layer_opts *o)
{
	char path[LIMG__TAR_PATH_MAX + 1];
	int rc;

	memset(em, 0, sizeof *em);
	em->tar = tar;
	em->parent.type = LIMG__TAR_DIR;
	em->parent.mode = 0755;
	em->parent.uid = o->owner == LIMG_OWNER_FIXED ? o->uid : 0;
	em->parent.gid = o->owner == LIMG_OWNER_FIXED ? o->gid : 0;
	em->parent.mtime = o->epoch;
	em->max_entries = o->max_entries;
	em->cancel = o->cancel;
	if (!o->removed_len)
		return 0;
	if (!o->removed)
		return limg__error_invalid("removed");
	if (!(em->removed = limg__calloc(o->removed_len, sizeof *em->removed)) ||
	    !(em->whiteouts = limg__calloc(o->removed_len, sizeof *em->whiteouts)))
		return limg__error_oom();
	for (size_t i = 0; i < o->removed_len; i++) {
		const char *base;
		if ((rc = limg__clean_image_path(path, sizeof path - 5, o->removed[i], "removed path")) < 0)
			return rc;
		if (!*path)
			return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, o->removed[i],
			                             "the image's root cannot be removed");
		if (!(em->removed[em->nremoved] = limg__strdup(path)))
			return limg__error_oom();
		em->nremoved++;
		/* "a/b" is removed by "a/.wh.b" */
		base = strrchr(path, '/');
		{
			size_t dir = base ? (size_t)(base - path) + 1 : 0;
			size_t n = strlen(path) + 5;
			char *w = limg__malloc(n);
			if (!w)
				return limg__error_oom();
			snprintf(w, n, "%.*s.wh.%s", (int)dir, path, path + dir);
			em->whiteouts[em->nwhiteouts++] = w;
		}
	}
	qsort(em->removed, em->nremoved, sizeof *em->removed, cmp_names);
	qsort(em->whiteouts, em->nwhiteouts, sizeof *em->whiteouts, cmp_names);
	/* a path removed twice is one whiteout */
	for (size_t i = 1, k = 1; i <= em->nwhiteouts; i++) {
		if (i == em->nwhiteouts) {
			em->nwhiteouts = k;
			break;
		}
		if (!strcmp(em->whiteouts[i], em->whiteouts[k - 1]))
			limg__free(em->whiteouts[i]);
		else
			em->whiteouts[k++] = em->whiteouts[i];
	}
	return 0;
}

void limg__emitter_dispose(limg__emitter *em)
{
	for (size_t i = 0; i < em->nremoved; i++)
		limg__free(em->removed[i]);
	for (size_t i = 0; i < em->nwhiteouts; i++)
		limg__free(em->whiteouts[i]);
	limg__free(em->removed);
	limg__free(em->whiteouts);
	limg_buf_dispose(&em->chain);
	limg_buf_dispose(&em->last);
}

static int conflict(const char *name, const char *why)
{
	char quoted[160];

	limg__quote(quoted, sizeof quoted, name, strlen(name));
	return limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_FILE, name, "/%s: %s", quoted + 1, why);
}

static bool is_removed(const limg__emitter *em, const char *name)
{
	size_t lo = 0, hi = em->nremoved;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = limg__tar_path_cmp(em->removed[mid], name);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Writes one entry, its order checked. */
static int put(limg__emitter *em, const limg__tar_entry *e)
{
	int rc;

	if (em->last.size && limg__tar_path_cmp(em->last.ptr, e->name) >= 0)
		return conflict(e->name, strcmp(em->last.ptr, e->name) ? "out of order" : "named twice");
	if (em->max_entries && ++em->entries > em->max_entries)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_FILE, NULL, "a layer of more than %lld entries",
		                             (long long)em->max_entries);
	if ((rc = limg__tar_entry_write(em->tar, e)) != 0)
		return rc;
	em->last.size = 0;
	if ((rc = limg__buf_put(&em->last, e->name, strlen(e->name) + 1)) < 0)
		return rc;
	em->last.size--;
	em->last_type = e->type;
	return 0;
}

/* Makes sure every directory above @name was written (the chain holds
 * those written along the current branch). */
static int parents(limg__emitter *em, const char *name)
{
	const char *slash;
	int rc;

	/* leave the branches @name is not on */
	while (em->chain.size &&
	       !(strncmp(name, em->chain.ptr, em->chain.size) == 0 && name[em->chain.size] == '/')) {
		char *up = strrchr(em->chain.ptr, '/');
		em->chain.size = up ? (size_t)(up - em->chain.ptr) : 0;
		em->chain.ptr[em->chain.size] = '\0';
	}
	/* and make the rest */
	while ((slash = strchr(name + em->chain.size + (em->chain.size ? 1 : 0), '/'))) {
		size_t n = (size_t)(slash - name);
		limg__tar_entry dir = em->parent;
		char path[LIMG__TAR_PATH_MAX + 1];
		memcpy(path, name, n);
		path[n] = '\0';
		if (em->last.size && !strcmp(em->last.ptr, path) && em->last_type != LIMG__TAR_DIR)
			return conflict(name, "beneath something that is not a directory");
		if (!(em->last.size && !strcmp(em->last.ptr, path))) {
			rc = em->parent_of ? em->parent_of(path, &dir, em->parent_payload) : 0;
			if (rc < 0)
				return rc;
			if (!rc)
				dir = em->parent;
			dir.name = path;
			dir.type = LIMG__TAR_DIR;
			if ((rc = put(em, &dir)) != 0)
				return rc;
		}
		em->chain.size = 0;
		if ((rc = limg__buf_put(&em->chain, path, n + 1)) < 0)
			return rc;
		em->chain.size = n;
	}
	return 0;
}

static int emit_one(limg__emitter *em, const limg__tar_entry *e)
{
	int rc;

	if ((rc = parents(em, e->name)) != 0 || (rc = put(em, e)) != 0)
		return rc;
	if (e->type == LIMG__TAR_DIR) {
		em->chain.size = 0;
		if ((rc = limg__buf_put(&em->chain, e->name, strlen(e->name) + 1)) < 0)
			return rc;
		em->chain.size--;
	}
	return 0;
}

int limg__emit_whiteouts_before(limg__emitter *em, const char *name)
{
	int rc;

	while (em->next_whiteout < em->nwhiteouts &&
	       (!name || limg__tar_path_cmp(em->whiteouts[em->next_whiteout], name) < 0)) {
		limg__tar_entry w = em->parent;
		w.name = em->whiteouts[em->next_whiteout++];
		w.type = LIMG__TAR_REG;
		w.mode = 0644;
		w.size = 0;
		if ((rc = emit_one(em, &w)) != 0)
			return rc;
	}
	return 0;
}

int limg__emit(limg__emitter *em, const limg__tar_entry *e)
{
	int rc;

	if (limg_cancel_requested(em->cancel))
		return limg__error_set(LIMG_ECANCELLED, "cancelled");
	if (is_removed(em, e->name))
		return conflict(e->name, "both removed and written by the layer");
	if ((rc = limg__emit_whiteouts_before(em, e->name)) != 0)
		return rc;
	return emit_one(em, e);
}

int limg__emit_finish(limg__emitter *em)
{
	return limg__emit_whiteouts_before(em, NULL);
}
