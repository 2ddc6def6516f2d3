/* SPDX-License-Identifier: MIT */
/*
 * limg-unpack: umoci unpack, on libimage.
 *
 *   limg-unpack [OPTIONS] IMAGE DIR
 *
 * DIR (absent or empty) receives the image's root filesystem; with
 * --bundle, DIR/rootfs and DIR/config.json, for `crun run --bundle DIR`.
 * With --pull, an image the store lacks is pulled and unpacked in one pass
 * (limg_pull_unpack), as podman run --pull=missing does. With --shared,
 * the layers are applied once into the store (snapshots, kept for every
 * image on the same base) and DIR/rootfs is an overlay of them, mounted
 * here, with DIR/upper and DIR/work its own (or with --copy, a copy).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common.h"

#define MAPS_MAX 16

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

static const char options[] =
	"      --bundle             DIR/rootfs and DIR/config.json: a bundle for crun or runc\n"
	"      --rootless           as an unprivileged user would (the default when not root)\n"
	"      --uid-map C:H:S      container uid C is host uid H, for S ids (repeatable)\n"
	"      --gid-map C:H:S      likewise for gids\n"
	"      --max-entries N      entries one layer may hold (default 1000000)\n"
	"      --max-layer-size N   bytes one layer may unpack to (default 64 GiB)\n"
	"      --pull               an image the store lacks is pulled (IMAGE is then a reference) and\n"
	"                           unpacked as its layers download, in one pass (with --shared:\n"
	"                           pulled, then its layers shared)\n"
	"      --keep-failed        a failure leaves DIR as it is, marked incomplete (xattr\n"
	"                           " LIMG_UNPACK_INCOMPLETE_XATTR "), instead of removing it\n"
	"      --shared             layers applied once into the store, shared with other images;\n"
	"                           DIR/rootfs an overlay of them (DIR/upper and DIR/work its own),\n"
	"                           mounted here (as root; without privileges, made with\n"
	"                           \"userxattr\" for a user namespace: see --no-mount)\n"
	"      --copy               with --shared: DIR/rootfs a copy of the shared layers instead\n"
	"                           (reflinks where the file system has them)\n"
	"      --no-mount           with --shared: print the mount (type, source, target, options,\n"
	"                           one a line) instead of making it\n";

/* --shared: the root from the store's snapshots, mounted or printed. */
static int shared(limg_store *store, const char *image, const char *dir, const char *platform, int copy,
                  int no_mount, limg_cancel *cancel)
{
	limg_snapshot_opts so = LIMG_SNAPSHOT_OPTS_INIT;
	limg_mount *m = NULL;
	int rc = 1;

	so.platform = platform;
	so.kind = copy ? LIMG_ROOT_COPY : LIMG_ROOT_OVERLAY;
	so.cancel = cancel;
	if (limg_snapshot_prepare(&m, store, image, dir, &so, NULL) < 0)
		return -1;
	if (!m)
		return 0;
	if (no_mount) {
		printf("%s\n%s\n%s\n%s\n", limg_mount_type(m), limg_mount_source(m), limg_mount_target(m),
		       limg_mount_options(m));
		rc = 0;
	} else if (mount(limg_mount_source(m), limg_mount_target(m), limg_mount_type(m), 0, limg_mount_options(m)) < 0) {
		int err = errno;
		fprintf(stderr, "limg-unpack: cannot mount %s: %s\n", limg_mount_target(m), strerror(err));
		if (err == EPERM)
			fprintf(stderr, "limg-unpack: without privileges, mount it in a user and mount namespace of "
			                "your own (--no-mount prints the mount), or make a copy (--copy)\n");
	} else {
		rc = 0;
	}
	limg_mount_free(m);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-unpack", .usage = "[OPTIONS] IMAGE DIR",
		           .about = "Unpack an image of the store into DIR (absent or empty)", .uses = CLI_STORE | CLI_PLATFORM | CLI_REGISTRY };
	limg_unpack_opts opts = LIMG_UNPACK_OPTS_INIT;
	limg_id_map uids[MAPS_MAX], gids[MAPS_MAX];
	limg_store *store = NULL;
	limg_pull_opts pull = LIMG_PULL_OPTS_INIT;
	limg_pull_unpack_opts fused = LIMG_PULL_UNPACK_OPTS_INIT;
	limg_session *session = NULL;
	const char *args[2], *v;
	int n = 0, r, rc = 1, pull_missing = 0, share = 0, copy = 0, no_mount = 0;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 ||
		    (r = cli_number(argc, argv, &i, "--max-entries", 1, INT64_MAX, &opts.max_entries)) != 0 ||
		    (r = cli_number(argc, argv, &i, "--max-layer-size", 1, INT64_MAX, &opts.max_layer_size)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_value(argc, argv, &i, "--uid-map", &v)) != 0) {
			if (r < 0 || add_map(uids, &opts.uid_map_len, v) < 0)
				return 1;
		} else if ((r = cli_value(argc, argv, &i, "--gid-map", &v)) != 0) {
			if (r < 0 || add_map(gids, &opts.gid_map_len, v) < 0)
				return 1;
		} else if (!strcmp(argv[i], "--bundle")) {
			opts.bundle = 1;
		} else if (!strcmp(argv[i], "--rootless")) {
			opts.rootless = LIMG_ROOTLESS_ON;
		} else if (!strcmp(argv[i], "--pull")) {
			pull_missing = 1;
		} else if (!strcmp(argv[i], "--shared")) {
			share = 1;
		} else if (!strcmp(argv[i], "--copy")) {
			copy = 1;
		} else if (!strcmp(argv[i], "--no-mount")) {
			no_mount = 1;
		} else if (!strcmp(argv[i], "--keep-failed")) {
			opts.on_failure = LIMG_UNPACK_FAILED_KEEP;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_unknown_flag(&cli, argv[i]);
		} else if (n < 2) {
			args[n++] = argv[i];
		} else {
			return cli_bad_args(&cli, "requires exactly 2 arguments");
		}
	}
	if (n != 2)
		return cli_bad_args(&cli, "requires exactly 2 arguments");
	if ((copy || no_mount) && !share)
		return cli_bad_args(&cli, "--copy and --no-mount go with --shared");
	if (share && (opts.bundle || opts.rootless || opts.uid_map_len || opts.gid_map_len))
		return cli_bad_args(&cli, "--shared goes with none of --bundle, --rootless, --uid-map, --gid-map");
	opts.uid_map = opts.uid_map_len ? uids : NULL;
	opts.gid_map = opts.gid_map_len ? gids : NULL;
	opts.platform = cli.platform;
	opts.no_terminal = !isatty(STDIN_FILENO); /* crun needs a terminal for terminal: true */
	/* the store is only read (the image is looked up in it), under a lease when it is ours; warnings go to stderr */
	cli_log_to_stderr(&cli, LIMG_LOG_WARN);
	/* with --pull the store may be written (made, even) */
	if (cli_open_store(&cli, &store, pull_missing ? LIMG_STORE_CREATE : CLI_STORE_READ_LEASED, 1) < 0)
		goto out;
	opts.cancel = cli_cancel_on_signals();
	if (store && share) {
		/* snapshots are written into the store */
		r = shared(store, args[0], args[1], cli.platform, copy, no_mount, opts.cancel);
		if (r < 0 && pull_missing && cli_not_found(LIMG_SUBJECT_IMAGE)) {
			/* not stored: pulled first (its layers kept: they are what the snapshots are made from) */
			if (cli_session(&cli, &session) < 0)
				goto done;
			pull.platform = cli.platform;
			pull.session = session;
			pull.cancel = opts.cancel;
			if (limg_pull(NULL, store, args[0], &pull, NULL) < 0) {
				fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
				if (cli_hint())
					fprintf(stderr, "%s\n", cli_hint());
				goto done;
			}
			r = shared(store, args[0], args[1], cli.platform, copy, no_mount, opts.cancel);
		}
		if (r == 0)
			rc = 0;
		else if (r < 0 && cli_not_found(LIMG_SUBJECT_IMAGE))
			fprintf(stderr, "Error: No such image: %s\n", args[0]);
		else if (r < 0)
			fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	} else if (store && limg_unpack(store, args[0], args[1], &opts, NULL) == 0) {
		rc = 0;
	} else if (store && pull_missing && cli_not_found(LIMG_SUBJECT_IMAGE)) {
		/* not stored: from the registry, the root made as the layers come */
		if (cli_session(&cli, &session) < 0)
			goto done;
		pull.platform = cli.platform;
		pull.session = session;
		pull.cancel = opts.cancel;
		opts.platform = NULL; /* the pull's */
		fused.pull = &pull;
		fused.unpack = &opts;
		if (limg_pull_unpack(NULL, store, args[0], args[1], &fused, NULL) == 0) {
			rc = 0;
		} else {
			fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
			if (cli_hint()) /* how to trust the registry's certificate */
				fprintf(stderr, "%s\n", cli_hint());
		}
	} else if (!store || cli_not_found(LIMG_SUBJECT_IMAGE)) {
		fprintf(stderr, "Error: No such image: %s\n", args[0]);
	} else {
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	}
done:
	cli_cancel_done(opts.cancel);
out:
	limg_session_free(session);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
