/* SPDX-License-Identifier: MIT */
/* The example programs' Docker formats: go-units sizes and durations, the tabwriter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "format.h"

static void test_sizes(void **state)
{
	static const struct {
		double in;
		const char *out;
	} cases[] = {
		{ 0, "0B" },          { 999, "999B" },       { 1000, "1kB" },         { 1234, "1.23kB" },
		{ 7730000, "7.73MB" }, { 111000000, "111MB" }, { 5050000000.0, "5.05GB" }, { 999674558, "1e+03MB" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		format_size(buf, sizeof buf, cases[i].in, 3);
		assert_string_equal(buf, cases[i].out);
	}
	format_size(buf, sizeof buf, 999674558, 4);
	assert_string_equal(buf, "999.7MB");
	format_size(buf, sizeof buf, 34600000, 4);
	assert_string_equal(buf, "34.6MB");
}

static void test_durations(void **state)
{
	static const struct {
		int64_t seconds;
		const char *out;
	} cases[] = {
		{ 0, "Less than a second ago" },
		{ 1, "1 second ago" },
		{ 59, "59 seconds ago" },
		{ 60, "About a minute ago" },
		{ 119, "About a minute ago" },
		{ 120, "2 minutes ago" },
		{ 3599, "59 minutes ago" },
		{ 3600, "About an hour ago" },
		{ 5399, "About an hour ago" },
		{ 5400, "2 hours ago" },
		{ 47 * 3600, "47 hours ago" },
		{ 48 * 3600, "2 days ago" },
		{ 9 * 86400, "9 days ago" },
		{ 14 * 86400, "2 weeks ago" },
		{ 21 * 86400, "3 weeks ago" },
		{ 60 * 86400, "2 months ago" },
		{ 22 * 30 * 86400, "22 months ago" },
		{ (int64_t)730 * 86400, "2 years ago" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		format_ago(buf, sizeof buf, cases[i].seconds);
		if (strcmp(buf, cases[i].out))
			fail_msg("%lld s: expected \"%s\", got \"%s\"", (long long)cases[i].seconds, cases[i].out, buf);
	}
}

static void test_table(void **state)
{
	struct table t = { 0 };
	const char *head[] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" };
	const char *row[] = { "busybox", "latest", "2faaa9a236c2", "12 months ago", "2.01MB" };
	char out[1024];
	FILE *f = fmemopen(out, sizeof out, "w");

	(void)state;
	table_add(&t, 5, head);
	table_add(&t, 5, row);
	table_print(&t, f);
	fclose(f);
	assert_string_equal(out, "REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n"
	                         "busybox      latest    2faaa9a236c2   12 months ago   2.01MB\n");
	table_free(&t);
}

/* docker's formatter.Ellipsis, with its history test's own case (formatter_history_test.go). */
static void test_ellipsis(void **state)
{
	char buf[256];

	(void)state;
	format_ellipsis(buf, sizeof buf,
	                "/bin/bash ls && npm i && npm run test && karma -c karma.conf.js start && npm start", 45);
	assert_string_equal(buf, "/bin/bash ls && npm i && npm run test && kar\xe2\x80\xa6");
	format_ellipsis(buf, sizeof buf, "/bin/bash echo", 45);
	assert_string_equal(buf, "/bin/bash echo");
	format_ellipsis(buf, sizeof buf, "\xc3\xa9\xc3\xa9\xc3\xa9", 3); /* runes, not bytes */
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9\xc3\xa9");
	format_ellipsis(buf, sizeof buf, "\xc3\xa9\xc3\xa9\xc3\xa9x", 3);
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
}

static void test_rfc3339(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(parse_rfc3339("2009-11-10T23:00:00Z"), 1257894000);
	assert_int_equal(parse_rfc3339("2009-11-10T23:00:00.123456789Z"), 1257894000);
	assert_int_equal(parse_rfc3339("2009-11-11T01:00:00+02:00"), 1257894000);
	assert_int_equal(parse_rfc3339("2009-11-10T20:30:00-02:30"), 1257894000);
	assert_int_equal(parse_rfc3339("yesterday"), -1);
	assert_int_equal(parse_rfc3339("2009-11-10T23:00:00"), -1);
	setenv("TZ", "UTC", 1);
	tzset();
	format_rfc3339(buf, sizeof buf, 1257894000);
	assert_string_equal(buf, "2009-11-10T23:00:00Z"); /* docker's history test, in UTC */
	setenv("TZ", "CET-1", 1);
	tzset();
	format_rfc3339(buf, sizeof buf, 1257894000);
	assert_string_equal(buf, "2009-11-11T00:00:00+01:00");
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_ellipsis),
		cmocka_unit_test(test_rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
