/* SPDX-License-Identifier: MIT */
/*
 * limg-referrers: oras discover, on libimage.
 *
 *   limg-referrers [OPTIONS] IMAGE
 *
 * Lists what refers to an image in its registry (signatures, SBOMs, any
 * artifact), and what refers to those, as a tree grouped by artifactType;
 * or as JSON with --format json. Registries without the referrers API are
 * read through the referrers tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define DEPTH_MAX 8

struct found {
	char *digest, *type, *media_type;
	int64_t size;
};

struct walk {
	limg_registry *registry;
	const char *repo;
	limg_registry_referrers_opts opts;
	int json;
	struct found *items;
	size_t n, cap;
	char **seen; /* every digest listed (a referrer of two subjects is shown once) */
	size_t nseen;
};

static int collect(const limg_descriptor *d, void *payload)
{
	struct walk *w = payload;
	const char *type = limg_descriptor_artifact_type(d);

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->items = realloc(w->items, w->cap * sizeof *w->items);
		if (!w->items)
			return LIMG_ENOMEM;
	}
	w->items[w->n].digest = strdup(limg_descriptor_digest(d));
	w->items[w->n].type = strdup(type ? type : "(none)");
	w->items[w->n].media_type = strdup(limg_descriptor_media_type(d));
	w->items[w->n].size = limg_descriptor_size(d);
	w->n++;
	return 0;
}

static int seen(struct walk *w, const char *digest)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i], digest))
			return 1;
	w->seen = realloc(w->seen, (w->nseen + 1) * sizeof *w->seen);
	w->seen[w->nseen++] = strdup(digest);
	return 0;
}

static int by_type(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = strcmp(x->type, y->type);
	return c ? c : strcmp(x->digest, y->digest);
}

/* Prints the referrers of @digest below @prefix; recurses into each. */
static int show(struct walk *w, const char *digest, const char *prefix, int depth, int *first_json)
{
	struct walk sub = *w;
	limg_registry_referrers_callbacks cb = LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT;
	int rc;

	sub.items = NULL;
	sub.n = sub.cap = 0;
	cb.referrer = collect;
	cb.payload = &sub;
	if ((rc = limg_registry_referrers_foreach(w->registry, w->repo, digest, &w->opts, &cb)) < 0) {
		for (size_t i = 0; i < sub.n; i++)
			free(sub.items[i].digest), free(sub.items[i].type), free(sub.items[i].media_type);
		free(sub.items);
		return rc;
	}
	w->seen = sub.seen;
	w->nseen = sub.nseen;
	if (sub.n > 1) /* never with NULL: UBSan */
		qsort(sub.items, sub.n, sizeof *sub.items, by_type);
	for (size_t i = 0; i < sub.n && rc == 0; i++) {
		const struct found *f = &sub.items[i];
		int new_type = i == 0 || strcmp(f->type, sub.items[i - 1].type) != 0;
		int last_type = i + 1 == sub.n || strcmp(f->type, sub.items[i + 1].type) != 0;
		int last_item_of_all = 1;
		char next[512];
		for (size_t k = i + 1; k < sub.n; k++)
			if (strcmp(sub.items[k].type, f->type) != 0)
				last_item_of_all = 0;
		if (w->json) {
			printf("%s{\"subject\":\"%s\",\"digest\":\"%s\",\"mediaType\":\"%s\",\"artifactType\":\"%s\",\"size\":%lld}",
			       *first_json ? "" : ",\n  ", digest, f->digest, f->media_type, f->type, (long long)f->size);
			*first_json = 0;
		} else {
			if (new_type)
				printf("%s%s %s\n", prefix, last_item_of_all ? "└──" : "├──", f->type);
			printf("%s%s   %s %s\n", prefix, last_item_of_all ? " " : "│", last_type ? "└──" : "├──", f->digest);
		}
		/* what refers to the referrer (a signature of an SBOM), once each, not forever */
		if (depth < DEPTH_MAX && !seen(w, f->digest)) {
			snprintf(next, sizeof next, "%s%s   %s   ", prefix, last_item_of_all ? " " : "│", last_type ? " " : "│");
			rc = show(w, f->digest, next, depth + 1, first_json);
		}
	}
	for (size_t i = 0; i < sub.n; i++)
		free(sub.items[i].digest), free(sub.items[i].type), free(sub.items[i].media_type);
	free(sub.items);
	return rc;
}

static const char options[] =
	"      --artifact-type TYPE  only referrers of this artifact type\n"
	"      --format tree|json  (default tree)\n"
	"      --referrers-mode auto|api|tag  the referrers API, the referrers tag, or the API and\n"
	"                        the tag where the registry lacks it (default auto)\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-referrers", .usage = "[OPTIONS] IMAGE",
		           .about = "Show what refers to an image (signatures, SBOMs, ...), as oras discover does",
		           .uses = CLI_REGISTRY };
	struct walk w;
	limg_session *session = NULL;
	limg_reference *ref = NULL;
	limg_remote_manifest *m = NULL;
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	const char *image = NULL, *format = "tree", *mode = "auto";
	int r, rc = 1, first = 1;

	memset(&w, 0, sizeof w);
	limg_registry_referrers_opts_init(&w.opts, sizeof w.opts);
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--artifact-type", &w.opts.artifact_type)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--format", &format)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--referrers-mode", &mode)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_one_argument(&cli, argv[i], &image, options, NULL)) >= 0) {
			return r;
		}
	}
	if (!image)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	if (strcmp(format, "tree") && strcmp(format, "json")) {
		fprintf(stderr, "invalid argument \"%s\" for \"--format\" flag: use tree or json\n", format);
		return 1;
	}
	w.json = !strcmp(format, "json");
	if (!strcmp(mode, "api"))
		w.opts.mode = LIMG_REFERRERS_API;
	else if (!strcmp(mode, "tag"))
		w.opts.mode = LIMG_REFERRERS_TAG;
	else if (strcmp(mode, "auto")) {
		fprintf(stderr, "invalid argument \"%s\" for \"--referrers-mode\" flag: use auto, api or tag\n", mode);
		return 1;
	}
	if (limg_reference_parse_docker(&ref, image) < 0 || cli_session(&cli, &session) < 0 ||
	    limg_session_registry(&w.registry, session, limg_reference_domain(ref)) < 0) {
		if (ref)
			fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
		goto out;
	}
	w.repo = limg_reference_path(ref);
	co.cancel = w.opts.cancel = cli_cancel_on_signals();
	if (limg_registry_manifest_head(&m, w.registry, w.repo,
	                                limg_reference_digest(ref) ? limg_reference_digest(ref) : limg_reference_tag(ref),
	                                &co) < 0)
		goto fail;
	if (w.json)
		printf("{\"subject\":\"%s@%s\",\"referrers\":[\n  ", limg_reference_name(ref), limg_remote_manifest_digest(m));
	else
		printf("%s@%s\n", limg_reference_name(ref), limg_remote_manifest_digest(m));
	seen(&w, limg_remote_manifest_digest(m));
	if (show(&w, limg_remote_manifest_digest(m), "", 0, &first) < 0)
		goto fail;
	if (w.json)
		printf("\n]}\n");
	rc = 0;
	goto done;
fail:
	fflush(stdout);
	fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
done:
	cli_cancel_done(w.opts.cancel);
out:
	for (size_t i = 0; i < w.nseen; i++)
		free(w.seen[i]);
	free(w.seen);
	limg_remote_manifest_free(m);
	limg_registry_close(w.registry);
	limg_session_free(session);
	limg_reference_free(ref);
	cli_done(&cli);
	return rc;
}
