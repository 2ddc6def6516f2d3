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

/* The platform's image manifest under @digest. */
static void print_names(limg_store *s, const char *digest, int digests)
{
	limg_tags_list_opts to = LIMG_TAGS_LIST_OPTS_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;
	char seen[64][512];
	int n = 0, first = 1;

	to.digest = digest;
	to.untagged = 2;
	printf("[");
	if (limg_tag_iterator_new(&it, s, &to) == 0) {
		while (limg_tag_iterator_next(&t, it) == 0) {
			const char *name = limg_tag_reference(t) ? limg_tag_reference(t)
			                                          : limg_tag_annotation(t, "io.libimage.repository");
			limg_reference *r = NULL;
			char text[512];
			int dup = 0;
			if (!name || limg_reference_parse_normalized(&r, name) < 0)
				continue;
			if (digests)
				snprintf(text, sizeof text, "%s@%s", limg_reference_familiar_name(r), digest);
			else
				snprintf(text, sizeof text, "%s", limg_reference_familiar_string(r));
			limg_reference_free(r);
			if (!digests && !limg_tag_reference(t))
				continue;
			for (int i = 0; i < n; i++)
				dup |= !strcmp(seen[i], text);
			if (dup || n == 64)
				continue;
			snprintf(seen[n++], sizeof seen[0], "%s", text);
			printf("%s\n            ", first ? "" : ",");
			json_string(stdout, text);
			first = 0;
		}
		limg_tag_iterator_free(it);
	}
	printf("%s]", first ? "" : "\n        ");
}

static int inspect(limg_store *s, const char *image, const char *platform, int first)
{
	limg_image_info *info;
	const limg_image_config *c;
	const char *digest;

	/* the library finds what docker inspect shows: the platform pulled, when one was */
	if (limg_images_inspect(&info, s, image, platform) < 0)
		return -1;
	c = limg_image_info_config(info);
	digest = limg_image_info_digest(info);
	printf("%s\n    {\n        \"Id\": ", first ? "" : ",");
	json_string(stdout, limg_image_info_id(info));
	printf(",\n        \"RepoTags\": ");
	print_names(s, digest, 0);
	printf(",\n        \"RepoDigests\": ");
	print_names(s, digest, 1);
	printf(",\n        \"Created\": ");
	json_string(stdout, limg_image_config_created(c) ? limg_image_config_created(c) : "");
	printf(",\n        \"Architecture\": ");
	json_string(stdout, limg_image_config_architecture(c));
	if (limg_image_config_variant(c)) {
		printf(",\n        \"Variant\": ");
		json_string(stdout, limg_image_config_variant(c));
	}
	printf(",\n        \"Os\": ");
	json_string(stdout, limg_image_config_os(c));
	if (limg_image_config_os_version(c)) {
		printf(",\n        \"OsVersion\": ");
		json_string(stdout, limg_image_config_os_version(c));
	}
	printf(",\n        \"Size\": %lld", (long long)limg_image_info_size(info));
	printf(",\n        \"RootFS\": {\n            \"Type\": \"layers\",\n            \"Layers\": [");
	for (size_t i = 0; i < limg_image_config_diff_id_count(c); i++) {
		printf("%s\n                ", i ? "," : "");
		json_string(stdout, limg_image_config_diff_id(c, i));
	}
	printf("%s]\n        },\n        \"Config\": ", limg_image_config_diff_id_count(c) ? "\n            " : "");
	json_printable(stdout, limg_image_config_settings_json(c));
	printf("\n    }");
	limg_image_info_free(info);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_store *store;
	char **images = calloc((size_t)argc, sizeof *images);
	int status = 0, printed = 0, n = 0;

	for (int i = 1; i < argc; i++) {
		int r = cli_option(&cli, argc, argv, &i);
		if (r < 0)
			return 1;
		if (r)
			continue;
		if (argv[i][0] == '-') {
			int help = cli_is_help(argv[i]);
			fprintf(help ? stdout : stderr, "Usage: limg-inspect [OPTIONS] IMAGE...\n\n"
			                                "Display detailed information on one or more images\n\nOptions:\n"
			                                CLI_COMMON_USAGE);
			return help ? 0 : 1;
		}
		images[n++] = argv[i];
	}
	if (!n) {
		fprintf(stderr, "\"limg-inspect\" requires at least 1 argument.\n");
		return 1;
	}
	if (cli_open_store(&cli, &store, 1) < 0)
		return 1;
	printf("[");
	for (int i = 0; i < n; i++) {
		if (inspect(store, images[i], cli.platform, !printed) == 0) {
			printed++;
		} else {
			const limg_error *e = limg_error_last();
			if (limg_error_code(e) == LIMG_ENOTFOUND && strstr(limg_error_message(e), "No such image"))
				fprintf(stderr, "Error: No such image: %s\n", images[i]);
			else
				fprintf(stderr, "Error: %s\n", limg_error_message(e));
			status = 1;
		}
	}
	printf("%s]\n", printed ? "\n" : "");
	limg_store_close(store);
	free(images);
	return status;
}
