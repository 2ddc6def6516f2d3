/* auth and http helpers: WWW-Authenticate parsing, base64, origins, Retry-After, Docker's config.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth/challenge.h"
#include "core/base64.h"
#include "helpers.h"
#include "http/http.h"
#include "registry/registry_internal.h"

static void test_challenges(void **state)
{
	limg__challenge c[LIMG_CHALLENGES_MAX];
	size_t n;

	(void)state;
	assert_int_equal(limg__challenges_parse(c, &n, "Bearer realm=\"https://auth.docker.io/token\","
	                                              "service=\"registry.docker.io\",scope=\"repository:library/redis:pull\""),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].scheme, "bearer");
	assert_string_equal(c[0].realm, "https://auth.docker.io/token");
	assert_string_equal(c[0].service, "registry.docker.io");
	assert_string_equal(c[0].scope, "repository:library/redis:pull");
	limg__challenges_free(c, n);

	/* several challenges, escapes, a scope with host:port, unknown parameters */
	assert_int_equal(limg__challenges_parse(c, &n, "Basic realm=\"a \\\"quoted\\\" realm\", charset=UTF-8, "
	                                              "BEARER realm=\"http://127.0.0.1:5000/token\" , "
	                                              "scope=\"repository:localhost:5000/x:pull\",error=insufficient_scope"),
	                 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].scheme, "basic");
	assert_string_equal(c[0].realm, "a \"quoted\" realm");
	assert_string_equal(c[1].scheme, "bearer");
	assert_string_equal(c[1].scope, "repository:localhost:5000/x:pull");
	assert_string_equal(c[1].error, "insufficient_scope");
	limg__challenges_free(c, n);

	assert_int_equal(limg__challenges_parse(c, &n, "Negotiate, Basic realm=x"), 0);
	assert_int_equal(n, 2);
	assert_null(c[0].realm);
	limg__challenges_free(c, n);

	static const char *const bad[] = { "", "realm=x", "Bearer realm=\"unterminated", "Bearer realm=", "Bearer ,,=",
		                           "Bearer realm=\"x\" junk" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (limg__challenges_parse(c, &n, bad[i]) != LIMG_EPROTOCOL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(n, 0);
	}
}

static void test_base64(void **state)
{
	limg_buf b = LIMG_BUF_INIT;

	(void)state;
	assert_int_equal(limg__base64_encode(&b, "alice:s3cret", 12), 0);
	assert_string_equal(b.ptr, "YWxpY2U6czNjcmV0");
	assert_int_equal(limg__base64_encode(&b, "ab", 2), 0);
	assert_string_equal(b.ptr, "YWI=");
	assert_int_equal(limg__base64_decode(&b, "YWI=", 4), 0);
	assert_int_equal(b.size, 2);
	assert_memory_equal(b.ptr, "ab", 2);
	assert_int_equal(limg__base64_decode(&b, "Y!I=", 4), LIMG_EINVALID);
	assert_int_equal(limg__base64_decode(&b, "YW=I", 4), LIMG_EINVALID);
	limg_buf_dispose(&b);
}

static void test_origins(void **state)
{
	(void)state;
	assert_true(limg__http_same_origin("https://r.io/v2/a", "https://R.IO:443/v2/b?x=1"));
	assert_false(limg__http_same_origin("https://r.io/v2/a", "http://r.io/v2/a"));
	assert_false(limg__http_same_origin("http://127.0.0.1:5000/", "http://127.0.0.1:5001/"));
	assert_false(limg__http_same_origin("https://r.io/", "https://cdn.r.io/"));
	assert_false(limg__http_same_origin("https://r.io/", "not a url"));
}

static void test_retry_after(void **state)
{
	char date[64];
	time_t later = time(NULL) + 120;
	struct tm tm;

	(void)state;
	assert_int_equal(limg__retry_after_seconds("7"), 7);
	assert_int_equal(limg__retry_after_seconds("-3"), 0);
	assert_int_equal(limg__retry_after_seconds(NULL), -1);
	assert_int_equal(limg__retry_after_seconds("soon"), -1);
	gmtime_r(&later, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	long s = limg__retry_after_seconds(date);
	assert_true(s >= 118 && s <= 120);
}

static void write_config(const char *dir, const char *json)
{
	char *path = path_in(dir, "config.json");
	FILE *f = fopen(path, "w");
	fputs(json, f);
	fclose(f);
	free(path);
}

static void test_docker_config(void **state)
{
	char *dir = make_tmpdir();
	limg_buf user = LIMG_BUF_INIT, secret = LIMG_BUF_INIT;

	(void)state;
	/* Docker Hub's key, a legacy URL key, an identity token */
	write_config(dir, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
	                  "\"https://old.example.com/v1/\":{\"auth\":\"b2xkOm9sZHB3\"},"
	                  "\"id.example.com\":{\"identitytoken\":\"refresh-1\"}}}");
	assert_int_equal(limg_credentials_lookup(&user, &secret, "docker.io", dir), 0);
	assert_string_equal(user.ptr, "hub");
	assert_string_equal(secret.ptr, "hubpw");
	assert_int_equal(limg_credentials_lookup(&user, &secret, "old.example.com", dir), 0);
	assert_string_equal(user.ptr, "old");
	assert_int_equal(limg_credentials_lookup(&user, &secret, "id.example.com", dir), 0);
	assert_string_equal(user.ptr, "<token>");
	assert_string_equal(secret.ptr, "refresh-1");
	assert_int_equal(limg_credentials_lookup(&user, &secret, "other.example.com", dir), LIMG_ENOTFOUND);
	/* damaged files are named, and secrets are not */
	write_config(dir, "{\"auths\":{\"x.io\":{\"auth\":\"not base64 at all!\"}}}");
	assert_int_equal(limg_credentials_lookup(&user, &secret, "x.io", dir), LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "config.json"));
	write_config(dir, "{broken");
	assert_int_equal(limg_credentials_lookup(&user, &secret, "x.io", dir), LIMG_ECORRUPT);
	/* no file at all: simply none */
	char *empty = path_in(dir, "nowhere");
	assert_int_equal(limg_credentials_lookup(&user, &secret, "x.io", empty), LIMG_ENOTFOUND);
	free(empty);
	limg_buf_dispose(&user);
	limg_buf_dispose(&secret);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenges),  cmocka_unit_test(test_base64),        cmocka_unit_test(test_origins),
		cmocka_unit_test(test_retry_after), cmocka_unit_test(test_docker_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
