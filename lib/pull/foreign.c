/* SPDX-License-Identifier: MIT */
/*
 * Foreign (non-distributable) layers the registry does not have: fetched
 * from the URLs their descriptor lists, as Docker and podman do, when the
 * caller allows it (LIMG_FOREIGN_URLS). A URL is another host: only http
 * and https, never a credential, and its bytes are checked as any layer's
 * (digest, size, diff_id) before the blob lands. Otherwise the pull fails
 * saying that the image would be incomplete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compress/compress_internal.h"
#include "core/core.h"
#include "http/http.h"
#include "pull_internal.h"
#include "registry/registry_internal.h"
#include "store/store_internal.h"

/* The bytes of one answer: the part before the writer's offset (a server
 * that ignores Range sends it again) is dropped. */
struct from_url {
	struct download *d;
	const char *url;
	int64_t skip;
};

static int on_start(const limg__http_resp *resp, void *payload)
{
	struct from_url *u = payload;
	int64_t offset = limg_blob_writer_offset(u->d->writer);
	long long start = -1;

	u->skip = 0;
	if (!offset)
		return 0;
	if (resp->status == 200) {
		u->skip = offset; /* the whole blob: what we have is skipped */
		return 0;
	}
	if (!resp->content_range || sscanf(resp->content_range, "bytes %lld-", &start) != 1 || start != offset)
		return limg__error_set(LIMG_EPROTOCOL, "foreign layer %s from %s: asked for bytes from %lld, got another "
		                                       "range", limg_descriptor_digest(u->d->job->desc), u->url,
		                       (long long)offset);
	return 0;
}

static int on_data(const void *data, size_t len, void *payload)
{
	struct from_url *u = payload;
	const char *p = data;

	if (u->skip) {
		size_t drop = (int64_t)len < u->skip ? len : (size_t)u->skip;
		u->skip -= (int64_t)drop;
		p += drop;
		len -= drop;
		if (!len)
			return 0;
	}
	return limg__pull_on_bytes(p, len, u->d);
}

static bool web_url(const char *url)
{
	return url && (!strncasecmp(url, "https://", 8) || !strncasecmp(url, "http://", 7));
}

/* One URL: the layer into the store, verified; 0, LIMG_EEXISTS (stored
 * meanwhile: done), or the error. */
static int fetch_one(struct pull *p, struct layer_job *job, const char *url)
{
	const char *digest = limg_descriptor_digest(job->desc);
	int64_t size = limg_descriptor_size(job->desc);
	int kind = limg_compression_from_media_type(limg_descriptor_media_type(job->desc));
	struct download d = { .p = p, .job = job, .total = size };
	struct from_url u = { &d, url, 0 };
	limg__http_req req = { 0 };
	limg__http_resp resp;
	char range[48], what[300], where[200];
	int rc;

	limg__http_resp_init(&resp);
	limg__sanitize(where, sizeof where, url, strlen(url));
	snprintf(what, sizeof what, "foreign layer %s from %s", digest, where);
	/* (a pull that unpacks checks the diff_id as it applies the layer) */
	if (kind != LIMG_COMPRESSION_UNKNOWN && !p->o.skip_diff_ids && !p->fused &&
	    (rc = limg__digester_new(&d.dg, kind, p->o.max_layer_size, limg__pull_stages_for(size))) < 0)
		goto out;
	if ((rc = limg__blob_writer_open(&d.writer, p->store, digest, size, limg__pull_on_resumed, &d)) != 0)
		goto out;
	d.done = limg_blob_writer_offset(d.writer);
	req.url = url;
	req.what = what;
	req.sink = on_data;
	req.start = on_start;
	req.payload = &u;
	req.cancel = p->stop;
	if (d.done > 0) {
		snprintf(range, sizeof range, "bytes=%lld-", (long long)d.done);
		req.range = range;
	}
	/* no authorization: the registry's credentials are for the registry */
	if ((rc = limg__http_do(p->urls, &req, &resp)) != 0)
		goto out;
	if (resp.status != 200 && resp.status != 206) {
		rc = limg__error_set_about(resp.status == 404 ? LIMG_ENOTFOUND : LIMG_EHTTP, LIMG_SUBJECT_BLOB, digest,
		                           "%s: HTTP %ld", what, resp.status);
		limg__error_set_http((int)resp.status, "");
		goto out;
	}
	if ((rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_VERIFYING, d.done, size)) != 0)
		goto out;
	if ((rc = limg_blob_writer_commit(d.writer)) < 0) {
		limg__error_prefix("%s", what);
		goto out;
	}
	if (d.dg_rc) {
		limg__error_restore(&d.dg_error);
		rc = d.dg_rc;
		limg__error_prefix("%s", what);
		goto out;
	}
	job->fetched = true;
	if (d.dg && (rc = limg__pull_check_diff_id(p, job, d.dg)) < 0)
		goto out;
	limg__log(limg__store_context(p->store), LIMG_LOG_INFO, "%s", what);
	if ((rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_DOWNLOADED, d.done, size)) == 0)
		rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_COMPLETE, d.done, size);
out:
	limg__http_resp_dispose(&resp);
	limg__digester_free(d.dg);
	limg_blob_writer_close(d.writer);
	return rc;
}

int limg__pull_foreign(struct pull *p, struct layer_job *job)
{
	const char *digest = limg_descriptor_digest(job->desc);
	size_t n = limg_descriptor_url_count(job->desc), tried = 0;
	char first[200] = "";
	int rc = 0;

	if (!n)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest,
		                             "foreign layer %s is not in the registry %s/%s, and its descriptor lists no "
		                             "URL: the image would be incomplete",
		                             digest, p->registry->domain, p->repository);
	if (p->o.foreign_layers != LIMG_FOREIGN_URLS || !p->urls) {
		if (limg_descriptor_url(job->desc, 0))
			limg__sanitize(first, sizeof first, limg_descriptor_url(job->desc, 0),
			               strlen(limg_descriptor_url(job->desc, 0)));
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest,
		                             "foreign layer %s is not in the registry %s/%s: the image would be incomplete "
		                             "(its URL %s%s is another host, used only when foreign URLs are allowed)",
		                             digest, p->registry->domain, p->repository, first, n > 1 ? ", ..." : "");
	}
	limg_error_clear();
	for (size_t i = 0; i < n; i++) {
		const char *url = limg_descriptor_url(job->desc, i);
		char shown[200];
		if (!web_url(url)) {
			limg__sanitize(shown, sizeof shown, url ? url : "", url ? strlen(url) : 0);
			limg__log(limg__store_context(p->store), LIMG_LOG_WARN,
			          "foreign layer %s: URL %s is not http or https: not used", digest, shown);
			continue;
		}
		tried++;
		if ((rc = fetch_one(p, job, url)) == 0 || rc == LIMG_ECANCELLED || rc > 0 || limg_cancel_requested(p->stop))
			break;
		if (rc == LIMG_EEXISTS) { /* another pull stored it meanwhile */
			limg_error_clear();
			return limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_EXISTS, limg_descriptor_size(job->desc),
			                         limg_descriptor_size(job->desc));
		}
		if (i + 1 < n)
			limg__log(limg__store_context(p->store), LIMG_LOG_WARN, "%s; trying its next URL",
			          limg_error_message(limg_error_last()));
	}
	if (!tried)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest,
		                             "foreign layer %s is not in the registry %s/%s, and none of its URLs is "
		                             "http or https",
		                             digest, p->registry->domain, p->repository);
	return rc;
}
