/* SPDX-License-Identifier: MIT */
/* digest: strict validation, known-answer hashes, streaming, verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libimage/libimage.h"
#include "helpers.h"
#include "digest/sha256_shani.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_ABC                                                                                          \
	"sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd" \
	"454d4423643ce80e2a9ac94fa54ca49f"
/* sha256 of one million 'a' (FIPS 180-2 test vector) */
#define SHA256_MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void test_validate(void **state)
{
	static const struct {
		const char *in;
		int code;
	} cases[] = {
		{ SHA256_ABC, 0 },
		{ SHA512_ABC, 0 },
		{ "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", LIMG_EDIGEST_FORMAT },
		{ "sha256:ba7816bf", LIMG_EDIGEST_LENGTH },
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad00", LIMG_EDIGEST_LENGTH },
		{ "sha384:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", LIMG_EDIGEST_UNSUPPORTED },
		{ "md5:0123", LIMG_EDIGEST_UNSUPPORTED },
		{ "SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", LIMG_EDIGEST_FORMAT },
		{ "", LIMG_EDIGEST_FORMAT },
		{ ":", LIMG_EDIGEST_FORMAT },
		{ "sha256:", LIMG_EDIGEST_FORMAT },
		{ ":abc", LIMG_EDIGEST_FORMAT },
		{ "sha256", LIMG_EDIGEST_FORMAT },
		/* anything that could walk out of blobs/<alg>/ is refused */
		{ "sha256:../../../../../../etc/passwd", LIMG_EDIGEST_LENGTH },
		{ "sha256:" "../../../../../../../../../../../../../../../../../../../../../a", LIMG_EDIGEST_FORMAT },
		{ "../sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", LIMG_EDIGEST_FORMAT },
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2001/ad", LIMG_EDIGEST_FORMAT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = limg_digest_validate(cases[i].in);
		if (rc != cases[i].code)
			fail_msg("%s: expected %s, got %s", cases[i].in, limg_error_name(cases[i].code),
			         limg_error_name(rc));
		if (rc)
			assert_non_null(strstr(limg_error_message(limg_error_last()), limg_strerror(rc)));
	}
	assert_int_equal(limg_digest_validate(NULL), LIMG_EINVALID);
}

static void test_embedded_nul_is_not_a_digest(void **state)
{
	char s[] = SHA256_ABC;

	(void)state;
	s[20] = '\0';
	assert_int_equal(limg_digest_validate(s), LIMG_EDIGEST_LENGTH);
}

static void test_parse_accessors(void **state)
{
	limg_digest *d = NULL, *e = NULL;

	(void)state;
	ASSERT_OK(limg_digest_parse(&d, SHA512_ABC));
	assert_string_equal(limg_digest_string(d), SHA512_ABC);
	assert_string_equal(limg_digest_hex(d), SHA512_ABC + 7);
	assert_int_equal(limg_digest_algorithm(d), LIMG_DIGEST_SHA512);
	ASSERT_OK(limg_digest_parse(&e, SHA512_ABC));
	assert_true(limg_digest_equal(d, e));
	limg_digest_free(e);
	ASSERT_OK(limg_digest_parse(&e, SHA256_ABC));
	assert_false(limg_digest_equal(d, e));
	limg_digest_free(e);
	limg_digest_free(d);

	d = (limg_digest *)&d;
	assert_int_equal(limg_digest_parse(&d, "sha256:zz"), LIMG_EDIGEST_LENGTH);
	assert_null(d);
	assert_int_equal(limg_digest_parse(NULL, SHA256_ABC), LIMG_EINVALID);
	limg_digest_free(NULL);
	assert_string_equal(limg_digest_algorithm_name(LIMG_DIGEST_SHA256), "sha256");
	assert_null(limg_digest_algorithm_name(77));
}

static void test_known_answers(void **state)
{
	limg_buf out = LIMG_BUF_INIT;

	(void)state;
	ASSERT_OK(limg_digest_compute(&out, LIMG_DIGEST_SHA256, NULL, 0));
	assert_string_equal(out.ptr, SHA256_EMPTY);
	ASSERT_OK(limg_digest_compute(&out, LIMG_DIGEST_SHA256, "abc", 3));
	assert_string_equal(out.ptr, SHA256_ABC);
	assert_int_equal(out.size, strlen(SHA256_ABC));
	ASSERT_OK(limg_digest_compute(&out, LIMG_DIGEST_SHA512, "abc", 3));
	assert_string_equal(out.ptr, SHA512_ABC);
	assert_int_equal(limg_digest_compute(&out, 99, "abc", 3), LIMG_EDIGEST_UNSUPPORTED);
	limg_buf_dispose(&out);
}

static void test_streaming_equals_one_shot(void **state)
{
	limg_hasher *h;
	const char *d, *again;
	char chunk[1000];

	(void)state;
	memset(chunk, 'a', sizeof chunk);
	ASSERT_OK(limg_hasher_new(&h, LIMG_DIGEST_SHA256));
	/* uneven pieces: 1, 999, then 999 x 1000 */
	ASSERT_OK(limg_hasher_update(h, chunk, 1));
	ASSERT_OK(limg_hasher_update(h, chunk, 999));
	for (int i = 0; i < 999; i++)
		ASSERT_OK(limg_hasher_update(h, chunk, sizeof chunk));
	ASSERT_OK(limg_hasher_update(h, NULL, 0));
	ASSERT_OK(limg_hasher_finish(&d, h));
	assert_string_equal(d, SHA256_MILLION_A);
	ASSERT_OK(limg_hasher_finish(&again, h));
	assert_string_equal(again, SHA256_MILLION_A);
	/* finished hashers refuse more data until reset */
	assert_int_equal(limg_hasher_update(h, "x", 1), LIMG_EINVALID);
	ASSERT_OK(limg_hasher_verify(h, SHA256_MILLION_A));
	ASSERT_OK(limg_hasher_reset(h));
	ASSERT_OK(limg_hasher_update(h, "abc", 3));
	ASSERT_OK(limg_hasher_verify(h, SHA256_ABC));
	limg_hasher_free(h);
	limg_hasher_free(NULL);
	assert_int_equal(limg_hasher_new(&h, 0), LIMG_EDIGEST_UNSUPPORTED);
	assert_null(h);
}

static void test_verify_buffer(void **state)
{
	(void)state;
	ASSERT_OK(limg_digest_verify(SHA256_ABC, "abc", 3));
	ASSERT_OK(limg_digest_verify(SHA512_ABC, "abc", 3));
	assert_int_equal(limg_digest_verify(SHA256_ABC, "abd", 3), LIMG_EDIGEST_MISMATCH);
	assert_non_null(strstr(limg_error_message(limg_error_last()), SHA256_ABC));
	assert_int_equal(limg_digest_verify("sha256:abc", "abc", 3), LIMG_EDIGEST_LENGTH);
	assert_int_equal(limg_digest_verify(NULL, "abc", 3), LIMG_EINVALID);
}

struct stream {
	const char *data;
	size_t len, pos, step;
	int fail_at_call, calls;
	int fail_value; /* what the failing call returns; 0: 42 */
};

static int read_stream(size_t *out_len, void *buf, size_t cap, void *payload)
{
	struct stream *s = payload;
	size_t n = s->len - s->pos;

	if (++s->calls == s->fail_at_call)
		return s->fail_value ? s->fail_value : 42;
	if (n > s->step)
		n = s->step;
	if (n > cap)
		n = cap;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	*out_len = n;
	return 0;
}

static void test_verify_stream(void **state)
{
	struct stream s = { "abc", 3, 0, 1, 0, 0, 0 };

	(void)state;
	ASSERT_OK(limg_digest_verify_stream(SHA256_ABC, read_stream, &s));
	assert_int_equal(s.calls, 4);
	s = (struct stream){ "abd", 3, 0, 2, 0, 0, 0 };
	assert_int_equal(limg_digest_verify_stream(SHA256_ABC, read_stream, &s), LIMG_EDIGEST_MISMATCH);
	/* a callback's stop follows errors.h: its positive value (42) is LIMG_EUSER ... */
	s = (struct stream){ "abc", 3, 0, 1, 2, 0, 0 };
	assert_int_equal(limg_digest_verify_stream(SHA256_ABC, read_stream, &s), LIMG_EUSER);
	assert_int_equal(s.calls, 2);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "42"));
	/* ... and a negative one comes back as it is */
	s = (struct stream){ "abc", 3, 0, 1, 2, 0, 0 };
	s.fail_value = -42;
	assert_int_equal(limg_digest_verify_stream(SHA256_ABC, read_stream, &s), -42);
	assert_int_equal(limg_digest_verify_stream(SHA256_ABC, NULL, &s), LIMG_EINVALID);
}

/* The SHA-NI path and the portable one agree on every length and split. */
static void test_fast_path_matches_portable(void **state)
{
	static unsigned char data[70000];
	limg_hasher *h;
	const char *d;
	char fast[80], portable[80];

	(void)state;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 9));
	for (size_t len = 0; len < sizeof data; len = len < 200 ? len + 1 : len * 3 + 17) {
		for (int pass = 0; pass < 2; pass++) {
			limg__sha256_shani_set_enabled(pass == 0);
			ASSERT_OK(limg_hasher_new(&h, LIMG_DIGEST_SHA256));
			/* uneven split: 1 byte, then 63, then the rest */
			size_t a = len < 1 ? len : 1, b = len - a < 63 ? len - a : 63;
			limg_hasher_update(h, data, a);
			limg_hasher_update(h, data + a, b);
			limg_hasher_update(h, data + a + b, len - a - b);
			ASSERT_OK(limg_hasher_finish(&d, h));
			strcpy(pass == 0 ? fast : portable, d);
			limg_hasher_free(h);
		}
		if (strcmp(fast, portable) != 0)
			fail_msg("length %zu: %s != %s", len, fast, portable);
	}
	limg__sha256_shani_set_enabled(true);
	print_message("SHA-NI %s on this CPU\n", limg__sha256_shani_available() ? "used" : "not available");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_embedded_nul_is_not_a_digest),
		cmocka_unit_test(test_parse_accessors),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_streaming_equals_one_shot),
		cmocka_unit_test(test_verify_buffer),
		cmocka_unit_test(test_verify_stream),
		cmocka_unit_test(test_fast_path_matches_portable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
