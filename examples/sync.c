/* SPDX-License-Identifier: MIT */
/*
 * limg-sync: skopeo sync, on libimage.
 *
 *   limg-sync [OPTIONS] --src yaml|docker|dir|store --dest docker|store|dir SOURCE DESTINATION
 *
 * Mirrors many images: the registries, repositories and tag selections of a
 * skopeo sync YAML file (--src yaml), one repository or image (--src
 * docker, with tag filters), every image of a directory in skopeo's dir:
 * layout (--src dir) or of a store (--src store: an air gap's way back), to
 * a registry with an optional path (--dest docker) or
 * to a store (--dest store: a directory an air gap can carry) or to a
 * directory in skopeo's dir: layout (--dest dir). Prints a line
 * per image, and a JSON report with --json. Exits 0 when every image is at
 * the destination, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

struct state {
	int quiet, tty;
};

static const char *status_word(int status)
{
	switch (status) {
	case LIMG_SYNC_COPIED: return "Copied";
	case LIMG_SYNC_UP_TO_DATE: return "Up to date";
	case LIMG_SYNC_FAILED: return "Failed";
	case LIMG_SYNC_WOULD_COPY: return "Would copy";
	default: return "Syncing";
	}
}

static int on_image(const limg_sync_image *m, void *payload)
{
	struct state *s = payload;
	int st = limg_sync_image_status(m);

	if (s->quiet || (st == LIMG_SYNC_RUNNING && !s->tty))
		return 0;
	/* the library escapes what it reports: names and reasons print as they are */
	fprintf(stderr, "%s %s -> %s%s%s%s\n", status_word(st), limg_sync_image_source(m),
	        limg_sync_image_destination(m), st == LIMG_SYNC_RUNNING ? "" : " (",
	        st == LIMG_SYNC_RUNNING ? "" : limg_sync_image_reason(m), st == LIMG_SYNC_RUNNING ? "" : ")");
	return 0;
}

static int on_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                       void *payload)
{
	struct state *s = payload;

	(void)digest;
	(void)kind;
	(void)detail;
	if (event == LIMG_EVENT_OVERALL && s->tty && !s->quiet)
		fprintf(stderr, "[%lld/%lld images]\n", (long long)done, (long long)total);
	return 0;
}

static const char options[] =
	"      --src KIND        yaml: SOURCE is a skopeo sync YAML file; docker: a repository (every\n"
	"                        tag, or those the filters choose) or one image; dir: every image of a\n"
	"                        directory in skopeo's dir: layout (DIR/NAME:TAG to DESTINATION/NAME:TAG);\n"
	"                        store: every tagged image of the store at SOURCE (default docker)\n"
	"      --dest KIND       docker: DESTINATION is REGISTRY[/PATH]; store: a store's directory;\n"
	"                        dir: a directory of NAME:TAG directories in skopeo's dir: layout\n"
	"                        (default docker)\n"
	"      --scoped          name images at the destination by their whole source name\n"
	"  -a, --all             copy an index whole, every platform (the default without --platform)\n"
	"      --dry-run         say what would be copied, change nothing\n"
	"      --keep-going      go on after an image fails (the default)\n"
	"      --fail-fast       stop at the first image that fails\n"
	"      --src-tls-verify=BOOL   TLS for the source registry (--src docker), as --tls-verify\n"
	"      --dest-tls-verify=BOOL  TLS for the destination registry, as --tls-verify\n"
	"      --src-creds USER[:PASSWORD]   credentials for the source (--src docker)\n"
	"      --dest-creds USER[:PASSWORD]  credentials for the destination registry\n"
	"      --tag T           (--src docker) this tag only; may be repeated\n"
	"      --tag-regex RE    (--src docker) tags matching this POSIX extended expression\n"
	"      --tag-exclude RE  (--src docker) leave out tags matching it\n"
	"      --semver RANGE    (--src docker) tags that are versions in RANGE (\">=1.2 <2\")\n"
	"      --latest N        (--src docker) the N highest versions\n"
	"  -j, --jobs N          images at once (default 4)\n"
	"      --blob-jobs N     blobs at once per image (default 4; --max-concurrent-uploads N\n"
	"                        too, as limg-push and limg-copy call it)\n"
	"      --rate N          at most N requests per second to each registry\n"
	"      --max-connections N  at most N requests in flight at each registry at once\n"
	"      --json            print the report as JSON on stdout\n"
	"  -q, --quiet           no line per image\n"
	"      --referrers       each image's signatures and referrers (SBOMs, ...) go with it, and\n"
	"                        those added at the source later go to images already up to date\n"
	CLI_POLICY_OPTIONS;

/* --src-tls-verify / --dest-tls-verify at argv[*i] into *tls, read as the common
 * --tls-verify is (bare: true): 1, 0 when it is not @name, -1 after printing an error. */
static int tls_flag(int argc, char **argv, int *i, const char *name, int *tls)
{
	const char *v;
	int r;

	if (!strcmp(argv[*i], name)) {
		*tls = LIMG_TLS_VERIFY;
		return 1;
	}
	if ((r = cli_value(argc, argv, i, name, &v)) <= 0)
		return r;
	if (!strcmp(v, "true")) {
		*tls = LIMG_TLS_VERIFY;
	} else if (!strcmp(v, "false")) {
		*tls = LIMG_TLS_INSECURE;
	} else {
		fprintf(stderr, "invalid argument \"%s\" for \"%s\" flag: use true or false\n", v, name);
		return -1;
	}
	return 1;
}

/* USER[:PASSWORD] into @o (the text is split in place). */
static void creds(limg_registry_opts *o, char *text)
{
	char *colon = strchr(text, ':');

	if (colon)
		*colon = '\0';
	o->username = text;
	o->password = colon ? colon + 1 : "";
}

/* The registry of a reference or of REGISTRY[/PATH]. */
static int domain_of(const char *text, limg_buf *out)
{
	limg_reference *r = NULL;
	int rc;

	if ((rc = limg_reference_parse_docker(&r, text)) < 0 && (rc = limg_reference_parse_name(&r, text)) < 0)
		return rc;
	rc = limg_buf_set(out, limg_reference_domain(r), strlen(limg_reference_domain(r)));
	limg_reference_free(r);
	return rc;
}

static int read_file(const char *path, limg_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192], *text = NULL;
	size_t n, size = 0;
	int rc;

	if (!f) {
		fprintf(stderr, "Error: cannot read %s\n", path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		/* (the list is small: a bounded size keeps a wrong file from filling memory) */
		if (size + n > 16u * 1024 * 1024) {
			fclose(f);
			free(text);
			fprintf(stderr, "Error: %s is too large for a sync list\n", path);
			return -1;
		}
		char *grown = realloc(text, size + n);
		if (!grown) {
			fclose(f);
			free(text);
			return -1;
		}
		text = grown;
		memcpy(text + size, chunk, n);
		size += n;
	}
	fclose(f);
	/* a limg_buf's memory is the library's (its allocator): the bytes are copied in */
	rc = limg_buf_set(out, text ? text : "", size);
	free(text);
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-sync", .usage = "[OPTIONS] SOURCE DESTINATION",
		           .about = "Synchronize one or more images from one location to another",
		           .uses = CLI_PLATFORM | CLI_REGISTRY };
	struct state st = { 0, isatty(2) };
	struct cli_trust trust = { 0 };
	limg_sync_opts opts = LIMG_SYNC_OPTS_INIT;
	limg_sync_callbacks cb = LIMG_SYNC_CALLBACKS_INIT;
	limg_sync_select sel = LIMG_SYNC_SELECT_INIT;
	limg_registry_opts src_o = LIMG_REGISTRY_OPTS_INIT, dst_o = LIMG_REGISTRY_OPTS_INIT;
	limg_session *session = NULL;
	limg_sync_list *list = NULL;
	limg_sync_report *report = NULL;
	limg_buf text = LIMG_BUF_INIT, domain = LIMG_BUF_INIT, json = LIMG_BUF_INIT;
	const char *args[2], *src_kind = "docker", *dest_kind = "docker", *v;
	const char **tags = NULL;
	size_t ntags = 0;
	int n = 0, want_json = 0, rate = 0, conns = 0, r, rc = 1, src_set = 0, dst_set = 0;

	cli_split_shorts(&argc, &argv, "aq");
	if (!(tags = calloc((size_t)argc, sizeof *tags)))
		return 1;
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_trust_option(&trust, "pr", argc, argv, &i)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--jobs", 1, 256, &opts.images_parallel)) != 0 ||
		    (r = cli_int(argc, argv, &i, "-j", 1, 256, &opts.images_parallel)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--blob-jobs", 1, 256, &opts.blobs_parallel)) != 0 ||
		    /* limg-push's and limg-copy's name for blobs at once */
		    (r = cli_int(argc, argv, &i, "--max-concurrent-uploads", 1, 256, &opts.blobs_parallel)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--latest", 1, 1000000, &sel.latest)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--rate", 1, 100000, &rate)) != 0 ||
		    (r = cli_int(argc, argv, &i, "--max-connections", 1, 1024, &conns)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--src", &src_kind)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--dest", &dest_kind)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--tag-regex", &sel.tag_regex)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--tag-exclude", &sel.tag_exclude)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--semver", &sel.semver)) != 0) {
			if (r < 0)
				goto out;
		} else if ((r = cli_value(argc, argv, &i, "--tag", &v)) != 0) {
			if (r < 0)
				goto out;
			tags[ntags++] = v;
		} else if ((r = tls_flag(argc, argv, &i, "--src-tls-verify", &src_o.tls)) != 0) {
			if (r < 0)
				goto out;
			src_set = 1;
		} else if ((r = tls_flag(argc, argv, &i, "--dest-tls-verify", &dst_o.tls)) != 0) {
			if (r < 0)
				goto out;
			dst_set = 1;
		} else if ((r = cli_value(argc, argv, &i, "--src-creds", &v)) != 0) {
			if (r < 0)
				goto out;
			creds(&src_o, (char *)v);
			src_set = 1;
		} else if ((r = cli_value(argc, argv, &i, "--dest-creds", &v)) != 0) {
			if (r < 0)
				goto out;
			creds(&dst_o, (char *)v);
			dst_set = 1;
		} else if (!strcmp(argv[i], "--scoped")) {
			opts.scoped = 1;
		} else if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all")) {
			/* the default: an index goes whole unless --platform chooses one */
		} else if (!strcmp(argv[i], "--dry-run")) {
			opts.dry_run = 1;
		} else if (!strcmp(argv[i], "--keep-going")) {
			opts.fail_fast = 0;
		} else if (!strcmp(argv[i], "--fail-fast")) {
			opts.fail_fast = 1;
		} else if (!strcmp(argv[i], "--json")) {
			want_json = 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			st.quiet = 1;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			rc = 0;
			goto out;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = cli_unknown_flag(&cli, argv[i]);
			goto out;
		} else if (n == 2) {
			rc = cli_bad_args(&cli, "requires exactly 2 arguments");
			goto out;
		} else {
			args[n++] = argv[i];
		}
	}
	if (n != 2) {
		rc = cli_bad_args(&cli, "requires exactly 2 arguments");
		goto out;
	}
	if (strcmp(dest_kind, "docker") && strcmp(dest_kind, "store") && strcmp(dest_kind, "dir")) {
		fprintf(stderr, "Error: --dest must be docker, store or dir, not %s\n", dest_kind);
		goto out;
	}
	opts.target = !strcmp(dest_kind, "store") ? LIMG_SYNC_TO_STORE
	              : !strcmp(dest_kind, "dir")  ? LIMG_SYNC_TO_DIR
	                                           : LIMG_SYNC_TO_REGISTRY;
	if (!strcmp(src_kind, "yaml")) {
		if (read_file(args[0], &text) < 0)
			goto out;
		if (limg_sync_list_parse(&list, text.ptr, text.size, args[0]) < 0)
			goto fail;
	} else if (!strcmp(src_kind, "docker")) {
		sel.tags = ntags ? tags : NULL;
		sel.tags_len = ntags;
		if (limg_sync_list_new(&list) < 0 ||
		    limg_sync_list_add(list, args[0], ntags || sel.tag_regex || sel.tag_exclude || sel.semver || sel.latest ? &sel : NULL) < 0)
			goto fail;
		if (src_set && (domain_of(args[0], &domain) < 0 || limg_sync_list_set_registry_opts(list, domain.ptr, &src_o) < 0))
			goto fail;
	} else if (!strcmp(src_kind, "dir")) {
		if (limg_sync_list_new(&list) < 0 || limg_sync_list_add_dir(list, args[0]) < 0)
			goto fail;
	} else if (!strcmp(src_kind, "store")) {
		if (limg_sync_list_new(&list) < 0 || limg_sync_list_add_store(list, args[0]) < 0)
			goto fail;
	} else {
		fprintf(stderr, "Error: --src must be yaml, docker, dir or store, not %s\n", src_kind);
		goto out;
	}
	if (cli_trust_load(&trust) < 0 || cli_session(&cli, &session) < 0)
		goto out;
	if (rate || conns) {
		/* every registry of the run: the session's default */
		limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
		ro.tls = cli.tls;
		ro.certs_dir = cli.cert_dir;
		ro.max_requests_per_second = rate;
		ro.max_connections = conns;
		limg_session_free(session);
		if (limg_session_new(&session, cli.context, &ro, NULL) < 0)
			goto fail;
		dst_o.max_requests_per_second = rate;
		dst_o.max_connections = conns;
	}
	if (opts.target == LIMG_SYNC_TO_REGISTRY && (dst_set || rate || conns)) {
		if (domain_of(args[1], &domain) < 0)
			goto fail;
		if (dst_o.tls == 0)
			dst_o.tls = cli.tls;
		dst_o.certs_dir = cli.cert_dir;
		if (limg_session_set_registry_opts(session, domain.ptr, &dst_o) < 0)
			goto fail;
	}
	opts.platform = cli.platform;
	opts.referrers = trust.referrers;
	opts.policy = trust.policy;
	opts.cancel = cli_cancel_on_signals();
	cb.image = on_image;
	cb.progress = on_progress;
	cb.payload = &st;
	r = limg_sync(&report, session, list, args[1], &opts, &cb);
	cli_cancel_done(opts.cancel);
	if (report) {
		fprintf(stderr, "%zu copied, %zu up to date, %zu failed%s\n", limg_sync_report_tally(report, LIMG_SYNC_COPIED),
		        limg_sync_report_tally(report, LIMG_SYNC_UP_TO_DATE), limg_sync_report_tally(report, LIMG_SYNC_FAILED),
		        opts.dry_run ? " (dry run)" : "");
		if (opts.dry_run)
			fprintf(stderr, "%zu would be copied\n", limg_sync_report_tally(report, LIMG_SYNC_WOULD_COPY));
		if (want_json && limg_sync_report_json(&json, report) == 0)
			printf("%s\n", json.ptr);
	}
	if (r == 0) {
		rc = 0;
		goto out;
	}
fail:
	fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	if (cli_hint())
		fprintf(stderr, "%s\n", cli_hint());
out:
	limg_sync_report_free(report);
	limg_sync_list_free(list);
	limg_session_free(session);
	limg_buf_dispose(&text);
	limg_buf_dispose(&domain);
	limg_buf_dispose(&json);
	free(tags);
	cli_trust_done(&trust);
	cli_done(&cli);
	return rc;
}
