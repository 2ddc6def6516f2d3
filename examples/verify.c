/* SPDX-License-Identifier: MIT */
/*
 * limg-verify: whether a signature policy admits an image, and why.
 *
 *   limg-verify [OPTIONS] IMAGE
 *
 * Checks the image in its registry (or, with --local, the image and the
 * signatures the store keeps beside it) against containers-policy.json as
 * podman and skopeo would, and prints each requirement of the scope that
 * applies with what accepted or rejected it. Exits 0 when the image is
 * admitted, 1 when it is rejected or cannot be checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char options[] =
	CLI_POLICY_OPTIONS
	"                        (one of --policy and --default-policy is required)\n"
	"      --local           the image of the store, with the signatures stored beside it\n"
	"                        (limg-pull --referrers, limg-load); no network\n"
	"      --instance-signatures-only  of an index: only the image's own signatures count\n"
	"                        (containers/image's rule; by default the index's do too)\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-verify", .usage = "[OPTIONS] IMAGE",
		           .about = "Check an image's signatures against a signature policy",
		           .uses = CLI_STORE | CLI_PLATFORM | CLI_REGISTRY };
	struct cli_trust trust = { 0 };
	limg_verify_opts opts = LIMG_VERIFY_OPTS_INIT;
	limg_session *session = NULL;
	limg_store *store = NULL;
	limg_verdict *v = NULL;
	const char *image = NULL;
	int local = 0, r, rc = 1, result;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_trust_option(&trust, "p", argc, argv, &i)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "--local")) {
			local = 1;
		} else if (!strcmp(argv[i], "--instance-signatures-only")) {
			opts.index_signatures = LIMG_INDEX_SIGNATURES_IGNORE;
		} else if ((r = cli_one_argument(&cli, argv[i], &image, options, NULL)) >= 0) {
			return r;
		}
	}
	if (!image)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	if (!trust.policy_path && !trust.default_policy) {
		fprintf(stderr, "\"limg-verify\" needs a policy: --policy FILE or --default-policy.\nSee 'limg-verify --help'.\n");
		return 1;
	}
	if (cli_trust_load(&trust) < 0)
		goto out;
	if (local ? cli_open_store(&cli, &store, LIMG_STORE_READ_ONLY, 0) < 0 : cli_session(&cli, &session) < 0)
		goto out;
	opts.platform = cli.platform;
	opts.session = session;
	opts.store = store;
	opts.cancel = cli_cancel_on_signals();
	result = limg_verify(&v, trust.policy, image, &opts);
	if (v) {
		printf("%s\n", limg_verdict_image(v));
		if (limg_verdict_scope(v))
			printf("  scope \"%s\"%s\n", limg_verdict_scope(v), *limg_verdict_scope(v) ? "" : " (transport docker)");
		else
			printf("  scope: the policy's default\n");
		for (size_t i = 0; i < limg_verdict_count(v); i++)
			printf("  requirement %zu %s: %s: %s\n", i + 1, limg_verdict_requirement(v, i),
			       limg_verdict_requirement_accepted(v, i) ? "accepted" : "rejected", limg_verdict_reason(v, i));
	}
	if (result == 0) {
		printf("Verified: %s\n", limg_verdict_message(v));
		rc = 0;
	} else if (result == LIMG_EREJECTED) {
		fprintf(stderr, "Rejected: %s\n", limg_error_message(limg_error_last()));
	} else {
		cli_fail();
	}
	cli_cancel_done(opts.cancel);
out:
	limg_verdict_free(v);
	limg_session_free(session);
	limg_store_close(store);
	cli_trust_done(&trust);
	cli_done(&cli);
	return rc;
}
