/* SPDX-License-Identifier: MIT */
/* hosts: the strict TOML subset, and containerd's hosts.toml read from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "hosts/hosts.h"
#include "hosts/toml.h"
#include "libimage/libimage.h"
#include "helpers.h"

/* containerd's docs/hosts.md, near enough */
static const char sample[] =
	"# mirrors of docker.io\n"
	"server = \"https://registry-1.docker.io\"    # the registry itself\n"
	"\n"
	"[host.\"https://mirror.example.com\"]\n"
	"  capabilities = [\"pull\", \"resolve\"]\n"
	"  ca = \"mirror-ca.pem\"\n"
	"  client = [[\"/etc/certs/client.cert\", \"/etc/certs/client.key\"]]\n"
	"  dial_timeout = \"500ms\"\n"
	"  [host.\"https://mirror.example.com\".header]\n"
	"    x-custom-1 = \"custom header\"\n"
	"    x-custom-2 = ['value1', 'value2']\n"
	"\n"
	"[host.\"http://cache.local:5000/v2/proxy\"]\n"
	"  capabilities = [\"pull\"]\n"
	"  skip_verify = true\n"
	"  override_path = true\n"
	"  future_key = 42\n";

static void test_containerd_sample(void **state)
{
	limg__hosts h;

	(void)state;
	assert_int_equal(limg__hosts_parse(&h, sample, sizeof sample - 1, "hosts.toml", "/etc/certs.d/docker.io", NULL), 0);
	assert_string_equal(h.server.url, "https://registry-1.docker.io");
	assert_int_equal(h.n, 2);
	assert_string_equal(h.hosts[0].url, "https://mirror.example.com");
	assert_int_equal(h.hosts[0].caps, LIMG_ENDPOINT_CAP_PULL | LIMG_ENDPOINT_CAP_RESOLVE);
	assert_string_equal(h.hosts[0].ca_file, "/etc/certs.d/docker.io/mirror-ca.pem");
	assert_string_equal(h.hosts[0].client_cert, "/etc/certs/client.cert");
	assert_string_equal(h.hosts[0].client_key, "/etc/certs/client.key");
	assert_int_equal(h.hosts[0].dial_timeout_ms, 500);
	assert_int_equal(h.hosts[0].nheaders, 3);
	assert_string_equal(h.hosts[0].headers[0], "x-custom-1: custom header");
	assert_string_equal(h.hosts[0].headers[2], "x-custom-2: value2");
	assert_string_equal(h.hosts[1].url, "http://cache.local:5000/v2/proxy");
	assert_int_equal(h.hosts[1].caps, LIMG_ENDPOINT_CAP_PULL);
	assert_true(h.hosts[1].skip_verify);
	assert_true(h.hosts[1].override_path);
	limg__hosts_dispose(&h);
}

/* The root's [header] table is the registry's own (containerd's server
 * headers); a [host] table's header stays with that host. */
static void test_server_headers(void **state)
{
	static const char text[] = "server = \"https://registry.example.com\"\n"
	                           "[header]\n  x-fleet = \"rack-7\"\n"
	                           "[host.\"https://mirror.example.com\"]\n  capabilities = [\"pull\"]\n";
	limg__hosts h;

	(void)state;
	ASSERT_OK(limg__hosts_parse(&h, text, sizeof text - 1, "hosts.toml", "/etc/certs.d/x", NULL));
	assert_int_equal(h.server.nheaders, 1);
	assert_string_equal(h.server.headers[0], "x-fleet: rack-7");
	assert_int_equal(h.n, 1);
	assert_int_equal(h.hosts[0].nheaders, 0);
	limg__hosts_dispose(&h);
}

/* Each is refused, naming its line. */
static void test_refused(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "a = 1\n[t]\nx = {y = 1}\n", "t.toml:3: inline tables" },
		{ "s = \"\"\"multi\nline\"\"\"\n", "t.toml:1: multi-line strings" },
		{ "a = 1\na = 2\n", "t.toml:2: key a defined twice" },
		{ "[t]\n[t]\n", "t.toml:2: table [t] defined twice" },
		{ "[[t]]\n", "t.toml:1: arrays of tables" },
		{ "f = 1.5\n", "t.toml:1: a value of a kind" },
		{ "d = 1979-05-27\n", "t.toml:1: a value of a kind" },
		{ "s = \"\\q\"\n", "t.toml:1: an unknown escape" },
		{ "s = \"open\n", "t.toml:1: a string that does not end" },
		{ "a.b = 1\n", "t.toml:1: dotted keys" },
		{ "a = 1 2\n", "t.toml:1: unexpected '2'" },
		{ "a = [1, 2\nb = 3\n", "t.toml:2: an array needs" },
		{ "= 1\n", "t.toml:1: '=' cannot start a key" },
		{ "a = \"\\u0000\"\n", "t.toml:1: a bad \\u escape" },
		{ "a = \"\xc3\x28\"\n", "t.toml:1: a string that is not UTF-8" },
		{ "a = 1\n[a]\n", "t.toml:2: a is a value, not a table" },
		{ "a = [[[[[[[[[[1]]]]]]]]]]\n", "t.toml:1: arrays nested too deep" },
		{ "a = 99999999999999999999\n", "t.toml:1: an integer too large" },
	};
	limg__toml *t;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = limg__toml_parse(&t, cases[i].text, strlen(cases[i].text), "t.toml");
		if (rc != LIMG_ECORRUPT)
			fail_msg("case %zu (%s) gave %d", i, cases[i].text, rc);
		if (!strstr(limg_error_message(limg_error_last()), cases[i].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, limg_error_message(limg_error_last()), cases[i].message);
	}
}

static void test_accepted(void **state)
{
	static const char text[] = "\xEF\xBB\xBF# a byte order mark, then\n"
	                           "bare-key_1 = 'lit\\eral'\n"
	                           "\"quoted key\" = \"tab\\there \\u00e9\"\n"
	                           "n = -42\n"
	                           "b = false\n"
	                           "arr = [\n  \"a\", # comment\n  'b',\n]\n"
	                           "[outer.\"in ner\"]\n"
	                           "k = [[\"x\", \"y\"], [\"z\"]]\n";
	const limg__toml *v;
	limg__toml *t;

	(void)state;
	assert_int_equal(limg__toml_parse(&t, text, sizeof text - 1, "t.toml"), 0);
	assert_string_equal(limg__toml_get(t, "bare-key_1")->string, "lit\\eral");
	assert_string_equal(limg__toml_get(t, "quoted key")->string, "tab\there \xc3\xa9");
	assert_int_equal(limg__toml_get(t, "n")->integer, -42);
	assert_int_equal(limg__toml_get(t, "b")->type, LIMG_TOML_BOOL);
	v = limg__toml_get(t, "arr");
	assert_int_equal(v->count, 2);
	v = limg__toml_get(limg__toml_get(limg__toml_get(t, "outer"), "in ner"), "k");
	assert_int_equal(v->count, 2);
	assert_string_equal(v->items[1]->items[0]->string, "z");
	limg__toml_free(t);
}

static void test_hosts_refusals(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "server = \"ftp://x\"\n", "h.toml:1: server must be an http(s) URL" },
		{ "[host.\"mirror\"]\n", "h.toml:1: [host.\"mirror\"] must name an http(s) URL" },
		{ "[host.\"https://m\"]\ncapabilities = [\"pull\", \"steal\"]\n", "h.toml:2: unknown capability \"steal\"" },
		{ "[host.\"https://m\"]\nskip_verify = \"yes\"\n", "h.toml:2: skip_verify must be true or false" },
		{ "[host.\"https://m\"]\ndial_timeout = \"soon\"\n", "h.toml:2: dial_timeout must be a duration" },
		{ "[host.\"https://m\".header]\nx-a = \"one\\r\\nX-Injected: yes\"\n", "h.toml:2: x-a must be one line" },
		{ "host = 1\n", "h.toml:1: host must be tables" },
	};
	limg__hosts h;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = limg__hosts_parse(&h, cases[i].text, strlen(cases[i].text), "h.toml", NULL, NULL);
		if (rc >= 0)
			fail_msg("case %zu accepted", i);
		if (!strstr(limg_error_message(limg_error_last()), cases[i].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, limg_error_message(limg_error_last()), cases[i].message);
	}
}

static void test_api_endpoints(void **state)
{
	const char *headers[] = { "X-Good: 1", "X-Bad: two\r\nInjected: 1" };
	limg_endpoint e = { sizeof e, "https://mirror:5000", 0, 0, NULL, NULL, NULL, 0, headers, 1, 0 };
	limg__endpoint_spec spec;

	(void)state;
	assert_int_equal(limg__endpoint_spec_copy(&spec, &e), 0);
	assert_int_equal(spec.caps, LIMG_ENDPOINT_CAP_PULL | LIMG_ENDPOINT_CAP_RESOLVE);
	assert_int_equal(spec.nheaders, 1);
	limg__endpoint_spec_dispose(&spec);
	e.headers_len = 2;
	assert_int_equal(limg__endpoint_spec_copy(&spec, &e), LIMG_EINVALID);
	e.headers_len = 0;
	/* 1.0: a bare "host:port" is https, as Docker's registry-mirrors are */
	e.url = "mirror:5000";
	ASSERT_OK(limg__endpoint_spec_copy(&spec, &e));
	assert_string_equal(spec.url, "https://mirror:5000");
	limg__endpoint_spec_dispose(&spec);
	/* any other scheme is no endpoint */
	e.url = "ftp://mirror:5000";
	assert_int_equal(limg__endpoint_spec_copy(&spec, &e), LIMG_EINVALID);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_OPTIONS);
	e.url = NULL;
	assert_int_equal(limg__endpoint_spec_copy(&spec, &e), LIMG_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd_sample), cmocka_unit_test(test_refused),
		cmocka_unit_test(test_accepted),          cmocka_unit_test(test_hosts_refusals),
		cmocka_unit_test(test_api_endpoints),     cmocka_unit_test(test_server_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
