/* SPDX-License-Identifier: MIT */
/* reference: the public API beyond the conformance vectors: Docker's own
 * examples, argument checks, messages, copies, ordering and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libimage/libimage.h"

#define DGST "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

static void test_docker_examples(void **state)
{
	static const struct {
		const char *in, *domain, *path, *tag, *digest, *canonical, *familiar;
	} cases[] = {
		{ "redis", "docker.io", "library/redis", "latest", NULL, "docker.io/library/redis:latest", "redis:latest" },
		{ "redis:latest", "docker.io", "library/redis", "latest", NULL, "docker.io/library/redis:latest",
		  "redis:latest" },
		{ "mongo:4.2.24", "docker.io", "library/mongo", "4.2.24", NULL, "docker.io/library/mongo:4.2.24",
		  "mongo:4.2.24" },
		{ "busybox:glibc", "docker.io", "library/busybox", "glibc", NULL, "docker.io/library/busybox:glibc",
		  "busybox:glibc" },
		{ "nigelpoulton/tu-demo:v2", "docker.io", "nigelpoulton/tu-demo", "v2", NULL,
		  "docker.io/nigelpoulton/tu-demo:v2", "nigelpoulton/tu-demo:v2" },
		{ "gcr.io/google-containers/git-sync:v3.1.5", "gcr.io", "google-containers/git-sync", "v3.1.5", NULL,
		  "gcr.io/google-containers/git-sync:v3.1.5", "gcr.io/google-containers/git-sync:v3.1.5" },
		{ "mcr.microsoft.com/powershell:latest", "mcr.microsoft.com", "powershell", "latest", NULL,
		  "mcr.microsoft.com/powershell:latest", "mcr.microsoft.com/powershell:latest" },
		{ "index.docker.io/library/alpine", "docker.io", "library/alpine", "latest", NULL,
		  "docker.io/library/alpine:latest", "alpine:latest" },
		{ "alpine@" DGST, "docker.io", "library/alpine", NULL, DGST, "docker.io/library/alpine@" DGST,
		  "alpine@" DGST },
		/* docker pull drops the tag when a digest pins the image */
		{ "alpine:3.19@" DGST, "docker.io", "library/alpine", NULL, DGST, "docker.io/library/alpine@" DGST,
		  "alpine@" DGST },
		{ "localhost:5000/team/app:1", "localhost:5000", "team/app", "1", NULL, "localhost:5000/team/app:1",
		  "localhost:5000/team/app:1" },
		{ "[::1]:5000/app", "[::1]:5000", "app", "latest", NULL, "[::1]:5000/app:latest", "[::1]:5000/app:latest" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		limg_reference *r = NULL;
		if (limg_reference_parse_docker(&r, cases[i].in) != 0)
			fail_msg("%s: %s", cases[i].in, limg_error_message(limg_error_last()));
		assert_string_equal(limg_reference_domain(r), cases[i].domain);
		assert_string_equal(limg_reference_path(r), cases[i].path);
		if (cases[i].tag)
			assert_string_equal(limg_reference_tag(r), cases[i].tag);
		else
			assert_null(limg_reference_tag(r));
		if (cases[i].digest)
			assert_string_equal(limg_reference_digest(r), cases[i].digest);
		else
			assert_null(limg_reference_digest(r));
		assert_string_equal(limg_reference_string(r), cases[i].canonical);
		assert_string_equal(limg_reference_familiar_string(r), cases[i].familiar);
		limg_reference_free(r);
	}
}

static void test_null_arguments(void **state)
{
	limg_reference *r = (limg_reference *)&r, *base = NULL;
	int m;

	(void)state;
	assert_int_equal(limg_reference_parse(&r, NULL), LIMG_EINVALID);
	assert_null(r);
	assert_int_equal(limg_reference_parse(NULL, "redis"), LIMG_EINVALID);
	assert_int_equal(limg_reference_parse_normalized(NULL, "redis"), LIMG_EINVALID);
	assert_int_equal(limg_reference_parse_docker(&r, NULL), LIMG_EINVALID);
	assert_int_equal(limg_reference_parse_any(&r, NULL), LIMG_EINVALID);
	assert_int_equal(limg_reference_parse_name(&r, NULL), LIMG_EINVALID);
	assert_int_equal(limg_reference_parse_canonical(&r, NULL), LIMG_EINVALID);
	assert_int_equal(limg_reference_with_tag(&r, NULL, "x"), LIMG_EINVALID);
	assert_int_equal(limg_reference_with_digest(&r, NULL, DGST), LIMG_EINVALID);
	assert_int_equal(limg_reference_with_default_tag(&r, NULL), LIMG_EINVALID);
	assert_int_equal(limg_reference_parse(&base, "redis"), 0);
	assert_int_equal(limg_reference_with_tag(&r, base, NULL), LIMG_EINVALID);
	assert_int_equal(limg_reference_familiar_match(NULL, base, "*"), LIMG_EINVALID);
	assert_int_equal(limg_reference_familiar_match(&m, base, NULL), LIMG_EINVALID);
	limg_reference_free(base);
	assert_null(limg_reference_string(NULL));
	assert_null(limg_reference_tag(NULL));
	limg_reference_free(NULL);
}

static void test_messages_name_the_input(void **state)
{
	limg_reference *r;

	(void)state;
	assert_int_equal(limg_reference_parse(&r, "foo bar"), LIMG_EREF_FORMAT);
	assert_string_equal(limg_error_message(limg_error_last()), "invalid reference format: \"foo bar\"");
	assert_int_equal(limg_reference_parse_docker(&r, "Redis"), LIMG_EREF_UPPERCASE);
	assert_string_equal(limg_error_message(limg_error_last()),
	                    "invalid reference format: repository name (library/Redis) must be lowercase");
	assert_int_equal(limg_reference_parse_canonical(&r, "redis"), LIMG_EREF_NOTCANONICAL);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "docker.io/library/redis"));
	assert_int_equal(limg_reference_parse(&r, "a@sha256:abc\x01"), LIMG_EREF_FORMAT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "\\x01"));
}

static void test_with_and_default_tag(void **state)
{
	limg_reference *base, *tagged, *pinned, *bare, *copy;

	(void)state;
	assert_int_equal(limg_reference_parse_normalized(&base, "redis"), 0);
	assert_null(limg_reference_tag(base));
	assert_int_equal(limg_reference_with_default_tag(&tagged, base), 0);
	assert_string_equal(limg_reference_string(tagged), "docker.io/library/redis:latest");
	assert_string_equal(limg_reference_familiar_string(tagged), "redis:latest");

	assert_int_equal(limg_reference_with_digest(&pinned, tagged, DGST), 0);
	assert_string_equal(limg_reference_string(pinned), "docker.io/library/redis:latest@" DGST);
	/* a pinned reference keeps what it has */
	assert_int_equal(limg_reference_with_default_tag(&copy, pinned), 0);
	assert_string_equal(limg_reference_string(copy), limg_reference_string(pinned));
	limg_reference_free(copy);

	assert_int_equal(limg_reference_with_tag(&copy, base, ".bad"), LIMG_EREF_TAG);
	assert_int_equal(limg_reference_with_digest(&copy, base, "sha256:short"), LIMG_EREF_DIGEST);

	/* a bare digest has no name to tag */
	assert_int_equal(limg_reference_parse_any(&bare, DGST), 0);
	assert_null(limg_reference_name(bare));
	assert_null(limg_reference_path(bare));
	assert_null(limg_reference_familiar_name(bare));
	assert_string_equal(limg_reference_familiar_string(bare), DGST);
	assert_int_equal(limg_reference_with_tag(&copy, bare, "x"), LIMG_EINVALID);
	assert_int_equal(limg_reference_with_default_tag(&copy, bare), 0);
	assert_string_equal(limg_reference_string(copy), DGST);
	limg_reference_free(copy);

	limg_reference_free(bare);
	limg_reference_free(pinned);
	limg_reference_free(tagged);
	limg_reference_free(base);
}

static void test_compare(void **state)
{
	const char *in[] = { "b:1", "a", "a:1@" DGST, DGST, "a@" DGST, "a:1" };
	const char *want[] = { "docker.io/library/a:1@" DGST, "docker.io/library/a:1", "docker.io/library/b:1",
		               "docker.io/library/a@" DGST, "docker.io/library/a", DGST };
	limg_reference *r[6];

	(void)state;
	for (int i = 0; i < 6; i++)
		assert_int_equal(limg_reference_parse_any(&r[i], in[i]), 0);
	/* insertion sort with the public comparison */
	for (int i = 1; i < 6; i++)
		for (int j = i; j > 0 && limg_reference_compare(r[j - 1], r[j]) > 0; j--) {
			limg_reference *t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	for (int i = 0; i < 6; i++) {
		assert_string_equal(limg_reference_string(r[i]), want[i]);
		assert_int_equal(limg_reference_compare(r[i], r[i]), 0);
		limg_reference_free(r[i]);
	}
}

static void test_familiar_match_like_docker_images(void **state)
{
	limg_reference *r;
	int m;

	(void)state;
	assert_int_equal(limg_reference_parse_docker(&r, "redis"), 0);
	assert_int_equal(limg_reference_familiar_match(&m, r, "redis"), 0);
	assert_true(m);
	assert_int_equal(limg_reference_familiar_match(&m, r, "redis:latest"), 0);
	assert_true(m);
	assert_int_equal(limg_reference_familiar_match(&m, r, "red*"), 0);
	assert_true(m);
	assert_int_equal(limg_reference_familiar_match(&m, r, "*/redis"), 0);
	assert_false(m);
	assert_int_equal(limg_reference_familiar_match(&m, r, "redis:[a-z]*"), 0);
	assert_true(m);
	assert_int_equal(limg_reference_familiar_match(&m, r, "redis:\\"), LIMG_EPATTERN);
	assert_int_equal(limg_reference_familiar_match(&m, r, "x[a-"), LIMG_EPATTERN);
	assert_false(m);
	limg_reference_free(r);
}

static void test_hostile_input(void **state)
{
	size_t big = 1 << 20;
	char *s = malloc(big + 1);
	limg_reference *r = NULL;

	(void)state;
	memset(s, 'a', big);
	s[big] = '\0';
	assert_int_equal(limg_reference_parse(&r, s), LIMG_EREF_TOOLONG);
	assert_int_equal(limg_reference_parse_docker(&r, s), LIMG_EREF_TOOLONG);
	assert_true(strlen(limg_error_message(limg_error_last())) < 1024);
	for (size_t i = 0; i < big; i += 2)
		s[i] = '/';
	assert_int_equal(limg_reference_parse_docker(&r, s), LIMG_EREF_FORMAT);
	memset(s, ':', big);
	assert_int_equal(limg_reference_parse_any(&r, s), LIMG_EREF_FORMAT);
	memset(s, '\xff', big);
	assert_int_equal(limg_reference_parse(&r, s), LIMG_EREF_FORMAT);
	assert_null(r);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_examples),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_messages_name_the_input),
		cmocka_unit_test(test_with_and_default_tag),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_familiar_match_like_docker_images),
		cmocka_unit_test(test_hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
