/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: containers-policy.json(5) and registries.d on arbitrary
 * bytes. Input: a first byte choosing what the rest is, a policy (even) or
 * a registries.d YAML file read beside a fixed policy (odd). A policy that
 * parses must give a verdict for any image, one that says why, and must
 * never accept a signature it was not given; what is refused is refused
 * with a code and a subject.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libimage/libimage.h"

static const char *const images[] = {
	"docker.io/library/busybox:latest",
	"registry.example.com/team/app@sha256:0000000000000000000000000000000000000000000000000000000000000001",
	"localhost:5000/a/b/c:v1",
};
#define DIGEST "sha256:0000000000000000000000000000000000000000000000000000000000000001"

/* A policy that needs signatures where registries.d matters. */
static const char base_policy[] =
	"{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"transports\":{\"docker\":{"
	"\"registry.example.com\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZr"
	"d0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFNjdTZnNDdVNEMWE5K0ZOTTFNOCtwRmpid1U5Zgp0RU55UnphNk1OQyswWm5yMTVo"
	"Q0JxUEs2UFByQTZadHRITTJwZGNRSzE1TzJQRmZVQ3RYa1lEQnFnPT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg==\"}]}}}";

static void check_policy(const limg_policy *policy)
{
	limg_signatures *none = NULL;

	assert(limg_signatures_new(&none) == 0);
	for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
		for (int with = 0; with < 2; with++) {
			limg_verdict *v = NULL;
			int rc = limg_policy_check(&v, policy, images[i], DIGEST, with ? none : NULL, NULL);
			if (rc != 0 && rc != LIMG_EREJECTED) {
				assert(!v);
				continue;
			}
			assert(v);
			assert((rc == 0) == (limg_verdict_accepted(v) != 0));
			assert(limg_verdict_message(v) && limg_verdict_image(v));
			for (size_t k = 0; k < limg_verdict_count(v); k++) {
				assert(limg_verdict_requirement(v, k));
				/* without signatures only insecureAcceptAnything holds */
				if (limg_verdict_requirement_accepted(v, k))
					assert(!strcmp(limg_verdict_requirement(v, k), "insecureAcceptAnything"));
				else
					assert(limg_verdict_reason(v, k));
			}
			limg_verdict_free(v);
		}
	}
	limg_signatures_free(none);
}

static char dir[64]; /* the registries.d directory, made once */

static void cleanup(void)
{
	char file[96];

	snprintf(file, sizeof file, "%s/fuzz.yaml", dir);
	unlink(file);
	rmdir(dir);
}

static void refused(int rc)
{
	const limg_error *e = limg_error_last();

	assert(rc < 0 && limg_error_code(e) == rc);
	assert(limg_error_message(e) && *limg_error_message(e));
	assert(limg_error_subject(e) != LIMG_SUBJECT_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	limg_policy_opts opts = LIMG_POLICY_OPTS_INIT;
	limg_policy *policy = NULL;
	int rc;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		opts.registries_d = ""; /* none: the policy alone */
		rc = limg_policy_parse(&policy, (const char *)data + 1, size - 1, &opts);
	} else {
		char file[96];
		FILE *f;
		if (!*dir) {
			strcpy(dir, "/tmp/fuzz-registries-d-XXXXXX");
			assert(mkdtemp(dir));
			atexit(cleanup);
		}
		snprintf(file, sizeof file, "%s/fuzz.yaml", dir);
		assert((f = fopen(file, "wb")));
		assert(fwrite(data + 1, 1, size - 1, f) == size - 1 || size == 1);
		assert(fclose(f) == 0);
		opts.registries_d = dir;
		rc = limg_policy_parse(&policy, base_policy, sizeof base_policy - 1, &opts);
	}
	assert((rc == 0) == (policy != NULL));
	if (rc < 0)
		refused(rc);
	else
		check_policy(policy);
	limg_policy_free(policy);
	return 0;
}
