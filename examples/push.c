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

static const char options[] =
	"  -a, --all-tags        Push all tags of an image to the repository\n"
	"  -q, --quiet           Suppress verbose output: print only the reference pushed\n"
	"      --chunk-size N    upload in PATCH requests of N bytes (default: one PUT per blob)\n"
	"      --max-concurrent-uploads N  blobs at once (default 4; --jobs N, -j N too)\n"
	"      --referrers       also push what the store keeps beside the image (signatures, SBOMs)\n"
	CLI_SIGN_OPTIONS;

/* Every stored tag of the repository, in reference order (docker push --all-tags). */
static int stored_tags(limg_store *store, const limg_reference *repo, char ***out, size_t *n)
{
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it = NULL;
	const limg_tag *t;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	to.repository = limg_reference_name(repo);
	if ((rc = limg_tag_iterator_new(&it, store, &to)) < 0)
		return rc;
	while ((rc = limg_tag_iterator_next(&t, it)) == 0) {
		if (!limg_tag_reference(t))
			continue;
		if (*n == cap) {
			char **grown = realloc(*out, (cap = cap ? cap * 2 : 16) * sizeof *grown);
			if (!grown)
				break;
			*out = grown;
		}
		if (!((*out)[*n] = strdup(limg_tag_reference(t))))
			break;
		++*n;
	}
	limg_tag_iterator_free(it);
	if (rc != LIMG_ITEROVER) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	return 0;
}

/* What a failed push prints: docker's words for a missing image (its familiar name), the library's for the rest. */
static void report_failure(const char *name, const limg_reference *ref)
{
	const limg_error *e = limg_error_last();
	const char *hint = cli_hint();

	if (cli_not_found(LIMG_SUBJECT_IMAGE)) {
		fprintf(stderr, "An image does not exist locally with the tag: %s\n", name);
		return;
	}
	fprintf(stderr, "%s\n", limg_error_message(e));
	if (hint)
		fprintf(stderr, "%s\n", hint);
	else if (limg_error_code(e) == LIMG_EAUTH)
		fprintf(stderr, "hint: log in %s: limg-login %s\n",
		        limg_error_subject(e) == LIMG_SUBJECT_CREDENTIALS ? "again" : "first", limg_reference_domain(ref));
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-push", .usage = "[OPTIONS] NAME[:TAG]", .about = "Upload an image to a registry",
		           .uses = CLI_STORE | CLI_PLATFORM | CLI_REGISTRY };
	struct cli_trust trust = { 0 };
	limg_push_opts opts = LIMG_PUSH_OPTS_INIT;
	limg_push_callbacks cb = LIMG_PUSH_CALLBACKS_INIT;
	limg_buf digest = LIMG_BUF_INIT;
	limg_reference *ref = NULL, *given = NULL;
	limg_session *session = NULL;
	limg_store *store = NULL;
	struct ui ui = { 0 };
	const char *name = NULL;
	char **tags = NULL;
	size_t ntags = 0;
	int r, rc = 1, all_tags = 0;

	cli_split_shorts(&argc, &argv, "aq");
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_trust_option(&trust, "sr", argc, argv, &i)) != 0 ||
		    (r = cli_number(argc, argv, &i, "--chunk-size", 0, INT64_MAX, &opts.chunk_size)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--max-concurrent-uploads", 1, 1024, &opts.concurrency)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--jobs", 1, 1024, &opts.concurrency)) != 0 ||
		    (r = cli_int(argc, argv, &i, "-j", 1, 1024, &opts.concurrency)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all-tags")) {
			all_tags = 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			ui.quiet = 1;
		} else if ((r = cli_one_argument(&cli, argv[i], &name, options, NULL)) >= 0) {
			return r;
		}
	}
	if (!name)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	if (limg_reference_parse_normalized(&given, name) < 0 || limg_reference_parse_docker(&ref, name) < 0) {
		/* the library's message says "invalid reference format: ..." as docker does */
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		goto out;
	}
	if (all_tags && (limg_reference_tag(given) || limg_reference_digest(given))) {
		fprintf(stderr, "tag can't be used with --all-tags/-a\n");
		goto out;
	}
	/* a push only reads: a store must be there (a mistyped --store makes none), and another
	 * tool's layout is opened read-only, so skopeo's stays as it was; our own store keeps
	 * where blobs went (for cross-repository mounts later); no default store yet: no image */
	if (cli_trust_load(&trust) < 0 || cli_open_store(&cli, &store, CLI_STORE_READ_LEASED, 1) < 0)
		goto out;
	if (all_tags) {
		if (store && stored_tags(store, given, &tags, &ntags) < 0)
			goto out;
		if (!ntags) {
			fprintf(stderr, "An image does not exist locally with the tag: %s\n", limg_reference_familiar_name(given));
			goto out;
		}
	}
	if (cli_session(&cli, &session) < 0)
		goto out;
	if (!ui.quiet) {
		if (!all_tags && !limg_reference_tag(given) && !limg_reference_digest(given))
			printf("Using default tag: latest\n");
		printf("The push refers to repository [%s]\n", limg_reference_name(ref));
		fflush(stdout);
	}
	ui.digest = limg_reference_digest(ref);
	opts.platform = cli.platform;
	opts.session = session;
	opts.cancel = cli_cancel_on_signals();
	opts.sign_by = trust.signer;
	opts.sign_format = trust.sign_format;
	opts.sign_identity = trust.sign_identity;
	opts.sign_recursive = trust.sign_recursive;
	opts.referrers = trust.referrers;
	cb.progress = on_progress;
	cb.payload = &ui;
	rc = 0;
	for (size_t i = 0; i < (all_tags ? ntags : 1) && rc == 0; i++) {
		const char *one = all_tags ? tags[i] : name;
		if (!store) {
			fprintf(stderr, "An image does not exist locally with the tag: %s\n",
			        limg_reference_familiar_name(ref));
			rc = 1;
		} else if (limg_push(&digest, store, one, &opts, &cb) < 0) {
			report_failure(all_tags ? one : limg_reference_familiar_name(ref), ref);
			rc = 1;
		} else if (trust.signer && !ui.quiet) {
			printf("Signed %s@%s (%s)\n", limg_reference_name(ref), digest.ptr,
			       trust.sign_format == LIMG_SIGNATURE_BUNDLE ? "a Sigstore bundle referrer" : "the .sig tag");
		}
	}
	if (rc == 0 && ui.quiet)
		printf("%s\n", all_tags ? limg_reference_name(ref) : limg_reference_string(ref));
	cli_cancel_done(opts.cancel);
out:
	for (size_t i = 0; i < ntags; i++)
		free(tags[i]);
	free(tags);
	limg_buf_dispose(&digest);
	limg_session_free(session);
	limg_store_close(store);
	limg_reference_free(ref);
	limg_reference_free(given);
	cli_trust_done(&trust);
	cli_done(&cli);
	return rc;
}
