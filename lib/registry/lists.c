/* SPDX-License-Identifier: MIT */
/* Tags and catalog listings, following pagination (n, last, and the Link header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "reference/grammar.h"
#include "registry_internal.h"

#define LIST_BODY_MAX (8u << 20)

int limg__registry_next_page(limg_registry *r, const char *link, char **next, const char *what)
{
	char *base_url = NULL, *base;

	*next = limg__link_next(link);
	if (!*next || (*next)[0] == '/')
		return 0;
	/* only follow a link to the same registry */
	base = limg__registry_origin_base(r);
	if (!base || limg__asprintf(&base_url, "%s/", base) < 0)
		base_url = NULL;
	limg__free(base);
	if (!base_url || !limg__http_same_origin(base_url, *next)) {
		limg__free(base_url);
		limg__free(*next);
		*next = NULL;
		return limg__error_set(LIMG_EPROTOCOL, "%s: pagination link leads to another host", what);
	}
	limg__free(base_url);
	return 0;
}

struct lister {
	const char *field;  /* "tags" or "repositories" */
	const char *scope;
	const char *what;
	const char *object; /* names the repository (or registry) in errors */
	limg_name_cb cb;
	void *payload;
	const limg_cancel *cancel;
};

/* A name the registry lists must be one a reference can hold (it is printed and used in URLs). */
static bool valid_name(const struct lister *l, const char *name)
{
	size_t n = strlen(name);
	return l->field[0] == 't' ? limg__ref_match_tag(name, n) : limg__ref_match_path(name, n);
}

static int list(limg_registry *r, const char *first_path, const struct lister *l)
{
	const char *what = l->what;
	limg__http_resp resp;
	char *url = limg__strdup(first_path);
	int rc = 0, pages = 0;

	if (!url)
		return limg__error_oom();
	limg__http_resp_init(&resp);
	while (url && rc == 0) {
		limg__call call = { 0 };
		cJSON *doc;
		const cJSON *names, *n;
		char *next, why[200];

		if (++pages > 10000) {
			rc = limg__error_set(LIMG_EPROTOCOL, "%s: too many pages", what);
			break;
		}
		call.url = url;
		call.origin_only = true; /* listings: the registry's own */
		call.scope = l->scope;
		call.what = what;
		call.max_body = LIST_BODY_MAX;
		call.cancel = l->cancel;
		if ((rc = limg__registry_call(r, &call, &resp)) < 0)
			break;
		if (resp.status != 200) {
			rc = limg__registry_error_about(&resp, what, LIMG_SUBJECT_REPOSITORY, l->object);
			break;
		}
		if ((rc = limg__json_parse(&doc, resp.body.ptr, resp.body.size, NULL, why, sizeof why)) < 0) {
			rc = rc == LIMG_ENOMEM ? limg__error_oom() : limg__error_set(LIMG_EPROTOCOL, "%s: the answer is not valid JSON (%s)", what, why);
			break;
		}
		names = cJSON_GetObjectItemCaseSensitive(doc, l->field);
		if (!cJSON_IsObject(doc) || (names && !cJSON_IsArray(names) && !cJSON_IsNull(names))) {
			cJSON_Delete(doc);
			rc = limg__error_set(LIMG_EPROTOCOL, "%s: the answer is not a %s list", what, l->field);
			break;
		}
		cJSON_ArrayForEach(n, names) {
			if (!cJSON_IsString(n) || !valid_name(l, n->valuestring)) {
				char q[80];
				limg__quote(q, sizeof q, cJSON_IsString(n) ? n->valuestring : "(not a string)",
				            cJSON_IsString(n) ? strlen(n->valuestring) : 14);
				limg__log(r->ctx, LIMG_LOG_WARN, "%s: skipping %s, which is no valid name", what, q);
				continue;
			}
			if ((rc = l->cb(n->valuestring, l->payload)) != 0) {
				rc = limg__error_after_callback(rc, what);
				break;
			}
		}
		cJSON_Delete(doc);
		if (rc)
			break;
		limg__free(url);
		url = NULL;
		if ((rc = limg__registry_next_page(r, resp.link, &next, what)) < 0)
			break;
		url = next;
	}
	limg__free(url);
	limg__http_resp_dispose(&resp);
	return rc;
}

int limg_registry_list_opts_init(limg_registry_list_opts *opts, size_t size)
{
	static const limg_registry_list_opts defaults = LIMG_REGISTRY_LIST_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_registry_list_callbacks_init(limg_registry_list_callbacks *cb, size_t size)
{
	static const limg_registry_list_callbacks defaults = LIMG_REGISTRY_LIST_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

static int start(struct lister *l, limg_registry_list_opts *o, limg_registry_list_callbacks *c, limg_registry *r,
                 const limg_registry_list_opts *opts, const limg_registry_list_callbacks *cb)
{
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__opts_copy(o, sizeof *o, opts, "limg_registry_list_opts")) < 0 ||
	    (rc = limg__opts_copy(c, sizeof *c, cb, "limg_registry_list_callbacks")) < 0)
		return rc;
	if (!c->name)
		return limg__error_invalid("callbacks.name");
	l->cb = c->name;
	l->payload = c->payload;
	l->cancel = o->cancel;
	return 0;
}

int limg_registry_tags_foreach(limg_registry *r, const char *repo, const limg_registry_list_opts *opts,
                               const limg_registry_list_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_list_opts o = LIMG_REGISTRY_LIST_OPTS_INIT;
	limg_registry_list_callbacks c = LIMG_REGISTRY_LIST_CALLBACKS_INIT;
	struct lister l = { "tags", NULL, NULL, NULL, NULL, NULL, NULL };
	char *path = NULL, *scope = NULL, *what = NULL, *object = NULL;
	int rc;

	if ((rc = start(&l, &o, &c, r, opts, cb)) < 0 || (rc = limg__registry_check_name(repo)) < 0)
		return rc;
	if (limg__asprintf(&path, o.page_size > 0 ? "/v2/%s/tags/list?n=%d" : "/v2/%s/tags/list", repo, o.page_size) < 0 ||
	    limg__asprintf(&scope, "repository:%s:pull", repo) < 0 || limg__asprintf(&what, "tags of %s/%s", r->domain, repo) < 0 ||
	    limg__asprintf(&object, "%s/%s", r->domain, repo) < 0) {
		rc = limg__error_oom();
	} else {
		l.scope = scope;
		l.what = what;
		l.object = object;
		rc = list(r, path, &l);
	}
	limg__free(path);
	limg__free(scope);
	limg__free(what);
	limg__free(object);
	return rc;
}

int limg_registry_catalog_foreach(limg_registry *r, const limg_registry_list_opts *opts,
                                  const limg_registry_list_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_list_opts o = LIMG_REGISTRY_LIST_OPTS_INIT;
	limg_registry_list_callbacks c = LIMG_REGISTRY_LIST_CALLBACKS_INIT;
	struct lister l = { "repositories", "registry:catalog:*", "catalog", NULL, NULL, NULL, NULL };
	char *path = NULL;
	int rc;

	if ((rc = start(&l, &o, &c, r, opts, cb)) < 0)
		return rc;
	l.object = r->domain;
	if (limg__asprintf(&path, o.page_size > 0 ? "/v2/_catalog?n=%d" : "/v2/_catalog", o.page_size) < 0)
		return limg__error_oom();
	rc = list(r, path, &l);
	limg__free(path);
	return rc;
}
