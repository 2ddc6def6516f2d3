/* SPDX-License-Identifier: MIT */
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
#include "libimage/digest.h"
#include "libimage/images.h"
#include "libimage/manifest.h"
#include "libimage/push.h"
#include "libimage/reference.h"
#include "libimage/tags.h"
#include "reference/grammar.h"
#include "registry/registry_internal.h"
#include "store/store_internal.h"
#include "transfer.h"
#include "trust/trust_internal.h"

typedef struct {
	limg_store *store;
	limg_push_opts o;
	limg_registry *registry;
	limg_reference *ref;
	const char *repo;
	char source[600];      /* "<domain>/<repo>": recorded for what was pushed */
	limg_cancel *stop;
	limg__transfer plan;
} push_run;

int limg_push_opts_init(limg_push_opts *opts, size_t size)
{
	static const limg_push_opts defaults = LIMG_PUSH_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_push_callbacks_init(limg_push_callbacks *cb, size_t size)
{
	static const limg_push_callbacks defaults = LIMG_PUSH_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* The media type the store's index.json gives a digest (manifests may lack their own). */
static char *stored_media_type(limg_store *s, const char *digest)
{
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;
	char *type = NULL;

	to.digest = digest;
	to.select = LIMG_LIST_ALL;
	if (limg_tag_iterator_new(&it, s, &to) == 0) {
		if (limg_tag_iterator_next(&t, it) == 0 && limg_tag_media_type(t))
			type = limg__strdup(limg_tag_media_type(t));
		limg_tag_iterator_free(it);
	}
	limg_error_clear();
	return type;
}

static int add_blob(push_run *p, const limg_descriptor *d, int kind)
{
	const char *digest = limg_descriptor_digest(d);
	int64_t size;

	if (limg_store_blob_stat(&size, p->store, digest) < 0)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest, "%s %s is not stored",
		                             kind == LIMG_BLOB_CONFIG ? "config" : "layer", digest);
	if (size != limg_descriptor_size(d))
		return limg__error_set(LIMG_ECORRUPT, "stored blob %s has %lld bytes, its manifest says %lld", digest,
		                       (long long)size, (long long)limg_descriptor_size(d));
	return limg__transfer_add_blob(&p->plan, digest, size, kind);
}

/* Reads and parses a stored manifest; its media type from @hint, the store or itself. */
static int read_doc(push_run *p, const char *digest, const char *hint, limg_buf *bytes, limg_manifest **m,
                    char **media_type)
{
	int rc;

	*m = NULL;
	*media_type = hint ? limg__strdup(hint) : stored_media_type(p->store, digest);
	if ((rc = limg_store_blob_read(bytes, p->store, digest, LIMG_MANIFEST_SIZE_MAX)) < 0)
		return rc == LIMG_ENOTFOUND ? limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest,
		                                                    "manifest %s is not stored", digest)
		                            : rc;
	if ((rc = limg_manifest_parse(m, bytes->ptr, bytes->size, *media_type)) < 0)
		return limg__error_prefix("stored manifest %s", digest);
	if (!*media_type && !(*media_type = limg__strdup(limg_manifest_media_type(*m))))
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
	if (limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE) {
		rc = limg__error_set(LIMG_EMANIFEST, "stored manifest %s is an index inside an index", digest);
		goto out;
	}
	if ((rc = add_blob(p, limg_manifest_config(m), LIMG_BLOB_CONFIG)) < 0)
		goto out;
	for (size_t i = 0; i < limg_manifest_count(m); i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		/* foreign layers live elsewhere (Windows base layers): never pushed, as docker does */
		if (limg_descriptor_is_foreign(d))
			continue;
		if ((rc = add_blob(p, d, LIMG_BLOB_LAYER)) < 0)
			goto out;
	}
	rc = limg__transfer_add_doc(&p->plan, digest, type, bytes.ptr, bytes.size);
out:
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	limg__free(type);
	return rc;
}

static bool stored(push_run *p, const char *digest)
{
	int64_t size;
	bool yes = limg_store_blob_stat(&size, p->store, digest) == 0;

	limg_error_clear();
	return yes;
}

/* Whether every image an index lists is stored (then the index goes whole). */
static bool all_stored(push_run *p, const limg_manifest *index)
{
	for (size_t i = 0; i < limg_manifest_count(index); i++)
		if (!stored(p, limg_descriptor_digest(limg_manifest_entry(index, i))))
			return false;
	return true;
}

/* The image of an index a listing shows: this machine's when stored, else
 * the first stored (as limg_image_lookup() chooses). */
static int stored_default(const limg_descriptor **out, push_run *p, const limg_manifest *index, const char *top)
{
	if (limg_manifest_select(out, index, NULL) == 0 && stored(p, limg_descriptor_digest(*out)))
		return 0;
	limg_error_clear();
	for (size_t i = 0; i < limg_manifest_count(index); i++)
		if (stored(p, limg_descriptor_digest(limg_manifest_entry(index, i)))) {
			*out = limg_manifest_entry(index, i);
			return 0;
		}
	return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_PLATFORM, top,
	                             "none of the images of index %s is stored", top);
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
	if (limg_manifest_kind(m) == LIMG_MANIFEST_IMAGE) {
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
	if (!all_stored(p, m)) {
		/* a normal pull stored one platform: that image goes under the tag, as Docker pushes it */
		const limg_descriptor *d = NULL;
		if ((rc = stored_default(&d, p, m, top)) < 0)
			goto out;
		limg__log(limg__store_context(p->store), LIMG_LOG_INFO,
		          "index %s is stored for some platforms only: pushing its %s/%s image %s", top,
		          limg_descriptor_os(d) ? limg_descriptor_os(d) : "?",
		          limg_descriptor_architecture(d) ? limg_descriptor_architecture(d) : "?", limg_descriptor_digest(d));
		rc = gather_image(p, limg_descriptor_digest(d), limg_descriptor_media_type(d));
		goto out;
	}
	for (size_t i = 0; i < limg_manifest_count(m); i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		if ((rc = gather_image(p, limg_descriptor_digest(d), limg_descriptor_media_type(d))) < 0)
			goto out;
	}
	rc = limg__transfer_add_doc(&p->plan, top, type, bytes.ptr, bytes.size);
out:
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	limg__free(type);
	return rc;
}

/* ---- blobs -------------------------------------------------------------- */

/* A stored blob as an upload's source: hashed as it is read, and refused
 * before its last bytes go out when it is not what its digest says (the
 * registry then never commits it, whether it checks digests or not). */
typedef struct {
	push_run *p;
	const limg__xfer_blob *b;
	int fd;
	int64_t offset, reported;
	limg_hasher *hasher;
} blob_source;

static int read_at(blob_source *s, void *buf, size_t cap, size_t *got)
{
	ssize_t n;

	do
		n = pread(s->fd, buf, cap, s->offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot read stored blob %s: %s", s->b->digest, strerror(errno));
	if (n == 0 && s->offset < s->b->size)
		return limg__error_set(LIMG_ECORRUPT, "stored blob %s is shorter than its %lld bytes", s->b->digest,
		                       (long long)s->b->size);
	s->offset += n;
	*got = (size_t)n;
	return 0;
}

static int read_blob(size_t *got, void *buf, size_t cap, void *payload)
{
	blob_source *s = payload;
	int rc;

	*got = 0;
	if (limg_cancel_requested(s->p->stop))
		return limg__error_set(LIMG_ECANCELLED, "push cancelled");
	if ((rc = read_at(s, buf, cap, got)) < 0)
		return rc;
	limg_hasher_update(s->hasher, buf, *got);
	if (s->offset >= s->b->size && *got) {
		if (limg_hasher_verify(s->hasher, s->b->digest) < 0)
			return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, s->b->digest,
			                             "stored blob %s is damaged: its content does not match its digest; "
			                             "nothing of it was committed (pull it again)",
			                             s->b->digest);
	}
	return limg__transfer_uploading(&s->p->plan, &s->reported, s->b, s->offset);
}

/* Back to @offset: what is before it is hashed again. */
static int seek_blob(int64_t offset, void *payload)
{
	blob_source *s = payload;
	unsigned char buf[64 * 1024];
	size_t got;
	int rc;

	limg_hasher_reset(s->hasher);
	s->offset = 0;
	while (s->offset < offset) {
		size_t want = offset - s->offset < (int64_t)sizeof buf ? (size_t)(offset - s->offset) : sizeof buf;
		if ((rc = read_at(s, buf, want, &got)) < 0)
			return rc;
		limg_hasher_update(s->hasher, buf, got);
	}
	return 0;
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

	/* the store keeps the lines; a repository name is checked here */
	if (strncmp(source, m->domain, dn) != 0 || source[dn] != '/' || !strcmp(repo, m->repo) ||
	    !limg__ref_match_path(repo, strlen(repo)))
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
	const limg__xfer_blob *b = &p->plan.blobs[i];
	limg_registry_upload_opts uo = LIMG_REGISTRY_UPLOAD_OPTS_INIT;
	limg_registry_upload_callbacks ucb = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;
	blob_source src = { p, b, -1, 0, 0, NULL };
	struct mount_pick pick = { limg_reference_domain(p->ref), p->repo, "", 0, false };
	const char *name;
	char label[4200];
	int dirfd, result = 0, rc, algo;

	if ((rc = limg__store_blob_locate(p->store, b->digest, false, &dirfd, &name)) < 0)
		return rc;
	limg__store_label(label, sizeof label, p->store, "blobs");
	if ((rc = limg__fs_open_regular_at(&src.fd, dirfd, name, label)) < 0)
		return rc == LIMG_ENOTFOUND ? limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, b->digest,
		                                                    "blob %s is not stored", b->digest)
		                            : rc;
	algo = !strncmp(b->digest, "sha512:", 7) ? LIMG_DIGEST_SHA512 : LIMG_DIGEST_SHA256;
	if ((rc = limg_hasher_new(&src.hasher, algo)) < 0) {
		close(src.fd);
		return rc;
	}
	if (!p->o.no_mount)
		limg__store_sources(p->store, b->digest, consider, &pick);
	uo.mount_from = pick.any ? pick.best : NULL;
	uo.chunk_size = p->o.chunk_size;
	uo.cancel = p->stop;
	ucb.read = read_blob;
	ucb.seek = seek_blob;
	ucb.payload = &src;
	rc = limg_registry_blob_upload(&result, p->registry, p->repo, b->digest, b->size, &uo, &ucb);
	close(src.fd);
	limg_hasher_free(src.hasher);
	if (rc != 0)
		return rc;
	limg__store_source_add(p->store, b->digest, p->source);
	if (result == LIMG_UPLOAD_EXISTS)
		return limg__transfer_report(&p->plan, b->digest, b->kind, LIMG_EVENT_EXISTS, b->size, b->size, NULL);
	if (result == LIMG_UPLOAD_MOUNTED)
		return limg__transfer_report(&p->plan, b->digest, b->kind, LIMG_EVENT_MOUNTED, b->size, b->size,
		                             pick.best);
	return limg__transfer_report(&p->plan, b->digest, b->kind, LIMG_EVENT_PUSHED, b->size, b->size, NULL);
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
	/* by digest, that very document must go up: of an index stored for some platforms only
	 * (or with a platform asked for) one image goes, whose digest is another; said before
	 * any blob is sent */
	if (limg_reference_digest(p->ref) && p->plan.ndocs &&
	    strcmp(limg_reference_digest(p->ref), p->plan.docs[p->plan.ndocs - 1].digest) != 0) {
		const char *image = p->plan.docs[p->plan.ndocs - 1].digest;
		rc = p->o.platform ? limg__error_set_about(LIMG_EPLATFORM, LIMG_SUBJECT_PLATFORM, top.ptr,
		                                           "cannot push %s: with platform %s only its image %s would go, "
		                                           "not the index; push without a platform, or tag it and push the tag",
		                                           limg_reference_string(p->ref), p->o.platform, image)
		                   : limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_PLATFORM, top.ptr,
		                                           "cannot push %s: index %s is stored for some platforms only "
		                                           "(its image %s), so it cannot go up whole under its digest; "
		                                           "tag it and push the tag to push that image",
		                                           limg_reference_string(p->ref), top.ptr, image);
		goto out;
	}
	/* (mirrors serve pulls: pushes go to the registry itself) */
	rc = p->o.session ? limg_session_registry(&p->registry, p->o.session, limg_reference_domain(p->ref))
	                  : limg_registry_open(&p->registry, limg__store_context(p->store), limg_reference_domain(p->ref),
	                                       NULL, NULL);
	if (rc < 0 || (rc = limg__transfer_waiting(&p->plan)) != 0)
		goto out;
	if ((rc = limg__jobs_run(p->plan.nblobs, p->o.concurrency > 0 ? p->o.concurrency : 4, push_blob, p, p->stop)) != 0)
		goto out;
	if ((rc = limg__transfer_put_manifests(&p->plan, p->registry, p->ref, p->stop, out_digest)) < 0)
		goto out;
	/* what the store keeps beside the image (its signatures, SBOMs), when asked for; then a signature */
	for (size_t i = 0; p->o.referrers && i < p->plan.ndocs; i++)
		if ((rc = limg__attachments_push(p->store, p->registry, p->repo, p->plan.docs[i].digest, p->stop)) < 0) {
			limg__error_prefix("push of %s done, but its referrers", limg_reference_string(p->ref));
			goto out;
		}
	if (p->o.sign_by)
		rc = limg__transfer_sign(&p->plan, p->registry, p->ref, p->o.sign_by, p->o.sign_format, p->o.sign_identity,
		                         p->o.sign_recursive, p->stop);
out:
	limg_buf_dispose(&top);
	return rc;
}

int limg_push(limg_buf *out_digest, limg_store *store, const char *reference, const limg_push_opts *opts,
              const limg_push_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_push_callbacks c = LIMG_PUSH_CALLBACKS_INIT;
	push_run p;
	int rc;

	if (!store)
		return limg__error_invalid("store");
	if (!reference || !*reference)
		return limg__error_invalid("reference");
	memset(&p, 0, sizeof p);
	p.store = store;
	limg_push_opts_init(&p.o, sizeof p.o);
	if ((rc = limg__opts_copy(&p.o, sizeof p.o, opts, "limg_push_opts")) < 0 ||
	    (rc = limg__opts_copy(&c, sizeof c, cb, "limg_push_callbacks")) < 0)
		return rc;
	if (p.o.concurrency < 0 || p.o.chunk_size < 0)
		return limg__error_invalid("concurrency, chunk_size");
	if (p.o.sign_format < LIMG_SIGNATURE_SIMPLE || p.o.sign_format > LIMG_SIGNATURE_BUNDLE)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "sign_format",
		                             "invalid argument: sign_format %d", p.o.sign_format);
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg_cancel_new(&p.stop)) < 0) {
		limg__store_leave(store);
		return rc;
	}
	limg__transfer_init(&p.plan, c.progress, c.payload, "push");
	if ((rc = limg__store_link_stop(store, p.stop, p.o.cancel)) == 0)
		rc = limg__store_stopped(run(&p, reference, out_digest), store, p.o.cancel, "push", reference);
	limg_registry_close(p.registry);
	limg__transfer_dispose(&p.plan);
	limg_reference_free(p.ref);
	limg_cancel_free(p.stop);
	limg__store_leave(store);
	return rc;
}
