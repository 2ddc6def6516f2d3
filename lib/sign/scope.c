/* SPDX-License-Identifier: MIT */
/*
 * Which part of the policy (and of registries.d) applies to an image, as
 * containers/image's docker transport finds it: the full identity
 * ("host/repo:tag" or "host/repo@digest"), then the repository and each
 * shorter prefix of it, then "*.domain" wildcards of the host (without
 * its port), then the transport's "" scope, then `default`.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "libimage/reference.h"
#include "sign_internal.h"

int limg__policy_namespaces(const char *name, int (*cb)(const char *ns, void *payload), void *payload)
{
	char ns[512];
	char *slash, *colon, *dot, *host;
	int rc;

	if (strlen(name) >= sizeof ns)
		return 0;
	snprintf(ns, sizeof ns, "%s", name);
	for (;;) {
		if ((rc = cb(ns, payload)) != 0)
			return rc;
		if (!(slash = strrchr(ns, '/')))
			break;
		*slash = '\0';
	}
	/* the host without its port, then each wildcard of its parent domains */
	if ((colon = strchr(ns, ':')))
		*colon = '\0';
	host = ns;
	while ((dot = strchr(host, '.'))) {
		char wild[520];
		host = dot + 1;
		snprintf(wild, sizeof wild, "*.%s", host);
		if ((rc = cb(wild, payload)) != 0)
			return rc;
	}
	return 0;
}

struct find {
	const limg_policy *policy;
	const limg__scope *found;
};

static const limg__scope *scope_named(const limg_policy *p, const char *key)
{
	for (size_t i = 0; i < p->ndocker; i++)
		if (!strcmp(p->docker[i].scope, key))
			return &p->docker[i];
	return NULL;
}

static int find_scope(const char *ns, void *payload)
{
	struct find *f = payload;
	return (f->found = scope_named(f->policy, ns)) ? 1 : 0;
}

const limg__requirements *limg__policy_scope(const limg_policy *p, const char *name, const char *identity,
                                             const char **scope)
{
	struct find f = { p, NULL };

	if ((f.found = scope_named(p, identity)) || limg__policy_namespaces(name, find_scope, &f) > 0 ||
	    (f.found = scope_named(p, ""))) {
		*scope = f.found->scope;
		return &f.found->reqs;
	}
	*scope = NULL;
	return &p->defaults;
}

/* The identity a reference is looked up by: "name:tag" or "name@digest". */
static int identity_of(char *out, size_t cap, limg_reference **ref, const char *reference)
{
	if (limg_reference_parse_docker(ref, reference) < 0) {
		limg_error_clear();
		return -1;
	}
	if (limg_reference_digest(*ref))
		snprintf(out, cap, "%s@%s", limg_reference_name(*ref), limg_reference_digest(*ref));
	else
		snprintf(out, cap, "%s:%s", limg_reference_name(*ref), limg_reference_tag(*ref));
	return 0;
}

bool limg__policy_needs_signatures(const limg_policy *p, const char *reference)
{
	const limg__requirements *reqs;
	limg_reference *ref = NULL;
	const char *scope;
	char id[700];
	bool needs = false, doomed = false;

	if (identity_of(id, sizeof id, &ref, reference) < 0)
		return true; /* let the check say what is wrong */
	reqs = limg__policy_scope(p, limg_reference_name(ref), id, &scope);
	for (size_t i = 0; i < reqs->count; i++) {
		const limg__requirement *r = &reqs->items[i];
		if (r->type == LIMG_REQ_SIGSTORE && !r->unsupported && !r->key_error)
			needs = true;
		else if (r->type != LIMG_REQ_ACCEPT)
			doomed = true; /* rejects whatever is found: nothing need be fetched */
	}
	limg_reference_free(ref);
	return needs && !doomed;
}

struct find_ns {
	const limg_policy *policy;
	int use;
};

static int find_use(const char *ns, void *payload)
{
	struct find_ns *f = payload;
	for (size_t i = 0; i < f->policy->nns; i++)
		if (!strcmp(f->policy->ns[i].ns, ns) && f->policy->ns[i].use >= 0) {
			f->use = f->policy->ns[i].use;
			return 1;
		}
	return 0;
}

bool limg__policy_use_attachments(const limg_policy *p, const char *reference)
{
	struct find_ns f = { p, -1 };
	limg_reference *ref = NULL;
	char id[700];

	if (identity_of(id, sizeof id, &ref, reference) < 0)
		return false;
	/* registries_d.go: a namespace that does not say falls through to broader ones */
	if (find_use(id, &f) == 0)
		limg__policy_namespaces(limg_reference_name(ref), find_use, &f);
	limg_reference_free(ref);
	if (f.use >= 0)
		return f.use == 1;
	return p->default_use == 1;
}
