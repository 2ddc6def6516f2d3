/* SPDX-License-Identifier: MIT */
/* sync: the strict YAML reader, versions and ranges, tag selection, and sync lists from skopeo's YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "libimage/libimage.h"
#include "sync/list.h"
#include "sync/select.h"
#include "sync/semver.h"
#include "sync/yaml.h"

static limg__yaml *parse_ok(const char *text)
{
	limg__yaml *y = NULL;
	int rc = limg__yaml_parse(&y, text, strlen(text), "t.yaml");

	if (rc != 0)
		fail_msg("refused: %s", limg_error_message(limg_error_last()));
	return y;
}

/* Refused, with the line named. */
static void refused(const char *text, const char *where)
{
	limg__yaml *y = NULL;
	int rc = limg__yaml_parse(&y, text, strlen(text), "t.yaml");

	assert_int_equal(rc, LIMG_ECORRUPT);
	assert_null(y);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_FILE);
	if (!strstr(limg_error_message(limg_error_last()), where))
		fail_msg("%s: message without %s: %s", text, where, limg_error_message(limg_error_last()));
}

static void test_yaml_skopeo_file(void **state)
{
	(void)state;
	limg__yaml *y = parse_ok("# skopeo's example\n"
	                         "registry.example.com:\n"
	                         "  images:\n"
	                         "    busybox: []\n"
	                         "    redis:\n"
	                         "      - \"1.0\"\n"
	                         "      - '2.0'\n"
	                         "    nginx: [\"1.1\", sha256:0123]\n"
	                         "  images-by-tag-regex:\n"
	                         "    nginx: ^1\\.13\\.[12]-alpine-perl$   # a comment\n"
	                         "  credentials:\n"
	                         "    username: john\n"
	                         "    password: \"it's #1\"\n"
	                         "  tls-verify: false\n");
	const limg__yaml *reg = limg__yaml_get(y, "registry.example.com"), *im = limg__yaml_get(reg, "images");
	bool b = true;

	assert_non_null(im);
	assert_int_equal(limg__yaml_get(im, "busybox")->type, LIMG_YAML_LIST);
	assert_int_equal(limg__yaml_get(im, "busybox")->count, 0);
	assert_int_equal(limg__yaml_get(im, "redis")->count, 2);
	assert_string_equal(limg__yaml_get(im, "redis")->items[1]->text, "2.0");
	assert_string_equal(limg__yaml_get(im, "nginx")->items[1]->text, "sha256:0123");
	assert_string_equal(limg__yaml_get(limg__yaml_get(reg, "images-by-tag-regex"), "nginx")->text,
	                    "^1\\.13\\.[12]-alpine-perl$");
	assert_string_equal(limg__yaml_get(limg__yaml_get(reg, "credentials"), "password")->text, "it's #1");
	assert_int_equal(limg__yaml_bool(limg__yaml_get(reg, "tls-verify"), &b), 0);
	assert_false(b);
	assert_int_equal(limg__yaml_get(reg, "tls-verify")->line, 14);
	limg__yaml_free(y);
}

static void test_yaml_refuses_what_it_does_not_read(void **state)
{
	(void)state;
	refused("a:\n  b: &x 1\n", "t.yaml:2");           /* anchors */
	refused("a:\n  b: *x\n", "t.yaml:2");             /* aliases */
	refused("a: !!str 1\n", "t.yaml:1");              /* tags */
	refused("a: |\n  text\n", "t.yaml:1");            /* block scalars */
	refused("a:\n\tb: 1\n", "t.yaml:2");              /* tabs in indentation */
	refused("a: 1\na: 2\n", "t.yaml:2");              /* duplicate keys */
	refused("a: {b: 1}\n", "t.yaml:1");               /* flow maps with members */
	refused("a: 1\n---\nb: 2\n", "t.yaml:2");         /* several documents */
	refused("a: \"open\n", "t.yaml:1");               /* an unclosed quote */
	refused("? a\n: 1\n", "t.yaml:1");                /* complex keys */
	refused("a:\n  - 1\n  b: 2\n", "t.yaml:3");       /* a list and a map at once */
}

static void test_versions_and_ranges(void **state)
{
	limg__version a, b;
	limg__semver_range *r = NULL;
	char why[200];

	(void)state;
	assert_int_equal(limg__version_parse(&a, "v1.2"), 0);
	assert_int_equal(limg__version_parse(&b, "1.2.0"), 0);
	assert_int_equal(limg__version_compare(&a, &b), 0);
	assert_int_equal(limg__version_parse(&b, "1.2.0-rc.1"), 0);
	assert_true(limg__version_compare(&b, &a) < 0);
	assert_int_equal(limg__version_parse(&a, "latest"), -1);
	assert_int_equal(limg__version_parse(&a, "1.2.3_build"), -1);

	assert_int_equal(limg__semver_parse(&r, ">=1.2 <2", why, sizeof why), 0);
	limg__version_parse(&a, "1.9.9");
	assert_true(limg__semver_match(r, &a));
	limg__version_parse(&a, "2.0.0");
	assert_false(limg__semver_match(r, &a));
	limg__version_parse(&a, "1.5.0-beta");
	assert_false(limg__semver_match(r, &a)); /* the range names no pre-release */
	limg__semver_free(r);

	assert_int_equal(limg__semver_parse(&r, "^1.4 || ~2.0", why, sizeof why), 0);
	limg__version_parse(&a, "1.9.0");
	assert_true(limg__semver_match(r, &a));
	limg__version_parse(&a, "2.0.7");
	assert_true(limg__semver_match(r, &a));
	limg__version_parse(&a, "2.1.0");
	assert_false(limg__semver_match(r, &a));
	limg__semver_free(r);

	assert_int_equal(limg__semver_parse(&r, ">=1.2 <<2", why, sizeof why), -1);
	assert_true(strlen(why) > 0);
}

static void test_tag_selection(void **state)
{
	char *tags[] = { strdup("1.2.0"), strdup("latest"), strdup("v1.3.0"), strdup("2.0.0"), strdup("1.10.0"),
	                 strdup("1.2.3_build") };
	size_t n = sizeof tags / sizeof *tags, chosen = 0;
	limg__tag_filter f;

	(void)state;
	assert_int_equal(limg__tag_filter_init(&f, NULL, NULL, ">=1.2 <2", 2, NULL), 0);
	limg__tag_filter_apply(&f, tags, n, &chosen);
	assert_int_equal(chosen, 2);
	/* the two highest, in the order listed */
	assert_string_equal(tags[0], "v1.3.0");
	assert_string_equal(tags[1], "1.10.0");
	limg__tag_filter_dispose(&f);

	assert_int_equal(limg__tag_filter_init(&f, "^\\d+\\.\\d+", "_", NULL, 0, NULL), 0);
	limg__tag_filter_apply(&f, tags, n, &chosen);
	assert_int_equal(chosen, 3); /* 1.2.0, 2.0.0, 1.10.0: not v1.3.0, latest, nor 1.2.3_build */
	limg__tag_filter_dispose(&f);

	/* Go-only syntax is refused, not read some other way */
	assert_int_equal(limg__tag_filter_init(&f, "(?i)abc", NULL, NULL, 0, "l.yaml:3"), LIMG_EPATTERN);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "l.yaml:3"));

	/* what would make regcomp copy a subexpression without end is refused, as Go refuses it
	 * (the fuzzer's case: a group followed by a run of '+', 2 GB in glibc before) */
	{
		static const char *const costly[] = {
			"a**", "a+{2}", "x{1001}", "((((a{1000}){1000}){1000}){1000})", "(((((u+++++++++++++++++++++++++++++++",
			"^1\\.13\\.[12]-a\t\t(((((uuuuuuuuuuu++++++++++++++++++++++++++++++++++++++++++++++++++++",
		};
		static const char *const fine[] = { "^v?\\d+(\\.\\d+){0,2}$", "(a*)*", "a{2,5}", "[[:alpha:]]+-[]x]{1,3}",
		                                    "(a|b{1000})c" };
		char deep[300];
		memset(deep, '(', 101);
		memset(deep + 101, ')', 101);
		deep[202] = '\0';
		for (size_t i = 0; i < sizeof costly / sizeof *costly; i++)
			if (limg__tag_filter_init(&f, costly[i], NULL, NULL, 0, "l.yaml:4") != LIMG_EPATTERN)
				fail_msg("accepted %s", costly[i]);
		assert_int_equal(limg__tag_filter_init(&f, deep, NULL, NULL, 0, "l.yaml:4"), LIMG_EPATTERN);
		assert_non_null(strstr(limg_error_message(limg_error_last()), "nests too deeply"));
		for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
			if (limg__tag_filter_init(&f, fine[i], NULL, NULL, 0, "l.yaml:4") != 0)
				fail_msg("refused %s: %s", fine[i], limg_error_message(limg_error_last()));
			limg__tag_filter_dispose(&f);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(tags[i]);
}

static void test_list_from_skopeo_yaml(void **state)
{
	static const char text[] = "localhost:5000:\n"
	                           "  images:\n"
	                           "    team/app: []\n"
	                           "    tool: ['1.0', 'sha256:0123456789012345678901234567890123456789012345678901234567890123']\n"
	                           "  images-by-semver:\n"
	                           "    team/lib: '>= 1.2, < 2'\n"
	                           "  tls-verify: false\n"
	                           "  credentials:\n"
	                           "    username: u\n"
	                           "    password: p\n";
	limg_sync_list *l = NULL;

	(void)state;
	assert_int_equal(limg_sync_list_parse(&l, text, strlen(text), "l.yaml"), 0);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->src[0].domain, "localhost:5000");
	assert_string_equal(l->src[0].path, "team/app");
	assert_int_equal(l->src[0].ntags, 0);
	assert_int_equal(l->src[1].ntags, 2);
	assert_non_null(l->src[2].filter.range);
	assert_int_equal(l->nreg, 1);
	assert_int_equal(l->reg[0].o.tls, LIMG_TLS_INSECURE);
	assert_string_equal(l->reg[0].o.username, "u");
	limg_sync_list_free(l);
}

static void test_list_refusals(void **state)
{
	limg_sync_list *l = NULL;
	const char *bad[][2] = {
		{ "r.io:\n  images:\n    app: []\n  tls_verify: false\n", "l.yaml:4" },    /* unknown key */
		{ "r.io:\n  images:\n    App: []\n", "l.yaml:3" },                         /* not a repository name */
		{ "r.io:\n  images:\n    app: ['bad tag']\n", "l.yaml:3" },                /* not a tag */
		{ "r.io:\n  images-by-semver:\n    app: '>= banana'\n", "l.yaml:3" },      /* not a range */
		{ "r.io:\n  tls-verify: maybe\n", "l.yaml:2" },                             /* not a boolean */
		{ "- r.io\n", "l.yaml:1" },                                                 /* not a map */
	};
	limg_sync_select sel = LIMG_SYNC_SELECT_INIT;
	const char *tags[] = { "1.0" };

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_true(limg_sync_list_parse(&l, bad[i][0], strlen(bad[i][0]), "l.yaml") < 0);
		assert_null(l);
		if (!strstr(limg_error_message(limg_error_last()), bad[i][1]))
			fail_msg("%s: %s", bad[i][0], limg_error_message(limg_error_last()));
	}
	assert_int_equal(limg_sync_list_new(&l), 0);
	/* one image takes no selection; named tags take no filters */
	assert_int_equal(limg_sync_list_add(l, "r.io/app:1.0", &sel), LIMG_EINVALID);
	sel.tags = tags;
	sel.tags_len = 1;
	sel.tag_regex = "x";
	assert_int_equal(limg_sync_list_add(l, "r.io/app", &sel), LIMG_EINVALID);
	assert_int_equal(l->n, 0);
	assert_int_equal(limg_sync_list_add(l, "r.io/app:1.0", NULL), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->src[0].tags[0], "1.0");
	limg_sync_list_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_skopeo_file),
		cmocka_unit_test(test_yaml_refuses_what_it_does_not_read),
		cmocka_unit_test(test_versions_and_ranges),
		cmocka_unit_test(test_tag_selection),
		cmocka_unit_test(test_list_from_skopeo_yaml),
		cmocka_unit_test(test_list_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
