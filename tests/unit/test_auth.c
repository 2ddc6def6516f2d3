/* SPDX-License-Identifier: MIT */
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
#include <cjson/cJSON.h>

#include "auth/challenge.h"
#include "core/base64.h"
#include "core/core.h"
#include "helpers.h"
#include "auth/auth.h"
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

/* Retry-After of an answer that carries @value (none when NULL). */
static long retry_after(const char *value)
{
	limg__http_resp resp;
	long seconds;

	limg__http_resp_init(&resp);
	if (value) {
		/* the headers as the client keeps them: "Name: value\0" lines */
		assert_int_equal(limg__buf_put(&resp.headers, "Retry-After: ", 13), 0);
		assert_int_equal(limg__buf_put(&resp.headers, value, strlen(value) + 1), 0);
	}
	seconds = limg__http_retry_after(&resp);
	limg__http_resp_dispose(&resp);
	return seconds;
}

static void test_retry_after(void **state)
{
	char date[64];
	time_t later = time(NULL) + 120;
	struct tm tm;

	(void)state;
	assert_int_equal(retry_after("7"), 7);
	assert_int_equal(retry_after("-3"), 0);
	assert_int_equal(retry_after(NULL), -1);
	assert_int_equal(retry_after("soon"), -1);
	gmtime_r(&later, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	long s = retry_after(date);
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
	ASSERT_OK(limg_credentials_lookup(&user, &secret, "docker.io", dir));
	assert_string_equal(user.ptr, "hub");
	assert_string_equal(secret.ptr, "hubpw");
	ASSERT_OK(limg_credentials_lookup(&user, &secret, "old.example.com", dir));
	assert_string_equal(user.ptr, "old");
	ASSERT_OK(limg_credentials_lookup(&user, &secret, "id.example.com", dir));
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

/* The credentials callback: an answer, anonymous, LIMG_PASSTHROUGH (config.json
 * as without a callback), or a stop by the callback return rule. Offline: a
 * Basic challenge is answered without a request. */
struct creds_cb {
	int ret;
	const char *user, *secret;
	int calls;
	char host[64];
};

static int give_creds(limg_buf *user, limg_buf *secret, const char *host, void *payload)
{
	struct creds_cb *c = payload;

	c->calls++;
	snprintf(c->host, sizeof c->host, "%s", host);
	if (c->user)
		ASSERT_OK(limg_buf_set(user, c->user, strlen(c->user)));
	if (c->secret)
		ASSERT_OK(limg_buf_set(secret, c->secret, strlen(c->secret)));
	return c->ret;
}

/* The Authorization a Basic challenge gets with @c; the code, and the header in @header. */
static int answer_basic(struct creds_cb *c, const char *config_dir, char header[256])
{
	limg__auth_opts o = { NULL, "x.example.com", give_creds, c, config_dir, false };
	limg__auth *a;
	char *out = NULL;
	int rc;

	header[0] = '\0';
	assert_int_equal(limg__auth_new(&a, &o), 0);
	rc = limg__auth_answer(a, NULL, "Basic realm=\"registry\"", "repository:team/app:pull", false, NULL, &out);
	if (rc == 0) {
		snprintf(header, 256, "%s", out);
		limg__free(out);
		/* credentials are loaded once per registry */
		assert_int_equal(limg__auth_answer(a, NULL, "Basic realm=\"registry\"", "repository:team/app:pull", false,
		                                   NULL, &out),
		                 0);
		limg__free(out);
		assert_int_equal(c->calls, 1);
	} else {
		assert_null(out);
	}
	limg__auth_free(a);
	return rc;
}

static void expect_basic(const char *header, const char *user_colon_secret)
{
	limg_buf enc = LIMG_BUF_INIT;
	char want[256];

	assert_int_equal(limg__base64_encode(&enc, user_colon_secret, strlen(user_colon_secret)), 0);
	snprintf(want, sizeof want, "Basic %s", enc.ptr);
	assert_string_equal(header, want);
	limg_buf_dispose(&enc);
}

static void test_credentials_callback(void **state)
{
	char *dir = make_tmpdir(), header[256];
	struct creds_cb c;

	(void)state;
	/* config.json knows x.example.com */
	write_config(dir, "{\"auths\":{\"x.example.com\":{\"auth\":\"Y2ZnOmNmZ3B3\"}}}"); /* cfg:cfgpw */

	/* an answer: used, config.json not read */
	memset(&c, 0, sizeof c);
	c.user = "cb";
	c.secret = "cbpw";
	ASSERT_OK(answer_basic(&c, dir, header));
	expect_basic(header, "cb:cbpw");
	assert_string_equal(c.host, "x.example.com");

	/* LIMG_PASSTHROUGH: what config.json says, as without a callback */
	memset(&c, 0, sizeof c);
	c.ret = LIMG_PASSTHROUGH;
	ASSERT_OK(answer_basic(&c, dir, header));
	expect_basic(header, "cfg:cfgpw");
	/* even when the callback wrote something before passing */
	memset(&c, 0, sizeof c);
	c.ret = LIMG_PASSTHROUGH;
	c.user = "ignored";
	c.secret = "ignored";
	ASSERT_OK(answer_basic(&c, dir, header));
	expect_basic(header, "cfg:cfgpw");

	/* 0 with both empty: anonymous, config.json not read (Basic then cannot answer) */
	memset(&c, 0, sizeof c);
	assert_int_equal(answer_basic(&c, dir, header), LIMG_EAUTH);
	assert_int_equal(c.calls, 1);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "user name and password"));

	/* a positive value stops with LIMG_EUSER, a negative one comes back as it is */
	memset(&c, 0, sizeof c);
	c.ret = 3;
	assert_int_equal(answer_basic(&c, dir, header), LIMG_EUSER);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "3"));
	memset(&c, 0, sizeof c);
	c.ret = -12345;
	c.user = "half";
	assert_int_equal(answer_basic(&c, dir, header), -12345);
	memset(&c, 0, sizeof c);
	c.ret = LIMG_ECANCELLED;
	assert_int_equal(answer_basic(&c, dir, header), LIMG_ECANCELLED);

	/* no callback: config.json */
	{
		limg__auth_opts o = { NULL, "x.example.com", NULL, NULL, dir, false };
		limg__auth *a;
		char *out = NULL;
		assert_int_equal(limg__auth_new(&a, &o), 0);
		ASSERT_OK(limg__auth_answer(a, NULL, "Basic realm=\"r\"", "repository:team/app:pull", false, NULL, &out));
		expect_basic(out, "cfg:cfgpw");
		limg__free(out);
		limg__auth_free(a);
	}
	/* PASSTHROUGH with config.json switched off ("") is anonymous */
	memset(&c, 0, sizeof c);
	c.ret = LIMG_PASSTHROUGH;
	assert_int_equal(answer_basic(&c, "", header), LIMG_EAUTH);
	rm_tree(dir);
}

/* Link (RFC 8288): the rel="next" link-value among several, quoted or not. */
static void test_link_next(void **state)
{
	static const struct {
		const char *header, *next;
	} cases[] = {
		{ "</v2/_catalog?last=b&n=2>; rel=\"next\"", "/v2/_catalog?last=b&n=2" },
		{ "<https://r/prev>; rel=\"prev\", <https://r/next>; rel=\"next\"", "https://r/next" },
		{ "<a>; title=\"x, rel=next; y\"; rel=prev, <b>; rel=next", "b" },
		{ "<a>; rel=\"prev next\"", "a" },
		{ "<a>;rel=NEXT", "a" },
		{ "<a>; rel=\"prev\"", NULL },
		{ "<a>; rel=\"nextpage\"", NULL },
		{ "rel=\"next\" <a>", NULL },
		{ "<a; rel=\"next\"", NULL },
		{ "<a>; title=\"unterminated; rel=\"next\"", NULL },
		{ "", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = limg__link_next(cases[i].header);
		if (cases[i].next)
			assert_string_equal(got, cases[i].next);
		else
			assert_null(got);
		limg__free(got);
	}
	assert_null(limg__link_next(NULL));
}

/* Content-Range: "bytes FIRST-LAST/TOTAL" only, FIRST <= LAST < TOTAL. */
static void test_content_range(void **state)
{
	int64_t a, b, t;

	(void)state;
	assert_int_equal(limg__content_range_parse("bytes 0-99/100", &a, &b, &t), 0);
	assert_true(a == 0 && b == 99 && t == 100);
	assert_int_equal(limg__content_range_parse("bytes 100-199/*", &a, &b, &t), 0);
	assert_true(a == 100 && b == 199 && t == -1);
	assert_int_equal(limg__content_range_parse("bytes 5-4/10", &a, &b, &t), -1);
	assert_int_equal(limg__content_range_parse("bytes 0-10/10", &a, &b, &t), -1);
	assert_int_equal(limg__content_range_parse("bytes -5-9/10", &a, &b, &t), -1);
	assert_int_equal(limg__content_range_parse("bytes 0-9/10 junk", &a, &b, &t), -1);
	assert_int_equal(limg__content_range_parse("bytes 0-9999999999999999999/*", &a, &b, &t), -1);
	assert_int_equal(limg__content_range_parse("items 0-9/10", &a, &b, &t), -1);
	assert_int_equal(limg__content_range_parse("bytes */10", &a, &b, &t), -1);
	assert_int_equal(limg__content_range_parse(NULL, &a, &b, &t), -1);
}

/* config.json as text: the host's helper, the store, "auths", and what is refused. */
static void test_credentials_parse(void **state)
{
	limg_buf u = LIMG_BUF_INIT, s = LIMG_BUF_INIT;
	char *helper;
	int auths;
	const char *both = "{\"auths\":{\"r.io\":{\"auth\":\"Ym9iOnB3\"}},\"credsStore\":\"desktop\","
	                   "\"credHelpers\":{\"h.io\":\"pass\"}}";

	(void)state;
	assert_int_equal(limg__credentials_parse(&u, &s, &helper, &auths, both, strlen(both), "h.io", "c"), 0);
	assert_string_equal(helper, "pass");
	assert_int_equal(auths, LIMG_PASSTHROUGH);
	limg__free(helper);
	assert_int_equal(limg__credentials_parse(&u, &s, &helper, &auths, both, strlen(both), "r.io", "c"), 0);
	assert_string_equal(helper, "desktop"); /* asked first; "auths" when it has nothing */
	assert_int_equal(auths, 0);
	assert_int_equal(u.size, 3);
	assert_memory_equal(u.ptr, "bob", 3);
	assert_memory_equal(s.ptr, "pw", 2);
	limg__free(helper);
	assert_int_equal(limg__credentials_parse(&u, &s, &helper, &auths, "{\"auths\":{\"r.io\":{\"auth\":\"!!\"}}}", 32,
	                                         "r.io", "c"), 0);
	assert_null(helper);
	assert_int_equal(auths, LIMG_ECORRUPT);
	assert_int_equal(limg__credentials_parse(&u, &s, &helper, &auths, "[1]", 3, "r.io", "c"), LIMG_ECORRUPT);
	assert_int_equal(limg__credentials_parse(&u, &s, &helper, &auths, "{\"a\":1,\"a\":2}", 13, "r.io", "c"),
	                 LIMG_ECORRUPT);
	limg_buf_dispose(&u);
	limg_buf_dispose(&s);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 65536);

	assert_non_null(f);
	assert_true(fread(text, 1, 65535, f) > 0);
	fclose(f);
	return text;
}

/* docker login's side: config.json gets base64 "auth", stays 0600, keeps
 * every other key, follows its symlink; docker logout's side removes it. */
static void test_credentials_store(void **state)
{
	char *dir = make_tmpdir(), *sub = path_in(dir, "nested/docker"), *path = path_in(dir, "config.json");
	char *real = path_in(dir, "real-config.json"), *text;
	limg_buf user = LIMG_BUF_INIT, secret = LIMG_BUF_INIT, where = LIMG_BUF_INIT;
	struct stat st;

	(void)state;
	write_config(dir, "{\"psFormat\":\"table {{.ID}}\",\"auths\":{\"other.io\":{\"auth\":\"b3RoZXI6cHc=\"}}}");
	chmod(path, 0644);
	ASSERT_OK(limg_credentials_store(&where, "localhost:5000", "alice", "s3cret:with colon", dir));
	assert_string_equal(where.ptr, path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = read_text(path);
	assert_non_null(strstr(text, "\"psFormat\""));      /* other keys kept */
	assert_non_null(strstr(text, "\"other.io\""));
	assert_non_null(strstr(text, "YWxpY2U6czNjcmV0OndpdGggY29sb24=")); /* base64 of alice:s3cret:with colon */
	free(text);
	ASSERT_OK(limg_credentials_lookup(&user, &secret, "localhost:5000", dir));
	assert_string_equal(user.ptr, "alice");
	assert_string_equal(secret.ptr, "s3cret:with colon");
	/* Docker Hub under its historical key */
	ASSERT_OK(limg_credentials_store(NULL, "docker.io", "hub", "hubpw", dir));
	text = read_text(path);
	assert_non_null(strstr(text, "\"https://index.docker.io/v1/\""));
	free(text);
	/* logout: gone, the rest stays */
	ASSERT_OK(limg_credentials_erase("localhost:5000", dir));
	assert_int_equal(limg_credentials_lookup(&user, &secret, "localhost:5000", dir), LIMG_ENOTFOUND);
	ASSERT_OK(limg_credentials_lookup(&user, &secret, "other.io", dir));
	ASSERT_OK(limg_credentials_erase("never.example.com", dir)); /* nothing stored: no error */
	/* a config.json that is a symlink: its target is written, the link stays */
	rename(path, real);
	assert_int_equal(symlink(real, path), 0);
	ASSERT_OK(limg_credentials_store(NULL, "localhost:5000", "bob", "pw", dir));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	ASSERT_OK(limg_credentials_lookup(&user, &secret, "localhost:5000", dir));
	assert_string_equal(user.ptr, "bob");
	/* a directory that does not exist yet is made, 0700 */
	ASSERT_OK(limg_credentials_store(NULL, "localhost:5000", "carol", "pw", sub));
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* bad input is refused, and a damaged config.json is left as it is */
	assert_int_equal(limg_credentials_store(NULL, "localhost:5000", "a:b", "pw", dir), LIMG_EINVALID);
	assert_int_equal(limg_credentials_store(NULL, "localhost:5000", "", "pw", dir), LIMG_EINVALID);
	assert_int_equal(limg_credentials_store(NULL, "localhost:5000", "u", "", dir), LIMG_EINVALID);
	assert_int_equal(limg_credentials_store(NULL, "evil\nhost", "u", "pw", dir), LIMG_EINVALID);
	assert_int_equal(limg_credentials_erase("", dir), LIMG_EINVALID);
	unlink(path);
	write_config(dir, "{\"auths\":{\"x.io\":{}},");
	assert_int_equal(limg_credentials_store(NULL, "x.io", "u", "pw", dir), LIMG_ECORRUPT);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_CREDENTIALS);
	text = read_text(path);
	assert_string_equal(text, "{\"auths\":{\"x.io\":{}},");
	free(text);
	write_config(dir, "{\"auths\":[]}");
	assert_int_equal(limg_credentials_store(NULL, "x.io", "u", "pw", dir), LIMG_ECORRUPT);
	limg_buf_dispose(&user);
	limg_buf_dispose(&secret);
	limg_buf_dispose(&where);
	free(sub);
	free(path);
	free(real);
	rm_tree(dir);
}

/* A credential helper (credsStore): it gets the secret, config.json an empty entry. */
static void test_credentials_store_helper(void **state)
{
	char *dir = make_tmpdir(), *script = path_in(dir, "docker-credential-fake"), *path = path_in(dir, "config.json");
	char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : strdup("/usr/bin:/bin"), *new_path, *text;
	limg_buf user = LIMG_BUF_INIT, secret = LIMG_BUF_INIT, where = LIMG_BUF_INIT;
	FILE *f = fopen(script, "w");

	(void)state;
	/* the helper protocol: store reads JSON, get and erase the server URL */
	fprintf(f, "#!/bin/sh\nd=%s\ncase \"$1\" in\n"
	           "store) cat > \"$d/helper-store\" ;;\n"
	           "get) read url; [ -f \"$d/helper-store\" ] || { echo 'credentials not found in native keychain'; "
	           "exit 1; }; cat \"$d/helper-store\" ;;\n"
	           "erase) read url; echo \"$url\" > \"$d/helper-erased\"; rm -f \"$d/helper-store\" ;;\n"
	           "*) exit 2 ;;\nesac\n",
	        dir);
	fclose(f);
	chmod(script, 0755);
	assert_true(asprintf(&new_path, "%s:%s", dir, old_path) > 0);
	setenv("PATH", new_path, 1);
	write_config(dir, "{\"credsStore\":\"fake\"}");
	ASSERT_OK(limg_credentials_store(&where, "localhost:5000", "alice", "pw", dir));
	assert_int_equal(where.size, 0); /* not in config.json */
	text = read_text(path);
	{
		/* as Docker leaves it: the helper's name kept, an empty entry for the host */
		cJSON *doc = cJSON_Parse(text);
		const cJSON *entry = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "auths"), "localhost:5000");
		assert_true(cJSON_IsObject(entry));
		assert_null(entry->child);
		assert_string_equal(cJSON_GetObjectItem(doc, "credsStore")->valuestring, "fake");
		cJSON_Delete(doc);
	}
	free(text);
	text = path_in(dir, "helper-store");
	free(read_text(text));
	free(text);
	ASSERT_OK(limg_credentials_lookup(&user, &secret, "localhost:5000", dir));
	assert_string_equal(user.ptr, "alice");
	assert_string_equal(secret.ptr, "pw");
	ASSERT_OK(limg_credentials_erase("localhost:5000", dir));
	text = path_in(dir, "helper-erased");
	char *erased = read_text(text);
	assert_string_equal(erased, "localhost:5000\n");
	free(erased);
	free(text);
	assert_int_equal(limg_credentials_lookup(&user, &secret, "localhost:5000", dir), LIMG_ENOTFOUND);
	/* a helper that fails: an error about the credentials, config.json unchanged */
	write_config(dir, "{\"credHelpers\":{\"localhost:5000\":\"missing-helper\"}}");
	assert_int_equal(limg_credentials_store(NULL, "localhost:5000", "alice", "pw", dir), LIMG_EAUTH);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_CREDENTIALS);
	text = read_text(path);
	assert_string_equal(text, "{\"credHelpers\":{\"localhost:5000\":\"missing-helper\"}}");
	free(text);
	setenv("PATH", old_path, 1);
	free(old_path);
	free(new_path);
	free(script);
	free(path);
	limg_buf_dispose(&user);
	limg_buf_dispose(&secret);
	limg_buf_dispose(&where);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenges),  cmocka_unit_test(test_base64),        cmocka_unit_test(test_origins),
		cmocka_unit_test(test_retry_after), cmocka_unit_test(test_docker_config),
		cmocka_unit_test(test_credentials_callback), cmocka_unit_test(test_link_next),
		cmocka_unit_test(test_content_range),        cmocka_unit_test(test_credentials_parse),
		cmocka_unit_test(test_credentials_store),    cmocka_unit_test(test_credentials_store_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
