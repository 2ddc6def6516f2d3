/* SPDX-License-Identifier: MIT */
/*
 * Signature checks: N images (default 1,000), each with its own signature
 * for its own digest, checked by a policy as podman users write it
 * (sigstoreSigned, keyData, matchRepository): the whole limg_policy_check()
 * (key, strict payload, digest, identity) for the .sig tag's simple-signing
 * payloads and for cosign v3 bundles, and the key's verify alone. Signing
 * them first is not timed.
 *
 *   bench_signatures PRIVATE.pem [N]     (tests/data/sign/ec-private.pem: ECDSA P-256)
 *
 * Prints "<what> <N> <CPU seconds>" lines, then the same in words. The
 * issue's target: 1,000 signatures verified in under 1 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libimage/libimage.h>

#define NAME "bench.example.com/app"

typedef struct {
	char digest[80];
	limg_buf payload, signature, bundle;
} item;

/* CPU time of the process: the machine is shared, and wall time there
 * measures the neighbours as much as the code (one thread does all). */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "bench_signatures: %s: %s\n", what, limg_error_message(limg_error_last()));
	return 1;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const char *s, size_t n)
{
	char *out = malloc(n / 3 * 4 + 5), *o = out;
	for (size_t i = 0; out && i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0) |
		             (i + 2 < n ? (unsigned char)s[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	if (out)
		*o = '\0';
	return out;
}

/* Checks every item with one kind of signature; seconds, or < 0 on a failure. */
static double check_all(const limg_policy *policy, item *items, size_t n, int bundles)
{
	double start = now();

	for (size_t i = 0; i < n; i++) {
		char ref[200];
		limg_signatures *set = NULL;
		limg_verdict *v = NULL;
		int rc = limg_signatures_new(&set);
		if (rc == 0)
			rc = bundles ? limg_signatures_add_bundle(set, items[i].bundle.ptr, items[i].bundle.size, NULL)
			             : limg_signatures_add_simple(set, items[i].payload.ptr, items[i].payload.size,
			                                          items[i].signature.ptr, NULL);
		snprintf(ref, sizeof ref, NAME ":v%zu", i);
		if (rc == 0)
			rc = limg_policy_check(&v, policy, ref, items[i].digest, set, NULL);
		if (rc != 0) {
			fprintf(stderr, "bench_signatures: %s: %s\n", ref,
			        v ? limg_verdict_message(v) : limg_error_message(limg_error_last()));
			limg_verdict_free(v);
			limg_signatures_free(set);
			return -1;
		}
		limg_verdict_free(v);
		limg_signatures_free(set);
	}
	return now() - start;
}

int main(int argc, char **argv)
{
	size_t n = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 1000;
	limg_signer *signer = NULL;
	limg_policy *policy = NULL;
	limg_policy_opts popts = LIMG_POLICY_OPTS_INIT;
	limg_key *key = NULL;
	limg_buf pub = LIMG_BUF_INIT;
	item *items;
	char *key_b64;
	double simple, bundle, raw, start;

	if (argc < 2 || !n) {
		fprintf(stderr, "usage: bench_signatures PRIVATE.pem [N]\n");
		return 2;
	}
	if (limg_signer_load(&signer, argv[1], NULL) < 0)
		return fail(argv[1]);
	if (limg_signer_public_key(&pub, signer) < 0 || limg_key_parse(&key, pub.ptr, pub.size) < 0)
		return fail("public key");
	if (!(key_b64 = base64(pub.ptr, pub.size)) || !(items = calloc(n, sizeof *items)))
		return 1;
	{
		char *doc = malloc(strlen(key_b64) + 400);
		if (!doc)
			return 1;
		sprintf(doc,
		        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"" NAME "\":[{\"type\":"
		        "\"sigstoreSigned\",\"keyData\":\"%s\",\"signedIdentity\":{\"type\":\"matchRepository\"}}]}}}",
		        key_b64);
		popts.registries_d = "";
		if (limg_policy_parse(&policy, doc, strlen(doc), &popts) < 0)
			return fail("policy");
		free(doc);
	}
	for (size_t i = 0; i < n; i++) {
		char seed[32];
		limg_buf d = LIMG_BUF_INIT;
		snprintf(seed, sizeof seed, "image %zu", i);
		if (limg_digest_compute(&d, LIMG_DIGEST_SHA256, seed, strlen(seed)) < 0)
			return fail("digest");
		snprintf(items[i].digest, sizeof items[i].digest, "%s", d.ptr);
		limg_buf_dispose(&d);
		if (limg_signature_payload(&items[i].payload, items[i].digest, NAME) < 0 ||
		    limg_signer_sign(&items[i].signature, signer, items[i].payload.ptr, items[i].payload.size) < 0 ||
		    limg_signature_bundle(&items[i].bundle, signer, items[i].digest, NAME) < 0)
			return fail("signing");
	}
	if ((simple = check_all(policy, items, n, 0)) < 0 || (bundle = check_all(policy, items, n, 1)) < 0)
		return 1;
	start = now();
	for (size_t i = 0; i < n; i++)
		if (limg_key_verify(key, items[i].payload.ptr, items[i].payload.size, items[i].signature.ptr) < 0)
			return fail("verify");
	raw = now() - start;
	printf("simple %zu %.6f\nbundle %zu %.6f\nkey %zu %.6f\n", n, simple, n, bundle, n, raw);
	printf("# %s key, %zu images, each with its own signature:\n", limg_key_algorithm(key), n);
	printf("#   .sig payloads through limg_policy_check  %.3f s (%.0f us each)\n", simple, simple * 1e6 / n);
	printf("#   v3 bundles through limg_policy_check     %.3f s (%.0f us each)\n", bundle, bundle * 1e6 / n);
	printf("#   limg_key_verify alone                    %.3f s (%.0f us each)\n", raw, raw * 1e6 / n);
	for (size_t i = 0; i < n; i++) {
		limg_buf_dispose(&items[i].payload);
		limg_buf_dispose(&items[i].signature);
		limg_buf_dispose(&items[i].bundle);
	}
	free(items);
	free(key_b64);
	limg_buf_dispose(&pub);
	limg_key_free(key);
	limg_policy_free(policy);
	limg_signer_free(signer);
	return 0;
}
