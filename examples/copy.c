/* SPDX-License-Identifier: MIT */
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

static int on_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                       void *payload)
{
	int verbose = *(int *)payload;
	const char *what;

	(void)done;
	(void)total;
	switch (event) {
	case LIMG_EVENT_EXISTS: what = "exists"; break;
	case LIMG_EVENT_MOUNTED: what = "mounted from "; break;
	case LIMG_EVENT_MANIFEST_PUT: what = "put"; break;
	case LIMG_EVENT_PUSHED: what = "copied"; break;
	default: return 0; /* waiting, progress, and events this program does not know */
	}
	if (verbose && digest)
		fprintf(stderr, "%s %s: %s%s\n",
		        kind == LIMG_BLOB_MANIFEST ? "manifest" : kind == LIMG_BLOB_CONFIG ? "config" : "layer", digest, what,
		        event == LIMG_EVENT_MOUNTED && detail ? detail : "");
	return 0;
}

static const char options[] =
	"  -v, --verbose         say what happens to each blob and manifest (on stderr)\n"
	"      --chunk-size N    upload in PATCH requests of N bytes (default: one PUT per blob)\n"
	"  -j, --jobs N          blobs at once (default 4; --max-concurrent-uploads N too)\n"
	"      --referrers       also copy what refers to the image (signatures, SBOMs)\n"
	CLI_POLICY_OPTIONS CLI_SIGN_OPTIONS;

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-copy", .usage = "[OPTIONS] SRC DST",
		           .about = "Copy an image from one registry or repository to another",
		           .uses = CLI_PLATFORM | CLI_REGISTRY };
	struct cli_trust trust = { 0 };
	limg_copy_opts opts = LIMG_COPY_OPTS_INIT;
	limg_copy_callbacks cb = LIMG_COPY_CALLBACKS_INIT;
	limg_session *session = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	const char *args[2];
	int n = 0, verbose = 0, r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_trust_option(&trust, "psr", argc, argv, &i)) != 0 ||
		    (r = cli_number(argc, argv, &i, "--chunk-size", 0, INT64_MAX, &opts.chunk_size)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--jobs", 1, 1024, &opts.concurrency)) != 0 ||
		    (r = cli_int(argc, argv, &i, "-j", 1, 1024, &opts.concurrency)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--max-concurrent-uploads", 1, 1024, &opts.concurrency)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose = 1;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_unknown_flag(&cli, argv[i]);
		} else if (n == 2) {
			return cli_bad_args(&cli, "requires exactly 2 arguments");
		} else {
			args[n++] = argv[i];
		}
	}
	if (n != 2)
		return cli_bad_args(&cli, "requires exactly 2 arguments");
	/* one session for both ends: a copy within one registry shares its connections and token */
	if (cli_trust_load(&trust) < 0 || cli_session(&cli, &session) < 0)
		goto out;
	opts.platform = cli.platform;
	opts.cancel = cli_cancel_on_signals();
	opts.policy = trust.policy;
	opts.sign_by = trust.signer;
	opts.sign_format = trust.sign_format;
	opts.sign_identity = trust.sign_identity;
	opts.sign_recursive = trust.sign_recursive;
	opts.referrers = trust.referrers;
	cb.progress = on_progress;
	cb.payload = &verbose;
	if (limg_copy(&digest, session, args[0], args[1], &opts, &cb) == 0) {
		printf("%s\n", digest.ptr);
		rc = 0;
	} else {
		const char *hint = cli_hint();
		fprintf(stderr, "Error: %s%s\n",
		        limg_error_code(limg_error_last()) == LIMG_EREJECTED ? "Source image rejected: " : "",
		        limg_error_message(limg_error_last()));
		if (hint)
			fprintf(stderr, "%s\n", hint);
	}
	cli_cancel_done(opts.cancel);
out:
	limg_session_free(session);
	limg_buf_dispose(&digest);
	cli_trust_done(&trust);
	cli_done(&cli);
	return rc;
}
