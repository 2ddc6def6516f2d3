/* SPDX-License-Identifier: MIT */
/* The reference object: strict parsing, building, with-tag/with-digest, accessors. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "reference_internal.h"

static const char docker_domain[] = "docker.io";
static const char library_prefix[] = "library/";

int limg__ref_raise(int code, const char *input, size_t n)
{
	char q[256];

	limg__quote(q, sizeof q, input, n);
	return limg__error_set(code, "%s: %s", limg_strerror(code), q);
}

int limg__ref_build(limg_reference **out, limg__span name, size_t domain_len, limg__span tag,
                    limg__span digest)
{
	size_t full_len = name.len + (tag.ptr ? 1 + tag.len : 0) + (digest.ptr ? (name.ptr ? 1 : 0) + digest.len : 0);
	size_t total = full_len + 1 + name.len + 1 + domain_len + 1 + tag.len + 1 + digest.len + 1;
	limg_reference *r = limg__malloc(sizeof *r + total);
	char *p;

	if (!r)
		return limg__error_oom();
	p = r->text;

	/* full string */
	r->full = p;
	memcpy(p, name.ptr ? name.ptr : "", name.len);
	p += name.len;
	if (tag.ptr) {
		*p++ = ':';
		memcpy(p, tag.ptr, tag.len);
		p += tag.len;
	}
	if (digest.ptr) {
		if (name.ptr)
			*p++ = '@';
		memcpy(p, digest.ptr, digest.len);
		p += digest.len;
	}
	*p++ = '\0';

	r->name = r->path = r->familiar_name = NULL;
	r->familiar = r->full;
	if (name.ptr) {
		size_t fam = 0;
		r->name = p;
		memcpy(p, name.ptr, name.len);
		p[name.len] = '\0';
		r->path = p + (domain_len ? domain_len + 1 : 0);
		/* Docker's familiar form drops docker.io, and library/ for
		 * single-component official images. */
		if (domain_len == sizeof docker_domain - 1 && !memcmp(p, docker_domain, domain_len)) {
			fam = domain_len + 1;
			if (!strncmp(p + fam, library_prefix, sizeof library_prefix - 1) &&
			    !strchr(p + fam + sizeof library_prefix - 1, '/'))
				fam += sizeof library_prefix - 1;
		}
		r->familiar_name = p + fam;
		r->familiar = r->full + fam;
		p += name.len + 1;
	}
	r->domain = p;
	memcpy(p, name.ptr ? name.ptr : "", domain_len);
	p[domain_len] = '\0';
	p += domain_len + 1;

	r->tag = NULL;
	if (tag.ptr) {
		r->tag = p;
		memcpy(p, tag.ptr, tag.len);
		p[tag.len] = '\0';
		p += tag.len + 1;
	}
	r->digest = NULL;
	if (digest.ptr) {
		r->digest = p;
		memcpy(p, digest.ptr, digest.len);
		p[digest.len] = '\0';
	}
	*out = r;
	return 0;
}

int limg__ref_scan(const char *s, size_t n, limg__ref_spans *sp)
{
	limg__ref_spans folded;
	size_t path_len;

	if (n == 0)
		return LIMG_EREF_EMPTY;
	if (!limg__ref_match_reference(s, n, false, sp))
		return limg__ref_match_reference(s, n, true, &folded) ? LIMG_EREF_UPPERCASE : LIMG_EREF_FORMAT;
	path_len = sp->name_len - (sp->domain_len ? sp->domain_len + 1 : 0);
	if (path_len > LIMG_REF_PATH_MAX)
		return LIMG_EREF_TOOLONG;
	if (sp->digest_len)
		return limg__digest_check(s + sp->digest_off, sp->digest_len, NULL);
	return 0;
}

static limg__span span(const char *p, size_t len)
{
	limg__span sp = { p, len };
	return sp;
}

static const limg__span none = { NULL, 0 };

int limg_reference_parse(limg_reference **out, const char *str)
{
	limg__ref_spans sp;
	size_t n;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!str)
		return limg__error_invalid("reference");
	n = strlen(str);
	if ((rc = limg__ref_scan(str, n, &sp)) < 0)
		return limg__ref_raise(rc, str, n);
	return limg__ref_build(out, span(str, sp.name_len), sp.domain_len,
	                       sp.tag_len ? span(str + sp.tag_off, sp.tag_len) : none,
	                       sp.digest_len ? span(str + sp.digest_off, sp.digest_len) : none);
}

int limg_reference_parse_name(limg_reference **out, const char *str)
{
	size_t n, domain_len = 0;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!str)
		return limg__error_invalid("name");
	n = strlen(str);
	if (!limg__ref_match_name(str, n, &domain_len))
		return limg__ref_raise(LIMG_EREF_FORMAT, str, n);
	if (n - (domain_len ? domain_len + 1 : 0) > LIMG_REF_PATH_MAX)
		return limg__ref_raise(LIMG_EREF_TOOLONG, str, n);
	return limg__ref_build(out, span(str, n), domain_len, none, none);
}

static limg__span name_of(const limg_reference *ref)
{
	return span(ref->name, strlen(ref->name));
}

static limg__span opt(const char *s)
{
	return s ? span(s, strlen(s)) : none;
}

int limg_reference_with_tag(limg_reference **out, const limg_reference *ref, const char *tag)
{
	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!ref || !ref->name)
		return limg__error_invalid(ref ? "reference without a name" : "reference");
	if (!tag)
		return limg__error_invalid("tag");
	if (!limg__ref_match_tag(tag, strlen(tag)))
		return limg__ref_raise(LIMG_EREF_TAG, tag, strlen(tag));
	return limg__ref_build(out, name_of(ref), strlen(ref->domain), opt(tag), opt(ref->digest));
}

int limg_reference_with_digest(limg_reference **out, const limg_reference *ref, const char *digest)
{
	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!ref || !ref->name)
		return limg__error_invalid(ref ? "reference without a name" : "reference");
	if (!digest)
		return limg__error_invalid("digest");
	if (!limg__ref_match_digest(digest, strlen(digest)))
		return limg__ref_raise(LIMG_EREF_DIGEST, digest, strlen(digest));
	return limg__ref_build(out, name_of(ref), strlen(ref->domain), opt(ref->tag), opt(digest));
}

int limg_reference_with_default_tag(limg_reference **out, const limg_reference *ref)
{
	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!ref)
		return limg__error_invalid("reference");
	return limg__ref_build(out, ref->name ? name_of(ref) : none, strlen(ref->domain),
	                       (ref->name && !ref->tag && !ref->digest) ? span("latest", 6) : opt(ref->tag),
	                       opt(ref->digest));
}

void limg_reference_free(limg_reference *ref)
{
	limg__free(ref);
}

const char *limg_reference_string(const limg_reference *ref)
{
	return ref ? ref->full : NULL;
}

const char *limg_reference_name(const limg_reference *ref)
{
	return ref ? ref->name : NULL;
}

const char *limg_reference_domain(const limg_reference *ref)
{
	return ref ? ref->domain : NULL;
}

const char *limg_reference_path(const limg_reference *ref)
{
	return ref ? ref->path : NULL;
}

const char *limg_reference_tag(const limg_reference *ref)
{
	return ref ? ref->tag : NULL;
}

const char *limg_reference_digest(const limg_reference *ref)
{
	return ref ? ref->digest : NULL;
}

const char *limg_reference_familiar_string(const limg_reference *ref)
{
	return ref ? ref->familiar : NULL;
}

const char *limg_reference_familiar_name(const limg_reference *ref)
{
	return ref ? ref->familiar_name : NULL;
}
