/* SPDX-License-Identifier: MIT */
/*
 * limg_sync(): the list expanded into images (tag lists read, filters
 * applied), then each image decided and copied on a few threads. Deciding
 * costs a HEAD at the source and, when the destination's tag list has the
 * tag, a HEAD there: an unchanged image moves nothing and no manifest is
 * fetched. Copies into one registry share a ledger of blobs, so a blob that
 * several images have moves once and is mounted for the others. Asked for,
 * the policy is checked per image before anything of it moves, and
 * referrers go with each image (and to an image up to date, when the
 * source has some the destination lacks: referrers.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy/copy_internal.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/jobs.h"
#include "libimage/bounds.h"
#include "libimage/digest.h"
#include "libimage/images.h"
#include "libimage/pull.h"
#include "libimage/push.h"
#include "libimage/reference.h"
#include "libimage/store.h"
#include "list.h"
#include "referrers.h"
#include "registry/registry_internal.h"
#include "sync_internal.h"
#include "trust/trust_internal.h"

int limg_sync_opts_init(limg_sync_opts *opts, size_t size)
{
	static const limg_sync_opts defaults = LIMG_SYNC_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_sync_callbacks_init(limg_sync_callbacks *cb, size_t size)
{
	static const limg_sync_callbacks defaults = LIMG_SYNC_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* ---- the report ----------------------------------------------------------------- */

static void image_dispose(limg_sync_image *m)
{
	limg__free(m->source);
	limg__free(m->destination);
	limg__free(m->digest);
	limg__free(m->reason);
	limg__free(m->src_domain);
	limg__free(m->src_path);
	limg__free(m->src_ref);
	limg__free(m->dst_path);
	limg__free(m->dst_ref);
	limg__free(m->store_ref);
}

void limg_sync_report_free(limg_sync_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		image_dispose(&r->img[i]);
	limg__free(r->img);
	for (size_t i = 0; i < r->nreg; i++)
		limg__free(r->reg[i].domain);
	limg__free(r->reg);
	limg__free(r);
}

size_t limg_sync_report_count(const limg_sync_report *r) { return r ? r->n : 0; }
const limg_sync_image *limg_sync_report_image(const limg_sync_report *r, size_t i)
{
	return r && i < r->n ? &r->img[i] : NULL;
}
size_t limg_sync_report_tally(const limg_sync_report *r, int status)
{
	size_t k = 0;

	for (size_t i = 0; r && i < r->n; i++)
		k += r->img[i].status == status;
	return k;
}

const char *limg_sync_image_source(const limg_sync_image *m) { return m ? m->source : NULL; }
const char *limg_sync_image_destination(const limg_sync_image *m) { return m ? m->destination : NULL; }
int limg_sync_image_status(const limg_sync_image *m) { return m ? m->status : LIMG_EINVALID; }
const char *limg_sync_image_digest(const limg_sync_image *m) { return m ? m->digest : NULL; }
const char *limg_sync_image_reason(const limg_sync_image *m) { return m && m->reason ? m->reason : ""; }
int limg_sync_image_error(const limg_sync_image *m) { return m ? m->error : LIMG_EINVALID; }
int64_t limg_sync_image_bytes(const limg_sync_image *m) { return m ? m->bytes : 0; }

/* ---- the run -------------------------------------------------------------------- */

typedef struct {
	char *path;
	char **tags;  /* its tags, as listed once */
	size_t n;
	int listed;   /* 1: listed; -1: it has none (no such repository) */
} dest_repo;

typedef struct {
	limg_sync_opts o;
	limg_sync_callbacks cb;
	limg_session *session;
	const limg_sync_list *list;
	limg_sync_report *rep;
	limg_cancel *stop;
	char *dst_domain, *dst_prefix; /* a registry destination */
	limg_registry *to;
	limg_store *store;             /* a store destination */
	const char *dir;               /* a directory destination (skopeo's dir: layout): its path, else NULL */
	int dirfd;                     /* that directory, or -1 (a dry run where it does not exist yet) */
	limg__blob_ledger *ledger;
	pthread_mutex_t lock;          /* the destination's tag lists, the callbacks, the tallies */
	dest_repo *repos;
	size_t nrepos, caprepos;
	size_t done;                   /* images ended, for the overall progress */
} sync_run;

static int set_text(char **field, const char *text)
{
	char *c = text ? limg__strdup(text) : NULL;

	if (text && !c)
		return limg__error_oom();
	limg__free(*field);
	*field = c;
	return 0;
}

/* The reason, printable: from a registry, a message may say anything. */
static int set_reason(limg_sync_image *m, const char *why)
{
	char clean[512];

	limg__sanitize(clean, sizeof clean, why, strlen(why));
	return set_text(&m->reason, clean);
}

static int new_image(sync_run *r, limg_sync_image **out)
{
	limg_sync_report *rep = r->rep;

	if (limg__array_grow((void **)&rep->img, &rep->cap, rep->n + 1, sizeof *rep->img) < 0)
		return limg__error_oom();
	*out = &rep->img[rep->n++];
	memset(*out, 0, sizeof **out);
	return 0;
}

/* The name an image takes at a registry destination: PREFIX/NAME, where NAME
 * is the repository's last component, or with scoped its whole name (a
 * port's ':' as '_'). */
static int dest_path(sync_run *r, const char *domain, const char *path, char **out)
{
	const char *last = strrchr(path, '/');
	size_t n = strlen(r->dst_prefix) + strlen(domain) + strlen(path) + 4;
	char *p = limg__malloc(n);

	if (!p)
		return limg__error_oom();
	if (r->o.scoped)
		snprintf(p, n, "%s%s%s/%s", r->dst_prefix, *r->dst_prefix ? "/" : "", domain, path);
	else
		snprintf(p, n, "%s%s%s", r->dst_prefix, *r->dst_prefix ? "/" : "", last ? last + 1 : path);
	if (r->o.scoped)
		for (char *c = p + strlen(r->dst_prefix); *c; c++)
			if (*c == ':')
				*c = '_';
	*out = p;
	return 0;
}

/* One image of a repository: where from, where to. */
static int add_registry_image(sync_run *r, const limg__sync_source *s, const char *tag)
{
	limg_sync_image *m;
	bool digest = !strncmp(tag, "sha256:", 7);
	char sep = digest ? '@' : ':';
	int rc;

	if ((rc = new_image(r, &m)) < 0)
		return rc;
	m->kind = LIMG__SRC_REPOSITORY;
	if (!(m->src_domain = limg__strdup(s->domain)) || !(m->src_path = limg__strdup(s->path)) || !(m->src_ref = limg__strdup(tag)) ||
	    !(m->source = limg__malloc(strlen(s->domain) + strlen(s->path) + strlen(tag) + 3)))
		return limg__error_oom();
	sprintf(m->source, "%s/%s%c%s", s->domain, s->path, sep, tag);
	if (r->dir) {
		/* NAME:TAG beneath the directory: the repository's last component, or with scoped its
		 * whole name (skopeo's --dest dir keeps a port's ':' there) */
		const char *last = strrchr(s->path, '/'), *name = last ? last + 1 : s->path;
		size_t n = strlen(s->domain) + strlen(s->path) + strlen(tag) + 3;
		if (!(m->dst_path = limg__malloc(n)) || !(m->dst_ref = limg__strdup(tag)) ||
		    !(m->destination = limg__malloc(strlen(r->dir) + n + 1)))
			return limg__error_oom();
		if (r->o.scoped)
			snprintf(m->dst_path, n, "%s/%s%c%s", s->domain, s->path, sep, tag);
		else
			snprintf(m->dst_path, n, "%s%c%s", name, sep, tag);
		sprintf(m->destination, "%s/%s", r->dir, m->dst_path);
		/* one directory, one writer: an image listed twice goes once; another source
		 * for the same NAME:TAG fails rather than race it */
		for (size_t i = 0; i + 1 < r->rep->n; i++) {
			limg_sync_image *o = &r->rep->img[i];
			if (o->kind != LIMG__SRC_REPOSITORY || strcmp(o->dst_path, m->dst_path) != 0)
				continue;
			if (!strcmp(o->source, m->source)) {
				image_dispose(m);
				r->rep->n--;
				return 0;
			}
			m->kind = -1; /* decided here: not run */
			m->status = LIMG_SYNC_FAILED;
			m->error = LIMG_EEXISTS;
			return set_text(&m->reason, "another source of this sync goes to the same directory");
		}
		return 0;
	}
	if (r->store) {
		/* a store keeps it under its source's name */
		if (!(m->dst_ref = limg__strdup(m->source)) || !(m->destination = limg__strdup(m->source)))
			return limg__error_oom();
		return 0;
	}
	if ((rc = dest_path(r, s->domain, s->path, &m->dst_path)) < 0 || !(m->dst_ref = limg__strdup(tag)) ||
	    !(m->destination = limg__malloc(strlen(r->dst_domain) + strlen(m->dst_path) + strlen(tag) + 3)))
		return rc < 0 ? rc : limg__error_oom();
	sprintf(m->destination, "%s/%s%c%s", r->dst_domain, m->dst_path, sep, tag);
	return 0;
}

/* A repository whose tags could not be read: a failed line of its own. */
static int add_failure(sync_run *r, const char *source, int code)
{
	limg_sync_image *m;
	int rc;

	if ((rc = new_image(r, &m)) < 0)
		return rc;
	m->kind = -1;
	m->status = LIMG_SYNC_FAILED;
	m->error = code;
	if ((rc = set_text(&m->source, source)) < 0 || (rc = set_text(&m->destination, "")) < 0 ||
	    (rc = set_reason(m, limg_error_message(limg_error_last()))) < 0)
		return rc;
	return 0;
}

typedef struct {
	char **tags;
	size_t n, cap;
} tag_list;

static int collect_tag(const char *tag, void *payload)
{
	tag_list *t = payload;
	char *c;

	if (limg__array_grow((void **)&t->tags, &t->cap, t->n + 1, sizeof *t->tags) < 0 || !(c = limg__strdup(tag)))
		return limg__error_oom();
	t->tags[t->n++] = c;
	return 0;
}

static void tag_list_dispose(tag_list *t)
{
	for (size_t i = 0; i < t->n; i++)
		limg__free(t->tags[i]);
	limg__free(t->tags);
}

/* The reference grammar's tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static bool tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') ||
		      t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

/* A registry's tag list: every valid tag (a registry may list anything). */
static int list_tags(limg_registry *reg, const char *path, tag_list *t, limg_cancel *stop)
{
	limg_registry_list_callbacks cb = LIMG_REGISTRY_LIST_CALLBACKS_INIT;
	limg_registry_list_opts lo = LIMG_REGISTRY_LIST_OPTS_INIT;
	size_t k = 0;
	int rc;

	lo.cancel = stop;
	cb.name = collect_tag;
	cb.payload = t;
	if ((rc = limg_registry_tags_foreach(reg, path, &lo, &cb)) < 0)
		return rc;
	for (size_t i = 0; i < t->n; i++) {
		if (tag_valid(t->tags[i]))
			t->tags[k++] = t->tags[i];
		else
			limg__free(t->tags[i]);
	}
	t->n = k;
	return 0;
}

static int expand_repository(sync_run *r, const limg__sync_source *s)
{
	limg_registry *from = NULL;
	tag_list t = { NULL, 0, 0 };
	size_t chosen;
	int rc;

	if (s->ntags) {
		for (size_t i = 0; i < s->ntags; i++)
			if ((rc = add_registry_image(r, s, s->tags[i])) < 0)
				return rc;
		return 0;
	}
	if ((rc = limg_session_registry(&from, r->session, s->domain)) == 0)
		rc = list_tags(from, s->path, &t, r->stop);
	limg_registry_close(from);
	if (rc == LIMG_ENOMEM || rc == LIMG_ECANCELLED) {
		tag_list_dispose(&t);
		return rc;
	}
	if (rc < 0) {
		char name[600];
		snprintf(name, sizeof name, "%s/%s", s->domain, s->path);
		tag_list_dispose(&t);
		return add_failure(r, name, rc);
	}
	limg__tag_filter_apply(&s->filter, t.tags, t.n, &chosen);
	for (size_t i = 0; rc == 0 && i < chosen; i++)
		rc = add_registry_image(r, s, t.tags[i]);
	tag_list_dispose(&t);
	return rc;
}

/* The refusal of a local source (@what) with a local destination. */
static int registry_target_only(const char *what)
{
	return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "target",
	                             "invalid argument: %s is synced to a registry, not to a store or a directory", what);
}

/* Every tagged image of a store (an air gap's way back). */
static int expand_store(sync_run *r, const limg__sync_source *s)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_images_iterator *it = NULL;
	const limg_images_row *row;
	limg_store *st = NULL;
	int rc;

	so.mode = LIMG_STORE_READ_ONLY;
	if ((rc = limg_store_open(&st, limg__session_context(r->session), s->dir, &so)) < 0 ||
	    (rc = limg_images_iterator_new(&it, st, NULL)) < 0) {
		limg_store_close(st);
		return rc == LIMG_ENOMEM ? rc : add_failure(r, s->dir, rc);
	}
	while (rc == 0 && (rc = limg_images_iterator_next(&row, it)) == 0) {
		limg_reference *ref = NULL;
		limg_sync_image *m;
		const char *tag = limg_images_row_tag(row);
		if (!tag || !*tag || limg_reference_parse_docker(&ref, limg_images_row_reference(row)) < 0 ||
		    !limg_reference_tag(ref)) {
			limg_reference_free(ref);
			continue; /* untagged: nothing names it at the destination */
		}
		if ((rc = new_image(r, &m)) == 0) {
			m->kind = LIMG__SRC_STORE;
			m->store_path = s->dir;
			if (!(m->store_ref = limg__strdup(limg_reference_string(ref))) || !(m->source = limg__strdup(m->store_ref)) ||
			    !(m->src_ref = limg__strdup(limg_reference_tag(ref))) ||
			    (limg_images_row_digest(row) && !(m->digest = limg__strdup(limg_images_row_digest(row)))))
				rc = limg__error_oom();
			else if (r->store || r->dir)
				rc = registry_target_only("a store");
			else if ((rc = dest_path(r, limg_reference_domain(ref), limg_reference_path(ref), &m->dst_path)) == 0) {
				if (!(m->dst_ref = limg__strdup(m->src_ref)) ||
				    !(m->destination = limg__malloc(strlen(r->dst_domain) + strlen(m->dst_path) + strlen(m->src_ref) + 3)))
					rc = limg__error_oom();
				else
					sprintf(m->destination, "%s/%s:%s", r->dst_domain, m->dst_path, m->src_ref);
			}
		}
		limg_reference_free(ref);
	}
	limg_images_iterator_free(it);
	limg_store_close(st);
	return rc == LIMG_ITEROVER ? 0 : rc;
}

/* ---- a directory in skopeo's dir: layout (skopeo sync --src dir) ---------------- */

#define DIR_DEPTH_MAX 32

/* A name from another program's directory, as the report may show it:
 * escaped when it holds what a terminal would act on. */
static int printable(char **text)
{
	char safe[1024], *copy;

	for (const unsigned char *c = (const unsigned char *)*text; *c; c++)
		if (*c < 0x20 || *c >= 0x7f) {
			limg__sanitize(safe, sizeof safe, *text, strlen(*text));
			if (!(copy = limg__strdup(safe)))
				return limg__error_oom();
			limg__free(*text);
			*text = copy;
			return 0;
		}
	return 0;
}

/* The image at @rel beneath the source directory (@rel "": the directory itself). */
static int add_dir_image(sync_run *r, const limg__sync_source *s, const char *rel)
{
	limg_reference *ref = NULL;
	limg_sync_image *m;
	const char *name = rel, *colon, *slash;
	char base[512], *repo = NULL;
	int rc;

	if (!*rel) {
		/* the directory is one image: named by its own name */
		size_t n = strlen(s->dir);
		while (n > 1 && s->dir[n - 1] == '/')
			n--;
		slash = memrchr(s->dir, '/', n);
		snprintf(base, sizeof base, "%.*s", (int)(n - (slash ? (size_t)(slash + 1 - s->dir) : 0)),
		         slash ? slash + 1 : s->dir);
		name = base;
	}
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if ((rc = new_image(r, &m)) < 0)
		return rc;
	m->kind = LIMG__SRC_DIR;
	m->store_path = s->dir;
	if (!(m->store_ref = limg__strdup(rel)) || !(m->src_ref = limg__strdup(colon ? colon + 1 : "latest")) ||
	    !(repo = limg__strndup(name, colon ? (size_t)(colon - name) : strlen(name))) ||
	    limg__asprintf(&m->source, "%s%s%s", s->dir, *rel ? "/" : "", rel) < 0 ||
	    limg__asprintf(&m->dst_path, "%s%s%s", r->dst_prefix, *r->dst_prefix ? "/" : "", repo) < 0 ||
	    !(m->dst_ref = limg__strdup(m->src_ref)) ||
	    limg__asprintf(&m->destination, "%s/%s:%s", r->dst_domain, m->dst_path, m->dst_ref) < 0) {
		limg__free(repo);
		return limg__error_oom();
	}
	limg__free(repo);
	if ((rc = printable(&m->source)) < 0)
		return rc;
	/* a name no reference can carry fails this image alone, as another's error would */
	if ((rc = limg_reference_parse_docker(&ref, m->destination)) < 0 || !limg_reference_tag(ref) ||
	    strcmp(limg_reference_path(ref), m->dst_path) != 0) {
		if (rc == 0)
			limg__error_set(LIMG_EINVALID, "not a repository and tag");
		limg__quote(base, sizeof base, m->destination, strlen(m->destination));
		rc = limg__error_prefix("%s is no image name at the destination: ", base);
		if (printable(&m->destination) < 0)
			return limg__error_oom();
		m->kind = -1;
		m->status = LIMG_SYNC_FAILED;
		m->error = rc;
		rc = set_reason(m, limg_error_message(limg_error_last()));
	}
	limg_reference_free(ref);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The images beneath @fd (at @rel): a directory holding a manifest.json is
 * one; links are not followed; `.partial` directories (a write under way) are
 * left out. */
static int walk_dir(sync_run *r, const limg__sync_source *s, int fd, const char *rel, int depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int dfd, rc = 0;

	if (faccessat(fd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return add_dir_image(r, s, rel);
	if (depth >= DIR_DEPTH_MAX || (dfd = dup(fd)) < 0 || !(d = fdopendir(dfd)))
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    (len > 8 && !strcmp(e->d_name + len - 8, ".partial")))
			continue;
		if (limg__array_grow((void **)&names, &cap, n + 1, sizeof *names) < 0 || !(names[n] = limg__strdup(e->d_name))) {
			rc = limg__error_oom();
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int sub = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char *path;
		if (sub < 0)
			continue; /* no directory, or a link */
		if (limg__asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0) {
			close(sub);
			rc = limg__error_oom();
			break;
		}
		rc = walk_dir(r, s, sub, path, depth + 1);
		limg__free(path);
		close(sub);
	}
	for (size_t i = 0; i < n; i++)
		limg__free(names[i]);
	limg__free(names);
	return rc;
}

static int expand_dir(sync_run *r, const limg__sync_source *s)
{
	int fd, rc;

	if (r->store || r->dir)
		return registry_target_only("a dir: layout");
	if ((fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return add_failure(r, s->dir, limg__fs_error("cannot open", s->dir));
	rc = walk_dir(r, s, fd, "", 0);
	close(fd);
	return rc;
}

/* The destination repository's tags, listed once for every image going there. */
static int dest_has_tag(sync_run *r, const char *path, const char *tag, bool *has)
{
	dest_repo *d = NULL;
	int rc = 0;

	*has = false;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nrepos && !d; i++)
		if (!strcmp(r->repos[i].path, path))
			d = &r->repos[i];
	if (!d) {
		tag_list t = { NULL, 0, 0 };
		if (limg__array_grow((void **)&r->repos, &r->caprepos, r->nrepos + 1, sizeof *r->repos) < 0) {
			pthread_mutex_unlock(&r->lock);
			return limg__error_oom();
		}
		rc = list_tags(r->to, path, &t, r->stop);
		if (rc == LIMG_ENOTFOUND) {
			rc = 0; /* a new repository */
			limg_error_clear();
		}
		if (rc < 0) {
			tag_list_dispose(&t);
			pthread_mutex_unlock(&r->lock);
			return rc;
		}
		d = &r->repos[r->nrepos];
		if (!(d->path = limg__strdup(path))) {
			tag_list_dispose(&t);
			pthread_mutex_unlock(&r->lock);
			return limg__error_oom();
		}
		d->tags = t.tags;
		d->n = t.n;
		r->nrepos++;
	}
	for (size_t i = 0; i < d->n && !*has; i++)
		*has = !strcmp(d->tags[i], tag);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int tell(sync_run *r, const limg_sync_image *m)
{
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (m->status != LIMG_SYNC_RUNNING)
		r->done++;
	if (r->cb.image)
		rc = r->cb.image(m, r->cb.payload);
	if (rc == 0 && r->cb.progress && m->status != LIMG_SYNC_RUNNING)
		rc = r->cb.progress(NULL, 0, LIMG_EVENT_OVERALL, (int64_t)r->done, (int64_t)r->rep->n, NULL, r->cb.payload);
	pthread_mutex_unlock(&r->lock);
	return rc ? limg__error_after_callback(rc, "sync") : 0;
}

/* Blob events of an image's copy: told with the image's destination as detail. */
typedef struct {
	sync_run *r;
	limg_sync_image *m;
} image_progress;

static int forward_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                            void *payload)
{
	image_progress *p = payload;
	int rc;

	(void)detail;
	if (event == LIMG_EVENT_OVERALL)
		return 0; /* the sync's own overall is images */
	pthread_mutex_lock(&p->r->lock);
	rc = p->r->cb.progress(digest, kind, event, done, total, p->m->destination, p->r->cb.payload);
	pthread_mutex_unlock(&p->r->lock);
	return rc;
}

static int head_digest(limg_registry *reg, const char *path, const char *ref, limg_cancel *stop, char **out)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *rm = NULL;
	int rc;

	co.cancel = stop;
	*out = NULL;
	if ((rc = limg_registry_manifest_head(&rm, reg, path, ref, &co)) < 0)
		return rc;
	if (!(*out = limg__strdup(limg_remote_manifest_digest(rm))))
		rc = limg__error_oom();
	limg_remote_manifest_free(rm);
	return rc;
}

/* Is the destination's tag the digest already? (a tag listed there costs one HEAD) */
static int dest_current(sync_run *r, limg_sync_image *m, const char *digest, bool *current, const char **why)
{
	char *there = NULL;
	bool has;
	int rc;

	*current = false;
	*why = "new tag";
	if (!strncmp(m->dst_ref, "sha256:", 7)) {
		int exists = 0;
		limg_remote_manifest *rm = NULL;
		limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
		co.cancel = r->stop;
		rc = limg_registry_manifest_head(&rm, r->to, m->dst_path, m->dst_ref, &co);
		exists = rc == 0;
		limg_remote_manifest_free(rm);
		if (rc < 0 && rc != LIMG_ENOTFOUND)
			return rc;
		*current = exists;
		*why = exists ? "up to date (HEAD)" : "new digest";
		return 0;
	}
	if ((rc = dest_has_tag(r, m->dst_path, m->dst_ref, &has)) < 0 || !has)
		return rc;
	rc = head_digest(r->to, m->dst_path, m->dst_ref, r->stop, &there);
	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		return 0; /* removed since it was listed */
	}
	if (rc < 0)
		return rc;
	*current = digest && !strcmp(there, digest);
	*why = *current ? "up to date (HEAD)" : "tag moved";
	limg__free(there);
	return 0;
}

/* An image up to date: does the destination lack referrers the source has
 * (a signature added since)? Then they are carried, and the image counts as
 * copied. @from and @to are registries, or NULL for the store's side. */
static int referrers_freshen(sync_run *r, limg_sync_image *m, limg_registry *from, limg_store *src_store,
                             const char *digest, const char **why)
{
	limg__sync_attached want = { NULL, 0, 0 }, have = { NULL, 0, 0 };
	int rc;

	if ((rc = from ? limg__sync_attached_remote(&want, from, m->src_path, digest, r->stop)
	               : limg__sync_attached_stored(&want, src_store, digest)) < 0 ||
	    (rc = r->store ? limg__sync_attached_stored(&have, r->store, digest)
	                   : limg__sync_attached_remote(&have, r->to, m->dst_path, digest, r->stop)) < 0)
		goto out;
	if (limg__sync_attached_covers(&have, &want))
		goto out;
	*why = "new referrers (the image was up to date)";
	m->status = LIMG_SYNC_WOULD_COPY;
	if (r->o.dry_run)
		goto out;
	if (!from) {
		rc = limg__attachments_push(src_store, r->to, m->dst_path, digest, r->stop);
	} else if (!r->store) {
		rc = limg__attachments_copy(from, m->src_path, r->to, m->dst_path, digest, r->stop);
	} else {
		limg__lease *lease = NULL;
		if ((rc = limg__lease_new(&lease, r->store)) == 0)
			rc = limg__attachments_pull(from, m->src_path, r->store, lease, digest, r->stop);
		limg__lease_free(lease);
	}
	if (rc == 0)
		m->status = LIMG_SYNC_COPIED;
out:
	limg__sync_attached_dispose(&want);
	limg__sync_attached_dispose(&have);
	return rc;
}

/* The policy's verdict on a source image, before anything of it moves. */
static int check_policy(sync_run *r, limg_sync_image *m, limg_registry *from, limg_store *src_store, const char *digest)
{
	limg__trust_image t;

	if (!r->o.policy)
		return 0;
	if (!from) {
		limg_verdict *v = NULL;
		int rc = limg__trust_check_stored(&v, r->o.policy, src_store, m->store_ref, digest, NULL, 0);
		limg_verdict_free(v);
		return rc;
	}
	memset(&t, 0, sizeof t);
	t.registry = from;
	t.repository = m->src_path;
	t.reference = m->source; /* the identity signatures name: the tag, as a copy of it would */
	t.digest = digest;
	t.cancel = r->stop;
	return limg__trust_check(NULL, r->o.policy, &t);
}

/* Registry to registry (or to a store). */
static int sync_from_registry(sync_run *r, limg_sync_image *m, image_progress *ip)
{
	limg_registry *from = NULL;
	char *digest = NULL;
	const char *why = "new tag";
	bool current = false;
	int rc;

	if ((rc = limg_session_registry(&from, r->session, m->src_domain)) < 0)
		return rc;
	/* the source's digest: a HEAD, never a GET (Docker Hub counts GETs) */
	if (!strncmp(m->src_ref, "sha256:", 7))
		rc = (digest = limg__strdup(m->src_ref)) ? 0 : limg__error_oom();
	else
		rc = head_digest(from, m->src_path, m->src_ref, r->stop, &digest);
	if (rc < 0)
		goto out;
	if ((rc = set_text(&m->digest, digest)) < 0 || (rc = check_policy(r, m, from, NULL, digest)) < 0)
		goto out;
	if (r->dir && r->o.platform) {
		why = "platform chosen: copied again";
	} else if (r->dir && r->dirfd < 0) {
		why = "new tag"; /* a dry run: the directory is not there yet */
	} else if (r->dir) {
		/* the directory's manifest.json is this digest already: nothing to fetch */
		if ((rc = limg__copy_dir_current(r->dirfd, m->dst_path, digest)) < 0)
			goto out;
		current = rc == 1;
		why = current ? "up to date (directory)" : faccessat(r->dirfd, m->dst_path, F_OK, AT_SYMLINK_NOFOLLOW) == 0
		                                           ? "tag moved" : "new tag";
		rc = 0;
	} else if (r->store) {
		limg_buf have = LIMG_BUF_INIT;
		/* the store's tag names this digest already: nothing to ask the registry */
		if (limg_images_lookup(&have, r->store, m->dst_ref) == 0 && have.ptr && !strcmp(have.ptr, digest))
			current = true, why = "up to date (store)";
		else
			why = have.ptr ? "tag moved" : "new tag";
		limg_buf_dispose(&have);
		limg_error_clear();
	} else if (!r->o.platform && (rc = dest_current(r, m, digest, &current, &why)) < 0) {
		goto out;
	} else if (r->o.platform) {
		why = "platform chosen: copied and checked blob by blob";
	}
	if (current) {
		m->status = LIMG_SYNC_UP_TO_DATE;
		if (r->o.referrers && (rc = referrers_freshen(r, m, from, NULL, digest, &why)) < 0)
			goto out;
		rc = set_text(&m->reason, why);
		goto out;
	}
	if (r->o.dry_run) {
		m->status = LIMG_SYNC_WOULD_COPY;
		rc = set_text(&m->reason, why);
		goto out;
	}
	{
		char *src = limg__malloc(strlen(m->src_domain) + strlen(m->src_path) + strlen(digest) + 3);
		limg_buf got = LIMG_BUF_INIT;
		if (!src) {
			rc = limg__error_oom();
			goto out;
		}
		sprintf(src, "%s/%s@%s", m->src_domain, m->src_path, digest);
		if (r->store) {
			limg_pull_opts po = LIMG_PULL_OPTS_INIT;
			limg_pull_callbacks pc = LIMG_PULL_CALLBACKS_INIT;
			limg_pull_result *res = NULL;
			po.platform = r->o.platform;
			po.concurrency = r->o.blobs_parallel;
			po.session = r->session;
			po.cancel = r->stop;
			po.referrers = r->o.referrers;
			pc.progress = r->cb.progress ? forward_progress : NULL;
			pc.payload = ip;
			if ((rc = limg_pull(&res, r->store, src, &po, &pc)) == 0) {
				m->bytes = limg_pull_result_bytes_downloaded(res);
				rc = limg_images_tag(r->store, limg_pull_result_reference(res), m->dst_ref);
			}
			limg_pull_result_free(res);
		} else {
			limg_copy_opts co = LIMG_COPY_OPTS_INIT;
			limg_copy_callbacks cc = LIMG_COPY_CALLBACKS_INIT;
			co.platform = r->o.platform;
			co.concurrency = r->o.blobs_parallel;
			co.chunk_size = r->o.chunk_size;
			co.cancel = r->stop;
			co.referrers = r->o.referrers;
			cc.progress = r->cb.progress ? forward_progress : NULL;
			cc.payload = ip;
			rc = r->dir
			     ? limg__copy_to_dir(&got, r->session, src, r->dirfd, m->dst_path, &co, &cc, r->ledger, &m->bytes)
			     : limg__copy_shared(&got, r->session, src, m->destination, &co, &cc, r->ledger, &m->bytes);
			if (rc == 0 && got.ptr)
				rc = set_text(&m->digest, got.ptr);
		}
		limg_buf_dispose(&got);
		limg__free(src);
		if (rc == 0) {
			m->status = LIMG_SYNC_COPIED;
			rc = set_text(&m->reason, why);
		}
	}
out:
	limg_registry_close(from);
	limg__free(digest);
	return rc;
}

/* A stored image to the registry. */
static int sync_from_store(sync_run *r, limg_sync_image *m, image_progress *ip)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_push_opts po = LIMG_PUSH_OPTS_INIT;
	limg_push_callbacks pc = LIMG_PUSH_CALLBACKS_INIT;
	limg_buf got = LIMG_BUF_INIT;
	limg_store *st = NULL;
	const char *why;
	bool current;
	int rc;

	/* the store is read for the policy's signatures, its referrers, or the copy: opened only then */
	so.mode = LIMG_STORE_READ_ONLY;
	if ((r->o.policy || r->o.referrers) &&
	    (rc = limg_store_open(&st, limg__session_context(r->session), m->store_path, &so)) < 0)
		return rc;
	if ((rc = check_policy(r, m, NULL, st, m->digest)) < 0 ||
	    (rc = dest_current(r, m, m->digest, &current, &why)) < 0)
		goto out;
	if (current || r->o.dry_run) {
		m->status = current ? LIMG_SYNC_UP_TO_DATE : LIMG_SYNC_WOULD_COPY;
		if (current && r->o.referrers && (rc = referrers_freshen(r, m, NULL, st, m->digest, &why)) < 0)
			goto out;
		rc = set_text(&m->reason, why);
		goto out;
	}
	if (!st && (rc = limg_store_open(&st, limg__session_context(r->session), m->store_path, &so)) < 0)
		goto out;
	po.source = m->store_ref;
	po.platform = r->o.platform;
	po.concurrency = r->o.blobs_parallel;
	po.chunk_size = r->o.chunk_size;
	po.session = r->session;
	po.cancel = r->stop;
	po.referrers = r->o.referrers;
	pc.progress = r->cb.progress ? forward_progress : NULL;
	pc.payload = ip;
	if ((rc = limg_push(&got, st, m->destination, &po, &pc)) == 0 && (rc = set_text(&m->digest, got.ptr)) == 0) {
		m->status = LIMG_SYNC_COPIED;
		rc = set_text(&m->reason, why);
	}
out:
	limg_buf_dispose(&got);
	limg_store_close(st);
	return rc;
}

/* The image directory @rel beneath @root, each component opened without following links. */
static int open_beneath(int root, const char *rel, const char *label)
{
	int fd = dup(root);
	char part[NAME_MAX + 1];

	if (fd < 0)
		return limg__fs_error("cannot open", label);
	for (const char *p = rel; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int sub;
		if (len > NAME_MAX) {
			close(fd);
			return limg__error_set(LIMG_EINVALID, "%s: a name too long", label);
		}
		memcpy(part, p, len);
		part[len] = '\0';
		sub = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (sub < 0)
			return limg__fs_error("cannot open", label);
		fd = sub;
		p = end ? end + 1 : p + len;
	}
	return fd;
}

static int sync_from_dir(sync_run *r, limg_sync_image *m)
{
	limg_buf text = LIMG_BUF_INIT, digest = LIMG_BUF_INIT;
	const char *why;
	char label[4400];
	bool current;
	int root = -1, fd = -1, rc;

	snprintf(label, sizeof label, "%s", m->source);
	if (r->o.policy || r->o.referrers) {
		rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_OPTIONS, r->o.policy ? "policy" : "referrers",
		                           "%s: a dir: layout carries no signatures or referrers this library reads "
		                           "(a store carries them across an air gap)", label);
		goto out;
	}
	if ((root = open(m->store_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = limg__fs_error("cannot open", m->store_path);
		goto out;
	}
	if ((rc = fd = open_beneath(root, m->store_ref, label)) < 0)
		goto out;
	snprintf(label, sizeof label, "%s/manifest.json", m->source);
	if ((rc = limg__fs_read_at(&text, fd, "manifest.json", LIMG_MANIFEST_SIZE_MAX, label)) < 0 ||
	    (rc = limg_digest_compute(&digest, LIMG_DIGEST_SHA256, text.ptr, text.size)) < 0 ||
	    (rc = set_text(&m->digest, digest.ptr)) < 0 || (rc = dest_current(r, m, m->digest, &current, &why)) < 0)
		goto out;
	if (current || r->o.dry_run) {
		m->status = current ? LIMG_SYNC_UP_TO_DATE : LIMG_SYNC_WOULD_COPY;
		rc = set_text(&m->reason, why);
		goto out;
	}
	/* the manifest.json just read and hashed is the one sent */
	if ((rc = limg__copy_from_dir(r->to, m->dst_path, m->dst_ref, fd, m->source, &text, r->stop, &m->bytes)) == 0) {
		m->status = LIMG_SYNC_COPIED;
		rc = set_text(&m->reason, why);
	}
out:
	if (fd >= 0)
		close(fd);
	if (root >= 0)
		close(root);
	limg_buf_dispose(&digest);
	limg_buf_dispose(&text);
	return rc;
}

static int sync_one(size_t i, void *payload)
{
	sync_run *r = payload;
	limg_sync_image *m = &r->rep->img[i];
	image_progress ip = { r, m };
	int rc;

	if (m->kind < 0)
		return tell(r, m); /* a repository that could not be listed */
	m->status = LIMG_SYNC_RUNNING;
	if ((rc = tell(r, m)) < 0)
		return rc;
	rc = m->kind == LIMG__SRC_STORE ? sync_from_store(r, m, &ip)
	     : m->kind == LIMG__SRC_DIR  ? sync_from_dir(r, m)
	                                 : sync_from_registry(r, m, &ip);
	if (rc == LIMG_ENOMEM)
		return rc;
	if (rc < 0) {
		/* this image failed; the others go on (unless asked to stop at the first) */
		m->status = LIMG_SYNC_FAILED;
		m->error = rc;
		set_reason(m, limg_error_message(limg_error_last()));
		if (rc == LIMG_ECANCELLED && limg_cancel_requested(r->stop)) {
			tell(r, m);
			return rc;
		}
		if (r->o.fail_fast) {
			limg__error_copy saved;
			limg__error_save(&saved);
			tell(r, m);
			limg__error_restore(&saved);
			return rc;
		}
	}
	return tell(r, m);
}

/* "host[:port][/prefix]" of a registry destination. */
static int split_destination(sync_run *r, const char *dest)
{
	const char *slash = strchr(dest, '/');
	size_t n = slash ? (size_t)(slash - dest) : strlen(dest);
	limg_reference *check = NULL;
	char *probe;
	int rc;

	if (!n)
		return limg__error_set_about(LIMG_EREF_FORMAT, LIMG_SUBJECT_REFERENCE, dest,
		                             "invalid reference format: %s is no registry", dest);
	if (!(r->dst_domain = limg__strndup(dest, n)) || !(r->dst_prefix = limg__strdup(slash ? slash + 1 : "")))
		return limg__error_oom();
	while (*r->dst_prefix && r->dst_prefix[strlen(r->dst_prefix) - 1] == '/')
		r->dst_prefix[strlen(r->dst_prefix) - 1] = '\0';
	/* the domain and the prefix must make a repository name */
	if (!(probe = limg__malloc(strlen(dest) + 8)))
		return limg__error_oom();
	sprintf(probe, "%s/%s%sx", r->dst_domain, r->dst_prefix, *r->dst_prefix ? "/" : "");
	rc = limg_reference_parse_name(&check, probe);
	if (rc == 0 && strcmp(limg_reference_domain(check), r->dst_domain) != 0)
		rc = limg__error_set_about(LIMG_EREF_FORMAT, LIMG_SUBJECT_REFERENCE, dest,
		                           "invalid reference format: %s does not start with a registry", dest);
	else if (rc < 0)
		limg__error_about(LIMG_SUBJECT_REFERENCE, dest);
	limg_reference_free(check);
	limg__free(probe);
	return rc;
}

/* The registries the run speaks to, with their counts before it started. */
static int note_registry(sync_run *r, const char *domain)
{
	limg_sync_report *rep = r->rep;
	limg_registry *reg = NULL;
	int rc;

	for (size_t i = 0; i < rep->nreg; i++)
		if (!strcmp(rep->reg[i].domain, domain))
			return 0;
	if (limg__array_grow((void **)&rep->reg, &rep->capreg, rep->nreg + 1, sizeof *rep->reg) < 0)
		return limg__error_oom();
	memset(&rep->reg[rep->nreg], 0, sizeof *rep->reg);
	if (!(rep->reg[rep->nreg].domain = limg__strdup(domain)))
		return limg__error_oom();
	if ((rc = limg_session_registry(&reg, r->session, domain)) < 0) {
		limg__free(rep->reg[rep->nreg].domain);
		return rc;
	}
	limg__registry_counts(reg, rep->reg[rep->nreg].count, &rep->reg[rep->nreg].throttled);
	limg_registry_close(reg);
	rep->nreg++;
	return 0;
}

static void count_registries(sync_run *r)
{
	for (size_t i = 0; i < r->rep->nreg; i++) {
		limg__sync_counts *c = &r->rep->reg[i];
		limg_registry *reg = NULL;
		int64_t now[LIMG__REQ_KINDS], thr;
		if (limg_session_registry(&reg, r->session, c->domain) < 0) {
			limg_error_clear();
			continue;
		}
		limg__registry_counts(reg, now, &thr);
		for (int k = 0; k < LIMG__REQ_KINDS; k++)
			c->count[k] = now[k] - c->count[k];
		c->throttled = thr - c->throttled;
		limg_registry_close(reg);
	}
}

static int run(sync_run *r, const char *destination)
{
	int rc;

	/* the list's registry settings, before any of them is used */
	for (size_t i = 0; i < r->list->nreg; i++)
		if ((rc = limg__session_override(r->session, r->list->reg[i].domain, &r->list->reg[i].o)) < 0)
			return rc;
	if (r->o.target == LIMG_SYNC_TO_DIR) {
		/* skopeo's dir: layout holds no referrers */
		if (r->o.referrers)
			return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "referrers",
			                             "invalid argument: a directory in skopeo's dir: layout holds no "
			                             "referrers (sync them to a registry or a store)");
		r->dir = destination;
		/* a dry run makes nothing, not even the directory */
		if (!r->o.dry_run && (rc = limg__fs_mkdirs(destination)) < 0)
			return rc;
		if ((r->dirfd = open(destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 &&
		    !(r->o.dry_run && errno == ENOENT))
			return limg__fs_error("cannot open", destination);
		if (!(r->dst_prefix = limg__strdup("")) || (rc = limg__blob_ledger_new(&r->ledger)) < 0)
			return r->dst_prefix ? rc : limg__error_oom();
	} else if (r->o.target == LIMG_SYNC_TO_STORE) {
		limg_store_opts so = LIMG_STORE_OPTS_INIT;
		if ((rc = limg_store_open(&r->store, limg__session_context(r->session), destination, &so)) < 0)
			return rc;
		if (!(r->dst_prefix = limg__strdup("")))
			return limg__error_oom();
	} else {
		if ((rc = split_destination(r, destination)) < 0 || (rc = note_registry(r, r->dst_domain)) < 0 ||
		    (rc = limg_session_registry(&r->to, r->session, r->dst_domain)) < 0 ||
		    (rc = limg__blob_ledger_new(&r->ledger)) < 0)
			return rc;
	}
	for (size_t i = 0; i < r->list->n; i++)
		if (r->list->src[i].kind == LIMG__SRC_REPOSITORY && (rc = note_registry(r, r->list->src[i].domain)) < 0)
			return rc;
	/* what the list names, image by image */
	for (size_t i = 0; i < r->list->n; i++) {
		const limg__sync_source *s = &r->list->src[i];
		if ((rc = s->kind == LIMG__SRC_STORE ? expand_store(r, s)
		          : s->kind == LIMG__SRC_DIR ? expand_dir(r, s)
		                                     : expand_repository(r, s)) < 0)
			return rc;
	}
	rc = limg__jobs_run(r->rep->n, r->o.images_parallel > 0 ? r->o.images_parallel : 4, sync_one, r, r->stop);
	if (rc < 0)
		return rc; /* cancelled, a callback's stop, no memory, or fail_fast's first failure */
	return limg_sync_report_tally(r->rep, LIMG_SYNC_FAILED)
	       ? limg__error_set(LIMG_EPARTIAL, "sync: %zu of %zu images failed", limg_sync_report_tally(r->rep, LIMG_SYNC_FAILED),
	                         r->rep->n)
	       : 0;
}

int limg_sync(limg_sync_report **out, limg_session *session, const limg_sync_list *list, const char *destination,
              const limg_sync_opts *opts, const limg_sync_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__session_context(session));
	limg_session *own = NULL;
	sync_run r;
	int64_t started = limg__now_ms();
	int rc;

	if (out)
		*out = NULL;
	if (!list || !destination || !*destination)
		return limg__error_invalid("list, destination");
	memset(&r, 0, sizeof r);
	r.dirfd = -1;
	limg_sync_opts_init(&r.o, sizeof r.o);
	limg_sync_callbacks_init(&r.cb, sizeof r.cb);
	if ((rc = limg__opts_copy(&r.o, sizeof r.o, opts, "limg_sync_opts")) < 0 ||
	    (rc = limg__opts_copy(&r.cb, sizeof r.cb, cb, "limg_sync_callbacks")) < 0)
		return rc;
	if (r.o.target < LIMG_SYNC_TO_REGISTRY || r.o.target > LIMG_SYNC_TO_DIR || r.o.images_parallel < 0 ||
	    r.o.blobs_parallel < 0 || r.o.chunk_size < 0)
		return limg__error_invalid("target, images_parallel, blobs_parallel, chunk_size");
	if (!(r.rep = limg__calloc(1, sizeof *r.rep)))
		return limg__error_oom();
	if (!session && (rc = limg_session_new(&own, NULL, NULL, NULL)) < 0) {
		limg__free(r.rep);
		return rc;
	}
	r.session = session ? session : own;
	r.list = list;
	pthread_mutex_init(&r.lock, NULL);
	if ((rc = limg_cancel_new(&r.stop)) == 0 && (rc = limg__cancel_follow(r.stop, r.o.cancel)) == 0)
		rc = run(&r, destination);
	if (rc == LIMG_ECANCELLED && limg_cancel_requested(r.o.cancel))
		limg__error_set(LIMG_ECANCELLED, "sync cancelled");
	{
		limg__error_copy saved;
		limg__error_save(&saved);
		count_registries(&r);
		limg__error_restore(&saved);
	}
	r.rep->seconds = (double)(limg__now_ms() - started) / 1000.0;
	/* the report goes back whenever images were decided: also a partial or cancelled run */
	if (out && (rc == 0 || rc == LIMG_EPARTIAL || rc == LIMG_ECANCELLED || r.rep->n))
		*out = r.rep;
	else
		limg_sync_report_free(r.rep);
	for (size_t i = 0; i < r.nrepos; i++) {
		for (size_t k = 0; k < r.repos[i].n; k++)
			limg__free(r.repos[i].tags[k]);
		limg__free(r.repos[i].tags);
		limg__free(r.repos[i].path);
	}
	limg__free(r.repos);
	limg__blob_ledger_free(r.ledger);
	limg_registry_close(r.to);
	limg_store_close(r.store);
	if (r.dirfd >= 0)
		close(r.dirfd);
	limg_cancel_free(r.stop);
	limg_session_free(own);
	limg__free(r.dst_domain);
	limg__free(r.dst_prefix);
	pthread_mutex_destroy(&r.lock);
	return rc;
}
