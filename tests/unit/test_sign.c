/* SPDX-License-Identifier: MIT */
/*
 * sign: containers/image's own signature fixtures (real cosign output) each
 * verified or refused as its tests expect (policy_eval_sigstore_test.go);
 * its payload strictness cases (sigstore_payload_test.go) and identity
 * tables (policy_reference_match_test.go); policies, scopes, registries.d,
 * keys made by python3-cryptography and python3-nacl (tests/data/sign),
 * DSSE's test vector, bundles.
 *
 *     test_sign <containers/image signature fixtures> <tests/data/sign>
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "core/base64.h"
#include "core/core.h"
#include "helpers.h"
#include "sign/match.h"
#include "sign/sign_internal.h"

static const char *fixtures, *data;

static char *path_of(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static limg_buf slurp(const char *path)
{
	limg_buf b = LIMG_BUF_INIT;
	FILE *f = fopen(path, "rb");
	char *bytes = NULL;
	size_t n, size = 0;

	if (!f)
		fail_msg("cannot read %s", path);
	for (char chunk[4096]; (n = fread(chunk, 1, sizeof chunk, f)) > 0; size += n) {
		bytes = realloc(bytes, size + n);
		memcpy(bytes + size, chunk, n);
	}
	fclose(f);
	/* a limg_buf's memory is the library's (its allocator): copied in */
	ASSERT_OK(limg_buf_set(&b, bytes ? bytes : "", size));
	free(bytes);
	return b;
}

static limg_buf fixture(const char *name)
{
	char *p = path_of(fixtures, name);
	limg_buf b = slurp(p);
	free(p);
	return b;
}

static char *datafile(const char *name)
{
	return path_of(data, name);
}

/* The digest of a fixture image's manifest.json. */
static char *manifest_digest(const char *dir)
{
	char name[300];
	limg_buf m, d = LIMG_BUF_INIT;

	snprintf(name, sizeof name, "%s/manifest.json", dir);
	m = fixture(name);
	ASSERT_OK(limg_digest_compute(&d, LIMG_DIGEST_SHA256, m.ptr, m.size));
	limg_buf_dispose(&m);
	/* the buffer's memory is the library's: the caller gets a copy it may free() */
	char *copy = strdup(d.ptr);
	assert_non_null(copy);
	limg_buf_dispose(&d);
	return copy;
}

/*
 * containers/image keeps a signature in its "dir:" layout as its own local
 * encoding (internal/signature/signature.go): a 0 byte, "sigstore-json\n",
 * then {"mimeType", "payload" (base64), "annotations"}. A file without the
 * 0 byte is a GPG signature. Sigstore signatures of the simple-signing type
 * go into @set, as the .sig manifest's layers would; others are counted as
 * c/image counts them (non-sigstore, non-signature attachments).
 */
static void add_local_encoding(limg_signatures *set, const char *file, int *others)
{
	static const char magic[] = "\0sigstore-json\n";
	limg_buf raw = fixture(file), payload = LIMG_BUF_INIT;
	cJSON *doc, *type, *ann, *sig;

	if (raw.size < sizeof magic - 1 || memcmp(raw.ptr, magic, sizeof magic - 1)) {
		(*others)++; /* a GPG signature: not sigstore */
		limg_buf_dispose(&raw);
		return;
	}
	doc = cJSON_ParseWithLength(raw.ptr + sizeof magic - 1, raw.size - (sizeof magic - 1));
	assert_non_null(doc);
	type = cJSON_GetObjectItemCaseSensitive(doc, "mimeType");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, LIMG_MEDIA_SIMPLE_SIGNING)) {
		(*others)++; /* an attachment of another type */
	} else {
		cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "payload");
		assert_int_equal(limg__base64_decode(&payload, p->valuestring, strlen(p->valuestring)), 0);
		ann = cJSON_GetObjectItemCaseSensitive(doc, "annotations");
		sig = cJSON_GetObjectItemCaseSensitive(ann, LIMG_ANNOTATION_COSIGN_SIGNATURE);
		ASSERT_OK(limg_signatures_add_simple(set, payload.ptr, payload.size,
		                                     cJSON_IsString(sig) ? sig->valuestring : NULL, file));
	}
	cJSON_Delete(doc);
	limg_buf_dispose(&payload);
	limg_buf_dispose(&raw);
}

static limg_policy *policy_of(const char *fmt, ...)
{
	char text[8192];
	limg_policy_opts o = LIMG_POLICY_OPTS_INIT;
	limg_policy *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	o.registries_d = "";
	ASSERT_OK(limg_policy_parse(&p, text, strlen(text), &o));
	return p;
}

/* A policy whose default is one sigstoreSigned requirement with the fixtures' cosign.pub. */
static limg_policy *cosign_policy(const char *identity_json)
{
	char *key = path_of(fixtures, "cosign.pub");
	limg_policy *p = policy_of("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s\"%s%s}]}", key,
	                           identity_json ? ",\"signedIdentity\":" : "", identity_json ? identity_json : "");
	free(key);
	return p;
}

#define MATCH_REPOSITORY "{\"type\":\"matchRepository\"}"
#define MATCH_EXACT "{\"type\":\"matchExact\"}"

/* Checks @files (signature-N of a fixture dir, or single files) for @ref at @dir's manifest digest. */
static int check(const limg_policy *p, const char *dir, const char *ref, const char *const *files, size_t n,
                 limg_verdict **out)
{
	limg_signatures *set;
	char *digest = manifest_digest(dir);
	int others = 0, rc;

	ASSERT_OK(limg_signatures_new(&set));
	for (size_t i = 0; i < n; i++)
		add_local_encoding(set, files[i], &others);
	rc = limg_policy_check(out, p, ref, digest, set, NULL);
	limg_signatures_free(set);
	free(digest);
	return rc;
}

static void assert_accepted(const limg_policy *p, const char *dir, const char *ref, const char *const *files, size_t n)
{
	limg_verdict *v = NULL;
	int rc = check(p, dir, ref, files, n, &v);
	if (rc != 0)
		fail_msg("%s %s: expected accepted, got %d: %s", dir, ref, rc, limg_error_message(limg_error_last()));
	assert_true(limg_verdict_accepted(v));
	limg_verdict_free(v);
}

static void assert_rejected(const limg_policy *p, const char *dir, const char *ref, const char *const *files, size_t n,
                            const char *because)
{
	limg_verdict *v = NULL;
	int rc = check(p, dir, ref, files, n, &v);
	if (rc != LIMG_EREJECTED)
		fail_msg("%s %s: expected rejected, got %d", dir, ref, rc);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_POLICY);
	assert_non_null(v);
	assert_false(limg_verdict_accepted(v));
	if (because && !strstr(limg_verdict_message(v), because))
		fail_msg("%s %s: \"%s\" does not say \"%s\"", dir, ref, limg_verdict_message(v), because);
	limg_verdict_free(v);
}

#define SINGLE "192.168.64.2:5000/cosign-signed-single-sample"
#define FILES(...) ((const char *const[]){ __VA_ARGS__ }), sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *)

/* policy_eval_sigstore_test.go TestPRrSigstoreSignedIsSignatureAccepted, case by case. */
static void test_cimage_signature_accepted(void **state)
{
	limg_policy *p = cosign_policy(MATCH_REPOSITORY);
	limg_buf key = fixture("cosign.pub"), b64 = LIMG_BUF_INIT;
	char text[2048];
	(void)state;

	/* success, with keyPath and with keyData */
	assert_accepted(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"));
	limg_policy_free(p);
	assert_int_equal(limg__base64_encode(&b64, key.ptr, key.size), 0);
	p = policy_of("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\",\"signedIdentity\":%s}]}", b64.ptr,
	              MATCH_REPOSITORY);
	assert_accepted(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"));
	limg_policy_free(p);

	/* an invalid keyPath: the policy reads, the image is rejected */
	p = policy_of("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/this/does/not/exist\"}]}");
	assert_rejected(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"),
	                "/this/does/not/exist");
	limg_policy_free(p);
	/* keyData that holds no public key */
	p = policy_of("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"\"}]}");
	assert_rejected(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"), "keyData[0]");
	limg_policy_free(p);

	p = cosign_policy(MATCH_REPOSITORY);
	/* a signature with no cryptographic signature, and one that does not verify */
	{
		limg_signatures *set;
		limg_verdict *v;
		limg_buf payload = LIMG_BUF_INIT;
		char *digest = manifest_digest("dir-img-cosign-valid");
		int others = 0;
		ASSERT_OK(limg_signatures_new(&set));
		add_local_encoding(set, "dir-img-cosign-valid/signature-1", &others);
		ASSERT_OK(limg_buf_set(&payload, set->items[0].payload.ptr, set->items[0].payload.size));
		limg_signatures_free(set);
		ASSERT_OK(limg_signatures_new(&set));
		ASSERT_OK(limg_signatures_add_simple(set, payload.ptr, payload.size, NULL, "no-sig"));
		assert_int_equal(limg_policy_check(&v, p, SINGLE, digest, set, NULL), LIMG_EREJECTED);
		assert_non_null(strstr(limg_verdict_message(v), "no signature"));
		limg_verdict_free(v);
		limg_signatures_free(set);
		ASSERT_OK(limg_signatures_new(&set));
		ASSERT_OK(limg_signatures_add_simple(set, payload.ptr, payload.size, "aW52YWxpZCBzaWduYXR1cmU=", "bad-sig"));
		assert_int_equal(limg_policy_check(&v, p, SINGLE, digest, set, NULL), LIMG_EREJECTED);
		assert_non_null(strstr(limg_verdict_message(v), "does not verify"));
		limg_verdict_free(v);
		limg_signatures_free(set);
		limg_buf_dispose(&payload);
		free(digest);
	}
	/* a valid signature by an unknown key */
	assert_rejected(p, "dir-img-cosign-valid", SINGLE, FILES("unknown-cosign-key.signature"), "does not verify");
	limg_policy_free(p);
	/* a valid signature with a rejected identity */
	p = cosign_policy("{\"type\":\"exactReference\",\"dockerReference\":\"this/doesnt:match\"}");
	assert_rejected(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"), "exactReference");
	limg_policy_free(p);

	p = cosign_policy(MATCH_REPOSITORY);
	/* no manifest: nothing to check against (the caller cannot name a digest) */
	{
		limg_verdict *v = (limg_verdict *)1;
		assert_int_equal(limg_policy_check(&v, p, SINGLE, NULL, NULL, NULL), LIMG_EINVALID);
		assert_null(v);
	}
	/* a manifest whose digest is not the signed one: a schema1 manifest, and a modified one */
	assert_rejected(p, "dir-img-cosign-manifest-digest-error", SINGLE,
	                FILES("dir-img-cosign-manifest-digest-error/signature-1"), "not the image's");
	assert_rejected(p, "dir-img-cosign-modified-manifest", SINGLE, FILES("dir-img-cosign-modified-manifest/signature-1"),
	                "not the image's");
	limg_policy_free(p);

	/* matchExact: a signature with the matching tag, another tag, and cosign's repository-only identity */
	p = cosign_policy(MATCH_EXACT);
	assert_accepted(p, "dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:tag",
	                FILES("dir-img-cosign-valid-with-tag/signature-1"));
	assert_rejected(p, "dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:othertag",
	                FILES("dir-img-cosign-valid-with-tag/signature-1"), "matchExact");
	assert_rejected(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"), "matchExact");
	limg_policy_free(p);
	limg_buf_dispose(&key);
	limg_buf_dispose(&b64);
	(void)text;
}

/* policy_eval_sigstore_test.go TestPRSigstoreSignedIsRunningImageAllowed. */
static void test_cimage_running_image_allowed(void **state)
{
	limg_policy *p = cosign_policy(MATCH_REPOSITORY);
	(void)state;

	assert_accepted(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"));
	/* no signatures; only GPG signatures; only other attachments */
	assert_rejected(p, "dir-img-unsigned", "testing/manifest:latest", NULL, 0, "no signature exists");
	assert_rejected(p, "dir-img-valid", "testing/manifest:latest", FILES("dir-img-valid/signature-1"),
	                "no signature exists");
	assert_rejected(p, "dir-img-cosign-other-attachment", "testing/manifest:latest",
	                FILES("dir-img-cosign-other-attachment/signature-1"), "no signature exists");
	/* one invalid signature: a repository the signature does not name */
	assert_rejected(p, "dir-img-cosign-valid", "testing/manifest:notlatest", FILES("dir-img-cosign-valid/signature-1"),
	                "matchRepository");
	/* two valid signatures; one invalid then one valid */
	assert_accepted(p, "dir-img-cosign-valid-2", SINGLE,
	                FILES("dir-img-cosign-valid-2/signature-1", "dir-img-cosign-valid-2/signature-2"));
	assert_accepted(p, "dir-img-cosign-mixed", SINGLE,
	                FILES("dir-img-cosign-mixed/signature-1", "dir-img-cosign-mixed/signature-2"));
	/* two invalid signatures */
	assert_rejected(p, "dir-img-cosign-valid-2", "this/doesnt:match",
	                FILES("dir-img-cosign-valid-2/signature-1", "dir-img-cosign-valid-2/signature-2"),
	                "none of the 2 signatures");
	limg_policy_free(p);
	p = cosign_policy(MATCH_EXACT);
	assert_accepted(p, "dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:tag",
	                FILES("dir-img-cosign-valid-with-tag/signature-1"));
	assert_rejected(p, "dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:othertag",
	                FILES("dir-img-cosign-valid-with-tag/signature-1"), NULL);
	assert_rejected(p, "dir-img-cosign-valid", SINGLE, FILES("dir-img-cosign-valid/signature-1"), NULL);
	limg_policy_free(p);
}

/* sigstore_payload_test.go TestUntrustedSigstorePayloadUnmarshalJSON, and the attacks the issue names. */
static void test_payload_strict(void **state)
{
	static const char *const good[] = {
		/* what cosign writes */
		"{\"critical\":{\"identity\":{\"docker-reference\":\"192.168.64.2:5000/cosign-signed-multi\"},\"image\":{"
		"\"docker-manifest-digest\":\"sha256:43955d6857268cc948ae9b370b221091057de83c4962da0826f9a2bdc9bd6b44\"},"
		"\"type\":\"cosign container image signature\"},\"optional\":null}",
		/* unknown fields of "optional" are ignored */
		"{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},\"image\":{\"docker-manifest-digest\":\"d\"},"
		"\"type\":\"cosign container image signature\"},\"optional\":{\"creator\":\"c\",\"timestamp\":1484683104,"
		"\"unexpected\":1}}",
	};
#define CRIT(identity, image, type, extra) \
	"{\"critical\":{\"identity\":" identity ",\"image\":" image ",\"type\":" type extra "}"
#define ID "{\"docker-reference\":\"r\"}"
#define IMG "{\"docker-manifest-digest\":\"d\"}"
#define TYPE "\"cosign container image signature\""
	static const char *const bad[] = {
		"&", "1", "{\"optional\":null}", CRIT(ID, IMG, TYPE, "") "}",
		CRIT(ID, IMG, TYPE, "") ",\"optional\":null,\"unexpected\":1}",
		"{\"critical\":1,\"optional\":null}", CRIT(ID, IMG, TYPE, "") ",\"optional\":1}",
		"{\"critical\":{\"identity\":" ID ",\"image\":" IMG "},\"optional\":null}",
		"{\"critical\":{\"identity\":" ID ",\"type\":" TYPE "},\"optional\":null}",
		"{\"critical\":{\"image\":" IMG ",\"type\":" TYPE "},\"optional\":null}",
		CRIT(ID, IMG, TYPE, ",\"unexpected\":1") ",\"optional\":null}",
		CRIT(ID, IMG, "1", "") ",\"optional\":null}",
		CRIT(ID, IMG, "\"unexpected\"", "") ",\"optional\":null}",
		CRIT(ID, "1", TYPE, "") ",\"optional\":null}",
		CRIT(ID, "{}", TYPE, "") ",\"optional\":null}",
		CRIT(ID, "{\"docker-manifest-digest\":\"d\",\"unexpected\":1}", TYPE, "") ",\"optional\":null}",
		CRIT(ID, "{\"docker-manifest-digest\":1}", TYPE, "") ",\"optional\":null}",
		CRIT("1", IMG, TYPE, "") ",\"optional\":null}",
		CRIT("{}", IMG, TYPE, "") ",\"optional\":null}",
		CRIT("{\"docker-reference\":\"r\",\"unexpected\":1}", IMG, TYPE, "") ",\"optional\":null}",
		CRIT("{\"docker-reference\":1}", IMG, TYPE, "") ",\"optional\":null}",
		CRIT(ID, IMG, TYPE, "") ",\"optional\":{\"creator\":1}}",
		CRIT(ID, IMG, TYPE, "") ",\"optional\":{\"timestamp\":\"unexpected\"}}",
		CRIT(ID, IMG, TYPE, "") ",\"optional\":{\"timestamp\":0.5}}",
		/* duplicate critical fields, exact and as Go's decoder (cosign's) folds them */
		CRIT(ID, IMG, TYPE, ",\"type\":" TYPE) ",\"optional\":null}",
		CRIT(ID, IMG, TYPE, "") ",\"CRITICAL\":{},\"optional\":null}",
		CRIT(ID, "{\"docker-manifest-digest\":\"d\",\"Docker-Manifest-Digest\":\"e\"}", TYPE, "") ",\"optional\":null}",
	};
	limg__payload pl;
	char why[300];
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		if (limg__payload_parse(&pl, good[i], strlen(good[i]), why, sizeof why) != 0)
			fail_msg("good payload %zu refused: %s", i, why);
		limg__payload_dispose(&pl);
	}
	assert_int_equal(limg__payload_parse(&pl, good[0], strlen(good[0]), why, sizeof why), 0);
	assert_string_equal(pl.identity, "192.168.64.2:5000/cosign-signed-multi");
	assert_false(pl.has_timestamp);
	limg__payload_dispose(&pl);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (limg__payload_parse(&pl, bad[i], strlen(bad[i]), why, sizeof why) != LIMG_ESIGNATURE)
			fail_msg("bad payload %zu accepted: %s", i, bad[i]);
}

/* A payload libimage writes reads back (containers/image's field order). */
static void test_payload_written(void **state)
{
	limg_buf doc = LIMG_BUF_INIT;
	limg__payload pl;
	char why[300];
	(void)state;

	ASSERT_OK(limg_signature_payload(&doc, "sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	                                 "registry.example/app:1"));
	assert_non_null(strstr(doc.ptr, "{\"critical\":{\"identity\":{\"docker-reference\":\"registry.example/app:1\"},"));
	assert_int_equal(limg__payload_parse(&pl, doc.ptr, doc.size, why, sizeof why), 0);
	assert_true(pl.has_timestamp);
	assert_non_null(strstr(pl.creator, "libimage"));
	limg__payload_dispose(&pl);
	assert_int_equal(limg_signature_payload(&doc, "sha256:nothex", "registry.example/app"), LIMG_EINVALID);
	assert_int_not_equal(limg_signature_payload(&doc, "sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef"
	                                                 "0123456789abcdef", "UPPER/Case"), 0);
	limg_buf_dispose(&doc);
}

/* ---- identities: policy_reference_match_test.go's tables -------------- */

#define DS "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DSO "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define RHEL "registry.access.redhat.com/rhel7/rhel:7.2.3"
#define RHEL_UNTAGGED "registry.access.redhat.com/rhel7/rhel"

struct pair {
	const char *a, *b;
	bool result;
};

static const struct pair exact_table[] = {
	{ "busybox:latest", "busybox:latest", true }, { RHEL, RHEL, true }, { "busybox" DS, "busybox" DS, true },
	{ "library/busybox:latest", "busybox:latest", true }, { "docker.io/library/busybox:latest", "busybox:latest", true },
	{ "library/busybox" DS, "busybox" DS, true }, { "busybox:latest", "busybox:notlatest", false },
	{ "busybox:latest", "notbusybox:latest", false }, { "busybox:latest", "hostname/library/busybox:notlatest", false },
	{ "hostname/library/busybox:latest", "busybox:notlatest", false }, { "busybox:latest", RHEL, false },
	{ "busybox" DS, "notbusybox" DS, false }, { "busybox:latest", "busybox" DS, false },
	{ "busybox" DS, "busybox" DSO, false }, { "busybox", "busybox:latest", false }, { "busybox", "busybox" DS, false },
	{ "busybox", "busybox", false }, { "busybox:latest" DS, "busybox:latest" DS, true },
	{ "busybox:latest" DS, "busybox:latest" DSO, false }, { "busybox:latest" DS, "busybox:notlatest" DS, false },
	{ "busybox:latest" DS, "busybox" DS, false }, { "busybox:latest" DS, "busybox:latest", false },
	{ "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", "busybox:latest", false },
	{ "", "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", false }, { "INVALID", "INVALID", false },
};

static const struct pair repository_table[] = {
	{ "busybox:latest", "busybox:latest", true }, { RHEL, RHEL, true }, { "busybox" DS, "busybox" DS, true },
	{ "library/busybox:latest", "busybox:latest", true }, { "docker.io/library/busybox:latest", "busybox:latest", true },
	{ "library/busybox" DS, "busybox" DS, true }, { "busybox:latest", "busybox:notlatest", true },
	{ RHEL "tagsuffix", RHEL, true }, { "library/busybox:latest", "busybox:notlatest", true },
	{ "busybox:latest", "library/busybox:notlatest", true }, { "docker.io/library/busybox:notlatest", "busybox:latest", true },
	{ "busybox:notlatest", "docker.io/library/busybox:latest", true }, { "busybox:latest", "busybox" DS, true },
	{ "busybox" DS, "busybox" DSO, true }, { "busybox", "busybox:notlatest", true }, { RHEL, RHEL_UNTAGGED, true },
	{ "busybox", "busybox" DS, true }, { "library/busybox", "busybox", true }, { "docker.io/library/busybox", "busybox", true },
	{ "busybox:latest", "notbusybox:latest", false }, { "hostname/library/busybox:latest", "busybox:notlatest", false },
	{ "busybox:latest", RHEL, false }, { "busybox" DS, "notbusybox" DS, false },
	{ "busybox:latest" DS, "busybox:latest" DS, true }, { "busybox:latest" DS, "busybox:latest" DSO, true },
	{ "busybox:latest" DS, "busybox:notlatest" DS, true }, { "busybox:latest" DS, "busybox" DS, true },
	{ "busybox:latest" DS, "busybox:latest", true }, { "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", "busybox:latest", false },
	{ "", "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", false }, { "INVALID", "INVALID", false },
};

static const struct pair repo_digest_or_exact_table[] = {
	{ "busybox:latest", "busybox:notlatest", false }, { RHEL "tagsuffix", RHEL, false },
	{ "library/busybox:latest", "busybox:notlatest", false }, { "busybox:latest", "library/busybox:notlatest", false },
	{ "docker.io/library/busybox:notlatest", "busybox:latest", false },
	{ "busybox:notlatest", "docker.io/library/busybox:latest", false }, { "busybox", "busybox:latest", false },
	{ "busybox:latest", "busybox", false }, { "busybox", "busybox" DS, false }, { "busybox" DS, "busybox", false },
	{ RHEL, RHEL_UNTAGGED, false }, { "busybox", "busybox", false }, { "busybox:latest", "busybox" DS, false },
	{ "busybox" DS, "busybox:latest", true }, { "busybox" DS, "busybox" DSO, true },
	{ "busybox:latest" DS, "busybox:latest", false }, { "busybox:latest" DS, "busybox:notlatest", false },
	{ "busybox:latest", "busybox:latest" DS, false }, { "busybox:latest" DS, "busybox:latest" DSO, false },
	{ "busybox:latest" DS, "busybox:notlatest" DSO, false },
};

/* @image as the image admitted (skipped when invalid, as testPossiblyInvalidImageAndSig does). */
static void match_case(int type, const char *a, const char *image, const char *sig, bool want)
{
	limg__identity id = { type, (char *)a, NULL };
	limg_reference *intended = NULL;

	if (image && limg_reference_parse_normalized(&intended, image) < 0) {
		limg_error_clear();
		return;
	}
	if (!image) { /* exactReference/exactRepository: the image is not looked at */
		ASSERT_OK(limg_reference_parse_normalized(&intended, "busybox:latest"));
	}
	if (limg__identity_matches(&id, intended, sig) != want)
		fail_msg("%s: %s%s%s vs %s: expected %s", limg__identity_name(type), image ? image : "", a ? " / " : "",
		         a ? a : "", sig, want ? "a match" : "no match");
	limg_reference_free(intended);
}

static void test_identity_tables(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof exact_table / sizeof *exact_table; i++) {
		const struct pair *t = &exact_table[i];
		match_case(LIMG_ID_MATCH_EXACT, NULL, t->a, t->b, t->result);
		match_case(LIMG_ID_MATCH_EXACT, NULL, t->b, t->a, t->result);
		if (t->result) {
			match_case(LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->a, t->b, true);
			match_case(LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->b, t->a, true);
		}
		match_case(LIMG_ID_EXACT_REFERENCE, t->a, NULL, t->b, t->result);
		match_case(LIMG_ID_EXACT_REFERENCE, t->b, NULL, t->a, t->result);
	}
	for (size_t i = 0; i < sizeof repository_table / sizeof *repository_table; i++) {
		const struct pair *t = &repository_table[i];
		match_case(LIMG_ID_MATCH_REPOSITORY, NULL, t->a, t->b, t->result);
		match_case(LIMG_ID_MATCH_REPOSITORY, NULL, t->b, t->a, t->result);
		if (!t->result) {
			match_case(LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->a, t->b, false);
			match_case(LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->b, t->a, false);
		}
		match_case(LIMG_ID_EXACT_REPOSITORY, t->a, NULL, t->b, t->result);
		match_case(LIMG_ID_EXACT_REPOSITORY, t->b, NULL, t->a, t->result);
	}
	for (size_t i = 0; i < sizeof repo_digest_or_exact_table / sizeof *repo_digest_or_exact_table; i++) {
		const struct pair *t = &repo_digest_or_exact_table[i];
		match_case(LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->a, t->b, t->result);
	}
}

/* TestPRMRemapIdentityRemapReferencePrefix and ...RefMatchesPrefix. */
static void test_identity_remap(void **state)
{
	static const struct {
		const char *prefix, *signed_prefix, *ref, *expected;
	} cases[] = {
		{ "mirror.example", "vendor.example", "mirror.example/ns/image:tag", "vendor.example/ns/image:tag" },
		{ "mirror.example", "vendor.example", "different.com/ns/image:tag", "different.com/ns/image:tag" },
		{ "mirror.example/ns", "vendor.example/vendor-ns", "mirror.example/different-ns/image:tag",
		  "mirror.example/different-ns/image:tag" },
		{ "docker.io", "not-docker-signed.example/ns", "busybox", "not-docker-signed.example/ns/library/busybox" },
		{ "example.com/mirror", "example.com/vendor", "example.com/mirror/image:tag", "example.com/vendor/image:tag" },
		{ "example.com/ns/mirror", "example.com/ns/vendor", "example.com/ns/mirror:tag", "example.com/ns/vendor:tag" },
		{ "mirror.example", "vendor.example", "prefixmirror.example/ns/image:tag", "prefixmirror.example/ns/image:tag" },
		{ "docker.io", "not-docker-signed.example", "busybox", "not-docker-signed.example/library/busybox" },
		{ "docker.io/library", "not-docker-signed.example/ns", "busybox", "not-docker-signed.example/ns/busybox" },
		{ "docker.io/library/busybox", "not-docker-signed.example/ns/notbusybox", "busybox",
		  "not-docker-signed.example/ns/notbusybox" },
		{ "mirror.example", "vendor.example", "mirror.example/image", "vendor.example/image" },
		{ "mirror.example", "vendor.example", "mirror.example/image:tag", "vendor.example/image:tag" },
		{ "mirror.example", "vendor.example", "mirror.example/image" DS, "vendor.example/image" DS },
		{ "mirror.example", "vendor.example", "mirror.example/image:tag" DS, "vendor.example/image:tag" DS },
		{ "mirror.example/ns/image", "vendor.example:5000", "mirror.example/ns/image:tag", NULL },
		{ "mirror.example/ns/image", "vendor.example:5000", "mirror.example/ns/image" DS, NULL },
		{ "mirror.example/ns/image", "notlocalhost", "mirror.example/ns/image:tag", NULL },
		/* prefixes match whole components only */
		{ "example.com:5000", "x.example", "example.com:50000/image", "example.com:50000/image" },
		{ "docker.io/library", "x.example", "docker.io/libraryy/image", "docker.io/libraryy/image" },
		{ "example.com/ns", "x.example", "example.com/ns/image:tag", "x.example/image:tag" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		limg_reference *ref, *got;
		ASSERT_OK(limg_reference_parse_normalized(&ref, cases[i].ref));
		got = limg__identity_remap(ref, cases[i].prefix, cases[i].signed_prefix);
		if (!cases[i].expected) {
			if (got)
				fail_msg("remap %zu: expected a failure, got %s", i, limg_reference_string(got));
		} else {
			limg_reference *want;
			ASSERT_OK(limg_reference_parse_normalized(&want, cases[i].expected));
			if (!got || strcmp(limg_reference_string(got), limg_reference_string(want)))
				fail_msg("remap %zu: expected %s, got %s", i, limg_reference_string(want),
				         got ? limg_reference_string(got) : "(failure)");
			limg_reference_free(want);
		}
		limg_reference_free(got);
		limg_reference_free(ref);
	}
}

/* ---- policies ------------------------------------------------------------ */

static void test_policy_files(void **state)
{
	limg_policy_opts o = LIMG_POLICY_OPTS_INIT;
	char *path = path_of(fixtures, "policy.json");
	limg_policy *p;
	(void)state;

	/* containers/image's own example (signedBy, signedBaseLayer, other transports) reads */
	o.registries_d = "";
	ASSERT_OK(limg_policy_load(&p, path, &o));
	limg_policy_free(p);
	free(path);
	assert_int_equal(limg_policy_load(&p, "/nonexistent/policy.json", &o), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_FILE);
	assert_null(p);
}

static void test_policy_invalid(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"default\":[]}", "{\"default\":null}",
		"{\"default\":[{\"type\":\"reject\"}],\"unknown\":1}",
		"{\"default\":[{\"type\":\"reject\"}],\"default\":[{\"type\":\"reject\"}]}",
		"{\"default\":[{\"type\":\"reject\",\"keyPath\":\"/x\"}]}",
		"{\"default\":[{\"type\":\"unknownType\"}]}",
		"{\"default\":[{\"Type\":\"reject\"}]}",
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":null}",
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"x.example\":[]}}}",
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":[]}}",
		"{\"default\":[{\"type\":\"sigstoreSigned\"}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"keyData\":\"\"}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPaths\":[]}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"\"}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"not base64!\"}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":{\"type\":\"matchExact\","
		"\"dockerReference\":\"x\"}}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":{\"type\":\"exactReference\","
		"\"dockerReference\":\"busybox\"}}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":{\"type\":\"exactRepository\","
		"\"dockerRepository\":\"UPPER\"}}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":{\"type\":\"remapIdentity\","
		"\"prefix\":\"docker.io/\",\"signedPrefix\":\"x.example\"}}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":{\"type\":\"remapIdentity\","
		"\"prefix\":\"docker.io\"}}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":{\"type\":\"unknown\"}}]}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"rekorPublicKeyPath\":\"/r\","
		"\"rekorPublicKeyData\":\"\"}]}",
		"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}]}",
		"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"NotAType\",\"keyPath\":\"/k\"}]}",
		"{\"default\":[{\"type\":\"signedBaseLayer\"}]}",
	};
	limg_policy_opts o = LIMG_POLICY_OPTS_INIT;
	limg_policy *p;
	(void)state;

	o.registries_d = "";
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = limg_policy_parse(&p, bad[i], strlen(bad[i]), &o);
		if (rc != LIMG_ECORRUPT)
			fail_msg("policy %zu: expected LIMG_ECORRUPT, got %d: %s", i, rc, bad[i]);
		assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_POLICY);
		assert_null(p);
	}
	/* the message says where */
	assert_int_equal(limg_policy_parse(&p, bad[7], strlen(bad[7]), &o), LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "default[0]"));
	assert_non_null(strstr(limg_error_message(limg_error_last()), "\"keyPath\""));
}

/* What a podman user writes: docker.io by key, a registry rejected, the rest accepted. */
static void test_policy_scopes(void **state)
{
	char *key = path_of(fixtures, "cosign.pub");
	limg_policy *p = policy_of(
		"{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"transports\":{\"docker\":{"
		"\"docker.io/library/busybox:1\":[{\"type\":\"reject\"}],"
		"\"docker.io/library\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s\"}],"
		"\"registry.example:5000\":[{\"type\":\"reject\"}],"
		"\"*.example.com\":[{\"type\":\"reject\"}],"
		"\"\":[{\"type\":\"insecureAcceptAnything\"}]},"
		"\"docker-daemon\":{\"\":[{\"type\":\"insecureAcceptAnything\"}]}}}",
		key);
	static const struct {
		const char *ref, *scope;
		bool accepted;
	} cases[] = {
		{ "busybox:1", "docker.io/library/busybox:1", false },
		{ "busybox:2", "docker.io/library", false },
		{ "redis", "docker.io/library", false },
		{ "someone/app", "", true },
		{ "registry.example:5000/team/app:1", "registry.example:5000", false },
		{ "registry.example/team/app:1", "", true },
		{ "a.b.example.com/app", "*.example.com", false },
		{ "quay.io/app", "", true },
	};
	const char *digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		limg_verdict *v;
		int rc = limg_policy_check(&v, p, cases[i].ref, digest, NULL, NULL);
		assert_int_equal(rc, cases[i].accepted ? 0 : LIMG_EREJECTED);
		assert_non_null(v);
		if (!limg_verdict_scope(v) || strcmp(limg_verdict_scope(v), cases[i].scope))
			fail_msg("%s: scope %s, expected %s", cases[i].ref, limg_verdict_scope(v) ? limg_verdict_scope(v) : "(default)",
			         cases[i].scope);
		assert_int_equal(limg_verdict_accepted(v), cases[i].accepted);
		assert_int_equal(limg_verdict_count(v), 1);
		assert_non_null(limg_verdict_reason(v, 0));
		assert_null(limg_verdict_reason(v, 1));
		if (!cases[i].accepted) {
			/* a rejection names the image and the scope */
			assert_non_null(strstr(limg_error_message(limg_error_last()), limg_verdict_image(v)));
			assert_non_null(strstr(limg_error_message(limg_error_last()), "scope"));
		}
		limg_verdict_free(v);
	}
	assert_true(limg__policy_needs_signatures(p, "redis"));
	assert_false(limg__policy_needs_signatures(p, "busybox:1"));
	assert_false(limg__policy_needs_signatures(p, "quay.io/app"));
	limg_policy_free(p);
	/* no transports: the default */
	p = policy_of("{\"default\":[{\"type\":\"reject\"}]}");
	{
		limg_verdict *v;
		assert_int_equal(limg_policy_check(&v, p, "busybox", digest, NULL, NULL), LIMG_EREJECTED);
		assert_null(limg_verdict_scope(v));
		assert_non_null(strstr(limg_verdict_message(v), "its default"));
		limg_verdict_free(v);
	}
	limg_policy_free(p);
	/* every requirement must hold; GPG is refused with a clear reason, never accepted */
	p = policy_of("{\"default\":[{\"type\":\"insecureAcceptAnything\"},{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\","
	              "\"keyPath\":\"/nonexistent\"}]}");
	{
		limg_verdict *v;
		assert_int_equal(limg_policy_check(&v, p, "busybox", digest, NULL, NULL), LIMG_EREJECTED);
		assert_true(limg_verdict_requirement_accepted(v, 0));
		assert_false(limg_verdict_requirement_accepted(v, 1));
		assert_string_equal(limg_verdict_requirement(v, 1), "signedBy");
		assert_non_null(strstr(limg_verdict_reason(v, 1), "GPG"));
		limg_verdict_free(v);
	}
	limg_policy_free(p);
	/* fulcio: read, and refused as unsupported */
	p = policy_of("{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"/x\"},"
	              "\"rekorPublicKeyPath\":\"/r\"}]}");
	{
		limg_verdict *v;
		assert_int_equal(limg_policy_check(&v, p, "busybox", digest, NULL, NULL), LIMG_EREJECTED);
		assert_non_null(strstr(limg_verdict_reason(v, 0), "not supported"));
		limg_verdict_free(v);
	}
	limg_policy_free(p);
	free(key);
}

/* ---- keys ------------------------------------------------------------------ */

static void test_keys(void **state)
{
	char *f;
	limg_key *k;
	limg_buf payload, sig;
	(void)state;

	/* RSA PKCS#1 v1.5 over SHA-256, signed by python3-cryptography */
	f = datafile("rsa-public.pem");
	ASSERT_OK(limg_key_load(&k, f));
	free(f);
	assert_string_equal(limg_key_algorithm(k), "rsa");
	f = datafile("rsa-payload.json");
	payload = slurp(f);
	free(f);
	f = datafile("rsa-payload.sig");
	sig = slurp(f);
	free(f);
	sig.ptr[strcspn(sig.ptr, "\n")] = '\0';
	ASSERT_OK(limg_key_verify(k, payload.ptr, payload.size, sig.ptr));
	payload.ptr[10] ^= 1;
	assert_int_equal(limg_key_verify(k, payload.ptr, payload.size, sig.ptr), LIMG_ESIGNATURE);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_SIGNATURE);
	assert_int_equal(limg_key_verify(k, payload.ptr, payload.size, "!!"), LIMG_ESIGNATURE);
	limg_key_free(k);
	limg_buf_dispose(&payload);
	limg_buf_dispose(&sig);

	/* DER works as PEM does */
	f = datafile("ec-public.der");
	ASSERT_OK(limg_key_load(&k, f));
	assert_string_equal(limg_key_algorithm(k), "ecdsa-p256");
	limg_key_free(k);
	free(f);

	/* refused, each with its reason */
	f = datafile("ed25519-public.pem");
	assert_int_equal(limg_key_load(&k, f), LIMG_EUNSUPPORTED);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_KEY);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "Ed25519"));
	assert_null(k);
	free(f);
	f = datafile("p384-public.pem");
	assert_int_equal(limg_key_load(&k, f), LIMG_EUNSUPPORTED);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "P-256"));
	free(f);
	f = datafile("rsa1024-public.pem");
	assert_int_equal(limg_key_load(&k, f), LIMG_EUNSUPPORTED);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "1024 bits"));
	free(f);
	f = datafile("ec-private.pem");
	assert_int_equal(limg_key_load(&k, f), LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "private key"));
	free(f);
	assert_int_equal(limg_key_parse(&k, "not a key", 9), LIMG_ECORRUPT);
	assert_int_equal(limg_key_load(&k, "/nonexistent/key.pub"), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_FILE);
}

/* Private keys: PKCS#8, SEC 1, and cosign's encrypted format (python3-nacl made it). */
static void test_signers(void **state)
{
	limg_signer_opts o = LIMG_SIGNER_OPTS_INIT;
	limg_signer *s;
	limg_key *k;
	limg_buf pub = LIMG_BUF_INIT, expect, sig = LIMG_BUF_INIT;
	char *f;
	(void)state;

	f = datafile("ec-private.pem");
	ASSERT_OK(limg_signer_load(&s, f, NULL));
	free(f);
	ASSERT_OK(limg_signer_public_key(&pub, s));
	f = datafile("ec-public.pem");
	expect = slurp(f);
	free(f);
	assert_string_equal(pub.ptr, expect.ptr);
	ASSERT_OK(limg_signer_sign(&sig, s, "hello", 5));
	ASSERT_OK(limg_key_parse(&k, expect.ptr, expect.size));
	ASSERT_OK(limg_key_verify(k, "hello", 5, sig.ptr));
	assert_int_equal(limg_key_verify(k, "hellO", 5, sig.ptr), LIMG_ESIGNATURE);
	{
		/* only the DER signature itself: a byte more or less, or r and s as raw bytes, do not verify */
		limg_buf der = LIMG_BUF_INIT, b64 = LIMG_BUF_INIT, raw = LIMG_BUF_INIT;
		size_t rlen, slen;
		assert_int_equal(limg__base64_decode(&der, sig.ptr, strlen(sig.ptr)), 0);
		assert_true(der.size > 8 && (unsigned char)der.ptr[0] == 0x30);
		ASSERT_OK(limg__buf_put(&raw, der.ptr, der.size));
		ASSERT_OK(limg__buf_put(&raw, "", 1));
		assert_int_equal(limg__base64_encode(&b64, raw.ptr, raw.size), 0);
		assert_int_equal(limg_key_verify(k, "hello", 5, b64.ptr), LIMG_ESIGNATURE);
		limg_buf_dispose(&b64);
		assert_int_equal(limg__base64_encode(&b64, der.ptr, der.size - 1), 0);
		assert_int_equal(limg_key_verify(k, "hello", 5, b64.ptr), LIMG_ESIGNATURE);
		limg_buf_dispose(&b64);
		limg_buf_dispose(&raw);
		/* SEQUENCE { INTEGER r, INTEGER s }: r and s without their DER, as IEEE P1363 has them */
		rlen = (unsigned char)der.ptr[3];
		slen = (unsigned char)der.ptr[5 + rlen];
		ASSERT_OK(limg__buf_put(&raw, der.ptr + 4, rlen));
		ASSERT_OK(limg__buf_put(&raw, der.ptr + 6 + rlen, slen));
		assert_int_equal(limg__base64_encode(&b64, raw.ptr, raw.size), 0);
		assert_int_equal(limg_key_verify(k, "hello", 5, b64.ptr), LIMG_ESIGNATURE);
		/* and a key that did not sign it */
		limg_key_free(k);
		f = datafile("other-public.pem");
		ASSERT_OK(limg_key_load(&k, f));
		free(f);
		assert_int_equal(limg_key_verify(k, "hello", 5, sig.ptr), LIMG_ESIGNATURE);
		limg_buf_dispose(&b64);
		limg_buf_dispose(&raw);
		limg_buf_dispose(&der);
	}
	limg_key_free(k);
	limg_signer_free(s);
	limg_buf_dispose(&expect);

	f = datafile("ec-sec1.pem");
	ASSERT_OK(limg_signer_load(&s, f, NULL));
	free(f);
	limg_signer_free(s);

	f = datafile("cosign.key");
	assert_int_equal(limg_signer_load(&s, f, NULL), LIMG_EINVALID);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_KEY);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "passphrase"));
	o.passphrase = "wrong";
	assert_int_equal(limg_signer_load(&s, f, &o), LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "wrong passphrase"));
	o.passphrase = "test-passphrase";
	ASSERT_OK(limg_signer_load(&s, f, &o));
	free(f);
	ASSERT_OK(limg_signer_public_key(&pub, s));
	f = datafile("cosign.pub");
	expect = slurp(f);
	free(f);
	assert_string_equal(pub.ptr, expect.ptr);
	limg_signer_free(s);
	limg_buf_dispose(&expect);
	limg_buf_dispose(&pub);
	limg_buf_dispose(&sig);

	/* only P-256 signs; a public key is no private key */
	f = datafile("ec-public.pem");
	assert_int_equal(limg_signer_load(&s, f, NULL), LIMG_ECORRUPT);
	free(f);
}

/* ---- DSSE and bundles ------------------------------------------------------ */

static void test_dsse_pae(void **state)
{
	limg_buf pae = LIMG_BUF_INIT;
	(void)state;

	/* secure-systems-lab/dsse protocol.md's example */
	assert_int_equal(limg__dsse_pae(&pae, "http://example.com/HelloWorld", "hello world", 11), 0);
	assert_int_equal(pae.size, strlen("DSSEv1 29 http://example.com/HelloWorld 11 hello world"));
	assert_memory_equal(pae.ptr, "DSSEv1 29 http://example.com/HelloWorld 11 hello world", pae.size);
	limg_buf_dispose(&pae);
}

#define IMAGE_DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define INDEX_DIGEST "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static limg_signer *test_signer(void)
{
	char *f = datafile("ec-private.pem");
	limg_signer *s;
	ASSERT_OK(limg_signer_load(&s, f, NULL));
	free(f);
	return s;
}

static int check_bundle(const char *policy_identity, const char *ref, const char *bundle, size_t len,
                        const char *index, int index_mode, limg_verdict **v)
{
	char *key = datafile("ec-public.pem");
	limg_policy_check_opts co = LIMG_POLICY_CHECK_OPTS_INIT;
	limg_policy *p = policy_of("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s\",\"signedIdentity\":%s}]}",
	                           key, policy_identity);
	limg_signatures *set;
	int rc;

	ASSERT_OK(limg_signatures_new(&set));
	ASSERT_OK(limg_signatures_add_bundle(set, bundle, len, "referrer"));
	co.index_digest = index;
	co.index_signatures = index_mode;
	rc = limg_policy_check(v, p, ref, IMAGE_DIGEST, set, &co);
	limg_signatures_free(set);
	limg_policy_free(p);
	free(key);
	return rc;
}

static void test_bundles(void **state)
{
	limg_signer *s = test_signer();
	limg_buf b = LIMG_BUF_INIT, b2 = LIMG_BUF_INIT;
	limg_verdict *v;
	(void)state;

	ASSERT_OK(limg_signature_bundle(&b, s, IMAGE_DIGEST, "registry.example/app"));
	assert_non_null(strstr(b.ptr, "\"mediaType\":\"" LIMG_MEDIA_SIGSTORE_BUNDLE "\""));
	assert_non_null(strstr(b.ptr, "\"hint\":\""));
	/* a bundle names no repository: matchRepository takes it, a tag needs one signed */
	ASSERT_OK(check_bundle(MATCH_REPOSITORY, "registry.example/app:1", b.ptr, b.size, NULL, 0, &v));
	assert_non_null(strstr(limg_verdict_reason(v, 0), "bundle signed by"));
	limg_verdict_free(v);
	assert_int_equal(check_bundle("{\"type\":\"matchRepoDigestOrExact\"}", "registry.example/app:1", b.ptr, b.size,
	                              NULL, 0, &v),
	                 LIMG_EREJECTED);
	assert_non_null(strstr(limg_verdict_reason(v, 0), "no repository or tag"));
	limg_verdict_free(v);
	ASSERT_OK(check_bundle("{\"type\":\"matchRepoDigestOrExact\"}", "registry.example/app@" IMAGE_DIGEST, b.ptr, b.size,
	                       NULL, 0, &v));
	limg_verdict_free(v);
	assert_int_equal(check_bundle(MATCH_EXACT, "registry.example/app:1", b.ptr, b.size, NULL, 0, &v), LIMG_EREJECTED);
	limg_verdict_free(v);

	/* the index's signature admits its image unless told not to */
	ASSERT_OK(limg_signature_bundle(&b2, s, INDEX_DIGEST, "registry.example/app"));
	assert_int_equal(check_bundle(MATCH_REPOSITORY, "registry.example/app:1", b2.ptr, b2.size, NULL, 0, &v),
	                 LIMG_EREJECTED);
	assert_non_null(strstr(limg_verdict_reason(v, 0), "not the image's"));
	limg_verdict_free(v);
	ASSERT_OK(check_bundle(MATCH_REPOSITORY, "registry.example/app:1", b2.ptr, b2.size, INDEX_DIGEST,
	                       LIMG_INDEX_SIGNATURES_ACCEPT, &v));
	assert_non_null(strstr(limg_verdict_reason(v, 0), "(the index)"));
	limg_verdict_free(v);
	assert_int_equal(check_bundle(MATCH_REPOSITORY, "registry.example/app:1", b2.ptr, b2.size, INDEX_DIGEST,
	                              LIMG_INDEX_SIGNATURES_IGNORE, &v),
	                 LIMG_EREJECTED);
	limg_verdict_free(v);

	/* tampered: a byte of the envelope's payload changed */
	{
		char *p = strstr(b.ptr, "\"payload\":\"") + 20;
		*p = *p == 'A' ? 'B' : 'A';
		assert_int_equal(check_bundle(MATCH_REPOSITORY, "registry.example/app:1", b.ptr, b.size, NULL, 0, &v),
		                 LIMG_EREJECTED);
		limg_verdict_free(v);
	}
	/* malformed ones are kept and rejected with their reason */
	{
		static const char *const bad[] = {
			"{}", "[]", "{\"mediaType\":\"application/json\"}",
			"{\"mediaType\":\"" LIMG_MEDIA_SIGSTORE_BUNDLE "\",\"messageSignature\":{}}",
			"{\"mediaType\":\"" LIMG_MEDIA_SIGSTORE_BUNDLE "\",\"dsseEnvelope\":{\"payload\":\"e30=\","
			"\"payloadType\":\"text/plain\",\"signatures\":[{\"sig\":\"AA==\"}]}}",
			"{\"mediaType\":\"" LIMG_MEDIA_SIGSTORE_BUNDLE "\",\"dsseEnvelope\":{\"payload\":\"e30=\","
			"\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[]}}",
			"{\"mediaType\":\"" LIMG_MEDIA_SIGSTORE_BUNDLE "\",\"unknown\":1,\"dsseEnvelope\":{}}",
		};
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			assert_int_equal(check_bundle(MATCH_REPOSITORY, "registry.example/app:1", bad[i], strlen(bad[i]), NULL,
			                              0, &v),
			                 LIMG_EREJECTED);
			limg_verdict_free(v);
		}
	}
	/* an attestation signed by the key is no signature */
	{
		static const char stmt[] = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\","
		                           "\"digest\":{\"sha256\":\"1111111111111111111111111111111111111111111111111111111111"
		                           "111111\"}}],\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":{}}";
		limg_buf pae = LIMG_BUF_INIT, sig = LIMG_BUF_INIT, p64 = LIMG_BUF_INIT;
		char doc[4096];
		assert_int_equal(limg__dsse_pae(&pae, "application/vnd.in-toto+json", stmt, strlen(stmt)), 0);
		ASSERT_OK(limg_signer_sign(&sig, s, pae.ptr, pae.size));
		assert_int_equal(limg__base64_encode(&p64, stmt, strlen(stmt)), 0);
		snprintf(doc, sizeof doc,
		         "{\"mediaType\":\"%s\",\"verificationMaterial\":{},\"dsseEnvelope\":{\"payload\":\"%s\","
		         "\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"sig\":\"%s\"}]}}",
		         LIMG_MEDIA_SIGSTORE_BUNDLE, p64.ptr, sig.ptr);
		assert_int_equal(check_bundle(MATCH_REPOSITORY, "registry.example/app:1", doc, strlen(doc), NULL, 0, &v),
		                 LIMG_EREJECTED);
		assert_non_null(strstr(limg_verdict_reason(v, 0), "attestation"));
		limg_verdict_free(v);
		limg_buf_dispose(&pae);
		limg_buf_dispose(&sig);
		limg_buf_dispose(&p64);
	}
	limg_buf_dispose(&b);
	limg_buf_dispose(&b2);
	limg_signer_free(s);
}

/* Simple signing made by libimage's signer verifies, as the .sig tag holds it. */
static void test_simple_round_trip(void **state)
{
	limg_signer *s = test_signer();
	limg_buf payload = LIMG_BUF_INIT, sig = LIMG_BUF_INIT;
	char *key = datafile("ec-public.pem"), *other = datafile("other-public.pem");
	limg_policy *p = policy_of("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPaths\":[\"%s\",\"%s\"]}]}", other, key);
	limg_signatures *set;
	limg_verdict *v;
	(void)state;

	ASSERT_OK(limg_signature_payload(&payload, IMAGE_DIGEST, "registry.example/app:1"));
	ASSERT_OK(limg_signer_sign(&sig, s, payload.ptr, payload.size));
	ASSERT_OK(limg_signatures_new(&set));
	ASSERT_OK(limg_signatures_add_simple(set, payload.ptr, payload.size, sig.ptr, "sha256-1111.sig layer 1"));
	assert_int_equal(limg_signatures_count(set), 1);
	ASSERT_OK(limg_policy_check(&v, p, "registry.example/app:1", IMAGE_DIGEST, set, NULL));
	assert_non_null(strstr(limg_verdict_reason(v, 0), key));
	limg_verdict_free(v);
	/* another tag: the default matchRepoDigestOrExact refuses it */
	assert_int_equal(limg_policy_check(&v, p, "registry.example/app:2", IMAGE_DIGEST, set, NULL), LIMG_EREJECTED);
	limg_verdict_free(v);
	limg_signatures_free(set);
	limg_policy_free(p);
	limg_buf_dispose(&payload);
	limg_buf_dispose(&sig);
	limg_signer_free(s);
	free(key);
	free(other);
}

/* ---- registries.d ------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = path_of(dir, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	free(p);
}

static limg_policy *with_registries_d(const char *dir, int *rc)
{
	limg_policy_opts o = LIMG_POLICY_OPTS_INIT;
	limg_policy *p = NULL;
	const char *text = "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}";

	o.registries_d = dir;
	*rc = limg_policy_parse(&p, text, strlen(text), &o);
	return p;
}

static void test_registries_d(void **state)
{
	char *dir = make_tmpdir();
	limg_policy *p;
	int rc;
	(void)state;

	write_file(dir, "default.yaml", "# podman's file\ndefault-docker:\n  lookaside: file:///var/lib/containers/sigstore\n"
	                                "  use-sigstore-attachments: false\n");
	write_file(dir, "registry.yaml", "docker:\n  registry.example:\n    use-sigstore-attachments: yes\n"
	                                 "  registry.example/private:\n    use-sigstore-attachments: \"no-quoted\"\n");
	write_file(dir, "ignored.yml", "this: is not read");
	p = with_registries_d(dir, &rc);
	assert_int_equal(rc, LIMG_ECORRUPT); /* a quoted string is no boolean (yaml.v2 refuses it too) */
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_POLICY);
	if (!strstr(limg_error_message(limg_error_last()), "registry.yaml, line 5"))
		fail_msg("%s", limg_error_message(limg_error_last()));
	assert_null(p);
	write_file(dir, "registry.yaml", "docker:\n  registry.example:\n    use-sigstore-attachments: yes\n"
	                                 "  registry.example/private:\n    lookaside: https://sigs.example\n"
	                                 "  registry.example/public:\n    use-sigstore-attachments: Off\n"
	                                 "  quay.io/team:\n");
	p = with_registries_d(dir, &rc);
	ASSERT_OK(rc);
	assert_true(limg__policy_use_attachments(p, "registry.example/app:1"));
	assert_true(limg__policy_use_attachments(p, "registry.example/private/app")); /* falls through: not said there */
	assert_false(limg__policy_use_attachments(p, "registry.example/public/app"));
	assert_false(limg__policy_use_attachments(p, "quay.io/team/app"));
	assert_false(limg__policy_use_attachments(p, "busybox"));
	limg_policy_free(p);
	/* the default says yes */
	write_file(dir, "default.yaml", "default-docker:\n  use-sigstore-attachments: true\n");
	p = with_registries_d(dir, &rc);
	ASSERT_OK(rc);
	assert_true(limg__policy_use_attachments(p, "busybox"));
	assert_false(limg__policy_use_attachments(p, "registry.example/public/app"));
	limg_policy_free(p);
	/* a namespace in two files, default-docker twice, aliases, bad YAML */
	write_file(dir, "other.yaml", "docker:\n  registry.example:\n    use-sigstore-attachments: false\n");
	p = with_registries_d(dir, &rc);
	assert_int_equal(rc, LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "another file"));
	write_file(dir, "other.yaml", "default-docker:\n  use-sigstore-attachments: false\n");
	p = with_registries_d(dir, &rc);
	assert_int_equal(rc, LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "default-docker"));
	write_file(dir, "other.yaml", "a: &x [1, 2]\nb: *x\n");
	p = with_registries_d(dir, &rc);
	assert_int_equal(rc, LIMG_ECORRUPT);
	write_file(dir, "other.yaml", "docker: [unclosed\n");
	p = with_registries_d(dir, &rc);
	assert_int_equal(rc, LIMG_ECORRUPT);
	write_file(dir, "other.yaml", "docker:\n  x.example: {}\n  x.example: {}\n");
	p = with_registries_d(dir, &rc);
	assert_int_equal(rc, LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "twice"));
	/* a missing directory says nothing */
	p = with_registries_d("/nonexistent/registries.d", &rc);
	ASSERT_OK(rc);
	assert_false(limg__policy_use_attachments(p, "busybox"));
	limg_policy_free(p);
	rm_tree(dir);
}

/* podman's and skopeo's default policy: the user's file when it exists, else /etc's. */
static void test_policy_default_path(void **state)
{
	char *home = make_tmpdir(), *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL, path[512];
	limg_buf b = LIMG_BUF_INIT;
	FILE *f;

	(void)state;
	setenv("HOME", home, 1);
	assert_int_equal(limg_policy_default_path(&b), 0);
	assert_string_equal(b.ptr, "/etc/containers/policy.json");
	snprintf(path, sizeof path, "%s/.config", home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/.config/containers", home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/.config/containers/policy.json", home);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"default\":[{\"type\":\"reject\"}]}", f);
	fclose(f);
	assert_int_equal(limg_policy_default_path(&b), 0);
	assert_string_equal(b.ptr, path);
	setenv("HOME", "", 1); /* no home: /etc's */
	assert_int_equal(limg_policy_default_path(&b), 0);
	assert_string_equal(b.ptr, "/etc/containers/policy.json");
	assert_int_equal(limg_policy_default_path(NULL), LIMG_EINVALID);
	if (old)
		setenv("HOME", old, 1);
	else
		unsetenv("HOME");
	free(old);
	limg_buf_dispose(&b);
	rm_tree(home);
}

/* The referrers tag of the OCI 1.1 fallback (and cosign's .sig tag before its suffix). */
static void test_referrers_tag(void **state)
{
	static const char hex[] = "a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";
	char digest[100], want[100];
	limg_buf b = LIMG_BUF_INIT;

	(void)state;
	snprintf(digest, sizeof digest, "sha256:%s", hex);
	snprintf(want, sizeof want, "sha256-%s", hex);
	assert_int_equal(limg_registry_referrers_tag(&b, digest), 0);
	assert_string_equal(b.ptr, want);
	/* not a digest: refused, nothing written */
	assert_int_equal(limg_registry_referrers_tag(&b, "sha256:xyz"), LIMG_EINVALID);
	assert_int_equal(limg_registry_referrers_tag(&b, "latest"), LIMG_EINVALID);
	assert_int_equal(limg_registry_referrers_tag(&b, NULL), LIMG_EINVALID);
	assert_int_equal(limg_registry_referrers_tag(NULL, digest), LIMG_EINVALID);
	assert_string_equal(b.ptr, want);
	limg_buf_dispose(&b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cimage_signature_accepted),
		cmocka_unit_test(test_cimage_running_image_allowed),
		cmocka_unit_test(test_payload_strict),
		cmocka_unit_test(test_payload_written),
		cmocka_unit_test(test_identity_tables),
		cmocka_unit_test(test_identity_remap),
		cmocka_unit_test(test_policy_files),
		cmocka_unit_test(test_policy_default_path),
		cmocka_unit_test(test_referrers_tag),
		cmocka_unit_test(test_policy_invalid),
		cmocka_unit_test(test_policy_scopes),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_signers),
		cmocka_unit_test(test_dsse_pae),
		cmocka_unit_test(test_bundles),
		cmocka_unit_test(test_simple_round_trip),
		cmocka_unit_test(test_registries_d),
	};

	/* (ctest's valgrind rows pass an empty argument first: skipped) */
	for (int i = 1; i < argc; i++)
		if (*argv[i] && !fixtures)
			fixtures = argv[i];
		else if (*argv[i] && !data)
			data = argv[i];
	if (!fixtures || !data) {
		fprintf(stderr, "usage: %s FIXTURES DATA\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
