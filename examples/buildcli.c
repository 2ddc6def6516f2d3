/* SPDX-License-Identifier: MIT */
/* What the image-building programs share (see buildcli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildcli.h"
#include "common.h"

#define WORDS_MAX 256

int build_source_date_epoch(int64_t *epoch)
{
	const char *v = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long x;

	if (!v || !*v)
		return 0;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (*end || errno || x < 0) {
		fprintf(stderr, "invalid SOURCE_DATE_EPOCH: %s (want seconds since 1970)\n", v);
		return -1;
	}
	*epoch = x;
	return 1;
}

int build_apply_epoch(limg_builder_opts *bo, limg_layer_opts *lo)
{
	int64_t epoch = 0;
	int r = build_source_date_epoch(&epoch);

	if (r < 0)
		return -1;
	if (r > 0 && bo) {
		bo->set_created = 1;
		bo->created = epoch;
	}
	if (lo)
		lo->epoch = epoch;
	return 0;
}

int build_layer_option(int argc, char **argv, int *i, limg_layer_opts *o)
{
	const char *v;
	int r;

	if ((r = cli_int(argc, argv, i, "--level", 1, 19, &o->level)) != 0)
		return r;
	if (!strcmp(argv[*i], "--keep-owner")) {
		o->owner = LIMG_OWNER_KEEP;
		return 1;
	}
	if ((r = cli_value(argc, argv, i, "--compression", &v)) != 0) {
		if (r < 0)
			return r;
		if (!strcmp(v, "gzip"))
			o->compression = LIMG_LAYER_GZIP;
		else if (!strcmp(v, "zstd"))
			o->compression = LIMG_LAYER_ZSTD;
		else if (!strcmp(v, "none"))
			o->compression = LIMG_LAYER_UNCOMPRESSED;
		else {
			fprintf(stderr, "invalid value for --compression: %s (gzip, zstd or none)\n", v);
			return -1;
		}
		return 1;
	}
	if ((r = cli_value(argc, argv, i, "--times", &v)) != 0) {
		if (r < 0)
			return r;
		if (!strcmp(v, "epoch"))
			o->times = LIMG_TIMES_EPOCH;
		else if (!strcmp(v, "clamp"))
			o->times = LIMG_TIMES_CLAMP;
		else if (!strcmp(v, "keep"))
			o->times = LIMG_TIMES_KEEP;
		else {
			fprintf(stderr, "invalid value for --times: %s (epoch, clamp or keep)\n", v);
			return -1;
		}
		return 1;
	}
	return 0;
}

static const char *const config_flags[] = { "--entrypoint", "--cmd", "--env", "--label", "--user",
	                                    "--workdir", "--expose", "--volume", "--stop-signal",
	                                    "--set-platform", "--annotation", NULL };

int build_is_config_option(int argc, char **argv, int i)
{
	for (int k = 0; config_flags[k]; k++) {
		size_t n = strlen(config_flags[k]);
		if (!strncmp(argv[i], config_flags[k], n) && (argv[i][n] == '=' || (!argv[i][n] && i + 1 < argc)))
			return 1;
	}
	return 0;
}

/* crane's string-slice flags: comma-separated words. */
static int split_words(const char *v, char *copy, size_t cap, const char **words, size_t *n)
{
	char *p;

	if (!*v)
		return 0; /* "" sets an empty list */
	if (strlen(v) >= cap) {
		fprintf(stderr, "argument too long: %s\n", v);
		return -1;
	}
	strcpy(copy, v);
	for (p = copy;;) {
		char *comma = strchr(p, ',');
		if (*n == WORDS_MAX) {
			fprintf(stderr, "at most %d words\n", WORDS_MAX);
			return -1;
		}
		words[(*n)++] = p;
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	return 0;
}

static int key_value(const char *flag, const char *v, char *key, size_t cap, const char **value)
{
	const char *eq = strchr(v, '=');

	if (!eq || eq == v || (size_t)(eq - v) >= cap) {
		fprintf(stderr, "invalid value for %s: %s (want KEY=VALUE)\n", flag, v);
		return -1;
	}
	memcpy(key, v, (size_t)(eq - v));
	key[eq - v] = '\0';
	*value = eq + 1;
	return 0;
}

static int failed(const char *flag)
{
	fprintf(stderr, "Error response from daemon: %s: %s\n", flag, limg_error_message(limg_error_last()));
	return -1;
}

int build_fail(const char *given)
{
	const char *object = limg_error_object(limg_error_last());

	if (cli_not_found(LIMG_SUBJECT_IMAGE) && (given || (object && *object)))
		return cli_no_such_image(given ? given : object);
	return cli_fail();
}

int build_config_option(int argc, char **argv, int *i, limg_builder *b)
{
	static char copy[8192];
	const char *words[WORDS_MAX], *v, *value;
	char key[1024];
	size_t n = 0;
	int r;

	int entry = !strncmp(argv[*i], "--entrypoint", 12);

	if ((r = cli_value(argc, argv, i, "--entrypoint", &v)) != 0 || (r = cli_value(argc, argv, i, "--cmd", &v)) != 0) {
		if (r < 0 || split_words(v, copy, sizeof copy, words, &n) < 0)
			return -1;
		if ((entry ? limg_builder_set_entrypoint(b, words, n) : limg_builder_set_cmd(b, words, n)) < 0)
			return failed(entry ? "--entrypoint" : "--cmd");
		return 1;
	}
	if ((r = cli_value(argc, argv, i, "--env", &v)) != 0) {
		if (r < 0 || key_value("--env", v, key, sizeof key, &value) < 0)
			return -1;
		return limg_builder_set_env(b, key, value) < 0 ? failed("--env") : 1;
	}
	if ((r = cli_value(argc, argv, i, "--label", &v)) != 0) {
		if (r < 0 || key_value("--label", v, key, sizeof key, &value) < 0)
			return -1;
		return limg_builder_set_label(b, key, value) < 0 ? failed("--label") : 1;
	}
	if ((r = cli_value(argc, argv, i, "--annotation", &v)) != 0) {
		if (r < 0 || key_value("--annotation", v, key, sizeof key, &value) < 0)
			return -1;
		return limg_builder_set_annotation(b, key, value) < 0 ? failed("--annotation") : 1;
	}
	if ((r = cli_value(argc, argv, i, "--user", &v)) != 0)
		return r < 0 ? -1 : limg_builder_set_user(b, v) < 0 ? failed("--user") : 1;
	if ((r = cli_value(argc, argv, i, "--workdir", &v)) != 0)
		return r < 0 ? -1 : limg_builder_set_working_dir(b, v) < 0 ? failed("--workdir") : 1;
	if ((r = cli_value(argc, argv, i, "--expose", &v)) != 0)
		return r < 0 ? -1 : limg_builder_add_exposed_port(b, v) < 0 ? failed("--expose") : 1;
	if ((r = cli_value(argc, argv, i, "--volume", &v)) != 0)
		return r < 0 ? -1 : limg_builder_add_volume(b, v) < 0 ? failed("--volume") : 1;
	if ((r = cli_value(argc, argv, i, "--stop-signal", &v)) != 0)
		return r < 0 ? -1 : limg_builder_set_stop_signal(b, v) < 0 ? failed("--stop-signal") : 1;
	if ((r = cli_value(argc, argv, i, "--set-platform", &v)) != 0)
		return r < 0 ? -1 : limg_builder_set_platform(b, v) < 0 ? failed("--set-platform") : 1;
	return 0;
}

void build_print_result(const char *tag, const char *digest)
{
	limg_reference *ref = NULL;

	if (tag && limg_reference_parse_docker(&ref, tag) == 0)
		printf("%s@%s\n", limg_reference_name(ref), digest);
	else
		printf("%s\n", digest);
	limg_reference_free(ref);
}
