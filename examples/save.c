/*
 * limg-save: docker save, on libimage.
 *
 *   limg-save [OPTIONS] -o FILE IMAGE...     (or to stdout when it is no terminal)
 *
 * Writes the archive Docker 25+ writes (an OCI layout with manifest.json and
 * repositories). With -o, the file appears whole or not at all.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void usage(FILE *to)
{
	fprintf(to, "Usage: limg-save [OPTIONS] IMAGE [IMAGE...]\n\nSave one or more images to a tar archive "
	            "(streamed to STDOUT by default)\n\nOptions:\n"
	            "  -o, --output FILE    write to a file, instead of STDOUT\n" CLI_COMMON_USAGE);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_save_opts opts = LIMG_SAVE_OPTS_INIT;
	const char **images = calloc((size_t)argc, sizeof *images);
	const char *output = NULL;
	char *tmp = NULL;
	limg_store *store;
	size_t n = 0;
	int fd = STDOUT_FILENO, rc;

	for (int i = 1; i < argc; i++) {
		int r = cli_option(&cli, argc, argv, &i);
		if (r < 0)
			return 1;
		if (r)
			continue;
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			output = argv[++i];
		else if (!strncmp(argv[i], "--output=", 9))
			output = argv[i] + 9;
		else if (cli_is_help(argv[i]))
			return usage(stdout), 0;
		else if (argv[i][0] == '-')
			return usage(stderr), 1;
		else
			images[n++] = argv[i];
	}
	if (!n) {
		fprintf(stderr, "\"limg-save\" requires at least 1 argument.\n");
		return 1;
	}
	if (!output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
		return 1;
	}
	if (cli_open_store(&cli, &store, 0) < 0)
		return 1;
	if (output) {
		/* written beside the target and renamed when complete */
		if (asprintf(&tmp, "%s.tmp-XXXXXX", output) < 0 || (fd = mkstemp(tmp)) < 0) {
			fprintf(stderr, "Error: cannot create %s: %m\n", output);
			limg_store_close(store);
			return 1;
		}
		fchmod(fd, 0644);
	}
	opts.cancel = cli_cancel_on_signals();
	opts.platform = cli.platform;
	rc = limg_save(store, images, n, fd, &opts);
	if (rc == 0 && output && (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, output) < 0)) {
		fprintf(stderr, "Error: cannot write %s: %m\n", output);
		rc = -1;
	} else if (rc != 0) {
		const limg_error *e = limg_error_last();
		if (limg_error_code(e) == LIMG_ENOTFOUND && strstr(limg_error_message(e), "No such image"))
			fprintf(stderr, "Error response from daemon: %s\n", limg_error_message(e));
		else
			fprintf(stderr, "Error: %s\n", limg_error_message(e));
		if (output)
			close(fd);
	}
	if (rc != 0 && tmp)
		unlink(tmp);
	cli_cancel_done(opts.cancel);
	limg_store_close(store);
	free(tmp);
	free(images);
	return rc ? 1 : 0;
}
