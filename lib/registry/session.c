/* SPDX-License-Identifier: MIT */
/*
 * Sessions: one registry handle per registry host, opened on first use and
 * shared by every call given the session, so that connections, TLS
 * sessions and bearer tokens live as long as the session (curl's share
 * handle is the model). Handles are reference-counted: a caller's
 * reference outlives the session.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "registry_internal.h"

struct entry {
	char *domain;
	limg__registry_settings set; /* this registry's own (set) or the session's defaults (copied) */
	limg_registry *registry;     /* the session's reference; NULL until first used */
};

struct limg_session {
	limg_context *ctx;
	limg__registry_settings defaults;
	limg_registry_callbacks cb;
	pthread_mutex_t lock;
	struct entry *entries;
	size_t n, cap;
};

int limg_session_new(limg_session **out, limg_context *ctx, const limg_registry_opts *opts,
                     const limg_registry_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(ctx);
	limg_registry_callbacks callbacks = LIMG_REGISTRY_CALLBACKS_INIT;
	limg_session *s;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__opts_copy(&callbacks, sizeof callbacks, cb, "limg_registry_callbacks")) < 0)
		return rc;
	if (!(s = limg__calloc(1, sizeof *s)))
		return limg__error_oom();
	if ((rc = limg__registry_settings_from(&s->defaults, opts)) < 0) {
		limg__free(s);
		return rc;
	}
	s->ctx = ctx;
	s->cb = callbacks;
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

void limg_session_free(limg_session *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		limg_registry_close(s->entries[i].registry);
		limg__registry_settings_dispose(&s->entries[i].set);
		limg__free(s->entries[i].domain);
	}
	limg__free(s->entries);
	limg__registry_settings_dispose(&s->defaults);
	pthread_mutex_destroy(&s->lock);
	limg__free(s);
}

/* The entry of @domain, made when missing; under the lock. */
static int entry_of(struct entry **out, limg_session *s, const char *domain)
{
	struct entry *e;
	int rc;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->entries[i].domain, domain)) {
			*out = &s->entries[i];
			return 0;
		}
	if ((rc = limg__array_grow((void **)&s->entries, &s->cap, s->n + 1, sizeof *s->entries)) < 0)
		return rc;
	e = &s->entries[s->n];
	memset(e, 0, sizeof *e);
	if (!(e->domain = limg__strdup(domain)))
		return limg__error_oom();
	if ((rc = limg__registry_settings_copy(&e->set, &s->defaults)) < 0) {
		limg__free(e->domain);
		return rc;
	}
	s->n++;
	*out = e;
	return 0;
}

int limg_session_set_registry_opts(limg_session *s, const char *domain, const limg_registry_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__session_context(s));
	limg__registry_settings set;
	struct entry *e;
	int rc;

	if (!s || !domain)
		return limg__error_invalid("session, domain");
	if ((rc = limg__registry_settings_from(&set, opts)) < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	if ((rc = entry_of(&e, s, domain)) == 0) {
		if (e->registry) {
			rc = limg__error_set_about(LIMG_EEXISTS, LIMG_SUBJECT_REGISTRY, domain,
			                           "the session uses registry %s already: its settings cannot change", domain);
		} else {
			limg__registry_settings_dispose(&e->set);
			e->set = set;
			memset(&set, 0, sizeof set);
		}
	}
	pthread_mutex_unlock(&s->lock);
	limg__registry_settings_dispose(&set);
	return rc;
}

int limg__session_override(limg_session *s, const char *domain, const limg_registry_opts *over)
{
	struct entry *e;
	int rc;

	if (!s || !domain)
		return limg__error_invalid("session, domain");
	pthread_mutex_lock(&s->lock);
	if ((rc = entry_of(&e, s, domain)) == 0) {
		if (e->registry)
			rc = limg__error_set_about(LIMG_EEXISTS, LIMG_SUBJECT_REGISTRY, domain,
			                           "the session uses registry %s already: its settings cannot change", domain);
		else
			rc = limg__registry_settings_override(&e->set, over);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int limg_session_registry(limg_registry **out, limg_session *s, const char *domain)
{
	LIMG__ALLOCATOR_FROM(limg__session_context(s));
	struct entry *e;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!s || !domain)
		return limg__error_invalid("session, domain");
	pthread_mutex_lock(&s->lock);
	if ((rc = entry_of(&e, s, domain)) == 0 && !e->registry)
		rc = limg__registry_open_with(&e->registry, s->ctx, domain, &e->set, &s->cb);
	if (rc == 0)
		*out = limg__registry_ref(e->registry);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

limg_context *limg__session_context(const limg_session *s)
{
	return s ? s->ctx : NULL;
}
