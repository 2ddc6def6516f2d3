/* SPDX-License-Identifier: MIT */
/*
 * limg-inspect: docker image inspect, on libimage.
 *
 *   limg-inspect [OPTIONS] IMAGE...
 *
 * Prints a JSON array in the shape of `docker image inspect`: Id, RepoTags,
 * RepoDigests, Parent, Comment, Created, DockerVersion, Author, Config,
 * Architecture, Variant, Os, OsVersion, Size, RootFS; or, with --format, a Go
 * template per image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "format.h"
#include "template.h"
#include "value.h"

/* The fields of Docker's image config (DockerOCIImageConfig), in its order,
 * with how each prints when the image does not set it. */
static const struct {
	const char *name;
	enum value_kind kind;
	enum value_nil nil_as;
	bool entries_are_structs; /* map[string]struct{}: each value prints {} */
} config_fields[] = {
	{ "User", VALUE_STRING, NIL_PLAIN, false },       { "ExposedPorts", VALUE_NULL, NIL_MAP, true },
	{ "Env", VALUE_NULL, NIL_SLICE, false },          { "Entrypoint", VALUE_NULL, NIL_SLICE, false },
	{ "Cmd", VALUE_NULL, NIL_SLICE, false },          { "Volumes", VALUE_NULL, NIL_MAP, true },
	{ "WorkingDir", VALUE_STRING, NIL_PLAIN, false }, { "Labels", VALUE_NULL, NIL_MAP, false },
	{ "StopSignal", VALUE_STRING, NIL_PLAIN, false }, { "ArgsEscaped", VALUE_BOOL, NIL_PLAIN, false },
	{ "Healthcheck", VALUE_NULL, NIL_PLAIN, false },  { "OnBuild", VALUE_NULL, NIL_SLICE, false },
	{ "Shell", VALUE_NULL, NIL_SLICE, false },
};

/* Config as docker shows it: every field it knows (empty ones left out of
 * JSON), then whatever else the image's config holds. */
static struct value *config_value(const limg_config *c)
{
	char why[128];
	struct value *raw = value_parse_json(limg_config_container_json(c), why, sizeof why);
	struct value *config = value_struct(NULL);

	if (!raw || raw->kind != VALUE_OBJECT || !config)
		goto fail;
	for (size_t i = 0; i < sizeof config_fields / sizeof config_fields[0]; i++) {
		struct value *have = value_get(raw, config_fields[i].name), *v;
		if (have && have->kind != VALUE_NULL) {
			v = value_copy(have);
			/* ExposedPorts and Volumes: sets, whose entries are empty structs */
			for (size_t k = 0; v && config_fields[i].entries_are_structs && v->kind == VALUE_OBJECT && k < v->n; k++)
				if (v->members[k].value->kind == VALUE_OBJECT)
					v->members[k].value->is_struct = true;
		} else if (config_fields[i].kind == VALUE_STRING) {
			v = value_string("");
		} else if (config_fields[i].kind == VALUE_BOOL) {
			v = value_bool(false);
		} else {
			v = value_null(config_fields[i].nil_as);
		}
		if (value_set(config, config_fields[i].name, v, true) < 0)
			goto fail;
	}
	for (size_t i = 0; i < raw->n; i++)
		if (!value_get(config, raw->members[i].key) &&
		    value_set(config, raw->members[i].key, value_copy(raw->members[i].value), false) < 0)
			goto fail;
	value_free(raw);
	return config;
fail:
	value_free(raw);
	value_free(config);
	return NULL;
}

static struct value *names(const limg_image *img, size_t count, const char *(*name)(const limg_image *, size_t))
{
	struct value *a = value_array();

	for (size_t i = 0; a && i < count; i++)
		if (value_push(a, value_string(name(img, i))) < 0) {
			value_free(a);
			return NULL;
		}
	return a;
}

/* A top-level string of the image's config ("comment", "docker_version"), as docker
 * shows it: "" when the config has none. */
static struct value *config_string(const limg_image *img, const char *key)
{
	size_t n = limg_image_config_size(img);
	char *text = malloc(n + 1), why[128];
	struct value *config = NULL, *have, *v;

	if (text) {
		memcpy(text, limg_image_config_bytes(img), n);
		text[n] = '\0';
		config = value_parse_json(text, why, sizeof why);
	}
	free(text);
	have = config && config->kind == VALUE_OBJECT ? value_get(config, key) : NULL;
	v = value_string(have && have->kind == VALUE_STRING ? have->s : "");
	value_free(config);
	return v;
}

/* docker image inspect's object for one image (its fields in Docker's order; those
 * docker always prints are there when empty, so templates find them: Parent is
 * an image built here, never one pulled) */
static struct value *image_value(const limg_image *img)
{
	const limg_config *c = limg_image_config(img);
	struct value *v = value_struct(NULL), *rootfs = value_struct(NULL), *layers = value_array();
	int bad = 0;

	if (!v || !rootfs || !layers) {
		value_free(v);
		value_free(rootfs);
		value_free(layers);
		return NULL;
	}
	/* every value_set() takes its value, also when an earlier one failed */
	for (size_t i = 0; i < limg_config_diff_id_count(c); i++)
		bad |= value_push(layers, value_string(limg_config_diff_id(c, i))) < 0;
	bad |= value_set(rootfs, "Type", value_string("layers"), false) < 0;
	bad |= value_set(rootfs, "Layers", layers, false) < 0;
	bad |= value_set(v, "Id", value_string(limg_image_id(img)), false) < 0;
	bad |= value_set(v, "RepoTags", names(img, limg_image_tag_count(img), limg_image_tag), false) < 0;
	bad |= value_set(v, "RepoDigests", names(img, limg_image_repo_digest_count(img), limg_image_repo_digest),
	                 false) < 0;
	bad |= value_set(v, "Parent", value_string(""), false) < 0;
	bad |= value_set(v, "Comment", config_string(img, "comment"), false) < 0;
	bad |= value_set(v, "Created", value_string(limg_config_created(c)), false) < 0;
	bad |= value_set(v, "DockerVersion", config_string(img, "docker_version"), false) < 0;
	bad |= value_set(v, "Author", value_string(limg_config_author(c)), false) < 0;
	bad |= value_set(v, "Config", config_value(c), false) < 0;
	bad |= value_set(v, "Architecture", value_string(limg_config_architecture(c)), false) < 0;
	bad |= value_set(v, "Variant", value_string(limg_config_variant(c)), true) < 0;
	bad |= value_set(v, "Os", value_string(limg_config_os(c)), false) < 0;
	bad |= value_set(v, "OsVersion", value_string(limg_config_os_version(c)), true) < 0;
	bad |= value_set(v, "Size", value_int(limg_image_size(img)), false) < 0;
	bad |= value_set(v, "RootFS", rootfs, false) < 0;
	if (bad) {
		value_free(v);
		return NULL;
	}
	return v;
}

static const char options[] = "  -f, --format string   Format output using a custom template:\n"
                              "                        'json':             Print in JSON format\n"
                              "                        'TEMPLATE':         Print output using the given Go template\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-inspect", .usage = "[OPTIONS] IMAGE [IMAGE...]",
		           .about = "Display detailed information on one or more images", .uses = CLI_STORE | CLI_PLATFORM };
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	struct template *tmpl = NULL;
	struct value *all = value_array();
	limg_store *store = NULL;
	char **images = calloc((size_t)argc, sizeof *images), **missing = calloc((size_t)argc, sizeof *missing);
	const char *format = NULL;
	char err[512];
	int status = 1, n = 0, nmissing = 0, r;

	if (!images || !missing || !all) {
		fprintf(stderr, "Error: out of memory\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-f", &format)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--format", &format)) != 0) {
			if (r < 0)
				goto out;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			status = 0;
			goto out;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			status = cli_unknown_flag(&cli, argv[i]);
			goto out;
		} else {
			images[n++] = argv[i];
		}
	}
	if (!n) {
		status = cli_bad_args(&cli, "requires at least 1 argument");
		goto out;
	}
	/* "json" and no format: the indented JSON array */
	if (format && *format && strcmp(format, "json") && !(tmpl = template_parse(format, err, sizeof err))) {
		fprintf(stderr, "template parsing error: %s\n", err);
		goto out;
	}
	/* only reads: a store that does not exist yet has no image */
	if (cli_open_store(&cli, &store, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	/* the library finds what docker inspect shows: the platform pulled, when one was */
	lo.platform = cli.platform;
	status = 0;
	for (int i = 0; i < n; i++) {
		limg_image *img = NULL;
		struct value *v = NULL;
		if (!store || limg_image_lookup(&img, store, images[i], &lo) < 0) {
			if (!store || cli_not_found(LIMG_SUBJECT_IMAGE))
				missing[nmissing++] = images[i];
			else
				fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
			status = 1;
			continue;
		}
		/* one the store holds in part is refused as unpack and save refuse it, not shown
		 * as if whole: docker's inspect succeeds only for an image it can run */
		if (limg_image_check_whole(store, img) < 0) {
			fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
			limg_image_free(img);
			status = 1;
			continue;
		}
		if (!(v = image_value(img))) {
			fprintf(stderr, "Error: out of memory\n");
			status = 1;
		} else if (tmpl) {
			/* each image's line as it comes; docker says "template parsing error" for a failed run too */
			if (template_execute(tmpl, v, false, stdout, err, sizeof err) < 0) {
				fprintf(stderr, "template parsing error: %s\n", err);
				status = 1;
			} else {
				fputc('\n', stdout);
			}
		} else if (value_push(all, value_copy(v)) < 0) {
			fprintf(stderr, "Error: out of memory\n");
			status = 1;
		}
		value_free(v);
		limg_image_free(img);
	}
	if (!tmpl) {
		value_write_json(stdout, all, "    ");
		fputc('\n', stdout);
	}
	fflush(stdout);
	for (int i = 0; i < nmissing; i++)
		fprintf(stderr, "Error: No such image: %s\n", missing[i]);
out:
	template_free(tmpl);
	value_free(all);
	limg_store_close(store);
	free(images);
	free(missing);
	cli_done(&cli);
	return status;
}
