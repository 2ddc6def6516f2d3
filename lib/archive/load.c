/* SPDX-License-Identifier: MIT */
/*
 * limg_archive_load(): one pass over the tar (input.c reads it, members.c
 * keeps what it holds aside: in memory, or verified in a held area of the
 * store). Then the images: manifest.json's entries (Docker's formats; the
 * OCI manifest of the same image is used when index.json has it, so digests
 * stay), else index.json's (oci-archive). Every image is checked (config,
 * layers present, each layer's diff_id); only then do the blobs the images
 * need go into blobs/, and the tags are set. Whatever else the archive held
 * goes with the held area: a refused load leaves nothing it read, a
 * successful one only what its images need.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "compress/compress_internal.h"
#include "core/core.h"
#include "core/jobs.h"
#include "core/json.h"
#include "core/strmap.h"
#include "core/strset.h"
#include "images/complete.h"
#include "images/diff_id.h"
#include "images/facts.h"
#include "input.h"
#include "libimage/archive.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "libimage/digest.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "libimage/tags.h"
#include "listing.h"
#include "members.h"
#include "store/store_internal.h"
#include "tags/tags_internal.h"

#define LISTING_MAX (4u << 20) /* manifest.json, index.json */

int limg_archive_load_opts_init(limg_archive_load_opts *opts, size_t size)
{
	static const limg_archive_load_opts defaults = LIMG_ARCHIVE_LOAD_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_archive_load_callbacks_init(limg_archive_load_callbacks *cb, size_t size)
{
	static const limg_archive_load_callbacks defaults = LIMG_ARCHIVE_LOAD_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

typedef struct {
	char *manifest;         /* digest of the manifest (or index) to tag */
	char *config;           /* image ID, for messages; NULL for an index */
	char **names;           /* references to set, as the archive writes them */
	size_t nnames;
	limg_reference **refs;  /* the same, parsed (before any tag is set) */
} found_image;

struct layer_check {
	char *digest, *diff_id;
	int compression;
	char got[160];          /* worked out by reading the layer again (else empty) */
	int64_t size;
};

/* An image manifest index.json lists: what docker_entry() matches against. */
typedef struct {
	char *digest, *config;
	char **layers;
	size_t nlayers;
	size_t next;            /* the next one with the same config, or SIZE_MAX */
} oci_manifest;

typedef struct {
	limg_store *store;
	limg_archive_load_opts o;
	limg_archive_load_callbacks cb;
	int fd_in;              /* the archive, or -1: cb.read */
	limg_cancel *stop;      /* the caller's token, or the store closing */
	limg__lease *lease;
	limg__input in;
	limg__members members;
	limg__listing listing;
	oci_manifest *oci;
	size_t noci;
	limg__strmap oci_by_config; /* config -> the first of oci[] with it */
	found_image *images;
	size_t nimages, capimages;
	struct layer_check *checks;
	size_t nchecks, capchecks;
	limg__strset checked;    /* "<digest> <diff_id>" of the checks made: each once */
	limg__strset needed_set; /* what the images need ... */
	char **needed;           /* ... in the order found */
	size_t nneeded, capneeded;
} load_run;

/* Untrusted text for a message: quoted and escaped. */
static const char *quoted(char out[300], const char *s)
{
	limg__quote(out, 300, s ? s : "", s ? strlen(s) : 0);
	return out;
}

/* ---- reading the archive ------------------------------------------------------ */

static int read_members(load_run *l)
{
	struct archive *ar;
	struct archive_entry *e;
	int st = ARCHIVE_OK, rc;

	if ((rc = limg__input_open_archive(&ar, &l->in)) < 0)
		return rc;
	while (rc == 0 && ((st = archive_read_next_header(ar, &e)) == ARCHIVE_OK || st == ARCHIVE_WARN))
		rc = limg__members_take(&l->members, ar, e);
	if (l->in.stopped) /* a callback or the token stopped it: that error, not what libarchive made of it */
		rc = limg__input_stopped(&l->in);
	else if (rc == 0 && st != ARCHIVE_EOF)
		rc = limg__error_set(LIMG_ECORRUPT, "not a valid tar archive: %s",
		                     archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
	archive_read_free(ar);
	return rc;
}

/* A listing file of the archive: *@found false when it lacks it. */
static int listing_file(load_run *l, const char *name, limg_buf *out, bool *found)
{
	const limg__member *m;
	int rc;

	*found = false;
	if (!(m = limg__members_find(&l->members, name, &rc)))
		return rc == LIMG_ENOTFOUND ? 0 : rc;
	*found = true;
	if ((rc = limg__members_read(&l->members, m->digest, LISTING_MAX, out)) == LIMG_ETOOBIG)
		rc = limg__error_set(LIMG_ETOOBIG, "archive: %s is larger than %u bytes", name, LISTING_MAX);
	return rc;
}

/* manifest.json and index.json, as listed. */
static int read_listing(load_run *l)
{
	limg_buf mj = LIMG_BUF_INIT, ij = LIMG_BUF_INIT;
	bool has_mj, has_ij;
	int rc;

	if ((rc = listing_file(l, "manifest.json", &mj, &has_mj)) == 0 &&
	    (rc = listing_file(l, "index.json", &ij, &has_ij)) == 0)
		rc = limg__listing_parse(&l->listing, has_mj ? (mj.ptr ? mj.ptr : "") : NULL, mj.size,
		                         has_ij ? (ij.ptr ? ij.ptr : "") : NULL, ij.size);
	limg_buf_dispose(&mj);
	limg_buf_dispose(&ij);
	return rc;
}

/* ---- images -------------------------------------------------------------------- */

static int need(load_run *l, const char *digest)
{
	int rc = limg__strset_add(&l->needed_set, digest);

	if (rc <= 0)
		return rc;
	if ((rc = limg__array_grow((void **)&l->needed, &l->capneeded, l->nneeded + 1, sizeof *l->needed)) < 0)
		return rc;
	if (!(l->needed[l->nneeded] = limg__strdup(digest)))
		return limg__error_oom();
	l->nneeded++;
	return 0;
}

static int add_found(load_run *l, const char *manifest, const char *config, char *const *names, size_t nnames)
{
	found_image *f;
	int rc;

	if ((rc = limg__array_grow((void **)&l->images, &l->capimages, l->nimages + 1, sizeof *l->images)) < 0)
		return rc;
	f = &l->images[l->nimages++];
	memset(f, 0, sizeof *f);
	if (!(f->manifest = limg__strdup(manifest)) || (config && !(f->config = limg__strdup(config))) ||
	    (nnames && (!(f->names = limg__calloc(nnames, sizeof *f->names)) || !(f->refs = limg__calloc(nnames, sizeof *f->refs)))))
		return limg__error_oom();
	for (; f->nnames < nnames; f->nnames++)
		if (!(f->names[f->nnames] = limg__strdup(names[f->nnames])))
			return limg__error_oom();
	return 0;
}

/* A member named by manifest.json: its digest and size. */
static int named(load_run *l, const char *path, const char *what, const char **digest, int64_t *size)
{
	const limg__member *m;
	char q[300];
	int rc;

	if (!(m = limg__members_find(&l->members, path, &rc)))
		return rc != LIMG_ENOTFOUND ? rc
		       : limg__error_set(LIMG_ECORRUPT, "archive: manifest.json names %s%s, which the archive does not hold",
		                         what, quoted(q, path));
	*digest = m->digest;
	*size = m->size;
	return 0;
}

/* The image manifests index.json lists, each read once. */
static int read_oci_manifests(load_run *l)
{
	limg__strset seen = LIMG_STRSET_INIT;
	int rc = 0;

	if (l->listing.noci && !(l->oci = limg__calloc(l->listing.noci, sizeof *l->oci)))
		return limg__error_oom();
	for (size_t i = 0; i < l->listing.noci && rc == 0; i++) {
		const char *digest = l->listing.oci[i].digest;
		limg_buf bytes = LIMG_BUF_INIT;
		limg_manifest *m = NULL;
		oci_manifest *o;
		if ((rc = limg__strset_add(&seen, digest)) <= 0)
			continue;
		rc = 0;
		if (limg__members_read(&l->members, digest, LIMG_MANIFEST_SIZE_MAX, &bytes) < 0 ||
		    limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL) < 0 || limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE) {
			limg_error_clear(); /* (checked as an image later, if it is one) */
		} else {
			size_t first;
			o = &l->oci[l->noci++];
			o->next = SIZE_MAX;
			if (!(o->digest = limg__strdup(digest)) ||
			    !(o->config = limg__strdup(limg_descriptor_digest(limg_manifest_config(m)))) ||
			    (limg_manifest_count(m) && !(o->layers = limg__calloc(limg_manifest_count(m), sizeof *o->layers))))
				rc = limg__error_oom();
			for (; rc == 0 && o->nlayers < limg_manifest_count(m); o->nlayers++)
				if (!(o->layers[o->nlayers] = limg__strdup(limg_descriptor_digest(limg_manifest_entry(m, o->nlayers)))))
					rc = limg__error_oom();
			if (rc == 0 && limg__strmap_get(&l->oci_by_config, o->config, &first)) {
				o->next = l->oci[first].next;
				l->oci[first].next = l->noci - 1;
			} else if (rc == 0) {
				rc = limg__strmap_put(&l->oci_by_config, o->config, l->noci - 1);
			}
		}
		limg_manifest_free(m);
		limg_buf_dispose(&bytes);
	}
	limg__strset_free(&seen);
	return rc;
}

/* index.json's image manifest with this config and these layers, if any. */
static const char *matching_oci_manifest(const load_run *l, const char *config, const char *const *layers, size_t n)
{
	size_t i;

	if (!limg__strmap_get(&l->oci_by_config, config, &i))
		return NULL;
	for (; i != SIZE_MAX; i = l->oci[i].next) {
		const oci_manifest *o = &l->oci[i];
		bool same = o->nlayers == n;
		for (size_t j = 0; j < n && same; j++)
			same = !strcmp(o->layers[j], layers[j]);
		if (same)
			return o->digest;
	}
	return NULL;
}

/* The media type of a layer, by its first bytes (legacy archives say nothing). */
static int first_bytes(const void *data, size_t len, void *payload)
{
	limg_buf *head = payload;

	limg__buf_put(head, data, len < 8 - head->size ? len : 8 - head->size);
	return head->size >= 8 ? 1 : 0;
}

static const char *layer_type_of(load_run *l, const char *digest)
{
	limg_buf head = LIMG_BUF_INIT;
	int c;

	limg__members_stream(&l->members, digest, first_bytes, &head);
	limg_error_clear();
	c = head.size ? limg_compression_detect(head.ptr, head.size) : LIMG_COMPRESSION_NONE;
	limg_buf_dispose(&head);
	switch (c) {
	case LIMG_COMPRESSION_GZIP: return LIMG_MEDIA_OCI_LAYER_GZIP;
	case LIMG_COMPRESSION_ZSTD: return LIMG_MEDIA_OCI_LAYER_ZSTD;
	default: return LIMG_MEDIA_OCI_LAYER;
	}
}

/* The manifest docker load makes for an entry of the legacy format. */
static int make_manifest(load_run *l, const char *cfg, int64_t cfg_size, const char *const *layers,
                         const int64_t *sizes, size_t n, char digest[80])
{
	cJSON *doc = cJSON_CreateObject(), *c, *ls;
	char *text;
	int rc;

	cJSON_AddNumberToObject(doc, "schemaVersion", 2);
	cJSON_AddStringToObject(doc, "mediaType", LIMG_MEDIA_OCI_MANIFEST);
	c = cJSON_AddObjectToObject(doc, "config");
	cJSON_AddStringToObject(c, "mediaType", LIMG_MEDIA_OCI_CONFIG);
	cJSON_AddStringToObject(c, "digest", cfg);
	cJSON_AddNumberToObject(c, "size", (double)cfg_size);
	ls = cJSON_AddArrayToObject(doc, "layers");
	for (size_t i = 0; i < n; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "mediaType", layer_type_of(l, layers[i]));
		cJSON_AddStringToObject(d, "digest", layers[i]);
		cJSON_AddNumberToObject(d, "size", (double)sizes[i]);
		cJSON_AddItemToArray(ls, d);
	}
	text = limg__json_print(doc, false);
	cJSON_Delete(doc);
	rc = text ? limg__members_add_made(&l->members, text, strlen(text), digest) : limg__error_oom();
	limg__free(text);
	return rc;
}

/* RepoTags are repository:tag, as moby, podman and skopeo read them: no tag (or a digest) is refused. */
static int check_repo_tags(const limg__docker_entry *e, int at)
{
	for (size_t i = 0; i < e->ntags; i++) {
		limg_reference *r = NULL;
		int rc = limg_reference_parse_normalized(&r, e->tags[i]);
		bool ok = rc == 0 && limg_reference_tag(r) && !limg_reference_digest(r);
		char q[300];
		limg_reference_free(r);
		if (rc == LIMG_ENOMEM)
			return rc;
		if (!ok)
			return limg__error_set(LIMG_ECORRUPT, "archive: manifest.json entry %d: invalid tag %s (RepoTags are "
			                                      "repository:tag)", at, quoted(q, e->tags[i]));
	}
	limg_error_clear();
	return 0;
}

/* One entry of Docker's manifest.json. */
static int docker_entry(load_run *l, const limg__docker_entry *e, int at)
{
	const char *cfg, **layers = NULL;
	int64_t cfg_size, *sizes = NULL;
	char made[80];
	const char *manifest;
	int rc;

	if ((rc = check_repo_tags(e, at)) < 0 || (rc = named(l, e->config, "", &cfg, &cfg_size)) < 0)
		return rc;
	if (e->nlayers && (!(layers = limg__calloc(e->nlayers, sizeof *layers)) || !(sizes = limg__calloc(e->nlayers, sizeof *sizes)))) {
		limg__free(layers);
		return limg__error_oom();
	}
	for (size_t i = 0; i < e->nlayers && rc == 0; i++)
		rc = named(l, e->layers[i], "layer ", &layers[i], &sizes[i]);
	if (rc == 0 && !(manifest = matching_oci_manifest(l, cfg, layers, e->nlayers))) {
		/* the legacy format has no manifest: one is made, as docker load makes one */
		rc = make_manifest(l, cfg, cfg_size, layers, sizes, e->nlayers, made);
		manifest = made;
	}
	if (rc == 0)
		rc = add_found(l, manifest, cfg, e->tags, e->ntags);
	limg__free(layers);
	limg__free(sizes);
	return rc;
}

/* The format `docker save` wrote before Docker 1.10: a repositories file and
 * a directory per image (<id>/json, <id>/layer.tar), no manifest.json. */
static bool legacy(const load_run *l)
{
	int rc;

	if (limg__members_find(&l->members, "repositories", &rc))
		return true;
	for (size_t i = 0; i < l->members.n; i++) {
		const char *name = l->members.v[i].name, *slash = strrchr(name, '/');
		if (slash && !strcmp(slash + 1, "layer.tar"))
			return true;
	}
	limg_error_clear();
	return false;
}

static int find_images(load_run *l)
{
	int rc = 0;

	if (l->listing.has_manifest_json) {
		if ((rc = read_oci_manifests(l)) < 0)
			return rc;
		for (size_t i = 0; i < l->listing.ndocker && rc == 0; i++)
			rc = docker_entry(l, &l->listing.docker[i], (int)i);
	} else if (l->listing.has_index_json) {
		for (size_t i = 0; i < l->listing.noci && rc == 0; i++) {
			char *name = l->listing.oci[i].name;
			rc = add_found(l, l->listing.oci[i].digest, NULL, &name, name ? 1 : 0);
		}
	} else if (legacy(l)) {
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_ARCHIVE, NULL,
		                             "this is a legacy docker save archive (repositories and <id>/layer.tar, no "
		                             "manifest.json: Docker before 1.10), which is not supported: load it with "
		                             "docker load and save it again with docker save (any Docker since 1.10)");
	} else {
		return limg__error_set(LIMG_ECORRUPT, "not an image archive: it has neither manifest.json nor index.json");
	}
	/* a manifest.json of [] (or an empty index.json) loads nothing, as docker load */
	return rc;
}

/* ---- checks ---------------------------------------------------------------------- */

static int add_check(load_run *l, const limg_descriptor *d, const char *diff_id)
{
	int comp = limg_compression_from_media_type(limg_descriptor_media_type(d));
	struct layer_check *c;
	char q[300];
	int rc;

	char key[400];

	if (comp < 0 || comp == LIMG_COMPRESSION_UNKNOWN)
		return limg__error_set(LIMG_EUNSUPPORTED, "archive: layer %s has media type %s", limg_descriptor_digest(d),
		                       quoted(q, limg_descriptor_media_type(d) ? limg_descriptor_media_type(d) : "(none)"));
	/* a layer shared by images (or repeated in one) is checked once */
	snprintf(key, sizeof key, "%s %s %d", limg_descriptor_digest(d), diff_id, comp);
	if ((rc = limg__strset_add(&l->checked, key)) <= 0)
		return rc;
	if ((rc = limg__array_grow((void **)&l->checks, &l->capchecks, l->nchecks + 1, sizeof *l->checks)) < 0)
		return rc;
	c = &l->checks[l->nchecks];
	memset(c, 0, sizeof *c);
	if (!(c->digest = limg__strdup(limg_descriptor_digest(d))) || !(c->diff_id = limg__strdup(diff_id))) {
		limg__free(c->digest);
		return limg__error_oom();
	}
	c->compression = comp;
	l->nchecks++;
	return 0;
}

static int check_image(load_run *l, const char *digest, int depth, char **id);

/* Whether the archive (or the store) holds an image's config and layers at
 * their sizes: LIMG_IMAGE_COMPLETE, else INCOMPLETE (a foreign layer left
 * out) or DAMAGED, with *@bad and *@stored (-1: absent) saying what. */
static int image_state(load_run *l, const limg_manifest *m, const limg_descriptor **bad, int64_t *stored)
{
	for (long i = -1; i < (long)limg_manifest_count(m); i++) {
		const limg_descriptor *d = i < 0 ? limg_manifest_config(m) : limg_manifest_entry(m, (size_t)i);
		int64_t size = -1;
		int rc = limg__members_size(&l->members, limg_descriptor_digest(d), &size);
		if (rc == 0 && size == limg_descriptor_size(d))
			continue;
		limg_error_clear();
		*bad = d;
		*stored = rc == 0 ? size : -1;
		return rc == LIMG_ENOTFOUND && i >= 0 && limg_descriptor_is_foreign(d) ? LIMG_IMAGE_INCOMPLETE
		                                                                        : LIMG_IMAGE_DAMAGED;
	}
	return LIMG_IMAGE_COMPLETE;
}

/* Of an index's entry: *@out its image manifest when the archive holds it
 * and everything it needs, else NULL with the first thing missing in @why;
 * an error for a manifest that is there but no image manifest. */
static int whole_image(limg_manifest **out, load_run *l, const limg_descriptor *d, char *why, size_t cap)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	const limg_descriptor *bad = NULL;
	int64_t stored = -1;
	int rc;

	*out = NULL;
	if ((rc = limg__members_read(&l->members, limg_descriptor_digest(d), LIMG_MANIFEST_SIZE_MAX, &bytes)) < 0) {
		limg_error_clear();
		snprintf(why, cap, "its manifest %s is not in the archive", limg_descriptor_digest(d));
		return 0;
	}
	rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, limg_descriptor_media_type(d));
	limg_buf_dispose(&bytes);
	if (rc < 0)
		return limg__error_prefix("archive: manifest %s", limg_descriptor_digest(d));
	if (limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE) {
		limg_manifest_free(m);
		return limg__error_set(LIMG_EMANIFEST, "archive: index entry %s is not an image manifest",
		                       limg_descriptor_digest(d));
	}
	if (image_state(l, m, &bad, &stored) != LIMG_IMAGE_COMPLETE) {
		snprintf(why, cap, "%s %s is %s", limg_descriptor_is_foreign(bad) ? "its foreign layer" : "its blob",
		         limg_descriptor_digest(bad), stored < 0 ? "not in the archive" : "not the size its manifest gives");
		limg_manifest_free(m);
		return 0;
	}
	*out = m;
	return 0;
}

static void platform_text(char *out, size_t cap, const limg_descriptor *d)
{
	snprintf(out, cap, "%s/%s%s%s", limg_descriptor_os(d) ? limg_descriptor_os(d) : "?",
	         limg_descriptor_architecture(d) ? limg_descriptor_architecture(d) : "?",
	         limg_descriptor_variant(d) ? "/" : "", limg_descriptor_variant(d) ? limg_descriptor_variant(d) : "");
}

static int need(load_run *l, const char *digest);

/* What the archive holds of an index's image that is not whole: kept as it
 * is (its manifest, and each blob the archive has, digests checked). */
static int keep_part(load_run *l, const limg_descriptor *d)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	int64_t size;
	int rc;

	if (limg__members_read(&l->members, limg_descriptor_digest(d), LIMG_MANIFEST_SIZE_MAX, &bytes) < 0 ||
	    limg_manifest_parse(&m, bytes.ptr, bytes.size, limg_descriptor_media_type(d)) < 0) {
		limg_buf_dispose(&bytes);
		limg_error_clear();
		return 0; /* (no manifest there: nothing of it to keep) */
	}
	limg_buf_dispose(&bytes);
	rc = need(l, limg_descriptor_digest(d));
	for (long i = -1; rc == 0 && i < (long)limg_manifest_count(m); i++) {
		const char *part = limg_descriptor_digest(i < 0 ? limg_manifest_config(m) : limg_manifest_entry(m, (size_t)i));
		if (limg__members_size(&l->members, part, &size) == 0)
			rc = need(l, part);
		else
			limg_error_clear();
	}
	limg_manifest_free(m);
	return rc;
}

/* An index at the top of an image: the platform asked for (or this
 * machine's, else the first) must be whole; the others are checked when
 * whole and kept as they are when not (`skopeo copy --all` leaves foreign
 * layers out), as podman loads them: what the archive holds of them is
 * kept too. *@id learns the chosen image's ID. */
static int check_index(load_run *l, const limg_manifest *index, const char *digest, char **id)
{
	const limg_descriptor *want = NULL, *chosen = NULL;
	char chosen_id[160] = "", why[512], platform[128];
	size_t whole = 0;
	int rc;

	if (l->o.platform) {
		if ((rc = limg_manifest_select(&want, index, l->o.platform)) < 0)
			return limg__error_prefix("archive: index %s", digest);
	} else if (limg_manifest_select(&want, index, NULL) < 0) {
		want = NULL;
		limg_error_clear();
	}
	for (size_t i = 0; i < limg_manifest_count(index); i++) {
		const limg_descriptor *d = limg_manifest_entry(index, i);
		limg_manifest *m;
		if ((rc = whole_image(&m, l, d, why, sizeof why)) < 0)
			return rc;
		platform_text(platform, sizeof platform, d);
		if (!m) {
			if (d == want && l->o.platform)
				return limg__error_set(LIMG_ECORRUPT, "archive: the %s image of index %s is not whole: %s", platform,
				                       digest, why);
			limg__log(limg__store_context(l->store), LIMG_LOG_INFO,
			          "archive: the %s image of index %s is kept as it is, not whole: %s", platform, digest, why);
			if ((rc = keep_part(l, d)) < 0)
				return rc;
			continue;
		}
		if (!chosen || d == want) {
			chosen = d;
			snprintf(chosen_id, sizeof chosen_id, "%s", limg_descriptor_digest(limg_manifest_config(m)));
		}
		limg_manifest_free(m);
		whole++;
		if ((rc = check_image(l, limg_descriptor_digest(d), 1, NULL)) < 0)
			return rc;
	}
	if (!whole)
		return limg__error_set(LIMG_ECORRUPT, "archive: index %s holds no whole image (%s)", digest, why);
	if (id && !*id && !(*id = limg__strdup(chosen_id)))
		return limg__error_oom();
	return 0;
}

/* An image manifest: its config and layers present, its diff_ids to check,
 * all of it needed; *@id (when NULL so far) learns the image ID. */
static int check_image(load_run *l, const char *digest, int depth, char **id)
{
	limg_buf bytes = LIMG_BUF_INIT, cfg_bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	limg_config *cfg = NULL;
	int64_t size;
	int rc;

	if ((rc = limg__members_read(&l->members, digest, LIMG_MANIFEST_SIZE_MAX, &bytes)) < 0) {
		rc = rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "archive: manifest %s is not in it", digest) : rc;
		goto out;
	}
	if ((rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL)) < 0) {
		limg__error_prefix("archive: manifest %s", digest);
		goto out;
	}
	if ((rc = need(l, digest)) < 0)
		goto out;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX) {
		if (depth > 0) {
			rc = limg__error_set(LIMG_EMANIFEST, "archive: index %s holds an index", digest);
			goto out;
		}
		rc = check_index(l, m, digest, id);
		goto out;
	}
	if (depth == 0 && id && !*id && !(*id = limg__strdup(limg_descriptor_digest(limg_manifest_config(m))))) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = limg__members_read(&l->members, limg_descriptor_digest(limg_manifest_config(m)), LIMG_MANIFEST_SIZE_MAX,
	                             &cfg_bytes)) < 0 ||
	    (rc = limg_config_parse(&cfg, cfg_bytes.ptr, cfg_bytes.size)) < 0 ||
	    (rc = need(l, limg_descriptor_digest(limg_manifest_config(m)))) < 0) {
		limg__error_prefix("archive: config of %s", digest);
		goto out;
	}
	if (limg_config_diff_id_count(cfg) != limg_manifest_count(m)) {
		rc = limg__error_set(LIMG_ECORRUPT, "archive: image %s has %zu layers, its config %zu diff_ids", digest,
		                     limg_manifest_count(m), limg_config_diff_id_count(cfg));
		goto out;
	}
	for (size_t i = 0; i < limg_manifest_count(m) && rc == 0; i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		if ((rc = limg__members_size(&l->members, limg_descriptor_digest(d), &size)) < 0)
			rc = rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "archive: layer %s of %s is not in it",
			                                            limg_descriptor_digest(d), digest)
			                          : rc;
		else if (size != limg_descriptor_size(d))
			rc = limg__error_set(LIMG_ECORRUPT, "archive: layer %s has %lld bytes, its manifest says %lld",
			                     limg_descriptor_digest(d), (long long)size, (long long)limg_descriptor_size(d));
		else if ((rc = add_check(l, d, limg_config_diff_id(cfg, i))) == 0)
			rc = need(l, limg_descriptor_digest(d));
	}
out:
	limg_config_free(cfg);
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	limg_buf_dispose(&cfg_bytes);
	return rc;
}

static int feed_digester(const void *data, size_t len, void *payload)
{
	return limg__digester_feed(payload, data, len);
}

static int check_layer(size_t i, void *payload)
{
	load_run *l = payload;
	struct layer_check *c = &l->checks[i];
	limg__digester *d = NULL;
	const limg__member *m = NULL;
	char known[160];
	const char *got;
	int64_t size;
	size_t at;
	int rc;

	if (limg__strmap_get(&l->members.by_digest, c->digest, &at))
		m = &l->members.v[at];
	/* what is learnt is recorded as a pull records it (commit_needed): the
	 * first listing need not inflate the layer again */
	if (c->compression == LIMG_COMPRESSION_NONE && !strcmp(c->digest, c->diff_id)) {
		/* an uncompressed layer is its own diff_id, and its digest was checked */
		if (m && !m->stored) {
			snprintf(c->got, sizeof c->got, "%s", c->diff_id);
			c->size = m->size;
		}
		return 0;
	}
	/* worked out while the archive was read, or known to the store from an earlier check */
	if (m && m->diff_id && m->compression == c->compression) {
		if (strcmp(m->diff_id, c->diff_id) != 0)
			return limg__error_set(LIMG_EDIGEST_MISMATCH, "archive: layer %s unpacks to %s, but its config says %s",
			                       c->digest, m->diff_id, c->diff_id);
		snprintf(c->got, sizeof c->got, "%s", m->diff_id);
		c->size = m->usize;
		return 0;
	}
	if ((!m || m->stored) && limg__store_layer_info_get(l->store, c->digest, known, &size) == 0 &&
	    !strcmp(known, c->diff_id))
		return 0;
	limg_error_clear();
	if ((rc = limg__digester_new(&d, c->compression, LIMG_LAYER_SIZE_MAX_DEFAULT, 1)) == 0 &&
	    (rc = limg__members_stream(&l->members, c->digest, feed_digester, d)) == 0 &&
	    (rc = limg__digester_finish(d, &got, &size)) == 0) {
		if (strcmp(got, c->diff_id) != 0)
			rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "archive: layer %s unpacks to %s, but its config says %s",
			                     c->digest, got, c->diff_id);
		else {
			snprintf(c->got, sizeof c->got, "%s", got);
			c->size = size;
		}
	} else if (rc < 0 && rc != LIMG_EDIGEST_MISMATCH) {
		limg__error_prefix("archive: layer %s", c->digest);
	}
	limg__digester_free(d);
	return rc;
}

/* ---- committing and tagging ----------------------------------------------------- */

/* Every name parsed before any tag is set: a bad one refuses the load. */
static int parse_names(load_run *l)
{
	char q[300];
	int rc;

	for (size_t i = 0; i < l->nimages; i++)
		for (size_t j = 0; j < l->images[i].nnames; j++)
			if ((rc = limg_reference_parse_docker(&l->images[i].refs[j], l->images[i].names[j])) < 0)
				return limg__error_prefix("archive: image name %s", quoted(q, l->images[i].names[j]));
	return 0;
}

static int commit_needed(load_run *l)
{
	int rc;

	for (size_t i = 0; i < l->nneeded; i++) {
		if (limg_cancel_requested(l->stop))
			return limg__error_set(LIMG_ECANCELLED, "load cancelled");
		if ((rc = limg__members_commit(&l->members, l->needed[i])) < 0)
			return rc;
	}
	/* what checking the layers taught us, for listings to come */
	for (size_t i = 0; i < l->nchecks; i++)
		if (l->checks[i].got[0])
			limg__store_layer_info_put(l->store, l->checks[i].digest, l->checks[i].got, l->checks[i].size);
	limg_error_clear();
	return 0;
}

/* What a listing shows of an image (ID, created, uncompressed size), from
 * what the load has just checked: cached with its tags, as a pull caches it. */
static void image_facts(load_run *l, const found_image *f, limg_buf *id, limg_buf *created, char size[32])
{
	limg_buf body = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	limg_config *c = NULL;
	int64_t total;

	if (limg_store_blob_read(&body, l->store, f->manifest, LIMG_MANIFEST_SIZE_MAX) == 0 &&
	    limg_manifest_parse(&m, body.ptr, body.size, NULL) == 0 && limg_manifest_kind(m) == LIMG_MANIFEST_IMAGE &&
	    limg_store_blob_read(&body, l->store, limg_descriptor_digest(limg_manifest_config(m)), LIMG_MANIFEST_SIZE_MAX) == 0 &&
	    limg_config_parse(&c, body.ptr, body.size) == 0 && limg_config_created(c) &&
	    (total = limg__image_size(l->store, m)) >= 0) {
		const char *d = limg_descriptor_digest(limg_manifest_config(m));
		if (limg_buf_set(id, d, strlen(d)) < 0 ||
		    limg_buf_set(created, limg_config_created(c), strlen(limg_config_created(c))) < 0) {
			limg_buf_dispose(id); /* all the facts or none (a cache: the listing works them out) */
			limg_buf_dispose(created);
		}
		snprintf(size, 32, "%lld", (long long)total);
	}
	limg_config_free(c);
	limg_manifest_free(m);
	limg_buf_dispose(&body);
	limg_error_clear(); /* facts that cannot be had are worked out by the listing */
}

/* The image ID of what a tag named before: @previous itself when the
 * index cached it, else the config of the manifest it is (or the
 * manifest's digest when that cannot be read). */
static const char *previous_id(load_run *l, const char *previous, char *out, size_t cap)
{
	limg_buf body = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	const limg_descriptor *config;

	snprintf(out, cap, "%s", previous);
	if (limg_store_blob_read(&body, l->store, previous, LIMG_MANIFEST_SIZE_MAX) == 0 &&
	    limg_manifest_parse(&m, body.ptr, body.size, NULL) == 0 && (config = limg_manifest_config(m)) &&
	    limg_descriptor_digest(config))
		snprintf(out, cap, "%s", limg_descriptor_digest(config));
	limg_error_clear();
	limg_manifest_free(m);
	limg_buf_dispose(&body);
	return out;
}

/* Every tag in one change of the tag index (an archive may name an image
 * 10,000 times), with the listing facts; then each image is told. */
static int tag_all(load_run *l)
{
	limg__tag_set *sets = NULL;
	limg_buf *ids = NULL, *created = NULL;
	char (*sizes)[32] = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (l->nimages && (!(ids = limg__calloc(l->nimages, sizeof *ids)) || !(created = limg__calloc(l->nimages, sizeof *created)) ||
	                   !(sizes = limg__calloc(l->nimages, sizeof *sizes)))) {
		rc = limg__error_oom();
		goto out;
	}
	for (size_t i = 0; i < l->nimages && rc == 0; i++) {
		const found_image *f = &l->images[i];
		size_t first = n;
		image_facts(l, f, &ids[i], &created[i], sizes[i]);
		/* no name: kept as an untagged image, as docker load does */
		for (size_t j = 0; j < (f->nnames ? f->nnames : 1) && rc == 0; j++) {
			if ((rc = limg__array_grow((void **)&sets, &cap, n + 1, sizeof *sets)) < 0)
				break;
			memset(&sets[n], 0, sizeof sets[n]);
			sets[n].reference = f->nnames ? limg_reference_string(f->refs[j]) : NULL;
			sets[n++].digest = f->manifest;
		}
		for (size_t k = first; k < n && ids[i].ptr; k++) {
			sets[k].keys[0] = LIMG_CACHE_ID_KEY;
			sets[k].values[0] = ids[i].ptr;
			sets[k].keys[1] = LIMG_CACHE_CREATED_KEY;
			sets[k].values[1] = created[i].ptr;
			sets[k].keys[2] = LIMG_CACHE_SIZE_KEY;
			sets[k].values[2] = sizes[i];
			sets[k].n = 3;
		}
	}
	if (rc == 0)
		rc = limg__tags_set_many(l->store, sets, n);
	for (size_t i = 0, k = 0; i < l->nimages && rc == 0; i++) {
		const found_image *f = &l->images[i];
		const char *id = f->config ? f->config : f->manifest;
		for (size_t j = 0; j < (f->nnames ? f->nnames : 1) && rc == 0; j++, k++) {
			const char *name = f->nnames ? limg_reference_familiar_string(f->refs[j]) : NULL;
			char old[160];
			if (name && sets[k].previous[0] && l->cb.retagged &&
			    strcmp(previous_id(l, sets[k].previous, old, sizeof old), id) != 0 &&
			    (rc = l->cb.retagged(name, old, l->cb.payload)) != 0)
				rc = limg__error_after_callback(rc, "load");
			if (rc == 0 && l->cb.loaded && (rc = l->cb.loaded(name, id, l->cb.payload)) != 0)
				rc = limg__error_after_callback(rc, "load");
		}
	}
out:
	for (size_t i = 0; ids && i < l->nimages; i++) {
		limg_buf_dispose(&ids[i]);
		limg_buf_dispose(&created[i]);
	}
	limg__free(ids);
	limg__free(created);
	limg__free(sizes);
	limg__free(sets);
	return rc;
}

/* The signatures (and other referrers) the archive carries, beside their
 * images (committed by now), before any tag: index.json's annotation names them. */
static int load_referrers(load_run *l)
{
	limg_buf ij = LIMG_BUF_INIT;
	cJSON *doc = NULL;
	char why[200];
	bool has_ij;
	int rc;

	if ((rc = listing_file(l, "index.json", &ij, &has_ij)) < 0 || !has_ij)
		goto out;
	/* read_listing() parsed this text already: it is strict JSON */
	if (limg__json_parse(&doc, ij.ptr ? ij.ptr : "", ij.size, NULL, why, sizeof why) < 0) {
		rc = limg__error_set(LIMG_ECORRUPT, "archive: index.json: %s", why);
		goto out;
	}
	rc = limg__archive_load_referrers(l->store, &l->members, doc);
out:
	cJSON_Delete(doc);
	limg_buf_dispose(&ij);
	return rc;
}

static int run(load_run *l)
{
	int rc;

	if ((rc = limg__members_init(&l->members, l->store, l->lease,
	                             l->o.max_blob_size > 0 ? l->o.max_blob_size : LIMG_BLOB_SIZE_MAX_DEFAULT)) < 0 ||
	    (rc = limg__input_open(&l->in, l->fd_in, &l->cb, l->stop)) < 0 || (rc = read_members(l)) < 0)
		return rc;
	/* the whole archive is read: its size is known now */
	if (l->cb.progress && (rc = l->cb.progress(NULL, LIMG_BLOB_NONE, LIMG_EVENT_READING, l->in.read_total,
	                                           l->in.read_total, NULL, l->cb.payload)) != 0)
		return limg__error_after_callback(rc, "load");
	if ((rc = read_listing(l)) < 0 || (rc = find_images(l)) < 0)
		return rc;
	for (size_t i = 0; i < l->nimages; i++)
		if ((rc = check_image(l, l->images[i].manifest, 0, &l->images[i].config)) < 0)
			return rc;
	if ((rc = limg__jobs_run(l->nchecks, 2, check_layer, l, l->stop)) != 0 || (rc = parse_names(l)) < 0 ||
	    (rc = commit_needed(l)) < 0 || (rc = load_referrers(l)) < 0)
		return rc;
	return tag_all(l);
}

static void dispose(load_run *l)
{
	for (size_t i = 0; i < l->nimages; i++) {
		found_image *f = &l->images[i];
		for (size_t j = 0; j < f->nnames; j++) {
			limg__free(f->names[j]);
			limg_reference_free(f->refs ? f->refs[j] : NULL);
		}
		limg__free(f->names);
		limg__free(f->refs);
		limg__free(f->manifest);
		limg__free(f->config);
	}
	limg__free(l->images);
	for (size_t i = 0; i < l->noci; i++) {
		for (size_t j = 0; j < l->oci[i].nlayers; j++)
			limg__free(l->oci[i].layers[j]);
		limg__free(l->oci[i].layers);
		limg__free(l->oci[i].digest);
		limg__free(l->oci[i].config);
	}
	limg__free(l->oci);
	limg__strmap_free(&l->oci_by_config);
	for (size_t i = 0; i < l->nchecks; i++) {
		limg__free(l->checks[i].digest);
		limg__free(l->checks[i].diff_id);
	}
	limg__free(l->checks);
	for (size_t i = 0; i < l->nneeded; i++)
		limg__free(l->needed[i]);
	limg__free(l->needed);
	limg__strset_free(&l->needed_set);
	limg__strset_free(&l->checked);
	limg__listing_dispose(&l->listing);
	limg__members_dispose(&l->members); /* and with it what no image needed */
	limg__input_dispose(&l->in);
}

int limg_archive_load(limg_store *store, int fd, const limg_archive_load_opts *opts,
                      const limg_archive_load_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	load_run l;
	int rc;

	if (!store)
		return limg__error_invalid("store");
	memset(&l, 0, sizeof l);
	l.store = store;
	l.fd_in = fd;
	limg_archive_load_opts_init(&l.o, sizeof l.o);
	limg_archive_load_callbacks_init(&l.cb, sizeof l.cb);
	if ((rc = limg__opts_copy(&l.o, sizeof l.o, opts, "limg_archive_load_opts")) < 0 ||
	    (rc = limg__opts_copy(&l.cb, sizeof l.cb, cb, "limg_archive_load_callbacks")) < 0)
		return rc;
	if (fd < 0 && !l.cb.read)
		return limg__error_invalid("fd (or callbacks.read)");
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg_cancel_new(&l.stop)) == 0 && (rc = limg__store_link_stop(store, l.stop, l.o.cancel)) == 0 &&
	    (rc = limg__lease_new(&l.lease, store)) == 0)
		rc = run(&l);
	if (rc == LIMG_ECANCELLED)
		rc = limg__store_stopped(rc, store, l.o.cancel, "load", "the archive");
	/* what the load found damaged is the archive (or a member of it) */
	if ((rc == LIMG_ECORRUPT || rc == LIMG_EMANIFEST) && limg_error_subject(limg_error_last()) == LIMG_SUBJECT_NONE)
		limg__error_about(LIMG_SUBJECT_ARCHIVE, NULL);
	dispose(&l);
	limg__lease_free(l.lease);
	limg_cancel_free(l.stop);
	limg__store_leave(store);
	return rc;
}
