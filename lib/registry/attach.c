/* SPDX-License-Identifier: MIT */
/*
 * Attaching an artifact to an image, as `oras attach` does: its blobs
 * uploaded (files streamed, or bytes the library made: a signature
 * bundle), the empty config `{}` (which a registry checks for like any
 * config), then an OCI manifest with artifactType and subject, put as a
 * referrer (limg_registry_referrer_put(): the referrers tag kept where the
 * registry lacks the API).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "registry_internal.h"

#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define DEFAULT_LAYER_TYPE "application/vnd.oci.image.layer.v1.tar"

int limg_registry_attach_opts_init(limg_registry_attach_opts *opts, size_t size)
{
	static const limg_registry_attach_opts defaults = LIMG_REGISTRY_ATTACH_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* An upload's source: a file (read with pread) or bytes in memory. */
typedef struct {
	const limg__artifact_blob *b;
	int fd;
	int64_t offset, size;
} source;

static int read_source(size_t *got, void *buf, size_t cap, void *payload)
{
	source *s = payload;
	int64_t left = s->size - s->offset;
	size_t want = left < (int64_t)cap ? (size_t)left : cap;
	ssize_t n;

	*got = 0;
	if (!want)
		return 0;
	if (s->fd < 0) {
		memcpy(buf, (const char *)s->b->data + s->offset, want);
		n = (ssize_t)want;
	} else {
		do
			n = pread(s->fd, buf, want, s->offset);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return limg__error_set_about(LIMG_ESYSTEM, LIMG_SUBJECT_FILE, s->b->path, "cannot read %s: %s",
			                             s->b->path, strerror(errno));
	}
	s->offset += n;
	*got = (size_t)n;
	return 0;
}

static int seek_source(int64_t offset, void *payload)
{
	((source *)payload)->offset = offset;
	return 0;
}

/* The digest of a file's bytes. */
static int hash_file(limg_buf *out, int fd, const char *path)
{
	unsigned char buf[64 * 1024];
	limg_hasher *h;
	const char *d;
	ssize_t n;
	int64_t at = 0;
	int rc;

	if ((rc = limg_hasher_new(&h, LIMG_DIGEST_SHA256)) < 0)
		return rc;
	for (;;) {
		do
			n = pread(fd, buf, sizeof buf, at);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			rc = limg__error_set_about(LIMG_ESYSTEM, LIMG_SUBJECT_FILE, path, "cannot read %s: %s", path,
			                           strerror(errno));
			break;
		}
		if (!n)
			break;
		limg_hasher_update(h, buf, (size_t)n);
		at += n;
	}
	if (rc == 0 && (rc = limg_hasher_finish(&d, h)) == 0)
		rc = limg_buf_set(out, d, strlen(d));
	limg_hasher_free(h);
	return rc;
}

/* Uploads one blob; its descriptor (with a title annotation when it has one) goes into @layers. */
static int upload(limg_registry *r, const char *repo, const limg__artifact_blob *b, cJSON *layers,
                  const limg_cancel *cancel)
{
	limg_registry_upload_opts uo = LIMG_REGISTRY_UPLOAD_OPTS_INIT;
	limg_registry_upload_callbacks ucb = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;
	limg_buf digest = LIMG_BUF_INIT;
	source s = { b, -1, 0, (int64_t)b->len };
	cJSON *d = NULL, *ann;
	int rc;

	if (b->path) {
		struct stat st;
		if ((s.fd = open(b->path, O_RDONLY | O_CLOEXEC)) < 0) {
			limg__fs_error("cannot open", b->path);
			return limg__error_about(LIMG_SUBJECT_FILE, b->path);
		}
		if (fstat(s.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(s.fd);
			return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, b->path, "%s is not a regular file",
			                             b->path);
		}
		s.size = st.st_size;
		rc = hash_file(&digest, s.fd, b->path);
	} else {
		rc = limg_digest_compute(&digest, LIMG_DIGEST_SHA256, b->data, b->len);
	}
	if (rc < 0)
		goto out;
	uo.cancel = (limg_cancel *)cancel;
	ucb.read = read_source;
	ucb.seek = seek_source;
	ucb.payload = &s;
	if ((rc = limg_registry_blob_upload(NULL, r, repo, digest.ptr, s.size, &uo, &ucb)) < 0)
		goto out;
	if (!(d = cJSON_CreateObject()) || !cJSON_AddStringToObject(d, "mediaType", b->media_type) ||
	    !cJSON_AddStringToObject(d, "digest", digest.ptr) || !cJSON_AddNumberToObject(d, "size", (double)s.size) ||
	    (b->title && (!(ann = cJSON_AddObjectToObject(d, "annotations")) ||
	                  !cJSON_AddStringToObject(ann, "org.opencontainers.image.title", b->title))) ||
	    !cJSON_AddItemToArray(layers, d)) {
		cJSON_Delete(d);
		rc = limg__error_oom();
	}
out:
	if (s.fd >= 0)
		close(s.fd);
	limg_buf_dispose(&digest);
	return rc;
}

int limg__registry_attach(limg_buf *out_digest, limg_registry *r, const char *repo, const char *subject_type,
                          const char *subject_digest, int64_t subject_size, const char *artifact_type,
                          const limg__artifact_blob *blobs, size_t n, const char *const *annotations, size_t nann,
                          int mode, const limg_cancel *cancel)
{
	static const limg__artifact_blob empty = { LIMG_MEDIA_OCI_EMPTY, NULL, "{}", 2, NULL };
	limg_registry_referrers_opts ro = LIMG_REGISTRY_REFERRERS_OPTS_INIT;
	cJSON *doc = NULL, *layers, *config, *subject, *ann;
	char created[32], *text = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	/* the empty config: uploaded like any blob (skipped when there) */
	{
		cJSON *unused = cJSON_CreateArray();
		rc = unused ? upload(r, repo, &empty, unused, cancel) : limg__error_oom();
		cJSON_Delete(unused);
		if (rc < 0)
			return rc;
	}
	if (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "schemaVersion", 2) ||
	    !cJSON_AddStringToObject(doc, "mediaType", LIMG_MEDIA_OCI_MANIFEST) ||
	    !cJSON_AddStringToObject(doc, "artifactType", artifact_type) ||
	    !(config = cJSON_AddObjectToObject(doc, "config")) ||
	    !cJSON_AddStringToObject(config, "mediaType", LIMG_MEDIA_OCI_EMPTY) ||
	    !cJSON_AddStringToObject(config, "digest", EMPTY_DIGEST) || !cJSON_AddNumberToObject(config, "size", 2) ||
	    !cJSON_AddStringToObject(config, "data", "e30=") || !(layers = cJSON_AddArrayToObject(doc, "layers"))) {
		rc = limg__error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = upload(r, repo, &blobs[i], layers, cancel)) < 0)
			goto out;
	gmtime_r(&now, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!(subject = cJSON_AddObjectToObject(doc, "subject")) ||
	    !cJSON_AddStringToObject(subject, "mediaType", subject_type) ||
	    !cJSON_AddStringToObject(subject, "digest", subject_digest) ||
	    !cJSON_AddNumberToObject(subject, "size", (double)subject_size) ||
	    !(ann = cJSON_AddObjectToObject(doc, "annotations")) ||
	    !cJSON_AddStringToObject(ann, "org.opencontainers.image.created", created)) {
		rc = limg__error_oom();
		goto out;
	}
	for (size_t i = 0; i + 1 < nann; i += 2) {
		cJSON_DeleteItemFromObjectCaseSensitive(ann, annotations[i]);
		if (!cJSON_AddStringToObject(ann, annotations[i], annotations[i + 1])) {
			rc = limg__error_oom();
			goto out;
		}
	}
	if (!(text = limg__json_print(doc, false))) {
		rc = limg__error_oom();
		goto out;
	}
	ro.mode = mode;
	ro.cancel = (limg_cancel *)cancel;
	rc = limg_registry_referrer_put(out_digest, r, repo, LIMG_MEDIA_OCI_MANIFEST, text, strlen(text), &ro);
out:
	limg__free(text);
	cJSON_Delete(doc);
	return rc;
}

int limg_registry_attach(limg_buf *out_digest, limg_registry *r, const char *repo, const char *subject,
                         const char *artifact_type, const char *const *paths, size_t npaths,
                         const limg_registry_attach_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_attach_opts o = LIMG_REGISTRY_ATTACH_OPTS_INIT;
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *m = NULL;
	limg__artifact_blob *blobs = NULL;
	const char **pairs = NULL;
	char **keys = NULL;
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_attach_opts")) < 0)
		return rc;
	if (!artifact_type || !*artifact_type)
		return limg__error_invalid("artifact_type");
	if ((npaths && !paths) || (o.annotations_len && !o.annotations) || !subject)
		return limg__error_invalid(!subject ? "subject" : "paths, annotations");
	if (!(blobs = limg__calloc(npaths + 1, sizeof *blobs)) || !(pairs = limg__calloc(o.annotations_len * 2 + 1, sizeof *pairs)) ||
	    !(keys = limg__calloc(o.annotations_len + 1, sizeof *keys))) {
		rc = limg__error_oom();
		goto out;
	}
	for (size_t i = 0; i < o.annotations_len; i++) {
		const char *eq = o.annotations[i] ? strchr(o.annotations[i], '=') : NULL;
		if (!eq || eq == o.annotations[i]) {
			rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "annotations",
			                           "invalid argument: an annotation is not KEY=VALUE");
			goto out;
		}
		if (!(keys[i] = limg__strndup(o.annotations[i], (size_t)(eq - o.annotations[i])))) {
			rc = limg__error_oom();
			goto out;
		}
		pairs[2 * i] = keys[i];
		pairs[2 * i + 1] = eq + 1;
	}
	for (size_t i = 0; i < npaths; i++) {
		const char *slash;
		if (!paths[i] || !*paths[i]) {
			rc = limg__error_invalid("paths");
			goto out;
		}
		slash = strrchr(paths[i], '/');
		blobs[i].path = paths[i];
		blobs[i].title = slash ? slash + 1 : paths[i];
		blobs[i].media_type = o.media_types && o.media_types[i] ? o.media_types[i] : DEFAULT_LAYER_TYPE;
	}
	/* the subject as the registry itself has it: its media type and size go into the referrer */
	co.cancel = o.cancel;
	if ((rc = limg__registry_manifest_head_origin(&m, r, repo, subject, &co)) < 0)
		goto out;
	if (limg_remote_manifest_size(m) < 0) { /* a HEAD without a length: the manifest itself */
		char *digest = limg__strdup(limg_remote_manifest_digest(m));
		limg_remote_manifest_free(m);
		m = NULL;
		rc = digest ? limg__registry_manifest_fetch_origin(&m, r, repo, digest, o.cancel) : limg__error_oom();
		limg__free(digest);
		if (rc < 0)
			goto out;
	}
	rc = limg__registry_attach(out_digest, r, repo, limg_remote_manifest_media_type(m), limg_remote_manifest_digest(m),
	                           limg_remote_manifest_size(m), artifact_type, blobs, npaths, pairs,
	                           o.annotations_len * 2, o.mode, o.cancel);
out:
	for (size_t i = 0; keys && i < o.annotations_len; i++)
		limg__free(keys[i]);
	limg__free(keys);
	limg__free(pairs);
	limg__free(blobs);
	limg_remote_manifest_free(m);
	return rc;
}
