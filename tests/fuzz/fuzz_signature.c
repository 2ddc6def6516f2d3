/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: what a registry hands over as a signature. Input: a
 * first byte choosing what the rest is:
 *   0  a simple-signing payload (read strictly; a payload we write reads back)
 *   1  a Sigstore bundle (its envelope, then a policy check with a fixed key)
 *   2  an in-toto statement
 *   3  "<base64 signature>\n<payload>", a .sig layer, checked by the policy
 * The corpus holds ones signed by tests/data/sign/ec-private.pem, so that
 * the checks go past the key. A verdict must say why, and accept only what
 * names the image's digest and repository.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "libimage/libimage.h"
#include "sign/sign_internal.h"

#define NAME "registry.example.com/fuzz/app"
#define DIGEST "sha256:4a1fa0e7a3a2e38d22b3e8b7e2b6a8b9c36f25fbcd2c39ad5c3b8ad1a9f7e6d1"

/* tests/data/sign/ec-public.pem, the key of the corpus's signatures */
static const char policy_text[] =
	"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
	"\"registry.example.com/fuzz\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZr"
	"d0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFNjdTZnNDdVNEMWE5K0ZOTTFNOCtwRmpid1U5Zgp0RU55UnphNk1OQyswWm5yMTVo"
	"Q0JxUEs2UFByQTZadHRITTJwZGNRSzE1TzJQRmZVQ3RYa1lEQnFnPT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg==\","
	"\"signedIdentity\":{\"type\":\"matchRepository\"}}]}}}";

static limg_policy *policy;

/* @claims: a simple-signing payload (it names the repository it admits), or NULL for a bundle */
static void verdict(const limg_signatures *set, const uint8_t *claims, size_t len)
{
	static const char *const images[] = { NAME ":latest", NAME "@" DIGEST, "registry.example.com/fuzz/other:1" };
	static const char *const repos[] = { NAME, NAME, "registry.example.com/fuzz/other" };

	for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
		limg_verdict *v = NULL;
		int rc = limg_policy_check(&v, policy, images[i], DIGEST, set, NULL);
		assert(rc == 0 || rc == LIMG_EREJECTED);
		assert(v && (rc == 0) == (limg_verdict_accepted(v) != 0));
		assert(limg_verdict_message(v));
		/* a payload admits only the repository it names (a bundle names a digest
		 * only: it is bound to where it was found) */
		if (rc == 0 && claims)
			assert(memmem(claims, len, repos[i], strlen(repos[i])));
		for (size_t k = 0; k < limg_verdict_count(v); k++)
			assert(limg_verdict_requirement_accepted(v, k) || limg_verdict_reason(v, k));
		limg_verdict_free(v);
	}
}

static void payload(const uint8_t *data, size_t size)
{
	char why[300];
	limg__payload p;

	memset(&p, 0, sizeof p);
	if (limg__payload_parse(&p, data, size, why, sizeof why) == 0) {
		limg_buf again = LIMG_BUF_INIT;
		limg__payload q;
		assert(p.digest && p.identity);
		/* what we write from its claims reads back to the same claims */
		memset(&q, 0, sizeof q);
		if (limg_signature_payload(&again, p.digest, p.identity) == 0) {
			assert(limg__payload_parse(&q, again.ptr, again.size, why, sizeof why) == 0);
			assert(!strcmp(q.digest, p.digest) && !strcmp(q.identity, p.identity));
			limg__payload_dispose(&q);
		}
		limg_buf_dispose(&again);
	} else {
		assert(*why);
	}
	limg__payload_dispose(&p);
}

static void statement(const uint8_t *data, size_t size)
{
	char why[300];
	limg__statement s;

	memset(&s, 0, sizeof s);
	if (limg__statement_parse(&s, data, size, why, sizeof why) == 0) {
		for (size_t i = 0; i < s.count; i++)
			assert(s.digests[i] && !strncmp(s.digests[i], "sha256:", 7));
	} else {
		assert(*why);
	}
	limg__statement_dispose(&s);
}

static void with_policy(const uint8_t *data, size_t size, int simple)
{
	limg_signatures *set = NULL;
	int rc;

	assert(limg_signatures_new(&set) == 0);
	if (simple) {
		const uint8_t *nl = memchr(data, '\n', size);
		char *sig = NULL;
		if (nl) {
			sig = malloc((size_t)(nl - data) + 1);
			assert(sig);
			memcpy(sig, data, (size_t)(nl - data));
			sig[nl - data] = '\0';
			size -= (size_t)(nl - data) + 1;
			data = nl + 1;
		}
		rc = limg_signatures_add_simple(set, data, size, sig, "fuzz");
		free(sig);
	} else {
		rc = limg_signatures_add_bundle(set, data, size, "fuzz");
	}
	/* malformed ones are kept, to be rejected with their reason */
	assert(rc == 0 && limg_signatures_count(set) == 1);
	verdict(set, simple ? data : NULL, size);
	limg_signatures_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!policy) {
		limg_policy_opts opts = LIMG_POLICY_OPTS_INIT;
		opts.registries_d = "";
		assert(limg_policy_parse(&policy, policy_text, sizeof policy_text - 1, &opts) == 0);
	}
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		payload(data + 1, size - 1);
		break;
	case 1:
		with_policy(data + 1, size - 1, 0);
		break;
	case 2:
		statement(data + 1, size - 1);
		break;
	default:
		with_policy(data + 1, size - 1, 1);
		break;
	}
	return 0;
}
