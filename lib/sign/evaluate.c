/* SPDX-License-Identifier: MIT */
/*
 * limg_policy_check(): the scope that applies, then each requirement with
 * the signatures found, in containers/image's order for each signature
 * (the key, then the payload read strictly, then its digest, then its
 * identity). Every requirement is evaluated, so that the verdict can say
 * which held and which did not.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "libimage/reference.h"
#include "match.h"
#include "sign_internal.h"

#define REASON_MAX 2000

int limg_policy_check_opts_init(limg_policy_check_opts *opts, size_t size)
{
	static const limg_policy_check_opts defaults = LIMG_POLICY_CHECK_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

typedef struct {
	const limg_policy *policy;
	const limg_reference *intended;
	const char *digest, *index_digest; /* index_digest NULL: not accepted */
	const limg_signatures *sigs;
} check;

static char *format(const char *fmt, ...) LIMG_PRINTF(1, 2);
static char *format(const char *fmt, ...)
{
	char text[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return limg__strdup(text);
}

/* Which of the image's digests a claim names: the image's own, its index's (when allowed), or none. */
static const char *claimed(const check *c, const char *digest)
{
	if (!strcmp(digest, c->digest))
		return c->digest;
	if (c->index_digest && !strcmp(digest, c->index_digest))
		return c->index_digest;
	return NULL;
}

/* The key that made one of the signature's signatures, or NULL. */
static const limg_key *signing_key(const limg__requirement *req, const limg__sig *sig)
{
	for (size_t k = 0; k < req->nkeys; k++)
		for (size_t i = 0; i < sig->nsigs; i++)
			if (limg__key_verify_raw(req->keys[k], sig->signed_bytes.ptr, sig->signed_bytes.size, sig->sigs[i].ptr,
			                         sig->sigs[i].size) == 0)
				return req->keys[k];
	return NULL;
}

/* One signature against one sigstoreSigned requirement: true with *@why saying
 * who signed what, or false with *@why saying why not. */
static bool accept_signature(const check *c, const limg__requirement *req, const limg__sig *sig, char **why)
{
	const limg_key *key;
	char reason[600], quoted[300];
	bool ok = false;

	if (sig->broken) {
		*why = format("%s: %s", sig->source, sig->broken);
		return false;
	}
	if (!(key = signing_key(req, sig))) {
		*why = req->nkeys == 1 ? format("%s: the signature does not verify with %s", sig->source,
		                                limg__key_label(req->keys[0]))
		                       : format("%s: the signature does not verify with any of the %zu keys", sig->source,
		                                req->nkeys);
		return false;
	}
	if (sig->kind == LIMG_SIG_SIMPLE) {
		limg__payload p;
		const char *d;
		if (limg__payload_parse(&p, sig->payload.ptr, sig->payload.size, reason, sizeof reason) < 0) {
			*why = format("%s: %s", sig->source, reason);
			return false;
		}
		limg__quote(quoted, sizeof quoted, p.identity, strlen(p.identity));
		if (!(d = claimed(c, p.digest))) {
			char qd[200];
			limg__quote(qd, sizeof qd, p.digest, strlen(p.digest));
			*why = format("%s: signed by %s for digest %s, not the image's %s", sig->source, limg__key_label(key), qd,
			              c->digest);
		} else if (!limg__identity_matches(&req->identity, c->intended, p.identity)) {
			*why = format("%s: signed by %s for %s, which %s does not accept for %s", sig->source,
			              limg__key_label(key), quoted, limg__identity_name(req->identity.type),
			              limg_reference_string(c->intended));
		} else {
			*why = format("%s: signed by %s for %s (digest %s%s)", sig->source, limg__key_label(key), quoted, d,
			              d == c->digest ? "" : ", the index");
			ok = true;
		}
		limg__payload_dispose(&p);
		return ok;
	}
	/* a bundle: the statement's subjects, and no repository (see sign.h) */
	{
		limg__statement st;
		const char *d = NULL;
		char identity[700];
		if (limg__statement_parse(&st, sig->payload.ptr, sig->payload.size, reason, sizeof reason) < 0) {
			*why = format("%s: %s", sig->source, reason);
			return false;
		}
		for (size_t i = 0; i < st.count && !d; i++)
			d = claimed(c, st.digests[i]);
		limg__quote(quoted, sizeof quoted, st.predicate_type, strlen(st.predicate_type));
		snprintf(identity, sizeof identity, "%s@%s", limg_reference_name(c->intended), d ? d : "");
		if (strcmp(st.predicate_type, LIMG_COSIGN_SIGN_PREDICATE) != 0)
			*why = format("%s: an attestation (predicate %s), not a signature", sig->source, quoted);
		else if (!d)
			*why = format("%s: signed by %s for %s%s, not the image's %s", sig->source, limg__key_label(key),
			              st.count ? st.digests[0] : "no digest", st.count > 1 ? " (and others)" : "", c->digest);
		else if (!limg__identity_matches(&req->identity, c->intended, identity))
			*why = format("%s: a bundle signs digest %s and no repository or tag, which %s does not accept for %s",
			              sig->source, d, limg__identity_name(req->identity.type),
			              limg_reference_string(c->intended));
		else {
			*why = format("%s: bundle signed by %s for digest %s%s", sig->source, limg__key_label(key), d,
			              d == c->digest ? "" : " (the index)");
			ok = true;
		}
		limg__statement_dispose(&st);
		return ok;
	}
}

static bool sigstore(const check *c, const limg__requirement *req, char **why)
{
	limg_buf all = LIMG_BUF_INIT;
	size_t n = c->sigs ? c->sigs->count : 0, rejected = 0;
	char *one = NULL;

	if (req->unsupported) {
		*why = limg__strdup(req->unsupported);
		return false;
	}
	if (req->key_error) {
		*why = format("the requirement's keys cannot be used: %s", req->key_error);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char *r = NULL;
		if (accept_signature(c, req, &c->sigs->items[i], &r)) {
			limg__free(one);
			limg_buf_dispose(&all);
			*why = r;
			return true;
		}
		if (!r)
			continue;
		if (all.size < REASON_MAX && (limg__buf_put(&all, rejected ? "; " : "", rejected ? 2 : 0) < 0 ||
		                              limg__buf_put(&all, r, strlen(r)) < 0))
			limg_error_clear();
		rejected++;
		limg__free(one);
		one = r;
	}
	if (!rejected)
		*why = format("a signature was required, but no signature exists%s%s",
		              c->sigs && c->sigs->note ? " " : "", c->sigs && c->sigs->note ? c->sigs->note : "");
	else if (rejected == 1)
		*why = one ? limg__strdup(one) : NULL;
	else
		*why = format("none of the %zu signatures were accepted: %s", rejected, all.ptr ? all.ptr : "");
	limg__free(one);
	limg_buf_dispose(&all);
	return false;
}

static const char *type_name(int type)
{
	static const char *const names[] = { "insecureAcceptAnything", "reject", "signedBy", "signedBaseLayer",
		                             "sigstoreSigned" };
	return names[type];
}

static bool evaluate(const check *c, const limg__requirement *req, char **why)
{
	switch (req->type) {
	case LIMG_REQ_ACCEPT:
		*why = limg__strdup("any image is accepted (insecureAcceptAnything)");
		return true;
	case LIMG_REQ_REJECT:
		*why = limg__strdup("every image of this scope is rejected (reject)");
		return false;
	case LIMG_REQ_SIGSTORE:
		return sigstore(c, req, why);
	default:
		*why = limg__strdup(req->unsupported ? req->unsupported : "not supported");
		return false;
	}
}

void limg_verdict_free(limg_verdict *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->count; i++)
		limg__free(v->items[i].reason);
	limg__free(v->items);
	limg__free(v->image);
	limg__free(v->scope);
	limg__free(v->message);
	limg__free(v);
}

static char *scope_text(const char *scope)
{
	char q[300];

	if (!scope)
		return limg__strdup("its default");
	if (!*scope)
		return limg__strdup("scope \"\" of transport docker");
	limg__quote(q, sizeof q, scope, strlen(scope));
	return format("scope %s", q);
}

/* The one line: what was decided, by which policy and scope, and why. */
static int summarize(limg_verdict *v, const limg_policy *policy)
{
	char *where = scope_text(v->scope);
	limg_buf why = LIMG_BUF_INIT;
	size_t shown = 0;

	if (!where)
		return limg__error_oom();
	for (size_t i = 0; i < v->count; i++) {
		char head[120];
		if (v->items[i].accepted != v->accepted)
			continue;
		snprintf(head, sizeof head, "%srequirement %zu of %zu (%s): ", shown ? "; " : "", i + 1, v->count,
		         v->items[i].type);
		if (limg__buf_put(&why, head, strlen(head)) < 0 ||
		    limg__buf_put(&why, v->items[i].reason ? v->items[i].reason : "", v->items[i].reason ? strlen(v->items[i].reason) : 0) < 0) {
			limg__free(where);
			limg_buf_dispose(&why);
			return LIMG_ENOMEM;
		}
		shown++;
		if (!v->accepted)
			break; /* the first that failed is why */
	}
	v->message = format("image %s is %s by %s (%s): %s", v->image, v->accepted ? "accepted" : "rejected",
	                    policy->label, where, why.ptr ? why.ptr : "");
	limg__free(where);
	limg_buf_dispose(&why);
	return v->message ? 0 : limg__error_oom();
}

int limg_policy_check(limg_verdict **out, const limg_policy *policy, const char *reference, const char *digest,
                      const limg_signatures *signatures, const limg_policy_check_opts *opts)
{
	limg_policy_check_opts o = LIMG_POLICY_CHECK_OPTS_INIT;
	const limg__requirements *reqs;
	limg_reference *ref = NULL;
	limg_verdict *v = NULL;
	const char *scope;
	char identity[700];
	check c;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!policy || !reference)
		return limg__error_invalid(!policy ? "policy" : "reference");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_policy_check_opts")) < 0)
		return rc;
	if (o.index_signatures < LIMG_INDEX_SIGNATURES_ACCEPT || o.index_signatures > LIMG_INDEX_SIGNATURES_IGNORE)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "index_signatures",
		                             "invalid argument: index_signatures %d", o.index_signatures);
	if (!digest || limg__digest_check(digest, strlen(digest), NULL) != 0 ||
	    (o.index_digest && limg__digest_check(o.index_digest, strlen(o.index_digest), NULL) != 0))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, digest, "invalid argument: digest");
	if ((rc = limg_reference_parse_docker(&ref, reference)) < 0)
		return rc;
	if (limg_reference_digest(ref))
		snprintf(identity, sizeof identity, "%s@%s", limg_reference_name(ref), limg_reference_digest(ref));
	else
		snprintf(identity, sizeof identity, "%s:%s", limg_reference_name(ref), limg_reference_tag(ref));
	reqs = limg__policy_scope(policy, limg_reference_name(ref), identity, &scope);
	c.policy = policy;
	c.intended = ref;
	c.digest = digest;
	c.index_digest = o.index_signatures == LIMG_INDEX_SIGNATURES_ACCEPT ? o.index_digest : NULL;
	c.sigs = signatures;
	if (!(v = limg__calloc(1, sizeof *v)) || !(v->image = limg__strdup(limg_reference_string(ref))) ||
	    (scope && !(v->scope = limg__strdup(scope))) || !(v->items = limg__calloc(reqs->count, sizeof *v->items))) {
		rc = limg__error_oom();
		goto out;
	}
	v->accepted = reqs->count > 0;
	for (size_t i = 0; i < reqs->count; i++) {
		v->items[i].type = type_name(reqs->items[i].type);
		v->items[i].accepted = evaluate(&c, &reqs->items[i], &v->items[i].reason);
		v->count++;
		if (!v->items[i].reason) {
			rc = limg__error_oom();
			goto out;
		}
		v->accepted &= v->items[i].accepted;
	}
	if ((rc = summarize(v, policy)) < 0)
		goto out;
	rc = v->accepted ? 0
	                 : limg__error_set_about(LIMG_EREJECTED, LIMG_SUBJECT_POLICY, v->image, "%s", v->message);
	*out = v;
	v = NULL;
out:
	limg_verdict_free(v);
	limg_reference_free(ref);
	return rc;
}

int limg_verdict_accepted(const limg_verdict *v)
{
	return v && v->accepted;
}

const char *limg_verdict_image(const limg_verdict *v)
{
	return v ? v->image : NULL;
}

const char *limg_verdict_scope(const limg_verdict *v)
{
	return v ? v->scope : NULL;
}

const char *limg_verdict_message(const limg_verdict *v)
{
	return v ? v->message : NULL;
}

size_t limg_verdict_count(const limg_verdict *v)
{
	return v ? v->count : 0;
}

const char *limg_verdict_requirement(const limg_verdict *v, size_t i)
{
	return v && i < v->count ? v->items[i].type : NULL;
}

int limg_verdict_requirement_accepted(const limg_verdict *v, size_t i)
{
	return v && i < v->count && v->items[i].accepted;
}

const char *limg_verdict_reason(const limg_verdict *v, size_t i)
{
	return v && i < v->count ? v->items[i].reason : NULL;
}
