/* SPDX-License-Identifier: MIT */
/* The signatures gathered for an image: kept as found, checked by limg_policy_check(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/core.h"
#include "sign_internal.h"

int limg_signatures_new(limg_signatures **out)
{
	if (!out)
		return limg__error_invalid("out");
	return (*out = limg__calloc(1, sizeof **out)) ? 0 : limg__error_oom();
}

static void sig_dispose(limg__sig *s)
{
	limg__free(s->source);
	limg__free(s->broken);
	limg__free(s->hint);
	limg_buf_dispose(&s->signed_bytes);
	limg_buf_dispose(&s->payload);
	for (size_t i = 0; i < s->nsigs; i++)
		limg_buf_dispose(&s->sigs[i]);
	limg__free(s->sigs);
}

void limg_signatures_free(limg_signatures *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++)
		sig_dispose(&set->items[i]);
	limg__free(set->items);
	limg__free(set->note);
	limg__free(set);
}

size_t limg_signatures_count(const limg_signatures *set)
{
	return set ? set->count : 0;
}

/* A new entry, named for reasons. */
static int add(limg_signatures *set, const void *data, size_t len, const char *source, limg__sig **out)
{
	char label[300];
	limg__sig *s;
	int rc;

	if (!set)
		return limg__error_invalid("set");
	if (!data && len)
		return limg__error_invalid("data");
	if (len > LIMG_SIGN_DOC_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_SIGNATURE, source,
		                             "signature %s is over %u bytes", source ? source : "", LIMG_SIGN_DOC_MAX);
	if ((rc = limg__array_grow((void **)&set->items, &set->cap, set->count + 1, sizeof *set->items)) < 0)
		return rc;
	s = &set->items[set->count];
	memset(s, 0, sizeof *s);
	if (source)
		limg__sanitize(label, sizeof label, source, strlen(source));
	else
		snprintf(label, sizeof label, "signature %zu", set->count + 1);
	if (!(s->source = limg__strdup(label)))
		return limg__error_oom();
	set->count++;
	*out = s;
	return 0;
}

int limg_signatures_add_simple(limg_signatures *set, const void *payload, size_t len, const char *signature,
                               const char *source)
{
	limg__sig *s;
	int rc;

	if ((rc = add(set, payload, len, source, &s)) < 0)
		return rc;
	s->kind = LIMG_SIG_SIMPLE;
	if ((rc = limg__buf_put(&s->signed_bytes, payload ? payload : "", len)) < 0 ||
	    (rc = limg__buf_put(&s->payload, payload ? payload : "", len)) < 0)
		return rc;
	if (!signature || !*signature)
		return (s->broken = limg__strdup("it has no signature (no dev.cosignproject.cosign/signature annotation)"))
		       ? 0
		       : limg__error_oom();
	if (!(s->sigs = limg__calloc(1, sizeof *s->sigs)))
		return limg__error_oom();
	if (limg__base64_decode_any(&s->sigs[0], signature, strlen(signature)) < 0 || !s->sigs[0].size) {
		limg_buf_dispose(&s->sigs[0]);
		return (s->broken = limg__strdup("its signature is not base64")) ? 0 : limg__error_oom();
	}
	s->nsigs = 1;
	return 0;
}

int limg_signatures_add_bundle(limg_signatures *set, const void *bundle, size_t len, const char *source)
{
	limg__sig *s;
	int rc;

	if ((rc = add(set, bundle, len, source, &s)) < 0)
		return rc;
	return limg__bundle_read(s, bundle ? bundle : "", len);
}

int limg__signatures_add_broken(limg_signatures *set, const char *source, const char *why)
{
	char text[1000];
	limg__sig *s;
	int rc;

	if ((rc = add(set, "", 0, source, &s)) < 0)
		return rc;
	/* the library's own words (which escape what they quote), kept to a line's length */
	snprintf(text, sizeof text, "%s", why);
	s->kind = LIMG_SIG_SIMPLE;
	return (s->broken = limg__strdup(text)) ? 0 : limg__error_oom();
}

int limg__signatures_note(limg_signatures *set, const char *note)
{
	limg__free(set->note);
	return (set->note = limg__strdup(note)) ? 0 : limg__error_oom();
}
