/*
 * limg-pull: docker pull, on libimage.
 *
 *   limg-pull [OPTIONS] NAME[:TAG|@DIGEST]
 *
 * Prints what `docker pull` prints: per-layer lines (a live progress bar
 * redrawn in place on a terminal, plain lines otherwise), the digest, the
 * status, and the canonical reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "format.h"

struct ui {
	int tty, quiet, hide_layers;
	char ids[256][13]; /* layers in the order their lines were printed */
	size_t n;
};

static const char *status_text(int event)
{
	switch (event) {
	case LIMG_PULL_WAITING:
		return "Pulling fs layer";
	case LIMG_PULL_EXISTS:
		return "Already exists";
	case LIMG_PULL_DOWNLOADING:
		return "Downloading";
	case LIMG_PULL_VERIFYING:
		return "Verifying Checksum";
	case LIMG_PULL_DOWNLOADED:
		return "Download complete";
	case LIMG_PULL_COMPLETE:
		return "Pull complete";
	case LIMG_PULL_SKIPPED:
		return "Skipped foreign layer";
	}
	return NULL;
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
	if (event == LIMG_PULL_DOWNLOADING && total > 0) {
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

static int on_progress(const char *digest, int kind, int event, int64_t done, int64_t total, void *payload)
{
	struct ui *ui = payload;
	char id[13];

	/* a config already stored means the image is: docker then shows no layers */
	if (kind == LIMG_PULL_CONFIG && event == LIMG_PULL_EXISTS)
		ui->hide_layers = 1;
	if (ui->quiet || ui->hide_layers || kind != LIMG_PULL_LAYER || !status_text(event))
		return 0;
	snprintf(id, sizeof id, "%.12s", strchr(digest, ':') + 1);
	if (ui->tty) {
		draw(ui, id, event, done, total);
	} else if (event != LIMG_PULL_DOWNLOADING) {
		/* off a terminal, progress updates are dropped, as docker does */
		printf("%s: %s\n", id, status_text(event));
	}
	return 0;
}

/* "--name N" or "--name=N" into *@value; 1 when it was that option. */
static int numeric_option(char **argv, int argc, int *i, const char *name, int64_t *value)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*value = strtoll(argv[*i] + n + 1, NULL, 10);
		return 1;
	}
	if (!strcmp(argv[*i], name) && *i + 1 < argc) {
		*value = strtoll(argv[++*i], NULL, 10);
		return 1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: limg-pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nDownload an image from a registry\n\n"
	             "Options:\n" CLI_COMMON_USAGE "  -q, --quiet          print only the canonical reference\n"
	             "      --max-concurrent-downloads N  layers fetched at once (default 3, as docker)\n"
	             "      --no-diff-ids    do not unpack layers to check them against the config\n"
	             "                       (blob digests are still verified; for mirroring tools)\n"
	             "      --registry-mirror URL  fetch docker.io images from this mirror first (Docker Hub if it fails)\n"
	             "                       (default $LIBIMAGE_REGISTRY_MIRROR)\n"
	             "      --range-threshold BYTES  fetch blobs this big as parallel Range requests\n"
	             "                       from the registry itself, not from a mirror\n"
	             "                       (default 16 MiB; -1: never)\n"
	             "      --range-chunk BYTES   bytes per Range request\n"
	             "                       (default: about two per connection, 4-32 MiB each)\n"
	             "      --range-parallel N    Range requests at once for one blob (default 4)\n");
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct ui ui = { 0 };
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT;
	limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;
	limg_reference *ref = NULL, *given = NULL;
	limg_store *store;
	limg_image *img = NULL;
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
		else if (!strcmp(argv[i], "--no-diff-ids"))
			opts.verify_diff_ids = 0;
		else if (!strncmp(argv[i], "--max-concurrent-downloads=", 27))
			opts.concurrency = atoi(argv[i] + 27);
		else if (!strcmp(argv[i], "--max-concurrent-downloads") && i + 1 < argc)
			opts.concurrency = atoi(argv[++i]);
		else if (numeric_option(argv, argc, &i, "--range-threshold", &opts.range_threshold) ||
		         numeric_option(argv, argc, &i, "--range-chunk", &opts.range_chunk))
			;
		else if (!strcmp(argv[i], "--range-parallel") && i + 1 < argc)
			opts.range_parallel = atoi(argv[++i]);
		else if (!strncmp(argv[i], "--registry-mirror=", 18))
			opts.docker_hub_mirror = argv[i] + 18;
		else if (!strcmp(argv[i], "--registry-mirror") && i + 1 < argc)
			opts.docker_hub_mirror = argv[++i];
		else if (cli_is_help(argv[i]))
			return usage(stdout), 0;
		else if (argv[i][0] == '-' || name)
			return usage(stderr), 1;
		else
			name = argv[i];
	}
	if (!name)
		return usage(stderr), 1;
	if (limg_reference_parse_normalized(&given, name) < 0 || limg_reference_parse_docker(&ref, name) < 0)
		return fprintf(stderr, "invalid reference format: %s\n", limg_error_message(limg_error_last())), 1;
	if (cli_open_store(&cli, &store, 1) < 0)
		return 1;
	ui.tty = isatty(1);
	if (!ui.quiet) {
		if (!limg_reference_tag(given) && !limg_reference_digest(given))
			printf("Using default tag: latest\n");
		printf("%s: Pulling from %s\n",
		       limg_reference_tag(ref) ? limg_reference_tag(ref) : limg_reference_digest(ref),
		       limg_reference_path(ref));
		fflush(stdout);
	}
	if (!opts.docker_hub_mirror && getenv("LIBIMAGE_REGISTRY_MIRROR") && *getenv("LIBIMAGE_REGISTRY_MIRROR"))
		opts.docker_hub_mirror = getenv("LIBIMAGE_REGISTRY_MIRROR");
	opts.platform = cli.platform;
	opts.registry = &cli.registry;
	opts.cancel = cli_cancel_on_signals(); /* Ctrl-C stops it cleanly, resumable */
	cb.progress = on_progress;
	cb.payload = &ui;
	rc = limg_pull(&img, store, name, &opts, &cb);
	if (rc != 0) {
		const limg_error *e = limg_error_last();
		/* docker's words for the registry's own refusals; anything else (a blob
		 * missing here, a file) is said as it is */
		int registry_said = limg_error_http_status(e) == 401 || limg_error_http_status(e) == 403 ||
		                    limg_error_http_status(e) == 404;
		if (registry_said && !strcmp(limg_error_registry_code(e), "MANIFEST_UNKNOWN"))
			fprintf(stderr, "Error response from daemon: manifest for %s not found: manifest unknown: manifest unknown\n",
			        limg_reference_familiar_string(ref));
		else if (registry_said && (limg_error_code(e) == LIMG_EAUTH || limg_error_code(e) == LIMG_ENOTFOUND))
			fprintf(stderr, "Error response from daemon: pull access denied for %s, repository does not exist or may "
			                "require 'docker login': %s\n",
			        limg_reference_familiar_name(ref), limg_error_message(e));
		else
			cli_fail(NULL);
		rc = 1;
	} else {
		limg_reference *pulled = NULL;
		if (!ui.quiet) {
			printf("Digest: %s\n", limg_image_digest(img));
			limg_reference_parse_normalized(&pulled, limg_image_reference(img));
			printf("Status: %s for %s\n", limg_image_up_to_date(img) ? "Image is up to date" : "Downloaded newer image",
			       limg_reference_familiar_string(pulled));
			limg_reference_free(pulled);
		}
		printf("%s\n", limg_image_reference(img));
		rc = 0;
	}
	limg_image_free(img);
	limg_reference_free(ref);
	limg_reference_free(given);
	limg_store_close(store);
	cli_cancel_done(opts.cancel);
	return rc;
}
