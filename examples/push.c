/*
 * limg-push: docker push, on libimage.
 *
 *   limg-push [OPTIONS] NAME[:TAG]
 *
 * Prints what docker prints off a terminal: "The push refers to repository
 * [...]", a line per layer as it is prepared and as it ends ("Pushed",
 * "Layer already exists", "Mounted from REPO"), then "TAG: digest: ... size: N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct ui {
	int quiet;
};

static int on_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *from,
                       void *payload)
{
	struct ui *ui = payload;
	char id[13];

	(void)done;
	if (ui->quiet)
		return 0;
	if (kind == LIMG_PULL_MANIFEST) {
		/* the tag's line; children of an index (by digest) are not shown, as docker does */
		if (event == LIMG_PUSH_MANIFEST && from)
			printf("%s: digest: %s size: %lld\n", from, digest, (long long)total);
		return 0;
	}
	if (kind != LIMG_PULL_LAYER)
		return 0;
	snprintf(id, sizeof id, "%.12s", strchr(digest, ':') + 1);
	switch (event) {
	case LIMG_PUSH_WAITING: printf("%s: Preparing\n", id); break;
	case LIMG_PUSH_EXISTS: printf("%s: Layer already exists\n", id); break;
	case LIMG_PUSH_MOUNTED: printf("%s: Mounted from %s\n", id, from); break;
	case LIMG_PUSH_PUSHED: printf("%s: Pushed\n", id); break;
	default: break;
	}
	fflush(stdout);
	return 0;
}

static void usage(FILE *to)
{
	fprintf(to, "Usage: limg-push [OPTIONS] NAME[:TAG]\n\nUpload an image to a registry\n\nOptions:\n"
	            "  -q, --quiet          print only the digest line\n"
	            "  --chunk-size N       upload in PATCH requests of N bytes (default: one PUT per blob)\n"
	            "  --max-concurrent-uploads N  blobs at once (default 4)\n" CLI_COMMON_USAGE);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_push_opts opts = LIMG_PUSH_OPTS_INIT;
	limg_buf digest = LIMG_BUF_INIT;
	limg_reference *ref = NULL;
	limg_store *store;
	struct ui ui = { 0 };
	const char *name = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		int r = cli_option(&cli, argc, argv, &i);
		if (r < 0)
			return 1;
		if (r)
			continue;
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			ui.quiet = 1;
		else if (!strcmp(argv[i], "--chunk-size") && i + 1 < argc)
			opts.chunk_size = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--max-concurrent-uploads") && i + 1 < argc)
			opts.concurrency = atoi(argv[++i]);
		else if (cli_is_help(argv[i]))
			return usage(stdout), 0;
		else if (argv[i][0] == '-' || name)
			return usage(stderr), 1;
		else
			name = argv[i];
	}
	if (!name) {
		fprintf(stderr, "\"limg-push\" requires exactly 1 argument.\n");
		return 1;
	}
	if (limg_reference_parse_docker(&ref, name) < 0)
		return fprintf(stderr, "invalid reference format: %s\n", limg_error_message(limg_error_last())), 1;
	if (cli_open_store(&cli, &store, 0) < 0)
		return 1;
	if (!ui.quiet) {
		printf("The push refers to repository [%s]\n", limg_reference_name(ref));
		fflush(stdout);
	}
	opts.platform = cli.platform;
	opts.registry = &cli.registry;
	opts.progress = on_progress;
	opts.payload = &ui;
	opts.cancel = cli_cancel_on_signals();
	rc = limg_push(store, name, &opts, &digest);
	if (rc != 0) {
		const limg_error *e = limg_error_last();
		if (limg_error_code(e) == LIMG_ENOTFOUND && strstr(limg_error_message(e), "No such image"))
			fprintf(stderr, "An image does not exist locally with the tag: %s\n", limg_reference_name(ref));
		else
			fprintf(stderr, "%s\n", limg_error_message(e));
	} else if (ui.quiet) {
		printf("%s\n", digest.ptr);
	}
	cli_cancel_done(opts.cancel);
	limg_buf_dispose(&digest);
	limg_reference_free(ref);
	limg_store_close(store);
	return rc ? 1 : 0;
}
