/* SPDX-License-Identifier: MIT */
/* The example programs' --format: Go's text/template as Docker runs it
 * (examples/template.c, examples/value.c), and Go's tabwriter. Expected
 * outputs are what docker prints for the same data (docker/cli's formatter
 * tests and the documented examples of `docker images --format` and
 * `docker image inspect --format`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format.h"
#include "template.h"
#include "value.h"

static struct value *strings(const char *const *items, size_t n)
{
	struct value *a = value_array();

	for (size_t i = 0; i < n; i++)
		assert_int_equal(value_push(a, value_string(items[i])), 0);
	return a;
}

/* What limg-inspect gives its templates: docker image inspect's object. */
static struct value *inspect_data(void)
{
	static const char *const tags[] = { "busybox:latest", "busybox:1.36" };
	static const char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=<b&c>" };
	static const char *const cmd[] = { "sh" };
	struct value *img = value_struct(NULL), *config = value_struct(NULL), *labels = value_map();
	struct value *rootfs = value_struct(NULL);
	static const char *const layers[] = { "sha256:aaaa", "sha256:bbbb" };

	assert_int_equal(value_set(img, "Id", value_string("sha256:0123456789abcdef"), false), 0);
	assert_int_equal(value_set(img, "RepoTags", strings(tags, 2), false), 0);
	assert_int_equal(value_set(img, "RepoDigests", value_array(), false), 0);
	assert_int_equal(value_set(img, "Created", value_string("2024-01-15T10:00:00Z"), false), 0);
	assert_int_equal(value_set(config, "User", value_string(""), true), 0);
	assert_int_equal(value_set(config, "Env", strings(env, 2), true), 0);
	assert_int_equal(value_set(config, "Entrypoint", value_null(NIL_SLICE), true), 0);
	assert_int_equal(value_set(config, "Cmd", strings(cmd, 1), true), 0);
	assert_int_equal(value_set(labels, "z", value_string("last"), false), 0);
	assert_int_equal(value_set(labels, "a", value_string("first"), false), 0);
	assert_int_equal(value_set(config, "Labels", labels, true), 0);
	assert_int_equal(value_set(img, "Config", config, false), 0);
	assert_int_equal(value_set(img, "Architecture", value_string("amd64"), false), 0);
	assert_int_equal(value_set(img, "Os", value_string("linux"), false), 0);
	assert_int_equal(value_set(img, "Size", value_int(4261550), false), 0);
	assert_int_equal(value_set(rootfs, "Type", value_string("layers"), false), 0);
	assert_int_equal(value_set(rootfs, "Layers", strings(layers, 2), false), 0);
	assert_int_equal(value_set(img, "RootFS", rootfs, false), 0);
	return img;
}

/* A `docker images` row: its fields are strings, and {{json .}} sorts them. */
static struct value *row_data(const char *tag, const char *created)
{
	struct value *row = value_struct("*formatter.imageContext");

	assert_int_equal(value_set(row, "CreatedAt", value_string("2024-01-15 10:00:00 +0000 UTC"), false), 0);
	assert_int_equal(value_set(row, "CreatedSince", value_string(created), false), 0);
	assert_int_equal(value_set(row, "ID", value_string("a416a98b71e2"), false), 0);
	assert_int_equal(value_set(row, "Repository", value_string("busybox"), false), 0);
	assert_int_equal(value_set(row, "Size", value_string("4.26MB"), false), 0);
	assert_int_equal(value_set(row, "Tag", value_string(tag), false), 0);
	return row;
}

/* Runs @format on @dot; returns what it printed, or NULL with the error in @err. */
static char *run(const char *format, const struct value *dot, bool header, char *err, size_t cap)
{
	struct template *t = template_parse(format, err, cap);
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!t)
		return NULL;
	f = open_memstream(&text, &len);
	rc = template_execute(t, dot, header, f, err, cap);
	fclose(f);
	template_free(t);
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void expect(const char *format, const struct value *dot, const char *want)
{
	char err[512];
	char *got = run(format, dot, false, err, sizeof err);

	if (!got)
		fail_msg("%s: failed: %s", format, err);
	if (strcmp(got, want))
		fail_msg("%s:\n  want \"%s\"\n  got  \"%s\"", format, want, got);
	free(got);
}

static void expect_error(const char *format, const struct value *dot, const char *want)
{
	char err[512];
	char *got = run(format, dot, false, err, sizeof err);

	if (got)
		fail_msg("%s: printed \"%s\", want the error \"%s\"", format, got, want);
	if (strcmp(err, want))
		fail_msg("%s:\n  want error \"%s\"\n  got error  \"%s\"", format, want, err);
}

/* The constructs of the issue, with what docker prints for them. */
static void test_docker_images_formats(void **state)
{
	struct value *row = row_data("latest", "9 days ago"), *untagged = row_data("<none>", "");

	(void)state;
	expect("{{.Repository}}:{{.Tag}}", row, "busybox:latest");
	expect("{{.ID}}", row, "a416a98b71e2");
	expect("{{json .}}", row,
	       "{\"CreatedAt\":\"2024-01-15 10:00:00 +0000 UTC\",\"CreatedSince\":\"9 days ago\",\"ID\":\"a416a98b71e2\","
	       "\"Repository\":\"busybox\",\"Size\":\"4.26MB\",\"Tag\":\"latest\"}");
	expect("{{.ID}}{{\"\\t\"}}{{.Size}}", row, "a416a98b71e2\t4.26MB");
	expect("{{.ID}}\t{{.Repository}}", row, "a416a98b71e2\tbusybox");
	/* Docker's default table row, with its {{if}} */
	expect("{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}",
	       untagged, "busybox\t<none>\ta416a98b71e2\tN/A\t4.26MB");
	expect("{{.Tag | upper}} {{lower \"ABC\"}} {{title \"hello world\"}}", row, "LATEST abc Hello World");
	expect("{{pad .Tag 2 1}}|{{truncate .ID 4}}|{{truncate .ID 40}}", row, "  latest |a416|a416a98b71e2");
	expect("{{printf \"%s:%s\" .Repository .Tag}} {{printf \"%q\" .Tag}} {{printf \"%d%%\" 5}}", row,
	       "busybox:latest \"latest\" 5%");
	expect("{{len .ID}} {{eq .Tag \"latest\"}} {{ne .Tag \"x\"}} {{eq .Tag \"x\" \"latest\"}}", row,
	       "12 true true true");
	expect("{{if and .Tag (eq .Repository \"busybox\")}}yes{{end}}{{if or .CreatedSince .Tag}}!{{end}}", untagged,
	       "yes!");
	expect("{{with .Tag}}[{{.}}]{{end}}{{with .CreatedSince}}never{{else}}none{{end}}", untagged, "[<none>]none");
	expect("{{if eq .Tag \"x\"}}x{{else if eq .Tag \"latest\"}}l{{else}}o{{end}}", row, "l");
	expect("a  {{- .Tag -}}  b {{/* a comment */}}c", row, "alatestb c");
	expect("{{split .Repository \"y\"}} {{index (split .ID \"9\") 1}}", row, "[bus box] 8b71e2");
	expect("{{print .Tag 1 2}} {{println .Tag}}", row, "latest1 2 latest\n");
	/* a field docker's row does not have */
	expect_error("{{.Foo}}", row,
	             "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.imageContext");
	value_free(row);
	value_free(untagged);
}

static void test_docker_inspect_formats(void **state)
{
	struct value *img = inspect_data();

	(void)state;
	expect("{{.Os}}/{{.Architecture}}", img, "linux/amd64");
	expect("{{index .RepoTags 0}}", img, "busybox:latest");
	expect("{{join .RepoTags \",\"}}", img, "busybox:latest,busybox:1.36");
	expect("{{range .RepoTags}}{{.}} {{end}}", img, "busybox:latest busybox:1.36 ");
	expect("{{range .RepoDigests}}{{.}}{{else}}none{{end}}", img, "none");
	expect("{{.RepoTags}} {{.RepoDigests}}", img, "[busybox:latest busybox:1.36] []");
	expect("{{.Config.Env}}", img, "[PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin A=<b&c>]");
	/* json: struct fields in order, empty omitempty ones left out, HTML not escaped */
	expect("{{json .Config}}", img,
	       "{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"A=<b&c>\"],"
	       "\"Cmd\":[\"sh\"],\"Labels\":{\"a\":\"first\",\"z\":\"last\"}}");
	expect("{{json .RepoTags}} {{json .Size}} {{json .Config.Entrypoint}}", img,
	       "[\"busybox:latest\",\"busybox:1.36\"] 4261550 null");
	/* Go's %v: a nil slice is [], a map is map[...] in key order, a missing key <no value> */
	expect("{{.Config.Entrypoint}} {{.Config.Labels}} {{.Config.Labels.nosuch}} {{.Config.User}}|", img,
	       "[] map[a:first z:last] <no value> |");
	expect("{{index .Config.Labels \"z\"}}|{{index .Config.Labels \"nosuch\"}}|", img, "last||");
	expect("{{range .Config.Labels}}{{.}},{{end}}", img, "first,last,");
	expect("{{.Size}} {{len .RootFS.Layers}} {{index .RootFS.Layers 1}}", img, "4261550 2 sha256:bbbb");
	expect("{{(index .RootFS.Layers 0)}} {{(index .RepoTags 1) | printf \"%s!\"}}", img, "sha256:aaaa busybox:1.36!");
	expect("{{.RootFS}}", img, "{layers [sha256:aaaa sha256:bbbb]}");
	/* inspect's data is read as docker falls back to it: a missing key is an error */
	expect_error("{{.Foo}}", img, "template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\"");
	expect_error("x\n {{index .RepoTags 5}}", img,
	             "template: :2:3: executing \"\" at <index .RepoTags 5>: error calling index: index out of range: 5");
	expect_error("{{join .Os \",\"}}", img,
	             "template: :1:2: executing \"\" at <join .Os \",\">: error calling join: wrong type for value; "
	             "expected []string; got string");
	expect_error("{{range .Os}}{{end}}", img, "template: :1:8: executing \"\" at <.Os>: range can't iterate over string");
	expect_error("{{.Os 1}}", img, "template: :1:2: executing \"\" at <.Os 1>: can't give argument to non-function .Os");
	value_free(img);
}

/* The rest of Go's templates: refused when parsing, naming what is not supported. */
static void test_refusals(void **state)
{
	struct value *row = row_data("latest", "now");

	(void)state;
	expect_error("{{$x := .ID}}{{$x}}", row, "template: :1: variables ($x) are not supported by this program");
	expect_error("{{range $i, $t := .Tag}}{{end}}", row,
	             "template: :1: variables ($i) are not supported by this program");
	expect_error("{{define \"x\"}}a{{end}}", row, "template: :1: {{define}} is not supported by this program");
	expect_error("{{template \"x\" .}}", row, "template: :1: {{template}} is not supported by this program");
	expect_error("{{range .Tag}}{{break}}{{end}}", row, "template: :1: {{break}} is not supported by this program");
	expect_error("{{html .ID}}", row, "template: :1: the function \"html\" is not supported by this program");
	expect_error("{{call .ID}}", row, "template: :1: the function \"call\" is not supported by this program");
	expect_error("{{foo .ID}}", row, "template: :1: function \"foo\" not defined");
	expect_error("{{'a'}}", row, "template: :1: character constants ('a') are not supported by this program");
	expect_error("{{printf \"%5s\" .ID}}", row,
	             "template: :1:2: executing \"\" at <printf \"%5s\" .ID>: printf: the verb %5 is not supported by "
	             "this program");
	/* and broken templates say what Go says */
	expect_error("{{.ID", row, "template: :1: unclosed action");
	expect_error("a\n{{end}}", row, "template: :2: unexpected {{end}}");
	expect_error("{{if .ID}}x", row, "template: :1: unexpected EOF");
	expect_error("{{}}", row, "template: :1: missing value for command");
	expect_error("{{(.ID}}", row, "template: :1: unclosed left paren");
	expect_error("{{\"abc}}", row, "template: :1: unclosed action");
	expect_error("{{/* open }}", row, "template: :1: unclosed comment");
	value_free(row);
}

/* A table's header pass: the same template over the header names, with
 * json, join, ... giving their argument back (Docker's HeaderFunctions). */
static void test_header(void **state)
{
	struct value *h = value_map();
	char err[256];
	char *got;

	(void)state;
	assert_int_equal(value_set(h, "ID", value_string("IMAGE ID"), false), 0);
	assert_int_equal(value_set(h, "Repository", value_string("REPOSITORY"), false), 0);
	got = run("{{.ID}}\t{{json .Repository}}\t{{upper .ID}}\t{{.Nope}}", h, true, err, sizeof err);
	assert_non_null(got);
	assert_string_equal(got, "IMAGE ID\tREPOSITORY\tIMAGE ID\t<no value>");
	free(got);
	value_free(h);
}

/* JSON text read into values, and written back as encoding/json does. */
static void test_json_values(void **state)
{
	char why[100], *text = NULL;
	size_t len = 0;
	struct value *v = value_parse_json(" {\"b\": [1, -2.5, true, null, \"x\\u00e9\\n\"], \"a\": {}} ", why, sizeof why);
	FILE *f;

	(void)state;
	assert_non_null(v);
	f = open_memstream(&text, &len);
	value_write_json(f, v, NULL);
	fputc('|', f);
	value_write_json(f, v, "    ");
	fputc('|', f);
	value_print(f, v);
	fclose(f);
	assert_string_equal(text, "{\"a\":{},\"b\":[1,-2.5,true,null,\"xé\\n\"]}|"
	                          "{\n    \"a\": {},\n    \"b\": [\n        1,\n        -2.5,\n        true,\n"
	                          "        null,\n        \"xé\\n\"\n    ]\n}|"
	                          "map[a:map[] b:[1 -2.5 true <nil> xé\\x0a]]");
	free(text);
	value_free(v);
	assert_null(value_parse_json("{\"a\":}", why, sizeof why));
	assert_null(value_parse_json("[1,2", why, sizeof why));
	assert_null(value_parse_json("\"\\u0000\"", why, sizeof why));
	assert_null(value_parse_json("1 2", why, sizeof why));
}

/* Text from a registry or an image cannot drive the terminal through a
 * template; the template's own tabs and newlines stay. */
static void test_terminal_safety(void **state)
{
	struct value *row = value_struct("*formatter.imageContext");

	(void)state;
	assert_int_equal(value_set(row, "Tag", value_string("evil\x1b[2Jtag\n"), false), 0);
	expect("{{.Tag}}{{\"\\t\"}}|{{upper .Tag}}|{{printf \"%s\\n\" .Tag}}|{{join (split .Tag \"[\") \"\\t\"}}", row,
	       "evil\\x1b[2Jtag\\x0a\t|EVIL\\x1b[2JTAG\\x0a|evil\\x1b[2Jtag\\x0a\n|evil\\x1b\t2Jtag\\x0a");
	expect("{{json .Tag}}", row, "\"evil\\u001b[2Jtag\\n\"");
	value_free(row);
}

/* Go's tabwriter: docker/cli's own expected history table (formatter_history_test.go). */
static void test_tabwriter(void **state)
{
	const char *in = "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT\n"
	                 "imageID1\t24 hours ago\t/bin/bash ls && npm i && npm run test && kar\xe2\x80\xa6\t183MB\tHi\n"
	                 "imageID2\t24 hours ago\t/bin/bash echo\t183MB\tHi\n"
	                 "imageID5\t\t/bin/bash echo\t183MB\tHi\n";
	const char *want = "IMAGE      CREATED        CREATED BY                                      SIZE      COMMENT\n"
	                   "imageID1   24 hours ago   /bin/bash ls && npm i && npm run test && kar\xe2\x80\xa6   183MB     Hi\n"
	                   "imageID2   24 hours ago   /bin/bash echo                                  183MB     Hi\n"
	                   "imageID5                  /bin/bash echo                                  183MB     Hi\n";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	tabwriter_print(f, in, strlen(in));
	/* lines without tabs end a column block; a last line without a newline stays so */
	tabwriter_print(f, "a\tb\nno tabs\nlonger cell\tc\nend", strlen("a\tb\nno tabs\nlonger cell\tc\nend"));
	fclose(f);
	assert_int_equal(strncmp(text, want, strlen(want)), 0);
	assert_string_equal(text + strlen(want), "a         b\nno tabs\nlonger cell   c\nend");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_images_formats), cmocka_unit_test(test_docker_inspect_formats),
		cmocka_unit_test(test_refusals),              cmocka_unit_test(test_header),
		cmocka_unit_test(test_json_values),           cmocka_unit_test(test_tabwriter),
		cmocka_unit_test(test_terminal_safety),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
