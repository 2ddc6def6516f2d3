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
static limg_manifest *image_manifest(limg_store *s, const char *digest, const char *platform)
{
	limg_buf body = LIMG_BUF_INIT;
	limg_manifest *m = NULL, *child = NULL;
	const limg_descriptor *d;

	if (limg_store_blob_read(&body, s, digest, LIMG_MANIFEST_SIZE_MAX) < 0 ||
	    limg_manifest_parse(&m, body.ptr, body.size, NULL) < 0)
		goto out;
	if (limg_manifest_kind_of(m) == LIMG_MANIFEST_IMAGE) {
		child = m;
		m = NULL;
	} else if (limg_manifest_select(&d, m, platform) == 0 &&
	           limg_store_blob_read(&body, s, limg_descriptor_digest(d), LIMG_MANIFEST_SIZE_MAX) == 0) {
		limg_manifest_parse(&child, body.ptr, body.size, NULL);
	}
out:
	limg_manifest_free(m);
	limg_buf_dispose(&body);
	return child;
}

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

static int64_t size_of(limg_store *s, const char *digest, const char *platform)
{
	limg_images_list_opts lo = LIMG_IMAGES_LIST_OPTS_INIT;
	limg_image_iterator *it;
	const limg_image_entry *e;
	int64_t size = -1;

	lo.untagged = 2;
	lo.platform = platform;
	if (limg_images_list(&it, s, &lo) == 0) {
		while (size < 0 && limg_image_iterator_next(&e, it) == 0)
			if (!strcmp(limg_image_entry_digest(e), digest))
				size = limg_image_entry_size(e);
		limg_image_iterator_free(it);
	}
	return size;
}

static int inspect(limg_store *s, const char *image, const char *platform, int first)
{
	limg_buf digest = LIMG_BUF_INIT, body = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	limg_image_config *c = NULL;
	const char *config_digest;
	int rc = -1;

	if (limg_images_lookup(&digest, s, image) < 0)
		goto out;
	if (!(m = image_manifest(s, digest.ptr, platform))) {
		fprintf(stderr, "Error: the manifest of %s is not in the store\n", image);
		goto out;
	}
	config_digest = limg_descriptor_digest(limg_manifest_config(m));
	if (limg_store_blob_read(&body, s, config_digest, LIMG_MANIFEST_SIZE_MAX) < 0 ||
	    limg_image_config_parse(&c, body.ptr, body.size) < 0)
		goto out;
	printf("%s\n    {\n        \"Id\": ", first ? "" : ",");
	json_string(stdout, config_digest);
	printf(",\n        \"RepoTags\": ");
	print_names(s, digest.ptr, 0);
	printf(",\n        \"RepoDigests\": ");
	print_names(s, digest.ptr, 1);
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
	printf(",\n        \"Size\": %lld", (long long)size_of(s, digest.ptr, platform));
	printf(",\n        \"RootFS\": {\n            \"Type\": \"layers\",\n            \"Layers\": [");
	for (size_t i = 0; i < limg_image_config_diff_id_count(c); i++) {
		printf("%s\n                ", i ? "," : "");
		json_string(stdout, limg_image_config_diff_id(c, i));
	}
	printf("%s]\n        },\n        \"Config\": %s\n    }", limg_image_config_diff_id_count(c) ? "\n            " : "",
	       limg_image_config_settings_json(c));
	rc = 0;
out:
	limg_image_config_free(c);
	limg_manifest_free(m);
	limg_buf_dispose(&body);
	limg_buf_dispose(&digest);
	return rc;
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
			fprintf(stderr, "Usage: limg-inspect [OPTIONS] IMAGE...\n\nOptions:\n" CLI_COMMON_USAGE);
			return 1;
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
			fprintf(stderr, "Error: No such image: %s\n", images[i]);
			status = 1;
		}
	}
	printf("%s]\n", printed ? "\n" : "");
	limg_store_close(store);
	free(images);
	return status;
}
