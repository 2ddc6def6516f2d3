/* SPDX-License-Identifier: MIT */
/*
 * limg-push: docker push, on libimage.
 *
 *   limg-push [OPTIONS] NAME[:TAG|@DIGEST]
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
	const char *digest; /* pushed by digest (NAME@DIGEST): its manifest's line */
};

static int on_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                       void *payload)
{
	struct ui *ui = payload;
	char id[13];

	(void)done;
	if (ui->quiet || !digest)
		return 0;
	if (kind == LIMG_BLOB_MANIFEST) {
		/* the tag's line; children of an index (by digest) are not shown, as docker does */
		if (event == LIMG_EVENT_MANIFEST_PUT && detail)
			printf("%s: digest: %s size: %lld\n", detail, digest, (long long)total);
		else if (event == LIMG_EVENT_MANIFEST_PUT && ui->digest && !strcmp(digest, ui->digest))
			printf("digest: %s size: %lld\n", digest, (long long)total);
		return 0;
	}
	if (kind != LIMG_BLOB_LAYER)
		return 0;
	snprintf(id, sizeof id, "%.12s", strchr(digest, ':') ? strchr(digest, ':') + 1 : digest);
	switch (event) {
	case LIMG_EVENT_WAITING: printf("%s: Preparing\n", id); break;
	case LIMG_EVENT_EXISTS: printf("%s: Layer already exists\n", id); break;
	case LIMG_EVENT_MOUNTED: printf("%s: Mounted from %s\n", id, detail ? detail : "another repository"); break;
	case LIMG_EVENT_PUSHED: printf("%s: Pushed\n", id); break;
	default: return 0; /* progress, and events this program does not know */
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
	limg_push_callbacks cb = LIMG_PUSH_CALLBACKS_INIT;
	limg_buf digest = LIMG_BUF_INIT;
	limg_reference *ref = NULL;
	limg_session *session = NULL;
	limg_store *store = NULL;
	struct ui ui = { 0 };
	const char *name = NULL;
	int r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 ||
		    (r = cli_number(argc, argv, &i, "--chunk-size", 0, INT64_MAX, &opts.chunk_size)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--max-concurrent-uploads", 1, 1024, &opts.concurrency)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			ui.quiet = 1;
		} else if (cli_is_help(argv[i])) {
			return usage(stdout), 0;
		} else if (argv[i][0] == '-' || name) {
			return usage(stderr), 1;
		} else {
			name = argv[i];
		}
	}
	if (!name) {
		fprintf(stderr, "\"limg-push\" requires exactly 1 argument.\n");
		return 1;
	}
	if (limg_reference_parse_docker(&ref, name) < 0) {
		/* the library's message says "invalid reference format: ..." as docker does */
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		goto out;
	}
	if (cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0 || cli_session(&cli, &session) < 0)
		goto out;
	if (!ui.quiet) {
		printf("The push refers to repository [%s]\n", limg_reference_name(ref));
		fflush(stdout);
	}
	ui.digest = limg_reference_digest(ref);
	opts.platform = cli.platform;
	opts.session = session;
	opts.cancel = cli_cancel_on_signals();
	cb.progress = on_progress;
	cb.payload = &ui;
	if (limg_push(&digest, store, name, &opts, &cb) == 0) {
		if (ui.quiet)
			printf("%s\n", digest.ptr);
		rc = 0;
	} else if (cli_not_found(LIMG_SUBJECT_IMAGE)) {
		fprintf(stderr, "An image does not exist locally with the tag: %s\n", limg_reference_name(ref));
	} else {
		const char *hint = cli_hint();
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		if (hint)
			fprintf(stderr, "%s\n", hint);
	}
	cli_cancel_done(opts.cancel);
out:
	limg_buf_dispose(&digest);
	limg_session_free(session);
	limg_store_close(store);
	limg_reference_free(ref);
	cli_done(&cli);
	return rc;
}
