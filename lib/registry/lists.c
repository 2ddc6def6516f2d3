/* Tags and catalog listings, following pagination (n, last, and the Link header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/core.h"
#include "registry_internal.h"

#define LIST_BODY_MAX (8u << 20)

/* The rel="next" target of a Link header: <url>; rel="next". */
static char *next_link(const char *link)
{
	const char *lt, *gt;

	if (!link || !strstr(link, "rel=\"next\"") || !(lt = strchr(link, '<')) || !(gt = strchr(lt, '>')))
		return NULL;
	return strndup(lt + 1, (size_t)(gt - lt - 1));
}

static int list(limg_registry *r, const char *first_path, const char *field, const char *scope, const char *what,
                limg_name_cb cb, void *payload)
{
	limg__http_resp resp;
	char *url = strdup(first_path);
	int rc = 0, pages = 0;

	if (!url)
		return limg__error_oom();
	limg__http_resp_init(&resp);
	while (url && rc == 0) {
		limg__call call = { 0 };
		cJSON *doc;
		const cJSON *names, *n;
		char *next;

		if (++pages > 10000) {
			rc = limg__error_set(LIMG_EPROTOCOL, "%s: too many pages", what);
			break;
		}
		call.url = url;
		call.origin_only = true; /* listings: the registry's own */
		call.scope = scope;
		call.what = what;
		call.max_body = LIST_BODY_MAX;
		if ((rc = limg__registry_call(r, &call, &resp)) < 0)
			break;
		if (resp.status != 200) {
			rc = limg__registry_error(&resp, what);
			break;
		}
		doc = cJSON_ParseWithLength(resp.body.ptr ? resp.body.ptr : "", resp.body.size);
		names = cJSON_GetObjectItemCaseSensitive(doc, field);
		if (!cJSON_IsObject(doc) || (names && !cJSON_IsArray(names) && !cJSON_IsNull(names))) {
			cJSON_Delete(doc);
			rc = limg__error_set(LIMG_EPROTOCOL, "%s: the answer is not a %s list", what, field);
			break;
		}
		cJSON_ArrayForEach(n, names)
			if (cJSON_IsString(n) && (rc = cb(n->valuestring, payload)) != 0)
				break;
		cJSON_Delete(doc);
		if (rc)
			break;
		next = next_link(resp.link);
		free(url);
		url = NULL;
		if (next && next[0] != '/') {
			/* only follow a link to the same registry */
			char *base_url = NULL, *base = limg__registry_origin_base(r);
			if (!base || asprintf(&base_url, "%s/", base) < 0)
				base_url = NULL;
			free(base);
			if (!base_url || !limg__http_same_origin(base_url, next)) {
				free(base_url);
				free(next);
				rc = limg__error_set(LIMG_EPROTOCOL, "%s: pagination link leads to another host", what);
				break;
			}
			free(base_url);
		}
		url = next;
	}
	free(url);
	limg__http_resp_dispose(&resp);
	return rc;
}

int limg_registry_tags_foreach(limg_registry *r, const char *repo, int page_size, limg_name_cb cb, void *payload)
{
	char *path = NULL, *scope = NULL, *what = NULL;
	int rc;

	if (!r || !cb)
		return limg__error_invalid(r ? "cb" : "registry");
	if ((rc = limg__registry_check_name(repo)) < 0)
		return rc;
	if (asprintf(&path, page_size > 0 ? "/v2/%s/tags/list?n=%d" : "/v2/%s/tags/list", repo, page_size) < 0 ||
	    asprintf(&scope, "repository:%s:pull", repo) < 0 || asprintf(&what, "tags of %s/%s", r->domain, repo) < 0)
		rc = limg__error_oom();
	else
		rc = list(r, path, "tags", scope, what, cb, payload);
	free(path);
	free(scope);
	free(what);
	return rc;
}

int limg_registry_catalog_foreach(limg_registry *r, int page_size, limg_name_cb cb, void *payload)
{
	char *path = NULL;
	int rc;

	if (!r || !cb)
		return limg__error_invalid(r ? "cb" : "registry");
	if (asprintf(&path, page_size > 0 ? "/v2/_catalog?n=%d" : "/v2/_catalog", page_size) < 0)
		return limg__error_oom();
	rc = list(r, path, "repositories", "registry:catalog:*", "catalog", cb, payload);
	free(path);
	return rc;
}
