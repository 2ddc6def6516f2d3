/*
 * limg-unpack: umoci unpack, on libimage.
 *
 *   limg-unpack [OPTIONS] IMAGE DIR
 *
 * DIR (absent or empty) receives the image's root filesystem; with
 * --bundle, DIR/rootfs and DIR/config.json, for `crun run --bundle DIR`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define MAPS_MAX 16

static void on_log(int level, const char *message, void *payload)
{
	(void)payload;
	fprintf(stderr, "%s: %s\n", level <= LIMG_LOG_ERROR ? "error" : level == LIMG_LOG_WARN ? "warning" : "info",
	        message);
}

/* "--name V" or "--name=V"; 1 when argv[*i] was that option. */
static int value_option(char **argv, int argc, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "flag needs an argument: %s\n", name);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

/* umoci's "container:host:size". */
static int parse_map(const char *text, limg_id_map *map)
{
	unsigned long c, h, s;
	char end;

	if (sscanf(text, "%lu:%lu:%lu%c", &c, &h, &s, &end) != 3 || c > UINT32_MAX || h > UINT32_MAX || !s ||
	    s > UINT32_MAX) {
		fprintf(stderr, "invalid id map %s: want CONTAINER:HOST:SIZE\n", text);
		return -1;
	}
	map->container_id = (uint32_t)c;
	map->host_id = (uint32_t)h;
	map->size = (uint32_t)s;
	return 0;
}

static int add_map(limg_id_map *maps, size_t *len, const char *text)
{
	if (*len == MAPS_MAX) {
		fprintf(stderr, "at most %d id maps\n", MAPS_MAX);
		return -1;
	}
	if (parse_map(text, &maps[*len]) < 0)
		return -1;
	++*len;
	return 0;
}

static int positive(const char *name, const char *text, int64_t *out)
{
	char *end;
	long long x = strtoll(text, &end, 10);

	if (x <= 0 || *end || end == text) {
		fprintf(stderr, "invalid value for %s: %s (want a positive number)\n", name, text);
		return -1;
	}
	*out = x;
	return 0;
}

static int usage(int help)
{
	fprintf(help ? stdout : stderr,
	        "Usage: limg-unpack [OPTIONS] IMAGE DIR\n\n"
	        "Unpack an image of the store into DIR (absent or empty)\n\nOptions:\n"
	        "  --bundle             DIR/rootfs and DIR/config.json: a bundle for crun or runc\n"
	        "  --rootless           as an unprivileged user would (the default when not root)\n"
	        "  --uid-map C:H:S      container uid C is host uid H, for S ids (repeatable)\n"
	        "  --gid-map C:H:S      likewise for gids\n"
	        "  --max-entries N      entries one layer may hold (default 1000000)\n"
	        "  --max-layer-size N   bytes one layer may unpack to (default 64 GiB)\n" CLI_COMMON_USAGE);
	return help ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_unpack_opts opts = LIMG_UNPACK_OPTS_INIT;
	limg_id_map uids[MAPS_MAX], gids[MAPS_MAX];
	limg_context_opts co;
	limg_context *ctx = NULL;
	limg_store *store;
	const char *args[2], *v;
	int n = 0, rc;

	for (int i = 1; i < argc; i++) {
		int r = cli_option(&cli, argc, argv, &i);
		if (r < 0)
			return 1;
		if (r)
			continue;
		if (!strcmp(argv[i], "--bundle")) {
			opts.bundle = 1;
		} else if (!strcmp(argv[i], "--rootless")) {
			opts.rootless = 1;
		} else if ((r = value_option(argv, argc, &i, "--uid-map", &v)) != 0) {
			if (r < 0 || add_map(uids, &opts.uid_map_len, v) < 0)
				return 1;
		} else if ((r = value_option(argv, argc, &i, "--gid-map", &v)) != 0) {
			if (r < 0 || add_map(gids, &opts.gid_map_len, v) < 0)
				return 1;
		} else if ((r = value_option(argv, argc, &i, "--max-entries", &v)) != 0) {
			if (r < 0 || positive("--max-entries", v, &opts.max_entries) < 0)
				return 1;
		} else if ((r = value_option(argv, argc, &i, "--max-layer-size", &v)) != 0) {
			if (r < 0 || positive("--max-layer-size", v, &opts.max_layer_size) < 0)
				return 1;
		} else if (argv[i][0] == '-') {
			return usage(cli_is_help(argv[i]));
		} else if (n < 2) {
			args[n++] = argv[i];
		} else {
			fprintf(stderr, "\"limg-unpack\" requires exactly 2 arguments.\n");
			return 1;
		}
	}
	if (n != 2) {
		fprintf(stderr, "\"limg-unpack\" requires exactly 2 arguments.\n");
		return 1;
	}
	opts.uid_map = opts.uid_map_len ? uids : NULL;
	opts.gid_map = opts.gid_map_len ? gids : NULL;
	opts.platform = cli.platform;
	opts.terminal = isatty(STDIN_FILENO); /* crun needs a terminal for terminal: true */
	if (cli_open_store(&cli, &store, 0) < 0)
		return 1;
	limg_context_opts_init(&co, sizeof co);
	if (limg_context_new(&ctx, &co) == 0)
		limg_context_set_log(ctx, on_log, LIMG_LOG_WARN, NULL);
	opts.ctx = ctx;
	opts.cancel = cli_cancel_on_signals();
	rc = limg_unpack(store, args[0], args[1], &opts);
	if (rc != 0) {
		const limg_error *e = limg_error_last();
		if (limg_error_code(e) == LIMG_ENOTFOUND && strstr(limg_error_message(e), "No such image"))
			fprintf(stderr, "Error: No such image: %s\n", args[0]);
		else
			fprintf(stderr, "Error: %s\n", limg_error_message(e));
	}
	cli_cancel_done(opts.cancel);
	limg_store_close(store);
	limg_context_free(ctx);
	return rc ? 1 : 0;
}
