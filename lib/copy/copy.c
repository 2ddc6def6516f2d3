/* SPDX-License-Identifier: MIT */
/*
 * limg_copy(): the source's manifests fetched (digests checked), its blobs
 * sent on a few threads (each skipped, mounted, or streamed: stream.c),
 * then the manifests put bottom-up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy_internal.h"
#include "copy_run.h"
#include "core/core.h"
#include "core/jobs.h"
#include "libimage/copy.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "push/transfer.h"
#include "stream.h"
#include "registry/registry_internal.h"
#include "trust/trust_internal.h"


int limg_copy_opts_init(limg_copy_opts *opts, size_t size)
{
	static const limg_copy_opts defaults = LIMG_COPY_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_copy_callbacks_init(limg_copy_callbacks *cb, size_t size)
{
	static const limg_copy_callbacks defaults = LIMG_COPY_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* Fetches a manifest (digest checked), parses it and adds it to the plan;
 * @expect is its digest when known. */
static int fetch_doc(copy_run *c, const char *ref, const char *expect, limg_manifest **out)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *m = NULL;
	const char *body;
	size_t len;
	int rc;

	*out = NULL;
	co.cancel = c->stop;
	if ((rc = limg_registry_manifest_fetch(&m, c->from, limg_reference_path(c->src), ref, &co)) < 0)
		return rc;
	body = limg_remote_manifest_body(m);
	len = (size_t)limg_remote_manifest_size(m);
	if (expect && strcmp(expect, limg_remote_manifest_digest(m)) != 0)
		rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "manifest %s came back as %s", expect,
		                     limg_remote_manifest_digest(m));
	else if ((rc = limg_manifest_parse(out, body, len, limg_remote_manifest_media_type(m))) == 0)
		rc = limg__transfer_add_doc(&c->plan, limg_remote_manifest_digest(m), limg_remote_manifest_media_type(m),
		                            body, len);
	limg_remote_manifest_free(m);
	return rc;
}

/* An image manifest's config and layers (foreign layers stay where they are, as crane does). */
static int gather_image(copy_run *c, const char *digest, const limg_manifest *m)
{
	const limg_descriptor *d = limg_manifest_config(m);
	int rc;

	if (limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE)
		return limg__error_set(LIMG_EMANIFEST, "manifest %s is an index inside an index", digest);
	if ((rc = limg__transfer_add_blob(&c->plan, limg_descriptor_digest(d), limg_descriptor_size(d),
	                                  LIMG_BLOB_CONFIG)) < 0)
		return rc;
	for (size_t i = 0; i < limg_manifest_count(m); i++) {
		d = limg_manifest_entry(m, i);
		if (!limg_descriptor_is_foreign(d) &&
		    (rc = limg__transfer_add_blob(&c->plan, limg_descriptor_digest(d), limg_descriptor_size(d),
		                                  LIMG_BLOB_LAYER)) < 0)
			return rc;
	}
	return 0;
}

/* The source's tree, children first (the top document is moved last). */
int limg__copy_gather(copy_run *c)
{
	const char *ref = limg_reference_digest(c->src) ? limg_reference_digest(c->src) : limg_reference_tag(c->src);
	limg_manifest *top = NULL, *child = NULL;
	int rc;

	if ((rc = fetch_doc(c, ref, limg_reference_digest(c->src), &top)) < 0)
		goto out;
	if (!(c->top_digest = limg__strdup(c->plan.docs[0].digest))) {
		rc = limg__error_oom();
		goto out;
	}
	if (limg_manifest_kind(top) == LIMG_MANIFEST_IMAGE) {
		rc = gather_image(c, c->plan.docs[0].digest, top);
		goto out;
	}
	if (c->o.platform) {
		const limg_descriptor *d;
		if ((rc = limg_manifest_select(&d, top, c->o.platform)) < 0 ||
		    (rc = fetch_doc(c, limg_descriptor_digest(d), limg_descriptor_digest(d), &child)) < 0)
			goto out;
		/* only the platform's image goes: it replaces the index */
		limg__transfer_drop_docs(&c->plan, 1);
		if (!(c->image_digest = limg__strdup(limg_descriptor_digest(d)))) {
			rc = limg__error_oom();
			goto out;
		}
		rc = gather_image(c, c->plan.docs[0].digest, child);
		goto out;
	}
	for (size_t i = 0; i < limg_manifest_count(top); i++) {
		const limg_descriptor *d = limg_manifest_entry(top, i);
		limg_manifest_free(child);
		if ((rc = fetch_doc(c, limg_descriptor_digest(d), limg_descriptor_digest(d), &child)) < 0 ||
		    (rc = gather_image(c, limg_descriptor_digest(d), child)) < 0)
			goto out;
	}
	limg__transfer_top_last(&c->plan); /* the index goes last */
out:
	limg_manifest_free(top);
	limg_manifest_free(child);
	return rc;
}

/* The source's publisher, before any blob moves: containers/image checks the top (the index
 * of a whole copy); with a platform, the image, or its index where that may admit it. */
int limg__copy_trust(copy_run *c)
{
	limg__trust_image t;

	if (!c->o.policy)
		return 0;
	memset(&t, 0, sizeof t);
	t.registry = c->from;
	t.repository = limg_reference_path(c->src);
	t.reference = limg_reference_string(c->src);
	t.digest = c->image_digest ? c->image_digest : c->top_digest;
	t.index_digest = c->image_digest ? c->top_digest : NULL;
	t.index_signatures = c->o.index_signatures;
	t.cancel = c->stop;
	return limg__trust_check(NULL, c->o.policy, &t);
}

static int copy_blob(size_t i, void *payload)
{
	copy_run *c = payload;
	const limg__xfer_blob *b = &c->plan.blobs[i];
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	const char *src_repo = limg_reference_path(c->src), *dst_repo = limg_reference_path(c->dst);
	const char *mount_from = NULL;
	char *shared = NULL;
	limg__copy_stream s = { c->from, src_repo, c->to, dst_repo, NULL, c->o.chunk_size, c->stop, &c->plan };
	int result = 0, exists, claimed = 0, rc;

	co.cancel = c->stop;
	if ((rc = limg_registry_blob_exists(&exists, NULL, c->to, dst_repo, b->digest, &co)) < 0)
		return rc;
	if (exists)
		return limg__transfer_report(&c->plan, b->digest, b->kind, LIMG_EVENT_EXISTS, b->size, b->size, NULL);
	/* another copy of the run moved it (or is moving it) into the destination: mounted from there */
	if (c->ledger) {
		if ((rc = limg__blob_ledger_claim(c->ledger, b->digest, &shared, c->stop)) < 0)
			return rc;
		claimed = rc == 0;
		if (shared && !strcmp(shared, dst_repo)) {
			/* another image of the run put it into this very repository meanwhile */
			limg__free(shared);
			return limg__transfer_report(&c->plan, b->digest, b->kind, LIMG_EVENT_EXISTS, b->size, b->size, NULL);
		}
		mount_from = shared;
	}
	/* within one registry a mount moves no bytes; a refused one becomes an upload */
	if (!mount_from && c->same_registry && !c->o.no_mount && strcmp(src_repo, dst_repo) != 0)
		mount_from = src_repo;
	s.mount_from = mount_from;
	rc = limg__copy_stream_blob(&s, b, &result);
	if (claimed)
		limg__blob_ledger_done(c->ledger, b->digest, dst_repo, rc == 0);
	if (rc == 0 && result != LIMG_UPLOAD_MOUNTED)
		atomic_fetch_add(&c->sent, b->size);
	if (rc == 0)
		rc = result == LIMG_UPLOAD_MOUNTED
		     ? limg__transfer_report(&c->plan, b->digest, b->kind, LIMG_EVENT_MOUNTED, b->size, b->size, mount_from)
		     : limg__transfer_report(&c->plan, b->digest, b->kind, LIMG_EVENT_PUSHED, b->size, b->size, NULL);
	limg__free(shared);
	return rc;
}

/* ---- the whole ---------------------------------------------------------------- */

static int run(copy_run *c, const char *source, const char *destination, limg_buf *out_digest)
{
	int rc;

	if ((rc = limg_reference_parse_docker(&c->src, source)) < 0 ||
	    (rc = limg_session_registry(&c->from, c->session, limg_reference_domain(c->src))) < 0)
		return rc;
	if (c->dir_name)
		return (rc = limg__copy_gather(c)) < 0 || (rc = limg__copy_trust(c)) < 0 ? rc
		                                                                          : limg__copy_dir_write(c, out_digest);
	/* (mirrors serve pulls: the destination is the registry itself) */
	if ((rc = limg_reference_parse_docker(&c->dst, destination)) < 0 ||
	    (rc = limg_session_registry(&c->to, c->session, limg_reference_domain(c->dst))) < 0)
		return rc;
	/* one registry: blobs can be mounted rather than sent */
	c->same_registry = !strcmp(limg_reference_domain(c->src), limg_reference_domain(c->dst)) &&
	                   !strcmp(limg_registry_base_url(c->from), limg_registry_base_url(c->to));
	if ((rc = limg__copy_gather(c)) < 0 || (rc = limg__copy_trust(c)) < 0)
		return rc;
	if ((rc = limg__transfer_waiting(&c->plan)) != 0)
		return rc;
	if ((rc = limg__jobs_run(c->plan.nblobs, c->o.concurrency > 0 ? c->o.concurrency : 4, copy_blob, c, c->stop)) != 0)
		return rc;
	if ((rc = limg__transfer_put_manifests(&c->plan, c->to, c->dst, c->stop, out_digest)) < 0)
		return rc;
	/* what refers to each manifest copied (asked for); then a signature */
	for (size_t i = 0; c->o.referrers && i < c->plan.ndocs; i++)
		if ((rc = limg__attachments_copy(c->from, limg_reference_path(c->src), c->to, limg_reference_path(c->dst),
		                                 c->plan.docs[i].digest, c->stop)) < 0)
			return limg__error_prefix("copy to %s done, but its referrers", limg_reference_string(c->dst));
	if (c->o.sign_by)
		rc = limg__transfer_sign(&c->plan, c->to, c->dst, c->o.sign_by, c->o.sign_format, c->o.sign_identity,
		                         c->o.sign_recursive, c->stop);
	return rc;
}

int limg_copy(limg_buf *out_digest, limg_session *session, const char *source, const char *destination,
              const limg_copy_opts *opts, const limg_copy_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__session_context(session));
	return limg__copy_shared(out_digest, session, source, destination, opts, cb, NULL, NULL);
}

/* A copy to the registry of @destination, or with @dir_name into that directory beneath @dirfd. */
static int copy_main(limg_buf *out_digest, limg_session *session, const char *source, const char *destination,
                     int dirfd, const char *dir_name, const limg_copy_opts *opts, const limg_copy_callbacks *cb,
                     limg__blob_ledger *ledger, int64_t *bytes)
{
	limg_copy_callbacks callbacks = LIMG_COPY_CALLBACKS_INIT;
	limg_session *own = NULL;
	copy_run c;
	int rc;

	if (!source || !*source)
		return limg__error_invalid("source");
	if (!dir_name && (!destination || !*destination))
		return limg__error_invalid("destination");
	memset(&c, 0, sizeof c);
	c.ledger = ledger;
	c.dirfd = dirfd;
	c.dir_name = dir_name;
	atomic_init(&c.sent, 0);
	limg_copy_opts_init(&c.o, sizeof c.o);
	if ((rc = limg__opts_copy(&c.o, sizeof c.o, opts, "limg_copy_opts")) < 0 ||
	    (rc = limg__opts_copy(&callbacks, sizeof callbacks, cb, "limg_copy_callbacks")) < 0)
		return rc;
	if (c.o.concurrency < 0 || c.o.chunk_size < 0)
		return limg__error_invalid("concurrency, chunk_size");
	if (c.o.sign_format < LIMG_SIGNATURE_SIMPLE || c.o.sign_format > LIMG_SIGNATURE_BUNDLE ||
	    c.o.index_signatures < LIMG_INDEX_SIGNATURES_ACCEPT || c.o.index_signatures > LIMG_INDEX_SIGNATURES_IGNORE)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "limg_copy_opts",
		                             "invalid argument: sign_format %d, index_signatures %d", c.o.sign_format,
		                             c.o.index_signatures);
	if (!session && (rc = limg_session_new(&own, NULL, NULL, NULL)) < 0)
		return rc;
	c.session = session ? session : own;
	if ((rc = limg_cancel_new(&c.stop)) < 0) {
		limg_session_free(own);
		return rc;
	}
	limg__transfer_init(&c.plan, callbacks.progress, callbacks.payload, "copy");
	if ((rc = limg__cancel_follow(c.stop, c.o.cancel)) == 0)
		rc = run(&c, source, destination, out_digest);
	if (bytes)
		*bytes += (int64_t)atomic_load(&c.sent);
	if (rc == LIMG_ECANCELLED && limg_cancel_requested(c.o.cancel))
		limg__error_set(LIMG_ECANCELLED, "copy of %s cancelled", source);
	limg__transfer_dispose(&c.plan);
	limg_registry_close(c.from);
	limg_registry_close(c.to);
	limg_session_free(own);
	limg_reference_free(c.src);
	limg_reference_free(c.dst);
	limg__free(c.top_digest);
	limg__free(c.image_digest);
	limg_cancel_free(c.stop);
	return rc;
}

int limg__copy_shared(limg_buf *out_digest, limg_session *session, const char *source, const char *destination,
                      const limg_copy_opts *opts, const limg_copy_callbacks *cb, limg__blob_ledger *ledger,
                      int64_t *bytes)
{
	return copy_main(out_digest, session, source, destination, -1, NULL, opts, cb, ledger, bytes);
}

int limg__copy_to_dir(limg_buf *out_digest, limg_session *session, const char *source, int dirfd,
                      const char *dir_name, const limg_copy_opts *opts, const limg_copy_callbacks *cb,
                      limg__blob_ledger *ledger, int64_t *bytes)
{
	return copy_main(out_digest, session, source, NULL, dirfd, dir_name, opts, cb, ledger, bytes);
}
