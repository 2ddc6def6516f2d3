/*
 * limg_push(): the stored image's tree (index, image manifests, configs,
 * layers) gathered and checked to be stored, its blobs sent on a few
 * threads (each skipped, mounted or uploaded from its stored file, which
 * the registry checks against the digest), then manifests bottom-up: the
 * children by digest, the top under the tag, unless the registry already
 * has the tag at that digest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/jobs.h"
#include "core/strset.h"
#include "libimage/images.h"
#include "libimage/manifest.h"
#include "libimage/pull.h"
#include "libimage/push.h"
#include "libimage/reference.h"
#include "libimage/tags.h"
#include "progress.h"
#include "registry/registry_internal.h"
#include "store/store_internal.h"

typedef struct {
	char *digest;
	int64_t size;
	int kind; /* limg_pull_blob_kind */
} blob;

typedef struct {
	char *digest, *media_type;
	limg_buf bytes;
} manifest_doc;

typedef struct {
	limg_store *store;
	limg_push_opts o;
	limg_registry *registry;
	limg_reference *ref;
	const char *repo;
	char source[600];      /* "<domain>/<repo>": recorded for what was pushed */
	limg_cancel *stop;
	limg__push_events events;
	blob *blobs;
	size_t nblobs, capblobs;
	limg__strset seen;
	manifest_doc *docs;    /* children first, the top last */
	size_t ndocs;
} push_run;

static const limg_push_opts defaults = LIMG_PUSH_OPTS_INIT;

int limg_push_opts_init(limg_push_opts *opts, size_t size)
{
	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* An event to the caller's progress callback (one at a time); non-zero stops. */
#define report(run, ...) limg__push_report(&(run)->events, __VA_ARGS__)

/* The media type the store's index.json gives a digest (manifests may lack their own). */
static char *stored_media_type(limg_store *s, const char *digest)
{
	limg_tags_list_opts to = LIMG_TAGS_LIST_OPTS_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;
	char *type = NULL;

	to.digest = digest;
	to.untagged = 2;
	if (limg_tag_iterator_new(&it, s, &to) == 0) {
		if (limg_tag_iterator_next(&t, it) == 0 && limg_tag_media_type(t))
			type = strdup(limg_tag_media_type(t));
		limg_tag_iterator_free(it);
	}
	limg_error_clear();
	return type;
}

static int add_blob(push_run *p, const limg_descriptor *d, int kind)
{
	const char *digest = limg_descriptor_digest(d);
	int64_t size;
	int rc;

	if ((rc = limg__strset_add(&p->seen, digest)) <= 0)
		return rc < 0 ? limg__error_oom() : 0; /* (shared by platforms: once) */
	if (limg_store_blob_stat(&size, p->store, digest) < 0)
		return limg__error_set(LIMG_ENOTFOUND, "%s %s is not stored", kind == LIMG_PULL_CONFIG ? "config" : "layer",
		                       digest);
	if (size != limg_descriptor_size(d))
		return limg__error_set(LIMG_ECORRUPT, "stored blob %s has %lld bytes, its manifest says %lld", digest,
		                       (long long)size, (long long)limg_descriptor_size(d));
	if (p->nblobs == p->capblobs) {
		size_t cap = p->capblobs ? p->capblobs * 2 : 16;
		blob *b = realloc(p->blobs, cap * sizeof *b);
		if (!b)
			return limg__error_oom();
		p->blobs = b;
		p->capblobs = cap;
	}
	if (!(p->blobs[p->nblobs].digest = strdup(digest)))
		return limg__error_oom();
	p->blobs[p->nblobs].size = size;
	p->blobs[p->nblobs++].kind = kind;
	return 0;
}

static int add_doc(push_run *p, const char *digest, const char *media_type, limg_buf *bytes)
{
	manifest_doc *d = realloc(p->docs, (p->ndocs + 1) * sizeof *d);

	if (!d)
		return limg__error_oom();
	p->docs = d;
	d = &p->docs[p->ndocs];
	memset(d, 0, sizeof *d);
	if (!(d->digest = strdup(digest)) || !(d->media_type = strdup(media_type))) {
		free(d->digest);
		free(d->media_type);
		return limg__error_oom();
	}
	d->bytes = *bytes;
	*bytes = (limg_buf)LIMG_BUF_INIT;
	p->ndocs++;
	return 0;
}

/* Reads and parses a stored manifest; its media type from @hint, the store or itself. */
static int read_doc(push_run *p, const char *digest, const char *hint, limg_buf *bytes, limg_manifest **m,
                    char **media_type)
{
	int rc;

	*m = NULL;
	*media_type = hint ? strdup(hint) : stored_media_type(p->store, digest);
	if ((rc = limg_store_blob_read(bytes, p->store, digest, LIMG_MANIFEST_MAX)) < 0)
		return rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ENOTFOUND, "manifest %s is not stored", digest) : rc;
	if ((rc = limg_manifest_parse(m, bytes->ptr, bytes->size, *media_type)) < 0)
		return limg__error_prefix("stored manifest %s", digest);
	if (!*media_type && !(*media_type = strdup(limg_manifest_media_type(*m))))
		return limg__error_oom();
	return 0;
}

/* An image manifest: its config and layers to send, then itself. */
static int gather_image(push_run *p, const char *digest, const char *media_type)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	char *type = NULL;
	int rc;

	if ((rc = read_doc(p, digest, media_type, &bytes, &m, &type)) < 0)
		goto out;
	if (limg_manifest_kind_of(m) != LIMG_MANIFEST_IMAGE) {
		rc = limg__error_set(LIMG_EMANIFEST, "stored manifest %s is an index inside an index", digest);
		goto out;
	}
	if ((rc = add_blob(p, limg_manifest_config(m), LIMG_PULL_CONFIG)) < 0)
		goto out;
	for (size_t i = 0; i < limg_manifest_count(m); i++) {
		const limg_descriptor *d = limg_manifest_get(m, i);
		/* foreign layers live elsewhere (Windows base layers): never pushed, as docker does */
		if (limg_descriptor_is_foreign(d))
			continue;
		if ((rc = add_blob(p, d, LIMG_PULL_LAYER)) < 0)
			goto out;
	}
	rc = add_doc(p, digest, type, &bytes);
out:
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	free(type);
	return rc;
}

/* The stored image's tree: children before parents. */
static int gather(push_run *p, const char *top)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	char *type = NULL;
	int rc;

	if ((rc = read_doc(p, top, NULL, &bytes, &m, &type)) < 0)
		goto out;
	if (limg_manifest_kind_of(m) == LIMG_MANIFEST_IMAGE) {
		limg_manifest_free(m);
		m = NULL;
		rc = gather_image(p, top, type);
		goto out;
	}
	if (p->o.platform) {
		const limg_descriptor *d;
		if ((rc = limg_manifest_select(&d, m, p->o.platform)) < 0)
			goto out;
		rc = gather_image(p, limg_descriptor_digest(d), limg_descriptor_media_type(d));
		goto out;
	}
	for (size_t i = 0; i < limg_manifest_count(m); i++) {
		const limg_descriptor *d = limg_manifest_get(m, i);
		int64_t size;
		if (limg_store_blob_stat(&size, p->store, limg_descriptor_digest(d)) < 0) {
			const char *os = limg_descriptor_os(d), *arch = limg_descriptor_architecture(d);
			rc = limg__error_set(LIMG_ENOTFOUND,
			                     "index %s: platform %s/%s%s%s is not stored: pull every platform, or push one "
			                     "with a platform option",
			                     top, os ? os : "?", arch ? arch : "?", limg_descriptor_variant(d) ? "/" : "",
			                     limg_descriptor_variant(d) ? limg_descriptor_variant(d) : "");
			goto out;
		}
		if ((rc = gather_image(p, limg_descriptor_digest(d), limg_descriptor_media_type(d))) < 0)
			goto out;
	}
	rc = add_doc(p, top, type, &bytes);
out:
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	free(type);
	return rc;
}

/* ---- blobs -------------------------------------------------------------- */

typedef struct {
	push_run *p;
	const blob *b;
	int fd;
	int64_t offset, reported;
} blob_source;

static int read_blob(void *buf, size_t cap, size_t *got, void *payload)
{
	blob_source *s = payload;
	ssize_t n;

	if (limg_cancel_requested(s->p->stop))
		return limg__error_set(LIMG_ECANCELLED, "push cancelled");
	do
		n = pread(s->fd, buf, cap, s->offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return limg__error_set(LIMG_EOS, "cannot read stored blob %s: %s", s->b->digest, strerror(errno));
	s->offset += n;
	*got = (size_t)n;
	return 0;
}

static int seek_blob(int64_t offset, void *payload)
{
	((blob_source *)payload)->offset = offset;
	return 0;
}

static int sent(int64_t done, int64_t total, void *payload)
{
	blob_source *s = payload;

	if (done - s->reported < (1 << 20) && done != total)
		return 0;
	s->reported = done;
	return report(s->p, s->b->digest, s->b->kind, LIMG_PUSH_UPLOADING, done, total, NULL);
}

/* The repository of the same registry to mount from: among those known to
 * have the blob, the one sharing the longest prefix with ours (containerd's choice). */
struct mount_pick {
	const char *domain, *repo;
	char best[512];
	size_t best_len;
	bool any;
};

static int consider(const char *source, void *payload)
{
	struct mount_pick *m = payload;
	size_t dn = strlen(m->domain), common = 0;
	const char *repo = source + dn + 1;

	if (strncmp(source, m->domain, dn) != 0 || source[dn] != '/' || !strcmp(repo, m->repo))
		return 0;
	while (repo[common] && repo[common] == m->repo[common])
		common++;
	if (!m->any || common > m->best_len) {
		snprintf(m->best, sizeof m->best, "%s", repo);
		m->best_len = common;
		m->any = true;
	}
	return 0;
}

static int push_blob(size_t i, void *payload)
{
	push_run *p = payload;
	const blob *b = &p->blobs[i];
	limg_blob_upload_opts uo = LIMG_BLOB_UPLOAD_OPTS_INIT;
	blob_source src = { p, b, -1, 0, 0 };
	struct mount_pick pick = { limg_reference_domain(p->ref), p->repo, "", 0, false };
	const char *name;
	char label[4200];
	int dirfd, result = 0, rc;

	if ((rc = limg__store_blob_locate(p->store, b->digest, false, &dirfd, &name)) < 0)
		return rc;
	limg__store_label(label, sizeof label, p->store, "blobs");
	if ((rc = limg__fs_open_regular_at(&src.fd, dirfd, name, label)) < 0)
		return rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ENOTFOUND, "blob %s is not stored", b->digest) : rc;
	if (p->o.mount)
		limg__store_sources(p->store, b->digest, consider, &pick);
	uo.mount_from = pick.any ? pick.best : NULL;
	uo.chunk_size = p->o.chunk_size;
	uo.seek = seek_blob;
	uo.sent = sent;
	rc = limg_registry_blob_upload(p->registry, p->repo, b->digest, b->size, read_blob, &src, &uo, &result);
	close(src.fd);
	if (rc != 0)
		return rc;
	limg__store_source_add(p->store, b->digest, p->source);
	if (result == LIMG_UPLOAD_EXISTS)
		return report(p, b->digest, b->kind, LIMG_PUSH_EXISTS, b->size, b->size, NULL);
	if (result == LIMG_UPLOAD_MOUNTED)
		return report(p, b->digest, b->kind, LIMG_PUSH_MOUNTED, b->size, b->size, pick.best);
	return report(p, b->digest, b->kind, LIMG_PUSH_PUSHED, b->size, b->size, NULL);
}

/* ---- manifests ---------------------------------------------------------- */

static int put_manifests(push_run *p, limg_buf *out_digest)
{
	const char *tag = limg_reference_tag(p->ref), *by_digest = limg_reference_digest(p->ref);
	const manifest_doc *top = &p->docs[p->ndocs - 1];
	limg_remote_manifest *have = NULL;
	int rc;

	if (by_digest && strcmp(by_digest, top->digest) != 0)
		return limg__error_set(LIMG_EDIGEST_MISMATCH, "the image is %s, not the digest %s asked for", top->digest,
		                       by_digest);
	for (size_t i = 0; i + 1 < p->ndocs; i++) {
		const manifest_doc *d = &p->docs[i];
		if ((rc = limg_registry_manifest_put(p->registry, p->repo, d->digest, d->media_type, d->bytes.ptr,
		                                     d->bytes.size, NULL)) < 0 ||
		    (rc = report(p, d->digest, LIMG_PULL_MANIFEST, LIMG_PUSH_MANIFEST, (int64_t)d->bytes.size,
		                 (int64_t)d->bytes.size, NULL)) != 0)
			return rc;
	}
	/* an unchanged tag: nothing to put */
	if (limg__registry_manifest_head_origin(&have, p->registry, p->repo, by_digest ? by_digest : tag) == 0 &&
	    !strcmp(limg_remote_manifest_digest(have), top->digest)) {
		limg_remote_manifest_free(have);
	} else {
		limg_remote_manifest_free(have);
		limg_error_clear();
		if ((rc = limg_registry_manifest_put(p->registry, p->repo, by_digest ? by_digest : tag, top->media_type,
		                                     top->bytes.ptr, top->bytes.size, NULL)) < 0)
			return rc;
	}
	if ((rc = report(p, top->digest, LIMG_PULL_MANIFEST, LIMG_PUSH_MANIFEST, (int64_t)top->bytes.size,
	                 (int64_t)top->bytes.size, by_digest ? NULL : tag)) != 0)
		return rc;
	return out_digest ? limg_buf_set(out_digest, top->digest, strlen(top->digest)) : 0;
}

static int run(push_run *p, const char *reference, limg_buf *out_digest)
{
	limg_buf top = LIMG_BUF_INIT;
	int rc;

	/* as docker push: normalized, "latest" when no tag */
	if ((rc = limg_reference_parse_docker(&p->ref, reference)) < 0)
		return rc;
	p->repo = limg_reference_path(p->ref);
	snprintf(p->source, sizeof p->source, "%s/%s", limg_reference_domain(p->ref), p->repo);
	if ((rc = limg_images_lookup(&top, p->store, p->o.source ? p->o.source : limg_reference_string(p->ref))) < 0)
		goto out;
	if ((rc = gather(p, top.ptr)) < 0)
		goto out;
	{
		limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
		if ((rc = limg__opts_copy(&ro, sizeof ro, p->o.registry, "limg_registry_opts")) < 0)
			goto out;
		ro.cancel = p->stop;
		ro.mirror = NULL; /* mirrors serve pulls; pushes go to the registry itself */
		if ((rc = limg_registry_open(&p->registry, p->o.ctx, limg_reference_domain(p->ref), &ro)) < 0)
			goto out;
	}
	for (size_t i = 0; i < p->nblobs; i++)
		if ((rc = report(p, p->blobs[i].digest, p->blobs[i].kind, LIMG_PUSH_WAITING, 0, p->blobs[i].size, NULL)))
			goto out;
	if ((rc = limg__jobs_run(p->nblobs, p->o.concurrency > 0 ? p->o.concurrency : 4, push_blob, p, p->stop)) != 0)
		goto out;
	rc = put_manifests(p, out_digest);
out:
	limg_buf_dispose(&top);
	return rc;
}

int limg_push(limg_store *store, const char *reference, const limg_push_opts *opts, limg_buf *out_digest)
{
	push_run p;
	int rc;

	if (!store)
		return limg__error_invalid("store");
	if (!reference || !*reference)
		return limg__error_invalid("reference");
	memset(&p, 0, sizeof p);
	p.store = store;
	limg_push_opts_init(&p.o, sizeof p.o);
	if ((rc = limg__opts_copy(&p.o, sizeof p.o, opts, "limg_push_opts")) < 0)
		return rc;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg_cancel_new(&p.stop)) < 0) {
		limg__store_leave(store);
		return rc;
	}
	limg__store_link_stop(store, p.stop, p.o.cancel);
	limg__push_events_init(&p.events, p.o.progress, p.o.payload, "push");
	rc = limg__store_stopped(run(&p, reference, out_digest), store, p.o.cancel, "push", reference);
	limg_registry_close(p.registry);
	for (size_t i = 0; i < p.nblobs; i++)
		free(p.blobs[i].digest);
	free(p.blobs);
	for (size_t i = 0; i < p.ndocs; i++) {
		free(p.docs[i].digest);
		free(p.docs[i].media_type);
		limg_buf_dispose(&p.docs[i].bytes);
	}
	free(p.docs);
	limg__strset_free(&p.seen);
	limg_reference_free(p.ref);
	limg__push_events_dispose(&p.events);
	limg_cancel_free(p.stop);
	limg__store_leave(store);
	return rc;
}
