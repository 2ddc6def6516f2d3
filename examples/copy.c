/*
 * limg-copy: crane copy, on libimage.
 *
 *   limg-copy [OPTIONS] SRC DST
 *
 * Copies an image (the whole index, or one platform with --platform) from
 * one registry or repository to another without a store, and prints the
 * digest copied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static int on_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *from,
                       void *payload)
{
	int verbose = *(int *)payload;

	(void)done;
	(void)total;
	if (!verbose || event == LIMG_PUSH_WAITING || event == LIMG_PUSH_UPLOADING)
		return 0;
	fprintf(stderr, "%s %s: %s%s\n", kind == LIMG_PULL_MANIFEST ? "manifest" : kind == LIMG_PULL_CONFIG ? "config" : "layer",
	        digest,
	        event == LIMG_PUSH_EXISTS ? "exists" : event == LIMG_PUSH_MOUNTED ? "mounted from " :
	        event == LIMG_PUSH_MANIFEST ? "put" : "copied",
	        event == LIMG_PUSH_MOUNTED && from ? from : "");
	return 0;
}

static void usage(FILE *to)
{
	fprintf(to, "Usage: limg-copy [OPTIONS] SRC DST\n\nCopy an image from one registry or repository to another\n\n"
	            "Options:\n"
	            "  -v, --verbose        say what happens to each blob and manifest (on stderr)\n"
	            "  --chunk-size N       upload in PATCH requests of N bytes (default: one PUT per blob)\n"
	            "  --jobs N             blobs at once (default 4)\n" CLI_COMMON_USAGE);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_copy_opts opts = LIMG_COPY_OPTS_INIT;
	limg_buf digest = LIMG_BUF_INIT;
	const char *args[2];
	int n = 0, verbose = 0, rc;

	for (int i = 1; i < argc; i++) {
		int r = cli_option(&cli, argc, argv, &i);
		if (r < 0)
			return 1;
		if (r)
			continue;
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = 1;
		else if (!strcmp(argv[i], "--chunk-size") && i + 1 < argc)
			opts.chunk_size = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
			opts.concurrency = atoi(argv[++i]);
		else if (cli_is_help(argv[i]))
			return usage(stdout), 0;
		else if (argv[i][0] == '-' || n == 2)
			return usage(stderr), 1;
		else
			args[n++] = argv[i];
	}
	if (n != 2) {
		fprintf(stderr, "\"limg-copy\" requires exactly 2 arguments.\n");
		return 1;
	}
	opts.platform = cli.platform;
	opts.source_registry = &cli.registry;
	opts.destination_registry = &cli.registry;
	opts.progress = on_progress;
	opts.payload = &verbose;
	opts.cancel = cli_cancel_on_signals();
	rc = limg_copy(args[0], args[1], &opts, &digest);
	if (rc != 0)
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	else
		printf("%s\n", digest.ptr);
	cli_cancel_done(opts.cancel);
	limg_buf_dispose(&digest);
	return rc ? 1 : 0;
}
