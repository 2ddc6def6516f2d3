/* SPDX-License-Identifier: MIT */
/*
 * signedIdentity: whether the identity a signature claims satisfies the
 * policy for the image being admitted, with containers/image's rules
 * (policy_reference_match.go): references read as docker reads them,
 * compared in their full form.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "libimage/reference.h"
#include "match.h"
#include "sign_internal.h"

static bool name_only(const limg_reference *r)
{
	return !limg_reference_tag(r) && !limg_reference_digest(r);
}

/* A reference read as ParseNormalizedNamed reads it, or NULL (an identity that cannot match). */
static limg_reference *parse(const char *s)
{
	limg_reference *r = NULL;

	if (!s || limg_reference_parse_normalized(&r, s) < 0) {
		limg_error_clear();
		return NULL;
	}
	return r;
}

static bool same(const limg_reference *a, const limg_reference *b)
{
	return !strcmp(limg_reference_string(a), limg_reference_string(b));
}

static bool same_name(const limg_reference *a, const limg_reference *b)
{
	return !strcmp(limg_reference_name(a), limg_reference_name(b));
}

/* matchRepoDigestOrExact: a tag must be signed exactly; a digest needs the repository. */
static bool repo_digest_or_exact(const limg_reference *intended, const limg_reference *sig)
{
	if (name_only(sig))
		return false;
	if (limg_reference_tag(intended))
		return same(sig, intended);
	if (limg_reference_digest(intended))
		return same_name(sig, intended);
	return false;
}

limg_reference *limg__identity_remap(const limg_reference *intended, const char *prefix, const char *signed_prefix)
{
	const char *name = limg_reference_name(intended), *full = limg_reference_string(intended);
	size_t n = strlen(name), pn = strlen(prefix);
	limg_reference *r = NULL;
	limg_buf text = LIMG_BUF_INIT;

	if (n < pn || strncmp(name, prefix, pn) != 0 || (n > pn && name[pn] != '/'))
		return parse(full); /* unchanged */
	/* the full form starts with the name, so the first occurrence of the prefix is the name's */
	if (limg__buf_put(&text, signed_prefix, strlen(signed_prefix)) < 0 ||
	    limg__buf_put(&text, full + pn, strlen(full + pn)) < 0) {
		limg_buf_dispose(&text);
		limg_error_clear();
		return NULL;
	}
	/* reference.ParseNamed: the result must already be in its full form */
	r = parse(text.ptr);
	if (r && strcmp(limg_reference_string(r), text.ptr) != 0) {
		limg_reference_free(r);
		r = NULL;
	}
	limg_buf_dispose(&text);
	return r;
}

bool limg__identity_matches(const limg__identity *id, const limg_reference *intended, const char *signed_identity)
{
	limg_reference *sig = parse(signed_identity), *want = NULL;
	bool ok = false;

	if (!sig)
		return false;
	switch (id->type) {
	case LIMG_ID_MATCH_EXACT:
		ok = !name_only(intended) && !name_only(sig) && same(sig, intended);
		break;
	case LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT:
		ok = repo_digest_or_exact(intended, sig);
		break;
	case LIMG_ID_MATCH_REPOSITORY:
		ok = same_name(sig, intended);
		break;
	case LIMG_ID_EXACT_REFERENCE:
		want = parse(id->a);
		ok = want && !name_only(want) && !name_only(sig) && same(sig, want);
		break;
	case LIMG_ID_EXACT_REPOSITORY:
		want = parse(id->a);
		ok = want && same_name(sig, want);
		break;
	case LIMG_ID_REMAP_IDENTITY:
		want = limg__identity_remap(intended, id->a, id->b);
		ok = want && repo_digest_or_exact(want, sig);
		break;
	}
	limg_reference_free(want);
	limg_reference_free(sig);
	return ok;
}

const char *limg__identity_name(int type)
{
	switch (type) {
	case LIMG_ID_MATCH_EXACT:
		return "matchExact";
	case LIMG_ID_MATCH_REPOSITORY:
		return "matchRepository";
	case LIMG_ID_EXACT_REFERENCE:
		return "exactReference";
	case LIMG_ID_EXACT_REPOSITORY:
		return "exactRepository";
	case LIMG_ID_REMAP_IDENTITY:
		return "remapIdentity";
	default:
		return "matchRepoDigestOrExact";
	}
}
