/* SPDX-License-Identifier: MIT */
/*
 * limg_pull: resolve, choose the platform, fetch config and layers, commit
 * manifest and index, move the tag last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "images/facts.h"
#include "libimage/platform.h"
#include "libimage/tags.h"
#include "manifest/media.h"
#include "pull_internal.h"
#include "registry/registry_internal.h"
#include "store/store_internal.h"
#include "tags/tags_internal.h"
#include "trust/trust_internal.h"

struct limg_pull_result {
	char *reference, *digest, *manifest_digest, *id;
	int up_to_date;
	int64_t downloaded;
};

int limg_pull_opts_init(limg_pull_opts *opts, size_t size)
{
	static const limg_pull_opts defaults = LIMG_PULL_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_pull_callbacks_init(limg_pull_callbacks *cb, size_t size)
{
	static const limg_pull_callbacks defaults = LIMG_PULL_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

void limg_pull_result_free(limg_pull_result *img)
{
	if (!img)
		return;
	limg__free(img->reference);
	limg__free(img->digest);
	limg__free(img->manifest_digest);
	limg__free(img->id);
	limg__free(img);
}

const char *limg_pull_result_reference(const limg_pull_result *img)
{
	return img ? img->reference : NULL;
}

const char *limg_pull_result_digest(const limg_pull_result *img)
{
	return img ? img->digest : NULL;
}

const char *limg_pull_result_manifest_digest(const limg_pull_result *img)
{
	return img ? img->manifest_digest : NULL;
}

const char *limg_pull_result_image_id(const limg_pull_result *img)
{
	return img ? img->id : NULL;
}

int limg_pull_result_up_to_date(const limg_pull_result *img)
{
	return img ? img->up_to_date : 0;
}

int64_t limg_pull_result_bytes_downloaded(const limg_pull_result *img)
{
	return img ? img->downloaded : 0;
}

int limg__pull_report(struct pull *p, const char *digest, int kind, int event, int64_t done, int64_t total)
{
	int rc = 0;

	/* where the blob can be found again: a later push mounts it from there */
	if (digest && (event == LIMG_EVENT_EXISTS || event == LIMG_EVENT_COMPLETE) && p->source[0])
		limg__store_source_add(p->store, digest, p->source);
	if (!p->cb.progress)
		return 0;
	pthread_mutex_lock(&p->lock);
	rc = p->cb.progress(digest, kind, event, done, total, NULL, p->cb.payload);
	pthread_mutex_unlock(&p->lock);
	return rc ? limg__error_after_callback(rc, "pull") : 0;
}

struct small {
	limg_buf *out;
	size_t max;
};

static int to_buf(const void *data, size_t len, void *payload)
{
	struct small *s = payload;
	if (s->out->size + len > s->max)
		return limg__error_set(LIMG_ETOOBIG, "blob over the %zu-byte limit", s->max);
	return limg__buf_put(s->out, data, len);
}

/* Bytes that did not verify are asked for again: what came goes. */
static int small_restart(void *payload)
{
	((struct small *)payload)->out->size = 0;
	return 0;
}

static int store_bytes(limg_store *store, const char *digest, const limg_buf *data)
{
	limg_blob_writer *w;
	int rc = limg_blob_writer_open(&w, store, digest, (int64_t)data->size);

	if (rc == LIMG_EEXISTS)
		return 0;
	if (rc < 0)
		return rc;
	if ((rc = limg_blob_writer_write(w, data->ptr, data->size)) == 0)
		rc = limg_blob_writer_commit(w);
	limg_blob_writer_close(w);
	return rc;
}

/* A small blob (the config) from the store, else fetched, verified and stored; its bytes in @out. */
static int small_blob(struct pull *p, limg_buf *out, const char *digest, int64_t size, int kind)
{
	limg__blob_fetch how = { 0 };
	struct small s = { out, LIMG_MANIFEST_SIZE_MAX };
	size_t used;
	int rc;

	out->size = 0;
	if ((rc = limg__lease_add(p->lease, digest)) < 0)
		return rc;
	rc = limg_store_blob_read(out, p->store, digest, LIMG_MANIFEST_SIZE_MAX);
	if (rc == 0)
		return limg__pull_report(p, digest, kind, LIMG_EVENT_EXISTS, size, size);
	if (rc != LIMG_ENOTFOUND)
		return rc;
	how.verify = true;
	how.cancel = p->stop;
	how.write = to_buf;
	how.restart = small_restart;
	how.payload = &s;
	out->size = 0;
	if ((rc = limg__registry_blob_fetch_at(p->registry, p->repository, digest, size, &how, 0, &used)) < 0)
		return rc;
	p->downloaded += (int64_t)out->size;
	if ((rc = store_bytes(p->store, digest, out)) < 0)
		return rc;
	return limg__pull_report(p, digest, kind, LIMG_EVENT_COMPLETE, size, size);
}

/* A manifest by digest: from the store, else from the registry (verified). */
static int manifest_bytes(struct pull *p, limg_buf *out, char **media_type, const char *digest,
                          const limg_remote_manifest *have)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *m = NULL;
	const void *body;
	size_t len;
	int rc;

	co.cancel = p->stop;
	out->size = 0;
	if ((rc = limg__lease_add(p->lease, digest)) < 0)
		return rc;
	if (limg_store_blob_read(out, p->store, digest, LIMG_MANIFEST_SIZE_MAX) == 0) {
		*media_type = NULL;
		return 0;
	}
	if (!have || !limg_remote_manifest_body(have) || strcmp(limg_remote_manifest_digest(have), digest)) {
		if ((rc = limg_registry_manifest_fetch(&m, p->registry, p->repository, digest, &co)) < 0)
			return rc;
		have = m;
	}
	body = limg_remote_manifest_body(have);
	len = (size_t)limg_remote_manifest_size(have);
	rc = limg__buf_put(out, body, len);
	*media_type = limg__strdup(limg_remote_manifest_media_type(have));
	p->downloaded += (int64_t)len;
	limg_remote_manifest_free(m);
	return rc < 0 ? rc : (*media_type ? 0 : limg__error_oom());
}

/* The platform's image manifest and its config, when everything the image
 * needs (config and layers; foreign ones only when they are to be fetched)
 * is stored. */
static bool stored_completely(struct pull *p, const char *digest, char **manifest_digest, char **config_digest)
{
	char image_digest[160];
	limg_manifest *image = NULL;
	int64_t size;
	bool ok = false;

	/* leased before looked at: what is found cannot be collected before it is used */
	if (limg__lease_add(p->lease, digest) < 0)
		goto out;
	if (!(image = limg__stored_image_manifest(p->store, digest, p->o.platform, false, image_digest, NULL)))
		goto out;
	if (limg__lease_add(p->lease, image_digest) < 0 ||
	    limg__lease_add(p->lease, limg_descriptor_digest(limg_manifest_config(image))) < 0 ||
	    limg_store_blob_stat(&size, p->store, limg_descriptor_digest(limg_manifest_config(image))) < 0)
		goto out;
	for (size_t i = 0; i < limg_manifest_count(image); i++) {
		const limg_descriptor *d = limg_manifest_entry(image, i);
		if (limg_descriptor_is_foreign(d) && p->o.foreign_layers == LIMG_FOREIGN_SKIP)
			continue; /* not asked for: stored or not, the pull has nothing to add */
		if (limg__lease_add(p->lease, limg_descriptor_digest(d)) < 0 ||
		    limg_store_blob_stat(&size, p->store, limg_descriptor_digest(d)) < 0)
			goto out;
	}
	*manifest_digest = limg__strdup(image_digest);
	*config_digest = limg__strdup(limg_descriptor_digest(limg_manifest_config(image)));
	ok = *manifest_digest && *config_digest;
out:
	limg_manifest_free(image);
	limg_error_clear(); /* a "no" here is an answer, not an error */
	return ok;
}

/* The listing cache of index.json (image ID, created, and size when known),
 * written with the tag: of an index, under the platform asked for, and as
 * the image's default when the image pulled is what a listing shows by
 * default (this machine's platform when stored, else the first stored). */
static int tag_with_facts(struct pull *p, const char *reference, const char *digest, const char *manifest_digest,
                          bool is_index, const char *id, const limg_config *config, const struct layer_job *jobs,
                          size_t n)
{
	limg__fact_keys k[2];
	const char *keys[8], *values[8];
	bool incomplete = false;
	char size_text[32], chosen[160] = "";
	limg_buf platform = LIMG_BUF_INIT;
	limg_manifest *shown;
	int64_t total = 0;
	size_t count = 0, sets = 0;
	int rc;

	if (!is_index) {
		limg__fact_keys_of(&k[sets++], NULL);
	} else {
		if (p->o.platform && limg_platform_normalize(&platform, p->o.platform) == 0)
			limg__fact_keys_of(&k[sets++], platform.ptr);
		if ((shown = limg__stored_image_manifest(p->store, digest, NULL, true, chosen, NULL)))
			limg_manifest_free(shown);
		if (!strcmp(chosen, manifest_digest))
			limg__fact_keys_of(&k[sets++], NULL);
		limg_error_clear();
	}
	for (size_t i = 0; i < n; i++) {
		incomplete |= jobs[i].skipped;
		if (total >= 0 && jobs[i].uncompressed < 0 && !jobs[i].skipped)
			total = -1; /* unknown: the images layer works it out when listing */
		else if (total >= 0)
			total += jobs[i].uncompressed > 0 ? jobs[i].uncompressed : 0;
	}
	/* an unknown size is written empty: no size an earlier pull cached stays */
	snprintf(size_text, sizeof size_text, "%lld", (long long)total);
	for (size_t i = 0; i < sets; i++) {
		keys[count] = k[i].state;
		values[count++] = incomplete ? LIMG_STATE_INCOMPLETE : LIMG_STATE_COMPLETE;
		keys[count] = k[i].id;
		values[count++] = id;
		keys[count] = k[i].created;
		values[count++] = limg_config_created(config) ? limg_config_created(config) : "";
		keys[count] = k[i].size;
		values[count++] = total >= 0 ? size_text : "";
	}
	rc = limg__tags_set_annotated(p->store, reference, digest, keys, values, count);
	limg_buf_dispose(&platform);
	return rc;
}

/* Blobs over the size limit are refused before any of the image is fetched. */
static int check_sizes(struct pull *p, const limg_manifest *image)
{
	int64_t max = p->max_blob_size;

	for (size_t i = 0; i <= limg_manifest_count(image); i++) {
		const limg_descriptor *d = i ? limg_manifest_entry(image, i - 1) : limg_manifest_config(image);
		if (limg_descriptor_size(d) > max)
			return limg__error_set(LIMG_ETOOBIG, "image %s: blob %s is %lld bytes, over the %lld-byte blob limit",
			                       p->repository, limg_descriptor_digest(d), (long long)limg_descriptor_size(d),
			                       (long long)max);
	}
	return 0;
}

/* The policy, before any layer: the image's manifest (and its index's) and their signatures. */
static int check_policy(struct pull *p, const char *reference, const char *digest, const char *index_digest)
{
	limg__trust_image t;

	if (!p->o.policy)
		return 0;
	memset(&t, 0, sizeof t);
	t.registry = p->registry;
	t.repository = p->repository;
	t.reference = reference;
	t.digest = digest;
	t.index_digest = index_digest;
	t.index_signatures = p->o.index_signatures;
	t.cancel = p->stop;
	return limg__trust_check(NULL, p->o.policy, &t);
}

/* What refers to the image (and to its index), kept beside it, when asked for. */
static int keep_referrers(struct pull *p, const char *digest, const char *manifest_digest)
{
	int rc;

	if (!p->o.referrers)
		return 0;
	if ((rc = limg__attachments_pull(p->registry, p->repository, p->store, p->lease, digest, p->stop)) < 0)
		return rc;
	if (manifest_digest && strcmp(manifest_digest, digest) != 0)
		rc = limg__attachments_pull(p->registry, p->repository, p->store, p->lease, manifest_digest, p->stop);
	return rc;
}

static int run(struct pull *p, const char *reference_text, limg_pull_result *img)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_reference *ref = NULL;
	limg_remote_manifest *top = NULL;
	limg_buf body = LIMG_BUF_INIT, child_body = LIMG_BUF_INIT, config_body = LIMG_BUF_INIT;
	limg_buf current = LIMG_BUF_INIT; /* what the store's tag names, if it has the tag */
	bool have_tag = false;
	limg_manifest *m = NULL, *child = NULL;
	const limg_manifest *image;
	limg_config *config = NULL;
	struct layer_job *jobs = NULL;
	char *media_type = NULL, *child_type = NULL;
	const char *digest, *config_digest;
	size_t n = 0;
	int rc;

	if ((rc = limg_reference_parse_docker(&ref, reference_text)) < 0)
		return rc;
	p->repository = limg_reference_path(ref);
	snprintf(p->source, sizeof p->source, "%s/%s", limg_reference_domain(ref), p->repository);
	if (!(img->reference = limg__strdup(limg_reference_string(ref)))) {
		rc = limg__error_oom();
		goto out;
	}
	rc = p->o.session ? limg_session_registry(&p->registry, p->o.session, limg_reference_domain(ref))
	                  : limg_registry_open(&p->registry, limg__store_context(p->store), limg_reference_domain(ref),
	                                       NULL, NULL);
	if (rc < 0)
		goto out;
	p->max_blob_size = p->registry->o.max_blob_size;
	co.cancel = p->stop;
	if (p->o.foreign_layers == LIMG_FOREIGN_URLS) {
		/* a client of its own for foreign layers' URLs: other hosts, verified TLS, no credentials */
		limg__http_opts ho = { 0 };
		ho.ctx = limg__store_context(p->store);
		ho.user_agent = limg__context_user_agent(ho.ctx);
		ho.tls_verify = true;
		ho.connect_timeout_ms = p->registry->o.connect_timeout_ms;
		ho.low_speed_limit = 1;
		ho.low_speed_time_s = p->registry->o.low_speed_time_s;
		ho.cancel = p->stop;
		if ((rc = limg__http_new(&p->urls, &ho)) < 0)
			goto out;
	}

	/* resolve: a digest is resolved already; a tag the store has costs one
	 * HEAD (all that an up-to-date pull sends); a tag it lacks, one GET,
	 * whose body is the manifest needed next anyway */
	if (limg_reference_digest(ref)) {
		digest = limg_reference_digest(ref);
	} else {
		have_tag = limg_tags_lookup(&current, p->store, img->reference) == 0;
		limg_error_clear(); /* a tag the store lacks is an answer, not an error */
		rc = have_tag ? limg_registry_manifest_head(&top, p->registry, p->repository, limg_reference_tag(ref), &co)
		              : limg_registry_manifest_fetch(&top, p->registry, p->repository, limg_reference_tag(ref), &co);
		if (rc < 0)
			goto out;
		digest = limg_remote_manifest_digest(top);
	}
	if (!(img->digest = limg__strdup(digest))) {
		rc = limg__error_oom();
		goto out;
	}
	{
		bool tagged = !limg_reference_tag(ref) || (have_tag && !strcmp(current.ptr, digest));
		if (tagged && stored_completely(p, digest, &img->manifest_digest, &img->id)) {
			/* the policy holds for an image stored already too (containers/image checks every pull) */
			if ((rc = check_policy(p, img->reference, img->manifest_digest,
			                       strcmp(img->manifest_digest, digest) ? digest : NULL)) < 0 ||
			    (rc = keep_referrers(p, digest, img->manifest_digest)) < 0)
				goto out;
			img->up_to_date = 1;
			if (!p->fused) {
				if (!limg_reference_tag(ref))
					rc = limg__tags_keep_untagged(p->store, digest, limg_reference_name(ref));
				goto out;
			}
			/* up to date, and still to unpack: from the store, through the steps below */
			limg__free(img->manifest_digest);
			limg__free(img->id);
			img->manifest_digest = img->id = NULL;
		}
	}

	/* the manifest, and the platform's image when it is an index */
	if ((rc = manifest_bytes(p, &body, &media_type, digest, top)) < 0)
		goto out;
	if ((rc = limg_manifest_parse(&m, body.ptr, body.size, media_type)) < 0)
		goto out;
	image = m;
	img->manifest_digest = limg__strdup(digest);
	if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX) {
		const limg_descriptor *d;
		if ((rc = limg_manifest_select(&d, m, p->o.platform)) < 0)
			goto out;
		limg__free(img->manifest_digest);
		img->manifest_digest = limg__strdup(limg_descriptor_digest(d));
		if ((rc = manifest_bytes(p, &child_body, &child_type, limg_descriptor_digest(d), NULL)) < 0)
			goto out;
		if ((rc = limg_manifest_parse(&child, child_body.ptr, child_body.size,
		                              child_type ? child_type : limg_descriptor_media_type(d))) < 0)
			goto out;
		if (limg_manifest_kind(child) != LIMG_MANIFEST_IMAGE) {
			rc = limg__error_set(LIMG_EMANIFEST, "index %s lists %s for the platform, which is not an image manifest",
			                     digest, limg_descriptor_digest(d));
			goto out;
		}
		image = child;
	}
	if (!img->manifest_digest) {
		rc = limg__error_oom();
		goto out;
	}
	/* who published it, before anything else of it is fetched */
	if ((rc = check_policy(p, img->reference, img->manifest_digest, child ? digest : NULL)) < 0)
		goto out;

	/* a signature, an SBOM: no image, whatever its config says (cosign's is an image config) */
	if (limg__manifest_artifact(image)) {
		char what[300];
		limg__quote(what, sizeof what, limg__manifest_artifact(image), strlen(limg__manifest_artifact(image)));
		rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_MANIFEST, img->manifest_digest,
		                           "%s is not an image but an artifact (%s): nothing was pulled", img->reference,
		                           what);
		goto out;
	}
	if ((rc = check_sizes(p, image)) < 0)
		goto out;
	/* config: small, fetched first, for the diff_ids */
	config_digest = limg_descriptor_digest(limg_manifest_config(image));
	if ((rc = small_blob(p, &config_body, config_digest, limg_descriptor_size(limg_manifest_config(image)),
	                      LIMG_BLOB_CONFIG)) != 0)
		goto out;
	if ((rc = limg_config_parse(&config, config_body.ptr, config_body.size)) < 0)
		goto out;
	if (!(img->id = limg__strdup(config_digest))) {
		rc = limg__error_oom();
		goto out;
	}
	n = limg_manifest_count(image);
	if ((!p->o.skip_diff_ids || p->fused) && limg_config_diff_id_count(config) != n) {
		rc = limg__error_set(LIMG_EMANIFEST, "image %s has %zu layers, but its config lists %zu diff_ids",
		                     img->manifest_digest, n, limg_config_diff_id_count(config));
		goto out;
	}

	/* layers, in parallel, straight into the store */
	if (n && !(jobs = limg__calloc(n, sizeof *jobs))) {
		rc = limg__error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i].desc = limg_manifest_entry(image, i);
		jobs[i].diff_id = p->o.skip_diff_ids ? NULL : limg_config_diff_id(config, i);
		p->total += limg_descriptor_size(jobs[i].desc);
	}
	for (size_t i = 0; i < n; i++) {
		int64_t have;
		/* what is stored already is reported as such by its worker, without a "waiting" first */
		if (limg_store_blob_stat(&have, p->store, limg_descriptor_digest(jobs[i].desc)) == 0)
			continue;
		if ((rc = limg__pull_report(p, limg_descriptor_digest(jobs[i].desc), LIMG_BLOB_LAYER, LIMG_EVENT_WAITING, 0,
		                            limg_descriptor_size(jobs[i].desc))) != 0)
			goto out;
	}
	limg_error_clear();
	rc = p->fused ? limg__pull_fused_layers(p, jobs, n, config, &config_body) : limg__pull_layers(p, jobs, n);
	if (rc != 0)
		goto out;

	/* what refers to it, beside it (asked for); then manifests after everything they name; the tag last */
	if ((rc = keep_referrers(p, digest, child ? img->manifest_digest : NULL)) < 0)
		goto out;
	if (child && (rc = store_bytes(p->store, img->manifest_digest, &child_body)) < 0)
		goto out;
	if ((rc = store_bytes(p->store, digest, &body)) < 0)
		goto out;
	if (limg_reference_tag(ref))
		rc = tag_with_facts(p, img->reference, digest, img->manifest_digest, child != NULL, img->id, config, jobs,
		                    n);
	else
		rc = limg__tags_keep_untagged(p->store, digest, limg_reference_name(ref));
	/* the root filesystem is finished after the tag: it is never done before the image is */
	if (rc == 0 && p->fused)
		rc = limg__pull_fused_finish(p, jobs, n, digest, &config_body);
out:
	img->downloaded = p->downloaded;
	limg__free(jobs);
	limg_config_free(config);
	limg_manifest_free(child);
	limg_manifest_free(m);
	limg__free(media_type);
	limg__free(child_type);
	limg_buf_dispose(&body);
	limg_buf_dispose(&child_body);
	limg_buf_dispose(&config_body);
	limg_buf_dispose(&current);
	limg_remote_manifest_free(top);
	limg_reference_free(ref);
	return rc;
}

int limg__pull_execute(limg_pull_result **out, limg_store *store, const char *reference, const limg_pull_opts *opts,
                       const limg_pull_callbacks *cb, struct limg__fused *fused)
{
	struct pull p;
	limg_pull_result *img;
	int rc;

	if (out)
		*out = NULL;
	if (!reference)
		return limg__error_invalid("reference");
	memset(&p, 0, sizeof p);
	p.store = store;
	p.fused = fused;
	limg_pull_opts_init(&p.o, sizeof p.o);
	limg_pull_callbacks_init(&p.cb, sizeof p.cb);
	if ((rc = limg__opts_copy(&p.o, sizeof p.o, opts, "limg_pull_opts")) < 0 ||
	    (rc = limg__opts_copy(&p.cb, sizeof p.cb, cb, "limg_pull_callbacks")) < 0)
		return rc;
	if (p.o.max_layer_size < 0 || p.o.range_threshold < 0 || p.o.range_chunk < 0 || p.o.range_parallel < 0 ||
	    p.o.concurrency < 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "limg_pull_opts",
		                             "invalid argument: a negative number in the pull options");
	if (p.o.foreign_layers < LIMG_FOREIGN_REGISTRY || p.o.foreign_layers > LIMG_FOREIGN_SKIP)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "foreign_layers",
		                             "invalid argument: foreign_layers %d", p.o.foreign_layers);
	if (p.o.index_signatures < LIMG_INDEX_SIGNATURES_ACCEPT || p.o.index_signatures > LIMG_INDEX_SIGNATURES_IGNORE)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "index_signatures",
		                             "invalid argument: index_signatures %d", p.o.index_signatures);
	if (!p.o.max_layer_size)
		p.o.max_layer_size = LIMG_LAYER_SIZE_MAX_DEFAULT;
	if (!p.o.concurrency)
		p.o.concurrency = 3;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(img = limg__calloc(1, sizeof *img))) {
		limg__store_leave(store);
		return limg__error_oom();
	}
	if ((rc = limg_cancel_new(&p.stop)) < 0 || (rc = limg__lease_new(&p.lease, store)) < 0) {
		limg_cancel_free(p.stop);
		limg__free(img);
		limg__store_leave(store);
		return rc;
	}
	pthread_mutex_init(&p.lock, NULL);
	if ((rc = limg__store_link_stop(store, p.stop, p.o.cancel)) == 0)
		rc = limg__store_stopped(run(&p, reference, img), store, p.o.cancel, "pull", reference);
	if (fused)
		limg__pull_fused_end(&p); /* a root not finished goes (or stays, marked), while the lease holds */
	limg_registry_close(p.registry);
	limg__http_free(p.urls);
	limg__lease_free(p.lease);
	pthread_mutex_destroy(&p.lock);
	limg_cancel_free(p.stop);
	limg__store_leave(store);
	if (rc != 0 || !out)
		limg_pull_result_free(img);
	else
		*out = img;
	return rc;
}

int limg_pull(limg_pull_result **out, limg_store *store, const char *reference, const limg_pull_opts *opts,
              const limg_pull_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	return limg__pull_execute(out, store, reference, opts, cb, NULL);
}
