/* SPDX-License-Identifier: MIT */
/*
 * The simple-signing payload (containers-signature(5), cosign's
 * SIGNATURE_SPEC): read as containers/image reads it, exact fields at
 * every level of "critical", and written as it writes it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "libimage/reference.h"
#include "libimage/version.h"
#include "sign_internal.h"

#define PAYLOAD_TYPE "cosign container image signature"

/* Every name the payload has (lowercase, sorted): two keys that Go's decoder
 * (cosign's) would fold into one of these are refused as duplicates. */
static const char *const names[] = {
	"creator", "critical", "docker-manifest-digest", "docker-reference", "identity", "image", "optional",
	"timestamp", "type",
};
static const limg__json_fields payload_fields = { names, sizeof names / sizeof names[0] };

void limg__payload_dispose(limg__payload *p)
{
	limg__free(p->digest);
	limg__free(p->identity);
	limg__free(p->creator);
	memset(p, 0, sizeof *p);
}

static int fail(char *why, size_t cap, const char *fmt, const char *arg)
{
	snprintf(why, cap, fmt, arg);
	return LIMG_ESIGNATURE;
}

/* The object has exactly these members (containers/image's ExactFields). */
static bool exact(const cJSON *obj, const char *const *want, size_t n, char *why, size_t cap, const char *where)
{
	const cJSON *m;
	size_t count = 0;

	if (!cJSON_IsObject(obj)) {
		fail(why, cap, "%s is not a JSON object", where);
		return false;
	}
	cJSON_ArrayForEach(m, obj) {
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known |= !strcmp(m->string, want[i]);
		if (!known) {
			char q[80], msg[120];
			limg__quote(q, sizeof q, m->string, strlen(m->string));
			snprintf(msg, sizeof msg, "%s has an unknown field %s", where, q);
			fail(why, cap, "%s", msg);
			return false;
		}
		count++;
	}
	if (count != n) {
		fail(why, cap, "%s lacks a field", where);
		return false;
	}
	return true;
}

static const char *string_member(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int limg__payload_parse(limg__payload *out, const void *data, size_t len, char *why, size_t cap)
{
	static const char *const top[] = { "critical", "optional" };
	static const char *const crit[] = { "type", "image", "identity" };
	static const char *const img[] = { "docker-manifest-digest" };
	static const char *const id[] = { "docker-reference" };
	const cJSON *critical, *optional, *v;
	const char *type, *digest, *identity;
	cJSON *root = NULL;
	char jwhy[200];
	int rc = LIMG_ESIGNATURE;

	memset(out, 0, sizeof *out);
	if (limg__json_parse(&root, data, len, &payload_fields, jwhy, sizeof jwhy) < 0)
		return fail(why, cap, "the payload is not valid, unambiguous JSON (%s)", jwhy);
	if (!exact(root, top, 2, why, cap, "the payload"))
		goto out;
	critical = cJSON_GetObjectItemCaseSensitive(root, "critical");
	optional = cJSON_GetObjectItemCaseSensitive(root, "optional");
	if (!cJSON_IsNull(optional)) {
		if (!cJSON_IsObject(optional)) {
			fail(why, cap, "%s", "optional is neither null nor an object");
			goto out;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(optional, "creator"))) {
			if (!cJSON_IsString(v)) {
				fail(why, cap, "%s", "optional.creator is not a string");
				goto out;
			}
			if (!(out->creator = limg__strdup(v->valuestring))) {
				rc = limg__error_oom();
				goto out;
			}
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(optional, "timestamp"))) {
			/* a JSON number that is an integer (containers/image reads it as a float) */
			if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 9.2e18) {
				fail(why, cap, "%s", "optional.timestamp is not an integer");
				goto out;
			}
			out->has_timestamp = true;
			out->timestamp = (int64_t)v->valuedouble;
		}
	}
	if (!exact(critical, crit, 3, why, cap, "critical"))
		goto out;
	type = string_member(critical, "type");
	if (!type || strcmp(type, PAYLOAD_TYPE) != 0) {
		char q[120];
		limg__quote(q, sizeof q, type ? type : "(not a string)", type ? strlen(type) : 14);
		fail(why, cap, "unrecognized signature type %s", q);
		goto out;
	}
	if (!exact(cJSON_GetObjectItemCaseSensitive(critical, "image"), img, 1, why, cap, "critical.image") ||
	    !exact(cJSON_GetObjectItemCaseSensitive(critical, "identity"), id, 1, why, cap, "critical.identity"))
		goto out;
	digest = string_member(cJSON_GetObjectItemCaseSensitive(critical, "image"), "docker-manifest-digest");
	identity = string_member(cJSON_GetObjectItemCaseSensitive(critical, "identity"), "docker-reference");
	if (!digest || !identity) {
		fail(why, cap, "%s", !digest ? "docker-manifest-digest is not a string" : "docker-reference is not a string");
		goto out;
	}
	if (!(out->digest = limg__strdup(digest)) || !(out->identity = limg__strdup(identity))) {
		rc = limg__error_oom();
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0)
		limg__payload_dispose(out);
	return rc;
}

int limg_signature_payload(limg_buf *out, const char *digest, const char *identity)
{
	static const char head[] = "{\"critical\":{\"identity\":{\"docker-reference\":";
	static const char mid[] = "},\"image\":{\"docker-manifest-digest\":\"";
	limg_reference *ref = NULL;
	limg_buf doc = LIMG_BUF_INIT;
	char tail[160];
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if (!digest || limg__digest_check(digest, strlen(digest), NULL) != 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, digest, "invalid argument: digest");
	if (!identity || (rc = limg_reference_parse_normalized(&ref, identity)) < 0)
		return identity ? rc : limg__error_invalid("identity");
	limg_reference_free(ref);
	/* containers/image's order and fields (Go sorts map keys) */
	snprintf(tail, sizeof tail, "\"},\"type\":\"%s\"},\"optional\":{\"creator\":\"libimage %s\",\"timestamp\":%lld}}",
	         PAYLOAD_TYPE, limg_version(), (long long)time(NULL));
	if ((rc = limg__buf_put(&doc, head, strlen(head))) < 0 ||
	    (rc = limg__json_put_string(&doc, identity, strlen(identity))) < 0 ||
	    (rc = limg__buf_put(&doc, mid, strlen(mid))) < 0 ||
	    (rc = limg__buf_put(&doc, digest, strlen(digest))) < 0 || (rc = limg__buf_put(&doc, tail, strlen(tail))) < 0) {
		limg_buf_dispose(&doc);
		return rc;
	}
	limg_buf_dispose(out);
	*out = doc;
	return 0;
}
