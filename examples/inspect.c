/* SPDX-License-Identifier: MIT */
/*
 * limg-inspect: docker image inspect, on libimage.
 *
 *   limg-inspect [OPTIONS] IMAGE...
 *
 * Prints a JSON array in the shape of `docker image inspect`: Id, RepoTags,
 * RepoDigests, Created, Architecture, Os, Variant, Size, RootFS, Config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "format.h"

/* A JSON array of @count names, as docker indents it. */
static void print_names(const limg_image *img, size_t count, const char *(*name)(const limg_image *, size_t))
{
	printf("[");
	for (size_t i = 0; i < count; i++) {
		printf("%s\n            ", i ? "," : "");
		json_string(stdout, name(img, i));
	}
	printf("%s]", count ? "\n        " : "");
}

static int inspect(limg_store *s, const char *image, const char *platform, int first)
{
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	limg_image *img;
	const limg_config *c;

	/* the library finds what docker inspect shows: the platform pulled, when one was */
	lo.platform = platform;
	if (limg_image_lookup(&img, s, image, &lo) < 0)
		return -1;
	c = limg_image_config(img);
	printf("%s\n    {\n        \"Id\": ", first ? "" : ",");
	json_string(stdout, limg_image_id(img));
	printf(",\n        \"RepoTags\": ");
	print_names(img, limg_image_tag_count(img), limg_image_tag);
	printf(",\n        \"RepoDigests\": ");
	print_names(img, limg_image_repo_digest_count(img), limg_image_repo_digest);
	printf(",\n        \"Created\": ");
	json_string(stdout, limg_config_created(c) ? limg_config_created(c) : "");
	printf(",\n        \"Architecture\": ");
	json_string(stdout, limg_config_architecture(c));
	if (limg_config_variant(c)) {
		printf(",\n        \"Variant\": ");
		json_string(stdout, limg_config_variant(c));
	}
	printf(",\n        \"Os\": ");
	json_string(stdout, limg_config_os(c));
	if (limg_config_os_version(c)) {
		printf(",\n        \"OsVersion\": ");
		json_string(stdout, limg_config_os_version(c));
	}
	printf(",\n        \"Size\": %lld", (long long)limg_image_size(img));
	printf(",\n        \"RootFS\": {\n            \"Type\": \"layers\",\n            \"Layers\": [");
	for (size_t i = 0; i < limg_config_diff_id_count(c); i++) {
		printf("%s\n                ", i ? "," : "");
		json_string(stdout, limg_config_diff_id(c, i));
	}
	printf("%s]\n        },\n        \"Config\": ", limg_config_diff_id_count(c) ? "\n            " : "");
	json_printable(stdout, limg_config_container_json(c));
	printf("\n    }");
	limg_image_free(img);
	return 0;
}

static void usage(FILE *to)
{
	fprintf(to, "Usage: limg-inspect [OPTIONS] IMAGE...\n\n"
	            "Display detailed information on one or more images\n\nOptions:\n" CLI_COMMON_USAGE);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_store *store = NULL;
	char **images = calloc((size_t)argc, sizeof *images);
	int status = 1, printed = 0, n = 0, r;

	if (!images) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) < 0)
			goto out;
		if (r)
			continue;
		if (argv[i][0] == '-') {
			int help = cli_is_help(argv[i]);
			usage(help ? stdout : stderr);
			status = !help;
			goto out;
		}
		images[n++] = argv[i];
	}
	if (!n) {
		fprintf(stderr, "\"limg-inspect\" requires at least 1 argument.\n");
		goto out;
	}
	/* only reads: a store that does not exist yet has no image */
	if (cli_open_store(&cli, &store, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	status = 0;
	printf("[");
	for (int i = 0; i < n; i++) {
		if (store && inspect(store, images[i], cli.platform, !printed) == 0) {
			printed++;
			continue;
		}
		if (!store || cli_not_found(LIMG_SUBJECT_IMAGE))
			fprintf(stderr, "Error: No such image: %s\n", images[i]);
		else
			fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
		status = 1;
	}
	printf("%s]\n", printed ? "\n" : "");
out:
	limg_store_close(store);
	free(images);
	cli_done(&cli);
	return status;
}
