/* SPDX-License-Identifier: MIT */
/* Sync lists: built one source at a time, or read from skopeo sync's YAML. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "libimage/reference.h"
#include "list.h"
#include "yaml.h"

int limg_sync_select_init(limg_sync_select *select, size_t size)
{
	static const limg_sync_select defaults = LIMG_SYNC_SELECT_INIT;

	return limg__opts_init(select, size, &defaults, sizeof defaults);
}

int limg_sync_list_new(limg_sync_list **out)
{
	if (!out)
		return limg__error_invalid("out");
	if (!(*out = limg__calloc(1, sizeof **out)))
		return limg__error_oom();
	return 0;
}

static void source_dispose(limg__sync_source *s)
{
	limg__free(s->domain);
	limg__free(s->path);
	for (size_t i = 0; i < s->ntags; i++)
		limg__free(s->tags[i]);
	limg__free(s->tags);
	limg__tag_filter_dispose(&s->filter);
	limg__free(s->dir);
	limg__free(s->origin);
}

static void wipe(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		limg__free(s);
	}
}

static void registry_dispose(limg__sync_registry *r)
{
	limg__free(r->domain);
	limg__free(r->ca_file);
	limg__free(r->certs_dir);
	limg__free(r->docker_config_dir);
	wipe(r->username);
	wipe(r->password);
	limg__free(r->client_cert);
	limg__free(r->client_key);
}

void limg_sync_list_free(limg_sync_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		source_dispose(&list->src[i]);
	limg__free(list->src);
	for (size_t i = 0; i < list->nreg; i++)
		registry_dispose(&list->reg[i]);
	limg__free(list->reg);
	limg__free(list);
}

/* A new source at the end of the list, zeroed. */
static int push_source(limg_sync_list *list, limg__sync_source **out)
{
	if (limg__array_grow((void **)&list->src, &list->cap, list->n + 1, sizeof *list->src) < 0)
		return limg__error_oom();
	*out = &list->src[list->n++];
	memset(*out, 0, sizeof **out);
	return 0;
}

/* A tag or a digest, as a list may name one. */
static int check_tag(const char *domain, const char *path, const char *tag)
{
	limg_reference *r = NULL;
	char *text;
	int rc;

	if (!(text = limg__malloc(strlen(domain) + strlen(path) + strlen(tag) + 3)))
		return limg__error_oom();
	sprintf(text, "%s/%s%s%s", domain, path, strncmp(tag, "sha256:", 7) ? ":" : "@", tag);
	rc = limg_reference_parse(&r, text);
	limg_reference_free(r);
	limg__free(text);
	return rc;
}

static int add_repository(limg_sync_list *list, const char *name, const char *const *tags, size_t ntags,
                          const char *regex, const char *exclude, const char *range, int latest, const char *origin)
{
	limg_reference *ref = NULL;
	limg__sync_source *s;
	int rc;

	if ((rc = limg_reference_parse_name(&ref, name)) < 0)
		return limg__error_about(LIMG_SUBJECT_REFERENCE, name);
	for (size_t i = 0; i < ntags; i++)
		if (!tags[i] || (rc = check_tag(limg_reference_domain(ref), limg_reference_path(ref), tags[i])) < 0) {
			limg_reference_free(ref);
			return rc < 0 ? rc : limg__error_invalid("tags");
		}
	if ((rc = push_source(list, &s)) < 0) {
		limg_reference_free(ref);
		return rc;
	}
	s->kind = LIMG__SRC_REPOSITORY;
	rc = limg__tag_filter_init(&s->filter, regex, exclude, range, latest, origin);
	if (rc == 0 && (!(s->domain = limg__strdup(limg_reference_domain(ref))) || !(s->path = limg__strdup(limg_reference_path(ref))) ||
	                (origin && !(s->origin = limg__strdup(origin))) || (ntags && !(s->tags = limg__calloc(ntags, sizeof *s->tags)))))
		rc = limg__error_oom();
	for (size_t i = 0; rc == 0 && i < ntags; i++, s->ntags++)
		if (!(s->tags[i] = limg__strdup(tags[i])))
			rc = limg__error_oom();
	limg_reference_free(ref);
	if (rc < 0) {
		source_dispose(s);
		list->n--;
	}
	return rc;
}

int limg_sync_list_add(limg_sync_list *list, const char *source, const limg_sync_select *select)
{
	limg_sync_select o = LIMG_SYNC_SELECT_INIT;
	limg_reference *ref = NULL;
	int rc;

	if (!list || !source || !*source)
		return limg__error_invalid("list, source");
	if ((rc = limg__opts_copy(&o, sizeof o, select, "limg_sync_select")) < 0)
		return rc;
	if (o.tags_len && !o.tags)
		return limg__error_invalid("tags");
	if (o.tags && (o.tag_regex || o.tag_exclude || o.semver || o.latest))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "tags",
		                             "invalid argument: tags named one by one cannot be filtered too");
	if (limg_reference_parse_name(&ref, source) == 0) {
		limg_reference_free(ref);
		return add_repository(list, source, o.tags, o.tags_len, o.tag_regex, o.tag_exclude, o.semver, o.latest,
		                      NULL);
	}
	/* one image: its tag or digest */
	if ((rc = limg_reference_parse_docker(&ref, source)) < 0)
		return limg__error_about(LIMG_SUBJECT_REFERENCE, source);
	if (select) {
		limg_reference_free(ref);
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "select",
		                             "invalid argument: a selection of tags for one image");
	}
	{
		const char *one = limg_reference_digest(ref) ? limg_reference_digest(ref) : limg_reference_tag(ref);
		rc = add_repository(list, limg_reference_name(ref), &one, 1, NULL, NULL, NULL, 0, NULL);
	}
	limg_reference_free(ref);
	return rc;
}

/* A source read from a path when the sync runs (a store, a dir: layout). */
static int add_path(limg_sync_list *list, const char *path, limg__src_kind kind)
{
	limg__sync_source *s;
	int rc;

	if (!list || !path || !*path)
		return limg__error_invalid("list, path");
	if ((rc = push_source(list, &s)) < 0)
		return rc;
	s->kind = kind;
	if (!(s->dir = limg__strdup(path))) {
		list->n--;
		return limg__error_oom();
	}
	return 0;
}

int limg_sync_list_add_store(limg_sync_list *list, const char *path)
{
	return add_path(list, path, LIMG__SRC_STORE);
}

int limg_sync_list_add_dir(limg_sync_list *list, const char *path)
{
	return add_path(list, path, LIMG__SRC_DIR);
}

/* The settings kept for @domain (made when new). */
static int registry_of(limg_sync_list *list, const char *domain, limg__sync_registry **out)
{
	for (size_t i = 0; i < list->nreg; i++)
		if (!strcmp(list->reg[i].domain, domain)) {
			*out = &list->reg[i];
			return 0;
		}
	if (limg__array_grow((void **)&list->reg, &list->capreg, list->nreg + 1, sizeof *list->reg) < 0)
		return limg__error_oom();
	*out = &list->reg[list->nreg];
	memset(*out, 0, sizeof **out);
	limg_registry_opts_init(&(*out)->o, sizeof (*out)->o);
	if (!((*out)->domain = limg__strdup(domain)))
		return limg__error_oom();
	list->nreg++;
	return 0;
}

static int replace(char **field, const char *value, bool secret)
{
	char *c;

	if (!value)
		return 0;
	if (!(c = limg__strdup(value)))
		return limg__error_oom();
	if (secret)
		wipe(*field);
	else
		limg__free(*field);
	*field = c;
	return 0;
}

int limg_sync_list_set_registry_opts(limg_sync_list *list, const char *domain, const limg_registry_opts *opts)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	limg__sync_registry *r = NULL;
	int rc;

	if (!list || !domain || !*domain)
		return limg__error_invalid("list, domain");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_opts")) < 0)
		return rc;
	if (o.mirrors_len)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "mirrors",
		                             "invalid argument: a sync list does not set mirrors (the session does)");
	if ((rc = registry_of(list, domain, &r)) < 0)
		return rc;
	if ((rc = replace(&r->ca_file, o.ca_file, false)) < 0 || (rc = replace(&r->certs_dir, o.certs_dir, false)) < 0 ||
	    (rc = replace(&r->docker_config_dir, o.docker_config_dir, false)) < 0 ||
	    (rc = replace(&r->username, o.username, true)) < 0 || (rc = replace(&r->password, o.password, true)) < 0 ||
	    (rc = replace(&r->client_cert, o.client_cert, false)) < 0 ||
	    (rc = replace(&r->client_key, o.client_key, false)) < 0)
		return rc;
	/* numbers: the given ones; strings: the copies */
	o.ca_file = r->ca_file;
	o.certs_dir = r->certs_dir;
	o.docker_config_dir = r->docker_config_dir;
	o.username = r->username;
	o.password = r->password;
	o.client_cert = r->client_cert;
	o.client_key = r->client_key;
	o.mirrors = NULL;
	o.size = sizeof o;
#define KEEP(f) if (!o.f) o.f = r->o.f
	KEEP(tls);
	KEEP(max_attempts);
	KEEP(max_requests_per_second);
	KEEP(max_connections);
	KEEP(retry_after_max_s);
#undef KEEP
	r->o = o;
	return 0;
}

/* ---- skopeo's YAML ------------------------------------------------------------ */

static int yaml_error(const char *name, int line, const char *fmt, const char *what)
{
	char q[200];

	limg__quote(q, sizeof q, what, strlen(what));
	return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, name, "%s:%d: %s %s", name, line, fmt, q);
}

static const char *scalar(const limg__yaml *y)
{
	return y && y->type == LIMG_YAML_SCALAR ? y->text : NULL;
}

/* skopeo's cert-dir: ca.crt (or one other *.crt), client.cert, client.key. */
static int cert_dir(limg_registry_opts *o, char **keep, const char *dir, const char *name, int line)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ncrt = 0, rc = 0;

	if (!d)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_FILE, dir, "%s:%d: cert-dir %s cannot be read",
		                             name, line, dir);
	while (rc == 0 && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *p;
		int slot = -1;
		if (n > 4 && !strcmp(e->d_name + n - 4, ".crt"))
			slot = 0, ncrt++;
		else if (!strcmp(e->d_name, "client.cert"))
			slot = 1;
		else if (!strcmp(e->d_name, "client.key"))
			slot = 2;
		if (slot < 0)
			continue;
		if (ncrt > 1 && slot == 0) {
			rc = yaml_error(name, line, "cert-dir holds more than one *.crt (one CA bundle is read):", dir);
			break;
		}
		if (!(p = limg__malloc(strlen(dir) + n + 2))) {
			rc = limg__error_oom();
			break;
		}
		sprintf(p, "%s/%s", dir, e->d_name);
		limg__free(keep[slot]);
		keep[slot] = p;
	}
	closedir(d);
	o->ca_file = keep[0];
	o->client_cert = keep[1];
	o->client_key = keep[2];
	return rc;
}

static int registry_settings(limg_sync_list *list, const char *domain, const limg__yaml *reg, const char *name)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	char *keep[3] = { NULL, NULL, NULL };
	const limg__yaml *y;
	int rc = 0;
	bool any = false, b;

	if ((y = limg__yaml_get(reg, "tls-verify"))) {
		if (limg__yaml_bool(y, &b) < 0)
			return yaml_error(name, y->line, "tls-verify must be true or false, not", scalar(y) ? scalar(y) : "that");
		o.tls = b ? LIMG_TLS_VERIFY : LIMG_TLS_INSECURE;
		any = true;
	}
	if ((y = limg__yaml_get(reg, "credentials"))) {
		const limg__yaml *u = limg__yaml_get(y, "username"), *p = limg__yaml_get(y, "password");
		if (y->type != LIMG_YAML_MAP || !scalar(u))
			return yaml_error(name, y->line, "credentials need a username", "");
		for (size_t i = 0; i < y->count; i++)
			if (strcmp(y->items[i]->key, "username") && strcmp(y->items[i]->key, "password"))
				return yaml_error(name, y->items[i]->line, "unknown key", y->items[i]->key);
		o.username = scalar(u);
		o.password = scalar(p) ? scalar(p) : "";
		any = true;
	}
	if ((y = limg__yaml_get(reg, "cert-dir"))) {
		if (!scalar(y))
			return yaml_error(name, y->line, "cert-dir must be a path", "");
		if ((rc = cert_dir(&o, keep, scalar(y), name, y->line)) == 0)
			any = true;
	}
	if (rc == 0 && any)
		rc = limg_sync_list_set_registry_opts(list, domain, &o);
	for (int i = 0; i < 3; i++)
		limg__free(keep[i]);
	return rc;
}

static int full_name(char **out, const char *domain, const char *repo)
{
	if (!(*out = limg__malloc(strlen(domain) + strlen(repo) + 2)))
		return limg__error_oom();
	sprintf(*out, "%s/%s", domain, repo);
	return 0;
}

static int read_registry(limg_sync_list *list, const limg__yaml *reg, const char *name)
{
	static const char *const known[] = { "images", "images-by-tag-regex", "images-by-semver", "credentials",
	                                     "tls-verify", "cert-dir" };
	char origin[300];
	int rc;

	if (reg->type != LIMG_YAML_MAP)
		return yaml_error(name, reg->line, "a registry's settings must be a map:", reg->key);
	for (size_t i = 0; i < reg->count; i++) {
		bool ok = false;
		for (size_t k = 0; k < sizeof known / sizeof *known; k++)
			ok = ok || !strcmp(reg->items[i]->key, known[k]);
		if (!ok)
			return yaml_error(name, reg->items[i]->line, "unknown key", reg->items[i]->key);
	}
	if ((rc = registry_settings(list, reg->key, reg, name)) < 0)
		return rc;
	for (int pass = 0; pass < 3; pass++) {
		const char *key = pass == 0 ? "images" : pass == 1 ? "images-by-tag-regex" : "images-by-semver";
		const limg__yaml *m = limg__yaml_get(reg, key);
		if (!m || m->type == LIMG_YAML_NULL)
			continue;
		if (m->type != LIMG_YAML_MAP)
			return yaml_error(name, m->line, "must be a map of repositories:", key);
		for (size_t i = 0; i < m->count; i++) {
			const limg__yaml *r = m->items[i];
			const char **tags = NULL;
			char *repo = NULL;
			size_t ntags = 0;
			snprintf(origin, sizeof origin, "%s:%d", name, r->line);
			if ((rc = full_name(&repo, reg->key, r->key)) < 0)
				return rc;
			if (pass == 0) {
				if (r->type == LIMG_YAML_LIST && r->count) {
					if (!(tags = limg__calloc(r->count, sizeof *tags))) {
						limg__free(repo);
						return limg__error_oom();
					}
					for (; ntags < r->count; ntags++)
						if (!(tags[ntags] = scalar(r->items[ntags])))
							break;
					if (ntags < r->count) {
						rc = yaml_error(name, r->items[ntags]->line, "a tag must be a scalar:", r->key);
						limg__free(tags);
						limg__free(repo);
						return rc;
					}
				} else if (r->type != LIMG_YAML_LIST && r->type != LIMG_YAML_NULL) {
					limg__free(repo);
					return yaml_error(name, r->line, "tags must be a list:", r->key);
				}
				rc = add_repository(list, repo, tags, ntags, NULL, NULL, NULL, 0, origin);
			} else if (!scalar(r)) {
				rc = yaml_error(name, r->line, pass == 1 ? "a regex must be a scalar:" : "a range must be a scalar:",
				                r->key);
			} else {
				rc = add_repository(list, repo, NULL, 0, pass == 1 ? scalar(r) : NULL, NULL,
				                    pass == 2 ? scalar(r) : NULL, 0, origin);
			}
			limg__free(tags);
			limg__free(repo);
			if (rc < 0) {
				if (limg_error_subject(limg_error_last()) != LIMG_SUBJECT_FILE) {
					/* the message is rewritten: a copy of it, not the buffer being written */
					char why[512];
					snprintf(why, sizeof why, "%s", limg_error_message(limg_error_last()));
					limg__error_set_about(rc, LIMG_SUBJECT_FILE, name, "%s: %s", origin, why);
				}
				return rc;
			}
		}
	}
	return 0;
}

int limg_sync_list_parse(limg_sync_list **out, const char *text, size_t len, const char *name)
{
	limg_sync_list *list = NULL;
	limg__yaml *doc = NULL;
	int rc;

	if (!out || (!text && len))
		return limg__error_invalid("out, text");
	*out = NULL;
	name = name ? name : "<sync list>";
	if ((rc = limg__yaml_parse(&doc, text ? text : "", len, name)) < 0)
		return rc;
	if (doc && doc->type != LIMG_YAML_MAP)
		rc = yaml_error(name, doc->line, "a sync list is a map of registries", "");
	else if ((rc = limg_sync_list_new(&list)) == 0)
		for (size_t i = 0; doc && rc == 0 && i < doc->count; i++)
			rc = read_registry(list, doc->items[i], name);
	limg__yaml_free(doc);
	if (rc < 0) {
		limg_sync_list_free(list);
		return rc;
	}
	*out = list;
	return 0;
}
