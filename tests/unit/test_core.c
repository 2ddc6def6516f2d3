/* SPDX-License-Identifier: MIT */
/* core: error codes and names, the thread-local last error, contexts, buffers, version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "libimage/libimage.h"
#include "core/core.h"
#include "core/json.h"
#include "tar/path.h"
#include "core/queue.h"
#include "core/strmap.h"
#include "helpers.h"

static void test_version(void **state)
{
	int major = -1, minor = -1, patch = -1;

	(void)state;
	assert_string_equal(limg_version(), LIBIMAGE_VERSION);
	assert_int_equal(limg_version_number(&major, &minor, &patch), LIBIMAGE_VERSION_NUMBER);
	assert_int_equal(major, LIBIMAGE_VERSION_MAJOR);
	assert_int_equal(minor, LIBIMAGE_VERSION_MINOR);
	assert_int_equal(patch, LIBIMAGE_VERSION_PATCH);
	assert_int_equal(limg_version_number(NULL, NULL, NULL), LIBIMAGE_VERSION_NUMBER);
}

/* Codes are ABI: their values must never change. */
static void test_error_codes_are_fixed(void **state)
{
	(void)state;
	assert_int_equal(LIMG_ERROR, -1);
	assert_int_equal(LIMG_EINVALID, -2);
	assert_int_equal(LIMG_ENOMEM, -3);
	assert_int_equal(LIMG_ITEROVER, -31);
	assert_int_equal(LIMG_EREF_FORMAT, -100);
	assert_int_equal(LIMG_EPATTERN, -108);
	assert_int_equal(LIMG_EDIGEST_FORMAT, -120);
	assert_int_equal(LIMG_EDIGEST_MISMATCH, -123);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(limg_error_name(LIMG_EREF_UPPERCASE), "LIMG_EREF_UPPERCASE");
	assert_string_equal(limg_error_name(LIMG_OK), "LIMG_OK");
	assert_null(limg_error_name(-9999));
	assert_string_equal(limg_strerror(LIMG_EREF_FORMAT), "invalid reference format");
	assert_string_equal(limg_strerror(-9999), "unknown error");
	/* every named code has a description of its own */
	for (int code = 0; code >= -200; code--)
		if (limg_error_name(code))
			assert_string_not_equal(limg_strerror(code), "unknown error");
}

static void test_last_error_never_null(void **state)
{
	const limg_error *e;

	(void)state;
	limg_error_clear();
	e = limg_error_last();
	assert_non_null(e);
	assert_int_equal(limg_error_code(e), LIMG_OK);
	assert_string_equal(limg_error_message(e), "no error");
	assert_int_equal(limg_error_http_status(e), 0);
	assert_string_equal(limg_error_registry_code(e), "");
	/* accessors accept NULL */
	assert_int_equal(limg_error_code(NULL), LIMG_OK);
	assert_non_null(limg_error_message(NULL));
	assert_string_equal(limg_error_registry_code(NULL), "");
}

static void test_error_details(void **state)
{
	const limg_error *e;

	(void)state;
	assert_int_equal(limg__error_set(LIMG_ENOTFOUND, "manifest %s not found", "x"), LIMG_ENOTFOUND);
	limg__error_set_http(404, "MANIFEST_UNKNOWN");
	e = limg_error_last();
	assert_int_equal(limg_error_code(e), LIMG_ENOTFOUND);
	assert_string_equal(limg_error_message(e), "manifest x not found");
	assert_int_equal(limg_error_http_status(e), 404);
	assert_string_equal(limg_error_registry_code(e), "MANIFEST_UNKNOWN");
	/* a new error resets the HTTP details */
	limg__error_set(LIMG_EINVALID, "y");
	assert_int_equal(limg_error_http_status(limg_error_last()), 0);
	assert_string_equal(limg_error_registry_code(limg_error_last()), "");
}

static void test_long_message_truncated(void **state)
{
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	limg__error_set(LIMG_ERROR, "%s", big);
	assert_true(strlen(limg_error_message(limg_error_last())) < sizeof big);
}

static void *other_thread(void *arg)
{
	(void)arg;
	limg__error_set(LIMG_EEXISTS, "from the other thread");
	return (void *)(intptr_t)limg_error_code(limg_error_last());
}

static void test_error_is_per_thread(void **state)
{
	pthread_t t;
	void *ret;

	(void)state;
	limg__error_set(LIMG_ENOMEM, "main thread");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((int)(intptr_t)ret, LIMG_EEXISTS);
	assert_int_equal(limg_error_code(limg_error_last()), LIMG_ENOMEM);
	assert_string_equal(limg_error_message(limg_error_last()), "main thread");
}

static void test_quote_hostile_bytes(void **state)
{
	char q[64];
	char big[300];

	(void)state;
	limg__quote(q, sizeof q, "a\n\"b\x01", 5);
	assert_string_equal(q, "\"a\\x0a\\x22b\\x01\"");
	memset(big, 'z', sizeof big);
	limg__quote(q, sizeof q, big, sizeof big);
	assert_true(strlen(q) < sizeof q);
	assert_int_equal(q[0], '"');
	assert_int_equal(q[strlen(q) - 1], '"');
}

struct log_seen {
	int calls;
	int level;
	char last[256];
};

static void on_log(int level, const char *message, void *payload)
{
	struct log_seen *seen = payload;
	seen->calls++;
	seen->level = level;
	snprintf(seen->last, sizeof seen->last, "%s", message);
}

static void test_context_defaults_and_log(void **state)
{
	limg_context *ctx = NULL;
	limg_context_opts opts = LIMG_CONTEXT_OPTS_INIT;
	struct log_seen seen = { 0, 0, "" };

	(void)state;
	ASSERT_OK(limg_context_new(&ctx, NULL));
	assert_string_equal(limg_context_user_agent(ctx), "libimage/" LIBIMAGE_VERSION);
	limg_context_free(ctx);

	opts.user_agent = "myapp/2";
	ASSERT_OK(limg_context_new(&ctx, &opts));
	assert_string_equal(limg_context_user_agent(ctx), "myapp/2");
	/* by default nothing is logged; the log is set on the context (1.0) */
	limg__log(ctx, LIMG_LOG_ERROR, "nobody listens yet");
	assert_int_equal(seen.calls, 0);
	ASSERT_OK(limg_context_set_log(ctx, on_log, LIMG_LOG_DEBUG, &seen));
	limg__log(ctx, LIMG_LOG_DEBUG, "at debug level");
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.level, LIMG_LOG_DEBUG);

	limg__log(ctx, LIMG_LOG_TRACE, "too verbose");
	assert_int_equal(seen.calls, 1);
	limg__log(ctx, LIMG_LOG_WARN, "warned %d", 7);
	assert_int_equal(seen.calls, 2);
	assert_string_equal(seen.last, "warned 7");
	assert_int_equal(seen.level, LIMG_LOG_WARN);

	ASSERT_OK(limg_context_set_log(ctx, NULL, LIMG_LOG_TRACE, NULL));
	limg__log(ctx, LIMG_LOG_ERROR, "nobody listens");
	assert_int_equal(seen.calls, 2);
	assert_int_equal(limg_context_set_log(ctx, on_log, 99, &seen), LIMG_EINVALID);
	limg_context_free(ctx);
	limg_context_free(NULL);
}

static void test_context_opts_versioning(void **state)
{
	limg_context *ctx = (limg_context *)&ctx;
	struct {
		limg_context_opts known;
		int future_field;
	} newer;
	limg_context_opts older;

	(void)state;
	/* size not set: misuse */
	memset(&older, 0, sizeof older);
	assert_int_equal(limg_context_new(&ctx, &older), LIMG_EINVALID);
	assert_null(ctx);

	/* an older caller knowing only the size field gets the defaults */
	ASSERT_OK(limg_context_opts_init(&older, sizeof(size_t)));
	ASSERT_OK(limg_context_new(&ctx, &older));
	assert_string_equal(limg_context_user_agent(ctx), "libimage/" LIBIMAGE_VERSION);
	limg_context_free(ctx);

	/* a newer caller: unknown fields left zero are fine, set ones are refused */
	ASSERT_OK(limg_context_opts_init(&newer.known, sizeof newer));
	assert_int_equal(newer.known.size, sizeof newer);
	assert_null(newer.known.user_agent); /* zero is the default */
	assert_int_equal(newer.future_field, 0);
	ASSERT_OK(limg_context_new(&ctx, &newer.known));
	limg_context_free(ctx);
	newer.future_field = 1;
	assert_int_equal(limg_context_new(&ctx, &newer.known), LIMG_EVERSION);
	assert_null(ctx);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_OPTIONS);
	assert_string_equal(limg_error_object(limg_error_last()), "limg_context_opts");

	assert_int_equal(limg_context_new(NULL, NULL), LIMG_EINVALID);
	assert_int_equal(limg_context_opts_init(NULL, sizeof older), LIMG_EINVALID);
	assert_int_equal(limg_context_opts_init(&older, 1), LIMG_EINVALID);
}

static void test_buf(void **state)
{
	limg_buf buf = LIMG_BUF_INIT;

	(void)state;
	assert_int_equal(limg__buf_put(&buf, "abc", 3), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(limg__buf_put(&buf, "0123456789", 10), 0);
	assert_int_equal(buf.size, 10003);
	assert_int_equal(strlen(buf.ptr), 10003);
	assert_true(buf.reserved > buf.size);
	limg_buf_dispose(&buf);
	assert_null(buf.ptr);
	assert_int_equal(buf.size, 0);
	limg_buf_dispose(&buf);
	limg_buf_dispose(NULL);
}

/* The strict JSON reader: what it accepts, what it refuses, and why. */
static void test_json_strictness(void **state)
{
	static const struct {
		const char *text;
		const char *why; /* NULL: accepted */
	} cases[] = {
		{ "{\"a\":[1,-2,3.5e-1,true,false,null,\"x\"],\"b\":{\"c\":{}}}", NULL },
		{ " {\"k\":\"\\u00e9\\ud83d\\ude00\\n\\/\"} ", NULL },
		{ "{\"labels\":{\"version\":\"1\",\"VERSION\":\"2\"}}", NULL }, /* not a field name */
		{ "{\"a\":1,\"a\":2}", "duplicate key" },
		{ "{\"b\":1,\"a\":{\"x\":1},\"b\":2}", "duplicate key" },
		{ "{\"layers\":[],\"LAYERS\":[]}", "duplicate key (as Go reads keys)" },
		{ "{\"mediaType\":\"a\",\"MediaType\":\"b\"}", "duplicate key (as Go reads keys)" },
		{ "{\"\xe2\x84\xaaind\":1,\"kind\":2}", NULL }, /* Kelvin sign: "kind" is not a field name */
		{ "{\"\xc5\xbf" "ize\":1,\"size\":2}", "duplicate key (as Go reads keys)" },
		{ "{\"a\":\"x\\u0000y\"}", "\\u0000" },
		{ "{\"a\":\"\\ud800\"}", "unpaired surrogate" },
		{ "{\"a\":\"\\udc00\"}", "unpaired surrogate" },
		{ "{\"a\":\"\xff\"}", "invalid UTF-8" },
		{ "{\"a\":\"\xc0\xaf\"}", "invalid UTF-8" },           /* overlong */
		{ "{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8" },       /* a surrogate, encoded */
		{ "{\"a\":\"tab\there\"}", "control character" },
		{ "[1,2,]", "trailing comma" },
		{ "{\"a\":01}", "expected \",\" or \"}\"" }, /* a leading zero */
		{ "{\"a\":1} {}", "text after the document" },
		{ "{\"a\":tru}", "bad literal" },
		{ "", "unexpected end" },
	};
	/* the field names of the documents read (as lib/manifest/fields.c names them) */
	static const char *const names[] = { "labels", "layers", "mediatype", "size" };
	static const limg__json_fields fields = { names, sizeof names / sizeof names[0] };
	char why[200], deep[300];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = limg__json_check(cases[i].text, strlen(cases[i].text), &fields, why, sizeof why);
		if (!cases[i].why) {
			if (rc != 0)
				fail_msg("case %zu refused: %s", i, why);
		} else if (rc == 0 || !strstr(why, cases[i].why)) {
			fail_msg("case %zu: expected \"%s\", got %s", i, cases[i].why, rc ? why : "accepted");
		}
	}
	/* nesting: 64 levels are fine, 65 are not */
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	assert_int_equal(limg__json_check(deep, 128, NULL, why, sizeof why), 0);
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	assert_int_equal(limg__json_check(deep, 130, NULL, why, sizeof why), -1);
	assert_non_null(strstr(why, "nested too deeply"));
}

static void test_json_reading(void **state)
{
	const char *text = "{\"n\":9223372036854775807,\"m\":-9223372036854775808,\"big\":9223372036854775808,"
	                   "\"f\":1.5,\"s\":\"a\\\"b\"}";
	limg_buf key = LIMG_BUF_INIT, str = LIMG_BUF_INIT, out = LIMG_BUF_INIT;
	limg__json j;
	int64_t v;

	limg__json_init(&j, text, strlen(text), NULL);
	assert_int_equal(limg__json_begin_object(&j), 0);
	assert_int_equal(limg__json_next_key(&j, &key), 1);
	assert_string_equal(key.ptr, "n");
	assert_int_equal(limg__json_int64(&j, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(limg__json_next_key(&j, &key), 1);
	assert_int_equal(limg__json_int64(&j, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(limg__json_next_key(&j, &key), 1);
	assert_int_equal(limg__json_int64(&j, &v), -1);
	assert_non_null(strstr(j.why, "out of range"));
	limg__json_dispose(&j);

	limg__json_init(&j, "{\"f\":1.5}", 9, NULL);
	assert_int_equal(limg__json_begin_object(&j), 0);
	assert_int_equal(limg__json_next_key(&j, &key), 1);
	assert_int_equal(limg__json_int64(&j, &v), -1); /* Go's int64 fields take no fractions */
	limg__json_dispose(&j);

	/* written back, a string reads the same */
	assert_int_equal(limg__json_put_string(&out, "q\"\\\n\x01\xc3\xa9", 7), 0);
	limg__json_init(&j, out.ptr, out.size, NULL);
	assert_int_equal(limg__json_string(&j, &str), 0);
	assert_int_equal(limg__json_finish(&j), 0);
	assert_string_equal(str.ptr, "q\"\\\n\x01\xc3\xa9");
	limg__json_dispose(&j);
	limg_buf_dispose(&key);
	limg_buf_dispose(&str);
	limg_buf_dispose(&out);
	(void)state;
}

/* Archive member names: any component length, ".." never above the start. */
static void test_path_clean(void **state)
{
	char out[400], wide[300];

	(void)state;
	assert_int_equal(limg__path_clean("./blobs//sha256/ab/", out, sizeof out, 0), 0);
	assert_string_equal(out, "blobs/sha256/ab");
	assert_int_equal(limg__path_clean("a/b/../../c/./d", out, sizeof out, 0), 0);
	assert_string_equal(out, "c/d");
	assert_int_equal(limg__path_clean("a/../..", out, sizeof out, 0), -1);
	memset(wide, 'x', sizeof wide - 1);
	wide[sizeof wide - 1] = '\0';
	assert_int_equal(limg__path_clean(wide, out, sizeof out, 0), 0); /* no name limit asked */
	assert_int_equal(limg__path_clean(wide, out, sizeof out, 255), -2);
	assert_int_equal(limg__path_clean(wide, out, 100, 0), -2);        /* does not fit */
}

/* A queue's worker reads its own name, as top -H and perf show it. */
static int note_thread_name(const void *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	return pthread_getname_np(pthread_self(), payload, 16) == 0 ? 0 : -1;
}

static void test_queue_names_its_thread(void **state)
{
	char seen[16] = "";
	limg__queue *q;

	(void)state;
	assert_int_equal(limg__queue_new(&q, 2, 16, note_thread_name, seen, "limg-test"), 0);
	assert_int_equal(limg__queue_put(q, "x", 1), 0);
	assert_int_equal(limg__queue_drain(q), 0);
	limg__queue_free(q);
	assert_string_equal(seen, "limg-test");
}

/* The string map: replaced values, growth past many keys, two maps keyed apart. */
static void test_strmap(void **state)
{
	limg__strmap a = LIMG_STRMAP_INIT, b = LIMG_STRMAP_INIT;
	static char keys[20000][16];
	size_t v;

	(void)state;
	assert_false(limg__strmap_get(&a, "absent", &v));
	for (size_t i = 0; i < 20000; i++) {
		snprintf(keys[i], sizeof keys[i], "m/%zu", i);
		assert_int_equal(limg__strmap_put(&a, keys[i], i), 0);
	}
	assert_int_equal(limg__strmap_put(&a, keys[7], 99999), 0); /* the last one wins */
	assert_int_equal(a.count, 20000);
	for (size_t i = 0; i < 20000; i++) {
		assert_true(limg__strmap_get(&a, keys[i], &v));
		assert_int_equal(v, i == 7 ? 99999 : i);
	}
	assert_false(limg__strmap_get(&a, "m/20000", &v));
	assert_int_equal(limg__strmap_put(&b, "x", 1), 0);
	assert_true(a.k0 != b.k0 || a.k1 != b.k1); /* a key of its own per map */
	limg__strmap_free(&a);
	limg__strmap_free(&b);
}

/* A token is requested when it or a linked parent is; at most three parents. */
static void test_cancel_tokens(void **state)
{
	limg_cancel *child, *parents[4];

	(void)state;
	ASSERT_OK(limg_cancel_new(&child));
	for (int i = 0; i < 4; i++)
		ASSERT_OK(limg_cancel_new(&parents[i]));
	for (int i = 0; i < 3; i++)
		ASSERT_OK(limg_cancel_link(child, parents[i]));
	assert_int_equal(limg_cancel_link(child, parents[3]), LIMG_EINVALID);
	assert_int_equal(limg_cancel_link(NULL, parents[0]), LIMG_EINVALID);
	assert_int_equal(limg_cancel_requested(child), 0);
	assert_int_equal(limg_cancel_requested(NULL), 0);
	limg_cancel_request(parents[3]); /* not linked: nothing */
	assert_int_equal(limg_cancel_requested(child), 0);
	limg_cancel_request(parents[1]);
	assert_int_equal(limg_cancel_requested(child), 1);
	assert_int_equal(limg_cancel_requested(parents[0]), 0); /* a parent learns nothing of its child */
	limg_cancel_free(child);
	for (int i = 0; i < 4; i++)
		limg_cancel_free(parents[i]);
	limg_cancel_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_error_codes_are_fixed),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_last_error_never_null),
		cmocka_unit_test(test_error_details),
		cmocka_unit_test(test_long_message_truncated),
		cmocka_unit_test(test_error_is_per_thread),
		cmocka_unit_test(test_quote_hostile_bytes),
		cmocka_unit_test(test_context_defaults_and_log),
		cmocka_unit_test(test_context_opts_versioning),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_json_strictness),
		cmocka_unit_test(test_json_reading),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_queue_names_its_thread),
		cmocka_unit_test(test_cancel_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
