/* SPDX-License-Identifier: MIT */
/*
 * limg-append: crane append, on the store.
 *
 *   limg-append [OPTIONS] -b BASE (-f LAYER.tar | --dir DIR [--prefix PATH] | --diff DIR)... [-t TARGET]
 *
 * Each -f (a tar: plain, gzip or zstd), each --dir (a directory tree,
 * written reproducibly) and each --diff (what a copy of BASE's root
 * filesystem changed, as umoci repack) becomes a layer on top of BASE
 * ("scratch" for none). Prints the new image as crane does (NAME@DIGEST, or the digest).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildcli.h"
#include "common.h"

#define LAYERS_MAX 128

typedef struct {
	const char *file;   /* -f */
	const char *dir;    /* --dir */
	const char *prefix; /* --prefix of that --dir */
	const char *diff;   /* --diff: BASE's root filesystem, changed */
} layer_arg;

static const char options[] =
	"  -b, --base BASE       the image to append to, or scratch\n"
	"  -f, --new_layer F     a tar to append as it is (plain, gzip or zstd)\n"
	"      --dir DIR         a directory tree to append as a layer\n"
	"      --prefix PATH     where the last --dir goes in the image (default /)\n"
	"      --diff DIR        what DIR, a changed copy of BASE's root filesystem, changes\n"
	"                        (new and changed files, whiteouts for removed ones: umoci repack)\n"
	"  -t, --new_tag T       tag the new image (default: kept untagged)\n"
	"      --format F        oci or docker media types (default: the base's; OCI for scratch)\n"
	"      --no-base-annotations  do not record the base in org.opencontainers.image.base.*\n" BUILD_LAYER_USAGE;

static int append_one(limg_builder *b, limg_store *store, const char *base, const layer_arg *a,
                      const limg_layer_opts *base_opts)
{
	limg_layer_opts o = *base_opts;
	limg_layer *layer = NULL;
	char created_by[512];
	int rc;

	if (a->file) {
		int fd = open(a->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "Error: cannot open %s: %s\n", a->file, strerror(errno));
			return -1;
		}
		rc = limg_layer_new_from_tar(&layer, store, fd, &o, NULL);
		close(fd);
		/* no host path in the history: the same layer gives the same image wherever it was */
		snprintf(created_by, sizeof created_by, "limg-append: a layer from a tar");
	} else if (a->diff) {
		rc = limg_layer_new_from_diff(&layer, store, base, a->diff, &o, NULL);
		snprintf(created_by, sizeof created_by, "limg-append: the changes of a root filesystem");
	} else {
		o.prefix = a->prefix;
		rc = limg_layer_new_from_dir(&layer, store, a->dir, &o, NULL);
		snprintf(created_by, sizeof created_by, "limg-append: a layer from a directory at %s",
		         a->prefix ? a->prefix : "/");
	}
	if (rc < 0) {
		build_fail(base); /* a --diff's base, or what the layer's source said */
		return -1;
	}
	rc = limg_builder_append_layer(b, layer, created_by, NULL);
	limg_layer_free(layer);
	if (rc < 0) {
		cli_fail();
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-append",
		           .usage = "[OPTIONS] -b BASE (-f LAYER.tar | --dir DIR [--prefix PATH] | --diff DIR)...",
		           .about = "Append layers to BASE (\"scratch\" for none) and store the new image",
		           .uses = CLI_STORE | CLI_PLATFORM };
	limg_builder_opts bo = LIMG_BUILDER_OPTS_INIT;
	limg_layer_opts lo = LIMG_LAYER_OPTS_INIT;
	limg_store *store = NULL;
	limg_builder *b = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	layer_arg layers[LAYERS_MAX];
	const char *base = NULL, *tag = NULL, *v;
	size_t n = 0;
	int r, rc = 1;

	for (int i = 1; i < argc; i++) {
		int is_dir = !strncmp(argv[i], "--dir", 5), is_diff = !strncmp(argv[i], "--diff", 6);
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = build_layer_option(argc, argv, &i, &lo)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_value(argc, argv, &i, "-b", &base)) != 0 ||
		           (r = cli_value(argc, argv, &i, "--base", &base)) != 0 ||
		           (r = cli_value(argc, argv, &i, "-t", &tag)) != 0 ||
		           (r = cli_value(argc, argv, &i, "--new_tag", &tag)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_value(argc, argv, &i, "-f", &v)) != 0 ||
		           (r = cli_value(argc, argv, &i, "--new_layer", &v)) != 0 ||
		           (r = cli_value(argc, argv, &i, "--dir", &v)) != 0 ||
		           (r = cli_value(argc, argv, &i, "--diff", &v)) != 0) {
			if (r < 0)
				return 1;
			if (n == LAYERS_MAX) {
				fprintf(stderr, "at most %d layers\n", LAYERS_MAX);
				return 1;
			}
			layers[n++] = (layer_arg){ is_dir || is_diff ? NULL : v, is_dir ? v : NULL, NULL, is_diff ? v : NULL };
		} else if ((r = cli_value(argc, argv, &i, "--prefix", &v)) != 0) {
			if (r < 0)
				return 1;
			if (!n || !layers[n - 1].dir) {
				fprintf(stderr, "--prefix follows the --dir it is for\n");
				return 1;
			}
			layers[n - 1].prefix = v;
		} else if ((r = cli_value(argc, argv, &i, "--format", &v)) != 0) {
			if (r < 0)
				return 1;
			if (!strcmp(v, "oci"))
				bo.format = LIMG_FORMAT_OCI;
			else if (!strcmp(v, "docker"))
				bo.format = LIMG_FORMAT_DOCKER;
			else {
				fprintf(stderr, "invalid value for --format: %s (oci or docker)\n", v);
				return 1;
			}
		} else if (!strcmp(argv[i], "--no-base-annotations")) {
			bo.no_base_annotations = 1;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			puts("\nSOURCE_DATE_EPOCH sets the image's time and the layers' mtimes.");
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_unknown_flag(&cli, argv[i]);
		} else {
			return cli_bad_args(&cli, "accepts no arguments");
		}
	}
	if (!base) {
		/* cobra's words (crane append); scratch is what a user may not guess */
		fprintf(stderr, "Error: required flag(s) \"base\" not set (-b scratch for none)\nSee 'limg-append --help'.\n");
		return 1;
	}
	if (!n) {
		fprintf(stderr, "Error: nothing to append: give -f LAYER.tar or --dir DIR\n");
		return 1;
	}
	if (build_apply_epoch(&bo, &lo) < 0)
		return 1;
	bo.platform = lo.platform = cli.platform;
	/* the directories a layer writes above its files are the base's own, not new 0755 ones */
	if (strcmp(base, "scratch") != 0)
		lo.base = base;
	if (cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0)
		goto out;
	lo.cancel = bo.cancel = cli_cancel_on_signals();
	if (limg_builder_new(&b, store, base, &bo) < 0) {
		build_fail(base);
		goto done;
	}
	for (size_t k = 0; k < n; k++)
		if (append_one(b, store, base, &layers[k], &lo) < 0)
			goto done;
	if (limg_builder_commit(&digest, b, tag) < 0) {
		cli_fail();
		goto done;
	}
	build_print_result(tag, digest.ptr);
	rc = 0;
done:
	cli_cancel_done(lo.cancel);
out:
	limg_buf_dispose(&digest);
	limg_builder_free(b);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
