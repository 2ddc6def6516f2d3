/* SPDX-License-Identifier: MIT */
/*
 * limg-pull: docker pull, on libimage.
 *
 *   limg-pull [OPTIONS] NAME[:TAG|@DIGEST]
 *   limg-pull --unpack DIR [--bundle] [...] NAME[:TAG|@DIGEST]
 *
 * Prints what `docker pull` prints: per-layer lines (a live progress bar
 * redrawn in place on a terminal, plain lines otherwise), the digest, the
 * status, and the canonical reference. With --unpack, the image's root
 * filesystem (or bundle) is made in DIR while its layers download, in one
 * pass (limg_pull_unpack).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "format.h"

struct ui {
	int tty, quiet, verbose, hide_layers;
	int skipped; /* foreign layers not fetched (--skip-foreign-layers) */
	char ids[256][13]; /* layers in the order their lines were printed */
	size_t n;
};

static const char *status_text(int event)
{
	switch (event) {
	case LIMG_EVENT_WAITING:
		return "Pulling fs layer";
	case LIMG_EVENT_EXISTS:
		return "Already exists";
	case LIMG_EVENT_DOWNLOADING:
		return "Downloading";
	case LIMG_EVENT_VERIFYING:
		return "Verifying Checksum";
	case LIMG_EVENT_DOWNLOADED:
		return "Download complete";
	case LIMG_EVENT_COMPLETE:
		return "Pull complete";
	case LIMG_EVENT_SKIPPED:
		return "Skipped foreign layer";
	case LIMG_EVENT_LAYER_DONE:
		return "Unpacked"; /* --unpack */
	}
	return NULL; /* an event this program does not show (or does not know) */
}

/* The line of a layer on a terminal: docker's jsonmessage rendering. */
static void draw(struct ui *ui, const char *id, int event, int64_t done, int64_t total)
{
	size_t line = ui->n;
	char bar[64] = "", cur[32], tot[32];

	for (size_t i = 0; i < ui->n; i++)
		if (!strcmp(ui->ids[i], id))
			line = i;
	if (line == ui->n) {
		if (ui->n == sizeof ui->ids / sizeof ui->ids[0])
			return;
		strcpy(ui->ids[ui->n++], id);
		printf("\n");
	}
	if (event == LIMG_EVENT_DOWNLOADING && total > 0) {
		/* docker's bar: "=" per 2 %, ">", then spaces to 50 */
		int p = (int)(done * 100 / total) / 2;
		if (p > 50)
			p = 50;
		memset(bar, '=', (size_t)p);
		bar[p] = '>';
		memset(bar + p + 1, ' ', (size_t)(50 - p));
		bar[51] = '\0';
		format_size(cur, sizeof cur, (double)done, 4);
		format_size(tot, sizeof tot, (double)total, 4);
	}
	/* up to the layer's line, erase it, write, and back down */
	printf("\x1b[%zuA\x1b[2K\r%s: %s", ui->n - line, id, status_text(event));
	if (bar[0])
		printf(" [%s] %8s/%s", bar, cur, tot);
	printf("\r\x1b[%zuB", ui->n - line);
	fflush(stdout);
}

static int on_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                       void *payload)
{
	struct ui *ui = payload;
	char id[13];

	(void)detail;
	if (kind == LIMG_BLOB_LAYER && event == LIMG_EVENT_SKIPPED) {
		ui->skipped++;
		if (ui->verbose && digest)
			fprintf(stderr, "info: foreign layer %s (%lld bytes) skipped: non-distributable, not fetched\n",
			        digest, (long long)total);
	}
	/* a config already stored means the image is: docker then shows no layers (but those it still
	 * has to fetch, as foreign layers an earlier pull skipped) */
	if (kind == LIMG_BLOB_CONFIG && event == LIMG_EVENT_EXISTS)
		ui->hide_layers = 1;
	if (ui->quiet || (ui->hide_layers && event == LIMG_EVENT_EXISTS) || kind != LIMG_BLOB_LAYER || !digest ||
	    !status_text(event))
		return 0;
	snprintf(id, sizeof id, "%.12s", strchr(digest, ':') ? strchr(digest, ':') + 1 : digest);
	if (ui->tty) {
		draw(ui, id, event, done, total);
	} else if (event != LIMG_EVENT_DOWNLOADING) {
		/* off a terminal, progress updates are dropped, as docker does */
		printf("%s: %s\n", id, status_text(event));
	}
	return 0;
}

static const char options[] =
	"  -a, --all-tags        Download all tagged images in the repository\n"
	"  -q, --quiet           Suppress verbose output: print only the canonical reference\n"
	"  -v, --verbose         Say on stderr what the library does (mirrors tried, foreign layers skipped)\n"
	"      --max-concurrent-downloads N  layers fetched at once (default 3, as docker; --jobs N, -j N too)\n"
	"      --allow-foreign-urls  fetch foreign (non-distributable) layers the registry lacks\n"
	"                        from the URLs their descriptor lists (other hosts; http(s) only,\n"
	"                        no credentials, verified as any layer)\n"
	"      --skip-foreign-layers  do not fetch foreign layers: the image is stored incomplete\n"
	"                        (listed so; unpack and save refuse it until a pull fetches them)\n"
	"      --no-diff-ids     do not unpack layers to check them against the config\n"
	"                        (blob digests are still verified; for mirroring tools)\n"
	"      --registry-mirror URL  fetch docker.io images from this mirror first (Docker Hub if it fails)\n"
	"                        (default $LIBIMAGE_REGISTRY_MIRROR)\n"
	"      --range-threshold BYTES  fetch blobs this big as parallel Range requests\n"
	"                        from the registry itself, not from a mirror (default 16 MiB; -1: never)\n"
	"      --range-chunk BYTES   bytes per Range request (default: about two per connection, 4-32 MiB each)\n"
	"      --range-parallel N    Range requests at once for one blob (default 4)\n"
	"      --unpack DIR      also make the image's root filesystem in DIR (absent, empty, or left\n"
	"                        incomplete by an earlier unpack) as the layers download, in one pass\n"
	"      --bundle          with --unpack: DIR/rootfs and DIR/config.json, a bundle for crun or runc\n"
	"      --rootless        with --unpack: as an unprivileged user would (the default when not root)\n"
	"      --discard-layers  with --unpack: do not keep the layer blobs once unpacked (the image\n"
	"                        is then stored incomplete)\n"
	"      --keep-failed     with --unpack: a failure leaves DIR as it is, marked incomplete\n"
	"                        (xattr " LIMG_UNPACK_INCOMPLETE_XATTR "), instead of removing it\n"
	"      --referrers       also fetch what refers to the image (signatures, SBOMs) and keep it\n"
	"                        beside the image (for limg-verify --local, limg-save, limg-push)\n"
	CLI_POLICY_OPTIONS;

/* What docker says when the pull fails: the registry's refusals in its words, the rest as it is. */
static void report_failure(const limg_reference *ref)
{
	const limg_error *e = limg_error_last();
	int code = limg_error_code(e), subject = limg_error_subject(e);

	if (code == LIMG_ENOTFOUND && subject == LIMG_SUBJECT_MANIFEST) {
		/* the tag (or digest) is not in the repository */
		fprintf(stderr, "Error response from daemon: manifest for %s not found: manifest unknown: manifest unknown\n",
		        limg_reference_familiar_string(ref));
	} else if (code == LIMG_EAUTH && subject == LIMG_SUBJECT_CREDENTIALS) {
		/* credentials were given (config.json, a helper) and refused */
		fprintf(stderr, "Error response from daemon: %s\n", limg_error_message(e));
		fprintf(stderr, "hint: log in to %s again: limg-login %s\n", limg_error_object(e), limg_error_object(e));
	} else if ((code == LIMG_ENOTFOUND && subject == LIMG_SUBJECT_REPOSITORY) ||
	           (code == LIMG_EAUTH && limg_error_http_status(e))) {
		/* no such repository, or one we may not read: registries do not tell them apart */
		fprintf(stderr, "Error response from daemon: pull access denied for %s, repository does not exist or may "
		                "require 'docker login': %s\n",
		        limg_reference_familiar_name(ref), limg_error_message(e));
	} else if (code == LIMG_EREJECTED) {
		/* podman's words, then the policy's verdict: the image, the scope, why */
		fprintf(stderr, "Error: Source image rejected: %s\n", limg_error_message(e));
	} else if (subject == LIMG_SUBJECT_BLOB || subject == LIMG_SUBJECT_LAYER || subject == LIMG_SUBJECT_CONFIG) {
		/* a blob the registry lacks or one that does not verify: docker reports it in the
		 * pull's stream, after the layer lines, without the daemon's prefix */
		fprintf(stderr, "%s\n", limg_error_message(e));
	} else {
		cli_fail(); /* the network, a certificate (with a hint), ... */
	}
}

/* After a pull that left foreign layers out: the image cannot be unpacked or saved yet. */
static void warn_incomplete(const struct ui *ui)
{
	if (ui->skipped)
		fprintf(stderr, "warning: the image is incomplete: %d foreign layer%s not pulled; it cannot be unpacked "
		                "or saved until a pull without --skip-foreign-layers fetches %s\n",
		        ui->skipped, ui->skipped == 1 ? " was" : "s were", ui->skipped == 1 ? "it" : "them");
}

/* The tags of a repository, as the registry lists them. */
struct tags {
	char **names;
	size_t n, cap;
};

static int add_tag(const char *name, void *payload)
{
	struct tags *t = payload;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **names = realloc(t->names, cap * sizeof *names);
		if (!names)
			return LIMG_ENOMEM;
		t->names = names;
		t->cap = cap;
	}
	if (!(t->names[t->n] = strdup(name)))
		return LIMG_ENOMEM;
	t->n++;
	return 0;
}

static void tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
}

static int list_tags(struct tags *out, limg_session *session, const limg_reference *ref, limg_cancel *cancel)
{
	limg_registry_list_opts lo = LIMG_REGISTRY_LIST_OPTS_INIT;
	limg_registry_list_callbacks lc = LIMG_REGISTRY_LIST_CALLBACKS_INIT;
	limg_registry *registry = NULL;
	int rc;

	lo.cancel = cancel;
	lc.name = add_tag;
	lc.payload = out;
	if ((rc = limg_session_registry(&registry, session, limg_reference_domain(ref))) == 0)
		rc = limg_registry_tags_foreach(registry, limg_reference_path(ref), &lo, &lc);
	limg_registry_close(registry);
	return rc;
}

/* One tag (or digest) pulled, with docker's lines around it; 1 when it brought new content, 0 when it was up
 * to date, -1 when it failed (the error is limg_error_last()). */
static int pull_one(limg_store *store, const char *name, const char *shown_tag, const limg_reference *ref,
                    const limg_pull_opts *opts, struct ui *ui)
{
	limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;
	limg_pull_result *result = NULL;
	int rc;

	ui->n = 0;
	ui->hide_layers = 0;
	ui->skipped = 0;
	if (!ui->quiet) {
		printf("%s: Pulling from %s\n", shown_tag, limg_reference_path(ref));
		fflush(stdout);
	}
	cb.progress = on_progress;
	cb.payload = ui;
	if (limg_pull(&result, store, name, opts, &cb) < 0)
		return -1;
	if (!ui->quiet)
		printf("Digest: %s\n", limg_pull_result_digest(result));
	warn_incomplete(ui);
	rc = !limg_pull_result_up_to_date(result);
	limg_pull_result_free(result);
	return rc;
}

/* docker pull --all-tags: every tag the registry lists, one after the other;
 * a tag that fails does not stop the others (the daemon only logs it). */
static int pull_all_tags(limg_store *store, limg_session *session, const limg_reference *ref, limg_pull_opts *opts,
                         struct ui *ui)
{
	struct tags tags = { 0 };
	size_t pulled = 0;
	int newer = 0, rc = 1;

	if (list_tags(&tags, session, ref, opts->cancel) < 0) {
		report_failure(ref);
		goto out;
	}
	for (size_t i = 0; i < tags.n && !limg_cancel_requested(opts->cancel); i++) {
		char *name = NULL;
		int r;
		if (asprintf(&name, "%s:%s", limg_reference_name(ref), tags.names[i]) < 0) {
			fprintf(stderr, "Error: out of memory\n");
			goto out;
		}
		r = pull_one(store, name, tags.names[i], ref, opts, ui);
		if (r < 0)
			fprintf(stderr, "error pulling %s: %s\n", name, limg_error_message(limg_error_last()));
		else
			pulled++, newer |= r;
		free(name);
	}
	if (limg_cancel_requested(opts->cancel)) {
		fprintf(stderr, "%s\n", limg_strerror(LIMG_ECANCELLED));
		goto out;
	}
	if (tags.n && !pulled) {
		fprintf(stderr, "Error response from daemon: no tag of %s could be pulled\n", limg_reference_familiar_name(ref));
		goto out;
	}
	if (!ui->quiet)
		printf("Status: %s for %s\n", newer ? "Downloaded newer image" : "Image is up to date",
		       limg_reference_familiar_name(ref));
	printf("%s\n", limg_reference_name(ref));
	rc = 0;
out:
	tags_free(&tags);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-pull", .usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
		           .about = "Download an image from a registry", .uses = CLI_STORE | CLI_PLATFORM | CLI_REGISTRY };
	struct cli_trust trust = { 0 };
	struct ui ui = { 0 };
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT;
	limg_reference *ref = NULL, *given = NULL;
	limg_session *session = NULL;
	limg_store *store = NULL;
	limg_pull_unpack_opts fused = LIMG_PULL_UNPACK_OPTS_INIT;
	limg_unpack_opts unpack = LIMG_UNPACK_OPTS_INIT;
	const char *name = NULL, *dir = NULL;
	int64_t threshold;
	int r, rc = 1, all_tags = 0, verbose = 0;
	int unpack_only = 0; /* options that need --unpack */

	cli_split_shorts(&argc, &argv, "aqv");
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_trust_option(&trust, "pr", argc, argv, &i)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--max-concurrent-downloads", 1, 1024, &opts.concurrency)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--jobs", 1, 1024, &opts.concurrency)) != 0 ||
		    (r = cli_int(argc, argv, &i, "-j", 1, 1024, &opts.concurrency)) != 0 ||
		    (r = cli_number(argc, argv, &i, "--range-chunk", 0, INT64_MAX, &opts.range_chunk)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--range-parallel", 0, 1024, &opts.range_parallel)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--registry-mirror", &cli.mirror)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--unpack", &dir)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_number(argc, argv, &i, "--range-threshold", -1, INT64_MAX, &threshold)) != 0) {
			if (r < 0)
				return 1;
			/* -1: never; 0: the library's default */
			opts.no_ranges = threshold < 0;
			opts.range_threshold = threshold < 0 ? 0 : threshold;
		} else if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all-tags")) {
			all_tags = 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			ui.quiet = 1;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose = ui.verbose = 1;
		} else if (!strcmp(argv[i], "--no-diff-ids")) {
			opts.skip_diff_ids = 1;
		} else if (!strcmp(argv[i], "--allow-foreign-urls")) {
			opts.foreign_layers = LIMG_FOREIGN_URLS;
		} else if (!strcmp(argv[i], "--skip-foreign-layers")) {
			opts.foreign_layers = LIMG_FOREIGN_SKIP;
		} else if (!strcmp(argv[i], "--bundle")) {
			unpack.bundle = unpack_only = 1;
		} else if (!strcmp(argv[i], "--rootless")) {
			unpack.rootless = LIMG_ROOTLESS_ON;
			unpack_only = 1;
		} else if (!strcmp(argv[i], "--discard-layers")) {
			fused.layer_blobs = LIMG_LAYER_BLOBS_DISCARD;
			unpack_only = 1;
		} else if (!strcmp(argv[i], "--keep-failed")) {
			unpack.on_failure = LIMG_UNPACK_FAILED_KEEP;
			unpack_only = 1;
		} else if ((r = cli_one_argument(&cli, argv[i], &name, options, NULL)) >= 0) {
			return r;
		}
	}
	if (!name)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	if (unpack_only && !dir) {
		fprintf(stderr, "--bundle, --rootless, --discard-layers and --keep-failed go with --unpack DIR\n");
		return 1;
	}
	if (dir && opts.skip_diff_ids) {
		fprintf(stderr, "--no-diff-ids cannot go with --unpack: a root filesystem is made only of checked layers\n");
		return 1;
	}
	if (dir && all_tags) {
		fprintf(stderr, "--unpack cannot go with --all-tags/-a: one image makes one root filesystem\n");
		return 1;
	}
	if (limg_reference_parse_normalized(&given, name) < 0 || limg_reference_parse_docker(&ref, name) < 0) {
		/* the library's message says "invalid reference format: ..." as docker does */
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		goto out;
	}
	if (all_tags && (limg_reference_tag(given) || limg_reference_digest(given))) {
		fprintf(stderr, "tag can't be used with --all-tags/-a\n");
		goto out;
	}
	if (verbose)
		cli_log_to_stderr(&cli, LIMG_LOG_INFO);
	if (!cli.mirror)
		cli.mirror = getenv("LIBIMAGE_REGISTRY_MIRROR");
	if (cli_trust_load(&trust) < 0 || cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0 ||
	    cli_session(&cli, &session) < 0)
		goto out;
	ui.tty = isatty(1);
	opts.platform = cli.platform;
	opts.session = session;
	/* foreign (non-distributable) layers come from the registry, as Docker and podman fetch them;
	 * from their URLs with --allow-foreign-urls; not at all with --skip-foreign-layers */
	opts.cancel = cli_cancel_on_signals(); /* Ctrl-C stops it cleanly, resumable */
	opts.policy = trust.policy;
	opts.referrers = trust.referrers;
	if (all_tags) {
		rc = pull_all_tags(store, session, ref, &opts, &ui);
	} else {
		limg_pull_result *result = NULL;
		limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;
		if (!ui.quiet) {
			if (!limg_reference_tag(given) && !limg_reference_digest(given))
				printf("Using default tag: latest\n");
			printf("%s: Pulling from %s\n",
			       limg_reference_tag(ref) ? limg_reference_tag(ref) : limg_reference_digest(ref),
			       limg_reference_path(ref));
			fflush(stdout);
		}
		cb.progress = on_progress;
		cb.payload = &ui;
		if (dir) {
			limg_pull_unpack_callbacks fused_cb = LIMG_PULL_UNPACK_CALLBACKS_INIT;
			unpack.no_terminal = !isatty(STDIN_FILENO); /* crun needs a terminal for terminal: true */
			fused.pull = &opts;
			fused.unpack = &unpack;
			fused_cb.progress = on_progress;
			fused_cb.payload = &ui;
			r = limg_pull_unpack(&result, store, name, dir, &fused, &fused_cb);
		} else {
			r = limg_pull(&result, store, name, &opts, &cb);
		}
		if (r < 0) {
			report_failure(ref);
		} else {
			limg_reference *pulled = NULL;
			if (!ui.quiet) {
				printf("Digest: %s\n", limg_pull_result_digest(result));
				if (limg_reference_parse_normalized(&pulled, limg_pull_result_reference(result)) == 0)
					printf("Status: %s for %s\n",
					       limg_pull_result_up_to_date(result) ? "Image is up to date"
					                                           : "Downloaded newer image",
					       limg_reference_familiar_string(pulled));
				limg_reference_free(pulled);
			}
			printf("%s\n", limg_pull_result_reference(result));
			warn_incomplete(&ui);
			rc = 0;
		}
		limg_pull_result_free(result);
	}
	cli_cancel_done(opts.cancel);
out:
	limg_session_free(session);
	limg_store_close(store);
	limg_reference_free(ref);
	limg_reference_free(given);
	cli_trust_done(&trust);
	cli_done(&cli);
	return rc;
}
