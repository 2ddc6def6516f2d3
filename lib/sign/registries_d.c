/* SPDX-License-Identifier: MIT */
/*
 * registries.d(5): every `*.yaml` file of the directory, read with
 * libyaml as containers/image reads them (the first document of each; a
 * `default-docker` or a `docker` namespace given by two files is an
 * error; other keys are ignored). Only `use-sigstore-attachments` matters
 * to libimage: lookaside URLs serve GPG signatures, which it does not read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/core.h"
#include "core/fs.h"
#include "sign_internal.h"

#define FILES_MAX 1000
#define DEPTH_MAX 32
#define NODES_MAX 100000

enum node_kind { NODE_SCALAR, NODE_MAP, NODE_SEQ, NODE_NULL };

typedef struct node {
	int kind;
	bool plain;        /* an unquoted scalar (where YAML's booleans and null live) */
	char *text;        /* scalar */
	struct node **kids; /* map: key, value, key, value...; seq: items */
	size_t nkids;
	size_t line;
} node;

typedef struct {
	yaml_parser_t parser;
	const char *label;
	size_t nodes;
	int rc;
} reader;

static void node_free(node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	limg__free(n->kids);
	limg__free(n->text);
	limg__free(n);
}

static int fail(reader *r, size_t line, const char *why)
{
	if (r->rc == 0)
		r->rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_POLICY, r->label, "registries.d file %s, line %zu: %s",
		                              r->label, line, why);
	return r->rc;
}

static int next(reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->parser, ev)) {
		char why[300];
		snprintf(why, sizeof why, "not valid YAML (%s)", r->parser.problem ? r->parser.problem : "?");
		return fail(r, r->parser.problem_mark.line + 1, why);
	}
	return 0;
}

static int add_kid(node *parent, node *kid)
{
	node **grown = limg__realloc(parent->kids, (parent->nkids + 1) * sizeof *grown);
	if (!grown) {
		node_free(kid);
		return limg__error_oom();
	}
	parent->kids = grown;
	parent->kids[parent->nkids++] = kid;
	return 0;
}

/* One node from an event already read (its start). */
static int read_node(reader *r, yaml_event_t *ev, int depth, node **out)
{
	node *n;
	int rc;

	*out = NULL;
	if (++r->nodes > NODES_MAX)
		return fail(r, ev->start_mark.line + 1, "too many nodes");
	if (depth > DEPTH_MAX)
		return fail(r, ev->start_mark.line + 1, "nested too deeply");
	if (ev->type == YAML_ALIAS_EVENT)
		return fail(r, ev->start_mark.line + 1, "aliases are not supported");
	if (!(n = limg__calloc(1, sizeof *n)))
		return limg__error_oom();
	n->line = ev->start_mark.line + 1;
	if (ev->type == YAML_SCALAR_EVENT) {
		if (ev->data.scalar.tag && !ev->data.scalar.plain_implicit && !ev->data.scalar.quoted_implicit) {
			node_free(n);
			return fail(r, ev->start_mark.line + 1, "explicit tags are not supported");
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->text = limg__strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->kind = n->plain && (!ev->data.scalar.length || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
		                       !strcmp(n->text, "Null") || !strcmp(n->text, "NULL"))
		          ? NODE_NULL
		          : NODE_SCALAR;
		*out = n;
		return n->text ? 0 : limg__error_oom();
	}
	if (ev->type != YAML_MAPPING_START_EVENT && ev->type != YAML_SEQUENCE_START_EVENT) {
		node_free(n);
		return fail(r, ev->start_mark.line + 1, "unexpected YAML structure");
	}
	n->kind = ev->type == YAML_MAPPING_START_EVENT ? NODE_MAP : NODE_SEQ;
	for (;;) {
		yaml_event_t e;
		node *kid;
		if ((rc = next(r, &e)) < 0) {
			node_free(n);
			return rc;
		}
		if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		rc = read_node(r, &e, depth + 1, &kid);
		yaml_event_delete(&e);
		if (rc < 0 || (rc = add_kid(n, kid)) < 0) {
			node_free(n);
			return rc;
		}
	}
	if (n->kind == NODE_MAP) {
		/* keys are scalars, each once (yaml.v2 refuses a key given twice) */
		for (size_t i = 0; i < n->nkids; i += 2) {
			if (n->kids[i]->kind != NODE_SCALAR) {
				size_t line = n->kids[i]->line;
				node_free(n);
				return fail(r, line, "a mapping key is not a plain string");
			}
			for (size_t j = 0; j < i; j += 2)
				if (!strcmp(n->kids[i]->text, n->kids[j]->text)) {
					char why[300], q[200];
					size_t line = n->kids[i]->line;
					limg__quote(q, sizeof q, n->kids[i]->text, strlen(n->kids[i]->text));
					snprintf(why, sizeof why, "key %s is given twice", q);
					node_free(n);
					return fail(r, line, why);
				}
		}
	}
	*out = n;
	return 0;
}

/* The first document's root, or NULL for an empty file. */
static int read_document(reader *r, node **root)
{
	yaml_event_t ev;
	int rc;

	*root = NULL;
	for (;;) {
		if ((rc = next(r, &ev)) < 0)
			return rc;
		if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		rc = read_node(r, &ev, 0, root);
		yaml_event_delete(&ev);
		return rc; /* later documents are not read, as yaml.Unmarshal does not */
	}
}

static const node *member(const node *map, const char *key)
{
	for (size_t i = 0; map && map->kind == NODE_MAP && i < map->nkids; i += 2)
		if (!strcmp(map->kids[i]->text, key))
			return map->kids[i + 1];
	return NULL;
}

/* YAML 1.1's booleans, as yaml.v2 resolves a plain scalar. */
static int yaml_bool(const node *n)
{
	static const char *const yes[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON" };
	static const char *const no[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF" };

	if (n->kind != NODE_SCALAR || !n->plain)
		return -1;
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		if (!strcmp(n->text, yes[i]))
			return 1;
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (!strcmp(n->text, no[i]))
			return 0;
	return -1;
}

/* One namespace's settings: -1 when it does not say, else 0 or 1. */
static int read_namespace(reader *r, const node *ns, int *use)
{
	static const char *const strings[] = { "lookaside", "lookaside-staging", "sigstore", "sigstore-staging" };
	const node *v;

	*use = -1;
	if (!ns || ns->kind == NODE_NULL)
		return 0;
	if (ns->kind != NODE_MAP)
		return fail(r, ns->line, "a namespace's settings are not a mapping");
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
		if ((v = member(ns, strings[i])) && v->kind != NODE_SCALAR && v->kind != NODE_NULL)
			return fail(r, v->line, "a lookaside URL is not a string");
	if ((v = member(ns, "use-sigstore-attachments")) && v->kind != NODE_NULL &&
	    (*use = yaml_bool(v)) < 0)
		return fail(r, v->line, "use-sigstore-attachments is not a boolean");
	return 0;
}

/* A file's namespaces, merged into the policy (each defined once across files). */
static int merge(reader *r, limg_policy *p, const node *root, char **default_from, const char *file)
{
	const node *dd, *docker;
	int rc, use;

	if (!root || root->kind == NODE_NULL)
		return 0;
	if (root->kind != NODE_MAP)
		return fail(r, root->line, "the document is not a mapping");
	if ((dd = member(root, "default-docker")) && dd->kind != NODE_NULL) {
		if (*default_from) {
			char why[700];
			snprintf(why, sizeof why, "\"default-docker\" is defined both in %s and here", *default_from);
			return fail(r, dd->line, why);
		}
		if ((rc = read_namespace(r, dd, &p->default_use)) < 0)
			return rc;
		if (!(*default_from = limg__strdup(file)))
			return limg__error_oom();
	}
	if (!(docker = member(root, "docker")) || docker->kind == NODE_NULL)
		return 0;
	if (docker->kind != NODE_MAP)
		return fail(r, docker->line, "\"docker\" is not a mapping");
	for (size_t i = 0; i < docker->nkids; i += 2) {
		const char *name = docker->kids[i]->text;
		limg__attach_ns *grown;
		for (size_t j = 0; j < p->nns; j++)
			if (!strcmp(p->ns[j].ns, name)) {
				char why[400], q[200];
				limg__quote(q, sizeof q, name, strlen(name));
				snprintf(why, sizeof why, "\"docker\" namespace %s is defined in another file too", q);
				return fail(r, docker->kids[i]->line, why);
			}
		if ((rc = read_namespace(r, docker->kids[i + 1], &use)) < 0)
			return rc;
		if (!(grown = limg__realloc(p->ns, (p->nns + 1) * sizeof *grown)))
			return limg__error_oom();
		p->ns = grown;
		if (!(p->ns[p->nns].ns = limg__strdup(name)))
			return limg__error_oom();
		p->ns[p->nns++].use = use;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && !strcmp(name + n - 5, ".yaml");
}

int limg__registries_d_load(limg_policy *p, const char *dir)
{
	char **names = NULL, *default_from = NULL;
	size_t count = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (!(p->registries_d = limg__strdup(dir)))
		return limg__error_oom();
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : limg__fs_error("cannot list registries.d", dir); /* none: nothing said */
	while ((e = readdir(d))) {
		if (!yaml_name(e->d_name))
			continue;
		if (count >= FILES_MAX) {
			rc = limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_POLICY, dir, "registries.d %s has over %d files",
			                           dir, FILES_MAX);
			break;
		}
		if ((rc = limg__array_grow((void **)&names, &cap, count + 1, sizeof *names)) < 0)
			break;
		if (!(names[count] = limg__strdup(e->d_name))) {
			rc = limg__error_oom();
			break;
		}
		count++;
	}
	closedir(d);
	if (rc == 0 && count)
		qsort(names, count, sizeof *names, by_name);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		limg_buf path = LIMG_BUF_INIT, text = LIMG_BUF_INIT;
		char label[600];
		node *root = NULL;
		reader r;
		memset(&r, 0, sizeof r);
		if ((rc = limg__fs_join(&path, dir, names[i])) < 0)
			break;
		limg__sanitize(label, sizeof label, path.ptr, path.size);
		r.label = label;
		if ((rc = limg__fs_read(&text, path.ptr, LIMG_SIGN_DOC_MAX)) < 0) {
			limg__error_about(LIMG_SUBJECT_POLICY, path.ptr);
		} else if (!yaml_parser_initialize(&r.parser)) {
			rc = limg__error_oom();
		} else {
			yaml_parser_set_input_string(&r.parser, (const unsigned char *)text.ptr, text.size);
			if ((rc = read_document(&r, &root)) == 0)
				rc = merge(&r, p, root, &default_from, label);
			yaml_parser_delete(&r.parser);
		}
		node_free(root);
		limg_buf_dispose(&path);
		limg_buf_dispose(&text);
	}
	for (size_t i = 0; i < count; i++)
		limg__free(names[i]);
	limg__free(names);
	limg__free(default_from);
	return rc;
}
