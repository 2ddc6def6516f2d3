/* SPDX-License-Identifier: MIT */
/*
 * limg-load: docker load, on libimage.
 *
 *   limg-load [OPTIONS] [-i FILE]     (or from stdin)
 *
 * Reads docker save archives (current and legacy), skopeo's and podman's
 * docker-archive and oci-archive tars, plain or gzip/zstd compressed, and
 * prints "Loaded image: NAME:TAG" or "Loaded image ID: sha256:..." per image,
 * after Docker's "The image ... already exists, renaming the old one ..."
 * when a tag moves to another image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "format.h"

/* The image each tag pointed at before the load: "name:tag" -> image ID,
 * in an open-addressed table (a load may name 10,000 tags, a store hold
 * 100,000: a list searched per tag took most of such a load's time). */
struct before {
	char **names, **ids; /* slots: NULL names are free */
	size_t n, cap;       /* cap: a power of two, or 0 */
};

static size_t slot_of(const struct before *b, const char *name)
{
	size_t h = 14695981039346656037u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	for (h &= b->cap - 1; b->names[h] && strcmp(b->names[h], name); h = (h + 1) & (b->cap - 1))
		;
	return h;
}

static int grow(struct before *b)
{
	struct before bigger = { NULL, NULL, b->n, b->cap ? b->cap * 2 : 64 };

	if (!(bigger.names = calloc(bigger.cap, sizeof *bigger.names)) ||
	    !(bigger.ids = calloc(bigger.cap, sizeof *bigger.ids))) {
		free(bigger.names);
		return -1;
	}
	for (size_t i = 0; i < b->cap; i++)
		if (b->names[i]) {
			size_t at = slot_of(&bigger, b->names[i]);
			bigger.names[at] = b->names[i];
			bigger.ids[at] = b->ids[i];
		}
	free(b->names);
	free(b->ids);
	*b = bigger;
	return 0;
}

static int remember(struct before *b, const char *name, const char *id)
{
	char *copy;
	size_t at;

	if (2 * (b->n + 1) > b->cap && grow(b) < 0)
		return -1;
	at = slot_of(b, name);
	if (!(copy = strdup(id)))
		return -1;
	if (!b->names[at]) {
		if (!(b->names[at] = strdup(name))) {
			free(copy);
			return -1;
		}
		b->n++;
	}
	free(b->ids[at]);
	b->ids[at] = copy;
	return 0;
}

static const char *id_before(const struct before *b, const char *name)
{
	return b->cap ? b->ids[slot_of(b, name)] : NULL;
}

static void before_free(struct before *b)
{
	for (size_t i = 0; i < b->cap; i++) {
		free(b->names[i]);
		free(b->ids[i]);
	}
	free(b->names);
	free(b->ids);
}

/* What the store's tags point at now, in the short form the load reports them in. */
static int snapshot(struct before *b, limg_store *store)
{
	limg_images_iterator *it = NULL;
	const limg_images_row *row;
	char name[1024];
	int rc = 0;

	if (limg_images_iterator_new(&it, store, NULL) < 0)
		return -1;
	while (rc == 0 && limg_images_iterator_next(&row, it) == 0) {
		if (!limg_images_row_repository(row) || !limg_images_row_tag(row) || !limg_images_row_id(row))
			continue;
		snprintf(name, sizeof name, "%s:%s", limg_images_row_repository(row), limg_images_row_tag(row));
		rc = remember(b, name, limg_images_row_id(row));
	}
	limg_images_iterator_free(it);
	return rc;
}

static int on_loaded(const char *reference, const char *image_id, void *payload)
{
	struct before *b = payload;
	const char *old = reference ? id_before(b, reference) : NULL;
	char shown[1024];

	if (old && strcmp(old, image_id))
		/* moby's tarexport: the tag moves, the old image stays (untagged) */
		printf("The image %s already exists, renaming the old one with ID %s to empty string\n",
		       format_printable(shown, sizeof shown, reference), old);
	if (reference) {
		printf("Loaded image: %s\n", format_printable(shown, sizeof shown, reference));
		if (remember(b, reference, image_id) < 0)
			return LIMG_ENOMEM;
	} else {
		printf("Loaded image ID: %s\n", image_id);
	}
	fflush(stdout);
	return 0;
}

static const char options[] = "  -i, --input FILE      Read from tar archive file, instead of STDIN\n"
                              "  -q, --quiet           Suppress the load output (there is no progress bar to hide)\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-load", .usage = "[OPTIONS]", .about = "Load an image from a tar archive or STDIN",
		           .uses = CLI_STORE | CLI_PLATFORM };
	limg_archive_load_opts opts = LIMG_ARCHIVE_LOAD_OPTS_INIT;
	limg_archive_load_callbacks cb = LIMG_ARCHIVE_LOAD_CALLBACKS_INIT;
	struct before before = { 0 };
	const char *input = NULL;
	limg_store *store = NULL;
	int fd = STDIN_FILENO, r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-i", &input)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--input", &input)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			/* docker's -q hides the progress bar; "Loaded image" lines are still printed */
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_unknown_flag(&cli, argv[i]);
		} else {
			return cli_bad_args(&cli, "accepts no arguments");
		}
	}
	if (!input && isatty(STDIN_FILENO)) {
		fprintf(stderr, "requested load from stdin, but stdin is empty\n");
		return 1;
	}
	if (input && (fd = open(input, O_RDONLY | O_CLOEXEC)) < 0) {
		const char *why = strerror(errno);

		/* Go's words for an errno are the C library's, lowercase: "open F: no such file or directory" */
		fprintf(stderr, "open %s: %c%s\n", input, why[0] >= 'A' && why[0] <= 'Z' ? why[0] - 'A' + 'a' : why[0], why + 1);
		return 1;
	}
	if (cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0)
		goto out;
	if (snapshot(&before, store) < 0) {
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
		goto out;
	}
	opts.cancel = cli_cancel_on_signals();
	opts.platform = cli.platform; /* of an index: the image that must be whole (default this machine's) */
	cb.loaded = on_loaded;
	cb.payload = &before;
	if (limg_archive_load(store, fd, &opts, &cb) == 0)
		rc = 0;
	else /* the daemon reports a load's failure in its stream: no "Error response from daemon" */
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
	cli_cancel_done(opts.cancel);
out:
	if (input)
		close(fd);
	before_free(&before);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
