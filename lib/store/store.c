/* Opening a store: the OCI layout files and the private .libimage area. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "core/fs.h"
#include "digest/digest_internal.h"
#include "store_internal.h"

static const char layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char empty_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";

int limg_store_opts_init(limg_store_opts *opts, size_t size)
{
	static const limg_store_opts defaults = LIMG_STORE_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);

	if (p) {
		memcpy(p, a, la);
		p[la] = '/';
		memcpy(p + la + 1, b, lb + 1);
	}
	return p;
}

/* Checks oci-layout, or writes it (and an empty index.json) when allowed. */
static int check_layout(const limg_store *s, bool create)
{
	limg_buf buf = LIMG_BUF_INIT;
	char *path = join(s->root, "oci-layout");
	cJSON *doc = NULL;
	int rc;

	if (!path)
		return limg__error_oom();
	rc = limg__fs_read(&buf, path, 64 * 1024);
	if (rc == LIMG_ENOTFOUND && create) {
		rc = limg__fs_write_atomic(path, layout_json, sizeof layout_json - 1);
	} else if (rc == 0) {
		const cJSON *v;
		doc = cJSON_ParseWithLength(buf.ptr, buf.size);
		v = cJSON_GetObjectItemCaseSensitive(doc, "imageLayoutVersion");
		if (!cJSON_IsString(v) || strncmp(v->valuestring, "1.", 2) != 0)
			rc = limg__error_set(LIMG_ECORRUPT, "%s: not an OCI image layout version 1 file", path);
	}
	if (rc == 0) {
		struct stat st;
		if (stat(s->index_path, &st) < 0) {
			if (errno != ENOENT)
				rc = limg__fs_error("cannot stat", s->index_path);
			else if (create)
				rc = limg__fs_write_atomic(s->index_path, empty_index, sizeof empty_index - 1);
			else
				rc = limg__error_set(LIMG_ENOTFOUND, "%s is missing", s->index_path);
		}
	}
	cJSON_Delete(doc);
	limg_buf_dispose(&buf);
	free(path);
	return rc;
}

int limg_store_open(limg_store **out, limg_context *ctx, const char *path, const limg_store_opts *opts)
{
	limg_store_opts o = LIMG_STORE_OPTS_INIT;
	limg_store *s;
	struct stat st;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!path || !*path)
		return limg__error_invalid("path");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_store_opts")) < 0)
		return rc;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !o.create)
			return limg__fs_error("cannot open store", path);
	} else if (!S_ISDIR(st.st_mode)) {
		return limg__error_set(LIMG_EINVALID, "store %s is not a directory", path);
	}

	if (!(s = calloc(1, sizeof *s)))
		return limg__error_oom();
	s->ctx = ctx;
	s->root = strdup(path);
	s->index_path = join(path, "index.json");
	s->lock_path = join(path, ".libimage/index.lock");
	s->ingest_dir = join(path, ".libimage/ingest");
	s->tmp_dir = join(path, ".libimage/tmp");
	s->layers_dir = join(path, ".libimage/layers");
	if (!s->root || !s->index_path || !s->lock_path || !s->ingest_dir || !s->tmp_dir || !s->layers_dir) {
		rc = limg__error_oom();
		goto fail;
	}
	if (o.create && (rc = limg__fs_mkdirs(path)) < 0)
		goto fail;
	if ((rc = limg__fs_mkdirs(s->ingest_dir)) < 0 || (rc = limg__fs_mkdirs(s->tmp_dir)) < 0 ||
	    (rc = limg__fs_mkdirs(s->layers_dir)) < 0)
		goto fail;
	if ((rc = check_layout(s, o.create != 0)) < 0)
		goto fail;
	limg__log(ctx, LIMG_LOG_DEBUG, "store %s open", path);
	*out = s;
	return 0;
fail:
	limg_store_close(s);
	return rc;
}

void limg_store_close(limg_store *s)
{
	if (!s)
		return;
	free(s->root);
	free(s->index_path);
	free(s->lock_path);
	free(s->ingest_dir);
	free(s->tmp_dir);
	free(s->layers_dir);
	free(s);
}

const char *limg_store_path(const limg_store *s)
{
	return s ? s->root : NULL;
}

int limg__store_blob_file(limg_buf *out, const limg_store *s, const char *digest)
{
	const char *colon;
	int rc;

	if (!s)
		return limg__error_invalid("store");
	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	colon = strchr(digest, ':');
	out->size = 0;
	if (limg__buf_put(out, s->root, strlen(s->root)) < 0 || limg__buf_put(out, "/blobs/", 7) < 0 ||
	    limg__buf_put(out, digest, (size_t)(colon - digest)) < 0 || limg__buf_put(out, "/", 1) < 0 ||
	    limg__buf_put(out, colon + 1, strlen(colon + 1)) < 0)
		return LIMG_ENOMEM;
	return 0;
}
