/* SPDX-License-Identifier: MIT */
/*
 * limg-image-prune: docker image prune, on libimage.
 *
 *   limg-image-prune [OPTIONS]
 *
 * Removes dangling (untagged) images, or with -a every image (a store has
 * no containers to keep one in use), then the blobs nothing needs any more,
 * and prints what docker prints: "Deleted Images:", "untagged: ..." and
 * "deleted: sha256:..." lines, and "Total reclaimed space: 1.23MB".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "format.h"

#define MAX_FILTERS 16

static const char options[] =
	"  -a, --all             Remove all unused images, not just dangling ones\n"
	"      --filter K=V      Provide filter values: until=<timestamp|duration>, label=KEY[=VALUE], label!=KEY[=VALUE]\n"
	"  -f, --force           Do not prompt for confirmation\n";

/* One image to remove: its digest, ID and tags. */
struct victim {
	char *digest, *id;
	char **tags;
	size_t ntags;
};

struct plan {
	struct victim *v;
	size_t n, cap;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].digest);
		free(p->v[i].id);
		for (size_t k = 0; k < p->v[i].ntags; k++)
			free(p->v[i].tags[k]);
		free(p->v[i].tags);
	}
	free(p->v);
}

/* The image of @digest in the plan, added when new; NULL when out of memory. */
static struct victim *victim_of(struct plan *p, const char *digest, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].digest, digest))
			return &p->v[i];
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct victim *v = realloc(p->v, cap * sizeof *v);
		if (!v)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	memset(&p->v[p->n], 0, sizeof p->v[0]);
	if (!(p->v[p->n].digest = strdup(digest)) || !(p->v[p->n].id = strdup(id ? id : digest))) {
		free(p->v[p->n].digest);
		return NULL;
	}
	return &p->v[p->n++];
}

/* until=: a Go duration ("24h", "90m", "1h30m", "10s") before now, an RFC 3339 time, a date or Unix seconds. */
static int parse_until(const char *text, time_t now, int64_t *out)
{
	const char *p = text;
	double total = 0;
	char *end;
	struct tm tm = { 0 };

	if ((*out = parse_rfc3339(text)) >= 0)
		return 0;
	if (strptime(text, "%Y-%m-%d", &tm) && strlen(text) == 10) {
		*out = (int64_t)timegm(&tm);
		return 0;
	}
	if (*p && strspn(p, "0123456789.") == strlen(p)) {
		*out = (int64_t)strtod(p, NULL);
		return 0;
	}
	while (*p) {
		double x = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		if (*p == 'h')
			total += x * 3600;
		else if (*p == 'm' && p[1] != 's')
			total += x * 60;
		else if (*p == 's')
			total += x;
		else
			return -1;
		p++;
	}
	*out = (int64_t)now - (int64_t)total;
	return 0;
}

/* What prune removes, as `docker image prune [-a]` chooses it. */
static int plan_prune(struct plan *p, limg_store *store, int all, const char *const *filters, size_t nfilters,
                      int64_t until)
{
	limg_images_iterator_opts lo = LIMG_IMAGES_ITERATOR_OPTS_INIT;
	limg_images_iterator *it = NULL;
	const limg_images_row *row;

	lo.select = all ? LIMG_LIST_ALL : LIMG_LIST_UNTAGGED;
	lo.filters = filters;
	lo.filters_len = nfilters;
	if (limg_images_iterator_new(&it, store, &lo) < 0)
		return -1;
	while (limg_images_iterator_next(&row, it) == 0) {
		struct victim *v;
		if (until >= 0 && (limg_images_row_created(row) < 0 || limg_images_row_created(row) >= until))
			continue;
		if (!(v = victim_of(p, limg_images_row_digest(row), limg_images_row_id(row))))
			goto oom;
		if (limg_images_row_reference(row)) {
			char **tags = realloc(v->tags, (v->ntags + 1) * sizeof *tags), name[1024];
			if (!tags)
				goto oom;
			v->tags = tags;
			snprintf(name, sizeof name, "%s:%s", limg_images_row_repository(row), limg_images_row_tag(row));
			if (!(v->tags[v->ntags] = strdup(name)))
				goto oom;
			v->ntags++;
		}
	}
	limg_images_iterator_free(it);
	return 0;
oom:
	limg_images_iterator_free(it);
	fprintf(stderr, "Error: out of memory\n");
	return -2;
}

/* Asks as docker does; true for "y" (any case), what else is answered or an empty stdin is no. */
static int confirm(int all)
{
	char answer[64] = "", *p = answer;

	printf("%s\nAre you sure you want to continue? [y/N] ",
	       all ? "WARNING! This will remove all images without at least one container associated to them."
	           : "WARNING! This will remove all dangling images.");
	fflush(stdout);
	if (!fgets(answer, sizeof answer, stdin))
		return 0;
	while (isspace((unsigned char)*p))
		p++;
	return (p[0] == 'y' || p[0] == 'Y') && (!p[1] || isspace((unsigned char)p[1]));
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-image-prune", .usage = "[OPTIONS]", .about = "Remove unused images",
		           .uses = CLI_STORE };
	limg_store_gc_opts gc = LIMG_STORE_GC_OPTS_INIT;
	int64_t snap = 0;
	const char *filters[MAX_FILTERS], *v;
	struct plan plan = { 0 };
	limg_store *store = NULL, *ro = NULL;
	size_t nfilters = 0, shown = 0;
	int64_t reclaimed = 0, until = -1;
	int all = 0, force = 0, r, rc = 1;
	char size[32];

	cli_split_shorts(&argc, &argv, "af");
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_value(argc, argv, &i, "--filter", &v)) != 0) {
			if (r < 0)
				return 1;
			if (!strncmp(v, "until=", 6)) {
				if (parse_until(v + 6, time(NULL), &until) < 0) {
					fprintf(stderr, "Error response from daemon: failed to parse value \"%s\" of filter until\n", v + 6);
					return 1;
				}
			} else if (!strncmp(v, "label=", 6) || !strncmp(v, "label!=", 7)) {
				if (nfilters == MAX_FILTERS) {
					fprintf(stderr, "Error response from daemon: too many filters\n");
					return 1;
				}
				filters[nfilters++] = v;
			} else {
				fprintf(stderr, "Error response from daemon: invalid filter '%.*s'\n", (int)strcspn(v, "="), v);
				return 1;
			}
		} else if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all")) {
			all = 1;
		} else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) {
			force = 1;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_unknown_flag(&cli, argv[i]);
		} else {
			return cli_bad_args(&cli, "accepts no arguments");
		}
	}
	if (!force && !confirm(all))
		return 0; /* docker: cancelled, nothing said */
	/* a store that does not exist has nothing to prune; one that does is planned read-only,
	 * so that another tool's layout with nothing to prune is left as it was */
	if (cli_open_store(&cli, &ro, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	if (ro && (r = plan_prune(&plan, ro, all, filters, nfilters, until)) < 0) {
		if (r != -1)
			goto out;
		/* not readable read-only (a change a killed writer left for the next one to
		 * finish): planned again in the store opened for writing, which finishes it */
		plan_free(&plan);
		memset(&plan, 0, sizeof plan);
		if (cli_store_to_change(&cli, &store) < 0)
			goto out;
		if ((r = plan_prune(&plan, store, all, filters, nfilters, until)) < 0) {
			if (r == -1)
				cli_fail();
			goto out;
		}
	}
	/* written when there are images to remove, or in our own store (its gc: blobs, ingests,
	 * unpacked layers); the blobs of another tool's layout are not ours to collect */
	if (ro && (plan.n || cli_store_is_ours(&cli)) && cli_store_to_change(&cli, &store) < 0)
		goto out;
	for (size_t i = 0; i < plan.n; i++) {
		struct victim *vi = &plan.v[i];
		for (size_t k = 0; k < vi->ntags; k++) {
			if (limg_tags_remove(store, vi->tags[k]) < 0 && !cli_not_found(LIMG_SUBJECT_TAG)) {
				cli_fail();
				goto out;
			}
			printf("%s%s%s\n", shown++ ? "" : "Deleted Images:\n", "untagged: ", vi->tags[k]);
		}
		/* gone meanwhile, or tagged again by someone else: not ours to delete */
		if (limg_tags_remove_untagged(store, vi->digest) < 0) {
			if (cli_not_found(LIMG_SUBJECT_IMAGE) || limg_error_code(limg_error_last()) == LIMG_ECONFLICT)
				continue;
			cli_fail();
			goto out;
		}
		printf("%sdeleted: %s\n", shown++ ? "" : "Deleted Images:\n", vi->id);
	}
	gc.keep_ingests = 1; /* a pull running beside us may resume them */
	if (store && limg_store_gc(&reclaimed, store, &gc, NULL) < 0) {
		cli_fail();
		goto out;
	}
	/* then the shared unpacked layers no image still stored (or root still standing) needs */
	if (store && limg_snapshot_gc(&snap, store, &gc, NULL) < 0) {
		cli_fail();
		goto out;
	}
	reclaimed += snap;
	if (shown)
		printf("\n");
	format_size(size, sizeof size, (double)reclaimed, 4);
	printf("Total reclaimed space: %s\n", size);
	rc = 0;
out:
	plan_free(&plan);
	limg_store_close(store);
	limg_store_close(ro);
	cli_done(&cli);
	return rc;
}
