/* SPDX-License-Identifier: MIT */
/*
 * limg_archive_load(): one pass over the tar (libarchive reads the entries, our
 * decompressor any gzip or zstd around them). Files named
 * blobs/sha256/<hex> go into the store under that digest, checked as they
 * are committed; other big files (legacy layer.tar) are stored under the
 * digest of their content; small JSON files are kept. Then the images:
 * manifest.json's entries (Docker's formats; the OCI manifest of the same
 * image is used when index.json has it, so digests stay), else index.json's
 * (oci-archive). Every image is checked (config, layers stored, each
 * layer's diff_id) before any tag is set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compress_internal.h"
#include "core/core.h"
#include "tar/reader.h"
#include "tar/path.h"
#include "core/jobs.h"
#include "core/json.h"
#include "images/complete.h"
#include "images/diff_id.h"
#include "libimage/archive.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "libimage/digest.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "libimage/tags.h"
#include "manifest/fields.h"
#include "store/store_internal.h"
#include "tags/tags_internal.h"

#define SMALL_MAX (4u << 20)      /* a JSON file of an archive */
#define SMALL_TOTAL_MAX (64u << 20)
#define LINKS_MAX 16
#define READ_CHUNK (256u * 1024)
#define FEED_CHUNK (16u * 1024)   /* compressed bytes per step: bounds what one step inflates to */

#define PROGRESS_STEP (4u << 20) /* archive bytes between progress reports */

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
	char *name;
	char *digest;     /* stored blob, or NULL for a kept small file */
	int64_t size;
	limg_buf data;    /* a kept small file */
	char *link;       /* a symlink's or hard link's target, cleaned */
	char *diff_id;    /* a compressed blob's uncompressed digest, worked out as it was read */
	int compression;  /* of that: a limg_compression */
} member;

typedef struct {
	char *manifest;   /* digest of the manifest (or index) to tag */
	char *config;     /* image ID, for messages; NULL for an index */
	cJSON *names;     /* references to set */
} found_image;

typedef struct {
	limg_store *store;
	limg_archive_load_opts o;
	limg_archive_load_callbacks cb;
	struct limg__lease *lease;
	member *members;
	size_t nmembers, cap;
	size_t small_total;
	found_image *images;
	size_t nimages, capimages;
	/* input */
	int fd;              /* or -1: cb.read */
	int64_t read_total, reported;
	int stopped;         /* what a callback returned to stop (errors.h), and its error */
	limg__error_copy stopped_error;
	limg_decompressor *dec;
	unsigned char *in;
	limg_buf out;       /* decompressed bytes not yet handed to libarchive */
	size_t out_given;
	bool in_eof;
	unsigned char head[8];
	size_t head_len, head_given;
	/* layer checks */
	struct layer_check *checks;
	size_t nchecks, capchecks;
} load_run;

/* ---- input: plain, or decompressed by our own path ------------------------ */

/* The caller's bytes: from the descriptor or the read callback; -1 with
 * errno, or with l->stopped when a callback stopped the load. */
static ssize_t source_read(load_run *l, void *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	int rc;

	if (l->fd >= 0) {
		do
			n = read(l->fd, buf, cap);
		while (n < 0 && errno == EINTR);
	} else if ((rc = l->cb.read(&got, buf, cap, l->cb.payload)) != 0) {
		l->stopped = limg__error_after_callback(rc, "load");
		limg__error_save(&l->stopped_error);
		errno = ECANCELED;
		return -1;
	} else {
		n = (ssize_t)(got > cap ? cap : got);
	}
	if (n > 0) {
		l->read_total += n;
		if (l->cb.progress && l->read_total - l->reported >= (int64_t)PROGRESS_STEP) {
			l->reported = l->read_total;
			if ((rc = l->cb.progress(NULL, LIMG_BLOB_NONE, LIMG_EVENT_READING, l->read_total, -1, NULL,
			                         l->cb.payload)) != 0) {
				l->stopped = limg__error_after_callback(rc, "load");
				limg__error_save(&l->stopped_error);
				errno = ECANCELED;
				return -1;
			}
		}
	}
	return n;
}

static ssize_t raw_read(load_run *l, void *buf, size_t cap)
{
	if (l->head_given < l->head_len) {
		size_t k = l->head_len - l->head_given < cap ? l->head_len - l->head_given : cap;
		memcpy(buf, l->head + l->head_given, k);
		l->head_given += k;
		return (ssize_t)k;
	}
	return source_read(l, buf, cap);
}

static int to_out(const void *data, size_t len, void *payload)
{
	return limg__buf_put(payload, data, len) < 0 ? LIMG_ENOMEM : 0;
}

static la_ssize_t input_read(struct archive *ar, void *payload, const void **data)
{
	load_run *l = payload;
	ssize_t n;

	if (limg_cancel_requested(l->o.cancel)) {
		archive_set_error(ar, ECANCELED, "cancelled");
		return -1;
	}
	if (!l->dec) {
		n = raw_read(l, l->in, READ_CHUNK);
		if (n < 0)
			archive_set_error(ar, errno, "cannot read the archive: %s", strerror(errno));
		*data = l->in;
		return n;
	}
	l->out.size = 0;
	while (!l->out.size && !l->in_eof) {
		n = raw_read(l, l->in, FEED_CHUNK);
		if (n < 0) {
			archive_set_error(ar, errno, "cannot read the archive: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			l->in_eof = true;
			if (limg_decompressor_finish(l->dec) < 0) {
				archive_set_error(ar, EINVAL, "%s", limg_error_message(limg_error_last()));
				return -1;
			}
			break;
		}
		if (limg_decompressor_update(l->dec, l->in, (size_t)n, to_out, &l->out) < 0) {
			archive_set_error(ar, EINVAL, "%s", limg_error_message(limg_error_last()));
			return -1;
		}
	}
	*data = l->out.ptr;
	return (la_ssize_t)l->out.size;
}

/* Peeks at the first bytes: gzip and zstd go through our decompressor. */
static int open_input(load_run *l)
{
	ssize_t n;
	int c;

	while (l->head_len < sizeof l->head) {
		n = source_read(l, l->head + l->head_len, sizeof l->head - l->head_len);
		if (n < 0)
			return l->stopped ? l->stopped
			                  : limg__error_set(LIMG_ESYSTEM, "cannot read the archive: %s", strerror(errno));
		if (n == 0)
			break;
		l->head_len += (size_t)n;
	}
	c = limg_compression_detect(l->head, l->head_len);
	if (c == LIMG_COMPRESSION_GZIP || c == LIMG_COMPRESSION_ZSTD)
		return limg_decompressor_new(&l->dec, c, INT64_MAX);
	return 0;
}

/* ---- members ------------------------------------------------------------------ */

/* "./a//b" -> "a/b"; NULL for names that leave the archive. */
static char *clean(const char *name)
{
	size_t cap = strlen(name) + 1; /* never longer than it was */
	char *out = malloc(cap);

	if (out && limg__path_clean(name, out, cap, 0) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static member *add_member(load_run *l, char *name)
{
	member *m;

	if (limg__array_grow((void **)&l->members, &l->cap, l->nmembers + 1, sizeof *l->members) < 0)
		return NULL;
	m = &l->members[l->nmembers++];
	memset(m, 0, sizeof *m);
	m->name = name;
	return m;
}

/* The file @name leads to, through links; NULL when the archive lacks it. */
static const member *find(const load_run *l, const char *name)
{
	char *owned = NULL;
	const member *hit = NULL;

	for (int hops = 0; hops <= LINKS_MAX; hops++) {
		hit = NULL;
		/* the last entry of a name wins, as tar extraction would have it */
		for (size_t i = l->nmembers; i-- > 0;)
			if (!strcmp(l->members[i].name, name)) {
				hit = &l->members[i];
				break;
			}
		if (!hit || !hit->link)
			break;
		name = hit->link;
	}
	free(owned);
	return hit && !hit->link ? hit : NULL;
}

static bool blob_name(const char *name, char digest[80])
{
	if (strncmp(name, "blobs/sha256/", 13) != 0 || strlen(name + 13) != 64 ||
	    strspn(name + 13, "0123456789abcdef") != 64)
		return false;
	snprintf(digest, 80, "sha256:%s", name + 13);
	return true;
}

static bool kept_small(const char *name, int64_t size)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	size_t n = strlen(base);

	return size <= (int64_t)SMALL_MAX &&
	       ((n > 5 && !strcmp(base + n - 5, ".json")) || !strcmp(base, "json") || !strcmp(base, "repositories") ||
	        !strcmp(base, "oci-layout") || !strcmp(base, "VERSION"));
}

/* The entry's data into the writer (or kept); a gzip or zstd blob is
 * inflated and hashed on other cores as it goes, so that its diff_id is
 * known without reading it again; a big uncompressed one is hashed on
 * another core. */
static int read_data(struct archive *ar, limg_blob_writer *w, limg_buf *keep, member *m)
{
	limg__digester *dg = NULL;
	const void *buf;
	size_t len;
	la_int64_t offset;
	bool first = true;
	int r, rc = 0;

	while ((r = archive_read_data_block(ar, &buf, &len, &offset)) == ARCHIVE_OK) {
		if (first && w) {
			int c = limg_compression_detect(buf, len);
			first = false;
			if ((c == LIMG_COMPRESSION_GZIP || c == LIMG_COMPRESSION_ZSTD) &&
			    limg__digester_new(&dg, c, LIMG_LAYER_SIZE_MAX_DEFAULT, m->size > (16 << 20) ? 3 : 2) == 0)
				m->compression = c;
			else if (m->size >= (1 << 20))
				limg__blob_writer_hash_aside(w); /* an uncompressed layer: hashing is all its work */
			limg_error_clear();
		}
		rc = w ? limg_blob_writer_write(w, buf, len) : limg__buf_put(keep, buf, len) < 0 ? limg__error_oom() : 0;
		if (rc < 0)
			break;
		if (dg && limg__digester_feed(dg, buf, len) != 0) {
			limg__digester_free(dg); /* not what it looked like: checked the slow way later */
			dg = NULL;
			limg_error_clear();
		}
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = limg__error_set(LIMG_ECORRUPT, "archive entry %s: %s", m->name,
		                     archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
	if (rc == 0 && dg) {
		const char *got;
		int64_t usize;
		if (limg__digester_finish(dg, &got, &usize) == 0)
			m->diff_id = strdup(got);
		limg_error_clear();
	}
	limg__digester_free(dg);
	return rc;
}

static int take_file(load_run *l, struct archive *ar, struct archive_entry *e, member *m)
{
	int64_t size = archive_entry_size(e);
	int64_t max = l->o.max_blob_size > 0 ? l->o.max_blob_size : LIMG_BLOB_SIZE_MAX_DEFAULT;
	limg_blob_writer *w = NULL;
	char digest[80];
	int rc;

	if (size < 0 || size > max)
		return limg__error_set(LIMG_ETOOBIG, "archive entry %s: %lld bytes, over the %lld-byte limit", m->name,
		                       (long long)size, (long long)max);
	m->size = size;
	if (blob_name(m->name, digest)) {
		if (!(m->digest = strdup(digest)))
			return limg__error_oom();
		if ((rc = limg__lease_add(l->lease, digest)) < 0)
			return rc;
		rc = limg_blob_writer_open(&w, l->store, digest, size);
		if (rc == LIMG_EEXISTS) {
			limg_error_clear();
			return archive_read_data_skip(ar) == ARCHIVE_OK ? 0
			       : limg__error_set(LIMG_ECORRUPT, "archive entry %s: unreadable", m->name);
		}
	} else if (kept_small(m->name, size)) {
		if (l->small_total + (size_t)size > SMALL_TOTAL_MAX)
			return limg__error_set(LIMG_ETOOBIG, "archive: more than %u bytes of JSON files", SMALL_TOTAL_MAX);
		l->small_total += (size_t)size;
		return read_data(ar, NULL, &m->data, m);
	} else {
		rc = limg__blob_writer_open_unnamed(&w, l->store, size);
	}
	if (rc < 0)
		return rc;
	if ((rc = read_data(ar, w, NULL, m)) == 0 && (rc = limg_blob_writer_commit(w)) == 0 && !m->digest) {
		if (!(m->digest = strdup(limg__blob_writer_digest(w))))
			rc = limg__error_oom();
		else
			rc = limg__lease_add(l->lease, m->digest);
	}
	if (rc == LIMG_EDIGEST_MISMATCH)
		limg__error_prefix("archive entry %s", m->name);
	limg_blob_writer_close(w);
	return rc;
}

static int read_members(load_run *l)
{
	struct archive *ar;
	struct archive_entry *e;
	int st, rc = 0;

	if ((rc = limg__libarchive_load()) < 0)
		return rc;
	if (!(ar = archive_read_new()) || archive_read_support_format_tar(ar) != ARCHIVE_OK) {
		archive_read_free(ar);
		return limg__error_oom();
	}
	if (archive_read_open(ar, l, NULL, input_read, NULL) != ARCHIVE_OK) {
		rc = limg__error_set(LIMG_ECORRUPT, "not a tar archive: %s",
		                     archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
		archive_read_free(ar);
		return rc;
	}
	while (rc == 0 && ((st = archive_read_next_header(ar, &e)) == ARCHIVE_OK || st == ARCHIVE_WARN)) {
		const char *raw = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);
		char *name = raw ? clean(raw) : NULL;
		member *m;

		if (!name) {
			rc = raw ? limg__error_set(LIMG_ECORRUPT, "archive entry %.200s leads out of the archive", raw)
			         : limg__error_set(LIMG_ECORRUPT, "archive entry without a name");
			break;
		}
		if (type == AE_IFDIR || (!archive_entry_hardlink(e) && type != AE_IFREG && type != AE_IFLNK)) {
			free(name);
			continue;
		}
		if (!(m = add_member(l, name))) {
			free(name);
			rc = limg__error_oom();
			break;
		}
		if (archive_entry_hardlink(e) || type == AE_IFLNK) {
			/* legacy archives link repeated layers to their first copy */
			const char *target = archive_entry_hardlink(e) ? archive_entry_hardlink(e) : archive_entry_symlink(e);
			char *joined = NULL, *slash = strrchr(name, '/');
			if (!target)
				continue;
			if (archive_entry_hardlink(e) || !slash || target[0] == '/')
				joined = strdup(target[0] == '/' ? target + 1 : target);
			else if (asprintf(&joined, "%.*s/%s", (int)(slash - name), name, target) < 0)
				joined = NULL;
			m->link = joined ? clean(joined) : NULL;
			free(joined);
			continue;
		}
		rc = take_file(l, ar, e, m);
	}
	if (l->stopped) /* a callback stopped it: its error, not what libarchive made of it */
		rc = limg__error_restore(&l->stopped_error);
	else if (rc == 0 && st != ARCHIVE_EOF)
		rc = limg_cancel_requested(l->o.cancel) ? limg__error_set(LIMG_ECANCELLED, "load cancelled")
		     : limg__error_set(LIMG_ECORRUPT, "not a valid tar archive: %s",
		                       archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
	archive_read_free(ar);
	return rc;
}

/* ---- images ------------------------------------------------------------------ */

static cJSON *parse_small(const member *m, const char *what)
{
	char why[200];
	cJSON *doc;

	if (!m->data.ptr) {
		limg__error_set(LIMG_ECORRUPT, "archive: %s is no small JSON file", what);
		return NULL;
	}
	if (limg__json_parse(&doc, m->data.ptr, m->data.size, &limg__manifest_fields, why, sizeof why) < 0) {
		limg__error_set(LIMG_ECORRUPT, "archive: %s is not valid, unambiguous JSON (%s)", what, why);
		return NULL;
	}
	return doc;
}

/* A member as a stored blob: the digest (a kept file is stored now). */
static int as_blob(load_run *l, const member *m, char digest[80], int64_t *size)
{
	limg_blob_writer *w = NULL;
	limg_buf d = LIMG_BUF_INIT;
	int rc;

	if (m->digest) {
		snprintf(digest, 80, "%s", m->digest);
		*size = m->size;
		return 0;
	}
	if ((rc = limg_digest_compute(&d, LIMG_DIGEST_SHA256, m->data.ptr ? m->data.ptr : "", m->data.size)) < 0)
		return rc;
	snprintf(digest, 80, "%s", d.ptr);
	limg_buf_dispose(&d);
	*size = (int64_t)m->data.size;
	if ((rc = limg__lease_add(l->lease, digest)) < 0)
		return rc;
	rc = limg_blob_writer_open(&w, l->store, digest, *size);
	if (rc == LIMG_EEXISTS) {
		limg_error_clear();
		return 0;
	}
	if (rc == 0 && (rc = limg_blob_writer_write(w, m->data.ptr ? m->data.ptr : "", m->data.size)) == 0)
		rc = limg_blob_writer_commit(w);
	limg_blob_writer_close(w);
	return rc;
}

static int store_bytes(load_run *l, const char *text, char digest[80])
{
	member tmp = { 0 };
	int64_t size;
	int rc;

	tmp.data.ptr = (char *)text;
	tmp.data.size = strlen(text);
	rc = as_blob(l, &tmp, digest, &size);
	return rc;
}

static int add_found(load_run *l, const char *manifest, const char *config, cJSON *names)
{
	found_image *f;
	int rc;

	if ((rc = limg__array_grow((void **)&l->images, &l->capimages, l->nimages + 1, sizeof *l->images)) < 0)
		return rc;
	f = &l->images[l->nimages];
	if (!(f->manifest = strdup(manifest)) || (config && !(f->config = strdup(config)))) {
		free(f->manifest);
		return limg__error_oom();
	}
	if (!config)
		f->config = NULL;
	f->names = names;
	l->nimages++;
	return 0;
}

/* The media type of a stored layer, by its first bytes (legacy archives say nothing). */
static const char *layer_type_of(load_run *l, const char *digest)
{
	unsigned char head[8];
	ssize_t n = -1;
	int fd;

	if (limg__store_blob_open(&fd, l->store, digest) == 0) {
		n = pread(fd, head, sizeof head, 0);
		close(fd);
	}
	limg_error_clear();
	switch (n > 0 ? limg_compression_detect(head, (size_t)n) : LIMG_COMPRESSION_NONE) {
	case LIMG_COMPRESSION_GZIP: return LIMG_MEDIA_OCI_LAYER_GZIP;
	case LIMG_COMPRESSION_ZSTD: return LIMG_MEDIA_OCI_LAYER_ZSTD;
	default: return LIMG_MEDIA_OCI_LAYER;
	}
}

/* index.json's image manifest with this config and these layers, if any. */
static char *matching_oci_manifest(load_run *l, const cJSON *index, const char *config, char **layers, size_t n)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(index, "manifests")) {
		const cJSON *digest = cJSON_GetObjectItemCaseSensitive(d, "digest");
		limg_buf bytes = LIMG_BUF_INIT;
		limg_manifest *m = NULL;
		bool same = false;
		if (!cJSON_IsString(digest) || limg_store_blob_read(&bytes, l->store, digest->valuestring, LIMG_MANIFEST_SIZE_MAX) < 0 ||
		    limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL) < 0) {
			limg_error_clear();
			limg_buf_dispose(&bytes);
			continue;
		}
		if (limg_manifest_kind(m) == LIMG_MANIFEST_IMAGE &&
		    !strcmp(limg_descriptor_digest(limg_manifest_config(m)), config) && limg_manifest_count(m) == n) {
			same = true;
			for (size_t i = 0; i < n && same; i++)
				same = !strcmp(limg_descriptor_digest(limg_manifest_entry(m, i)), layers[i]);
		}
		limg_manifest_free(m);
		limg_buf_dispose(&bytes);
		if (same)
			return strdup(digest->valuestring);
	}
	return NULL;
}

/* One entry of Docker's manifest.json. */
static int docker_entry(load_run *l, const cJSON *entry, const cJSON *index, int at)
{
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(entry, "Config");
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(entry, "Layers");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(entry, "RepoTags"), *t;
	char cfg[80], manifest_digest[80], **layer_digests = NULL;
	int64_t cfg_size, *sizes = NULL;
	size_t n = 0;
	cJSON *names;
	char *found = NULL;
	int rc = 0;

	if (!cJSON_IsString(config) || !cJSON_IsArray(layers) || (tags && !cJSON_IsNull(tags) && !cJSON_IsArray(tags)))
		return limg__error_set(LIMG_ECORRUPT, "archive: manifest.json entry %d is not Config, RepoTags, Layers", at);
	{
		const member *m = find(l, config->valuestring);
		if (!m)
			return limg__error_set(LIMG_ECORRUPT, "archive: manifest.json names %.200s, which the archive does not hold",
			                       config->valuestring);
		if ((rc = as_blob(l, m, cfg, &cfg_size)) < 0)
			return rc;
	}
	n = (size_t)cJSON_GetArraySize(layers);
	if (n && (!(layer_digests = calloc(n, sizeof *layer_digests)) || !(sizes = calloc(n, sizeof *sizes)))) {
		free(layer_digests);
		return limg__error_oom();
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const cJSON *p = cJSON_GetArrayItem(layers, (int)i);
		const member *m = cJSON_IsString(p) ? find(l, p->valuestring) : NULL;
		char d[80];
		if (!m)
			rc = limg__error_set(LIMG_ECORRUPT, "archive: manifest.json names layer %.200s, which the archive does not hold",
			                     cJSON_IsString(p) ? p->valuestring : "(not a string)");
		else if ((rc = as_blob(l, m, d, &sizes[i])) == 0 && !(layer_digests[i] = strdup(d)))
			rc = limg__error_oom();
	}
	if (rc == 0 && index && (found = matching_oci_manifest(l, index, cfg, layer_digests, n))) {
		snprintf(manifest_digest, sizeof manifest_digest, "%s", found);
	} else if (rc == 0) {
		/* the legacy format has no manifest: one is made, as docker load makes one */
		cJSON *doc = cJSON_CreateObject(), *c, *ls;
		char *text;
		cJSON_AddNumberToObject(doc, "schemaVersion", 2);
		cJSON_AddStringToObject(doc, "mediaType", LIMG_MEDIA_OCI_MANIFEST);
		c = cJSON_AddObjectToObject(doc, "config");
		cJSON_AddStringToObject(c, "mediaType", LIMG_MEDIA_OCI_CONFIG);
		cJSON_AddStringToObject(c, "digest", cfg);
		cJSON_AddNumberToObject(c, "size", (double)cfg_size);
		ls = cJSON_AddArrayToObject(doc, "layers");
		for (size_t i = 0; i < n; i++) {
			cJSON *d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "mediaType", layer_type_of(l, layer_digests[i]));
			cJSON_AddStringToObject(d, "digest", layer_digests[i]);
			cJSON_AddNumberToObject(d, "size", (double)sizes[i]);
			cJSON_AddItemToArray(ls, d);
		}
		text = cJSON_PrintUnformatted(doc);
		cJSON_Delete(doc);
		rc = text ? store_bytes(l, text, manifest_digest) : limg__error_oom();
		free(text);
	}
	free(found);
	for (size_t i = 0; i < n; i++)
		free(layer_digests[i]);
	free(layer_digests);
	free(sizes);
	if (rc < 0)
		return rc;
	names = cJSON_CreateArray();
	if (cJSON_IsArray(tags))
		cJSON_ArrayForEach(t, tags) {
			/* repository:tag, as moby, podman and skopeo read RepoTags: no tag (or a digest) is refused */
			limg_reference *r = NULL;
			bool ok = cJSON_IsString(t) && limg_reference_parse_normalized(&r, t->valuestring) == 0 &&
			          limg_reference_tag(r) && !limg_reference_digest(r);
			limg_reference_free(r);
			if (!ok) {
				char q[300];
				limg__quote(q, sizeof q, cJSON_IsString(t) ? t->valuestring : "(not a string)",
				            strlen(cJSON_IsString(t) ? t->valuestring : "(not a string)"));
				cJSON_Delete(names);
				return limg__error_set(LIMG_ECORRUPT, "archive: manifest.json entry %d: invalid tag %s (RepoTags "
				                                      "are repository:tag)", at, q);
			}
			cJSON_AddItemToArray(names, cJSON_CreateString(t->valuestring));
		}
	return add_found(l, manifest_digest, cfg, names);
}

/* index.json of an oci-archive: each entry, named by its annotations. */
static int oci_entries(load_run *l, const cJSON *index)
{
	const cJSON *d;
	int rc;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(index, "manifests")) {
		const cJSON *digest = cJSON_GetObjectItemCaseSensitive(d, "digest");
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(d, "annotations");
		const cJSON *full = cJSON_GetObjectItemCaseSensitive(ann, "io.containerd.image.name");
		const cJSON *ref = cJSON_GetObjectItemCaseSensitive(ann, "org.opencontainers.image.ref.name");
		cJSON *names = cJSON_CreateArray();
		if (!cJSON_IsString(digest)) {
			cJSON_Delete(names);
			return limg__error_set(LIMG_ECORRUPT, "archive: index.json has an entry without a digest");
		}
		/* a full name; else a ref.name that is one (podman's); a bare tag names nothing here */
		if (cJSON_IsString(full))
			cJSON_AddItemToArray(names, cJSON_CreateString(full->valuestring));
		else if (cJSON_IsString(ref) && strpbrk(ref->valuestring, "/") && strchr(ref->valuestring, ':'))
			cJSON_AddItemToArray(names, cJSON_CreateString(ref->valuestring));
		if ((rc = add_found(l, digest->valuestring, NULL, names)) < 0) {
			cJSON_Delete(names);
			return rc;
		}
	}
	return 0;
}

/* ---- checks ---------------------------------------------------------------- */

struct layer_check {
	char *digest, *diff_id;
	int compression;
};

static int add_check(load_run *l, const limg_descriptor *d, const char *diff_id)
{
	int comp = limg_compression_from_media_type(limg_descriptor_media_type(d));
	struct layer_check *c;
	int rc;

	if ((rc = limg__array_grow((void **)&l->checks, &l->capchecks, l->nchecks + 1, sizeof *l->checks)) < 0)
		return rc;
	if (comp < 0 || comp == LIMG_COMPRESSION_UNKNOWN)
		return limg__error_set(LIMG_EUNSUPPORTED, "archive: layer %s has media type %s", limg_descriptor_digest(d),
		                       limg_descriptor_media_type(d) ? limg_descriptor_media_type(d) : "(none)");
	c = &l->checks[l->nchecks];
	if (!(c->digest = strdup(limg_descriptor_digest(d))) || !(c->diff_id = strdup(diff_id))) {
		free(c->digest);
		return limg__error_oom();
	}
	c->compression = comp;
	l->nchecks++;
	return 0;
}

static int check_image(load_run *l, const char *digest, int depth, char **id);

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
	if ((rc = limg_store_blob_read(&bytes, l->store, limg_descriptor_digest(d), LIMG_MANIFEST_SIZE_MAX)) < 0) {
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
	if (limg__image_state(l->store, m, &bad, &stored) != LIMG_IMAGE_COMPLETE) {
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

/* An index at the top of an image: the platform asked for (or this
 * machine's, else the first) must be whole; the others are checked when
 * whole and kept as they are when not (`skopeo copy --all` leaves foreign
 * layers out), as podman loads them. *@id learns the chosen image's ID. */
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
	if (id && !*id && !(*id = strdup(chosen_id)))
		return limg__error_oom();
	return 0;
}

/* An image manifest: its config and layers stored, its diff_ids to check;
 * *@id (when NULL so far) learns the image ID. */
static int check_image(load_run *l, const char *digest, int depth, char **id)
{
	limg_buf bytes = LIMG_BUF_INIT, cfg_bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	limg_config *cfg = NULL;
	int64_t size;
	int rc;

	if ((rc = limg_store_blob_read(&bytes, l->store, digest, LIMG_MANIFEST_SIZE_MAX)) < 0) {
		rc = rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "archive: manifest %s is not in it", digest) : rc;
		goto out;
	}
	if ((rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL)) < 0) {
		limg__error_prefix("archive: manifest %s", digest);
		goto out;
	}
	if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX) {
		if (depth > 0) {
			rc = limg__error_set(LIMG_EMANIFEST, "archive: index %s holds an index", digest);
			goto out;
		}
		rc = check_index(l, m, digest, id);
		goto out;
	}
	if (depth == 0 && id && !*id && !(*id = strdup(limg_descriptor_digest(limg_manifest_config(m))))) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = limg_store_blob_read(&cfg_bytes, l->store, limg_descriptor_digest(limg_manifest_config(m)),
	                               LIMG_MANIFEST_SIZE_MAX)) < 0 ||
	    (rc = limg_config_parse(&cfg, cfg_bytes.ptr, cfg_bytes.size)) < 0) {
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
		if (limg_store_blob_stat(&size, l->store, limg_descriptor_digest(d)) < 0)
			rc = limg__error_set(LIMG_ECORRUPT, "archive: layer %s of %s is not in it", limg_descriptor_digest(d), digest);
		else if (size != limg_descriptor_size(d))
			rc = limg__error_set(LIMG_ECORRUPT, "archive: layer %s has %lld bytes, its manifest says %lld",
			                     limg_descriptor_digest(d), (long long)size, (long long)limg_descriptor_size(d));
		else
			rc = add_check(l, d, limg_config_diff_id(cfg, i));
	}
out:
	limg_config_free(cfg);
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	limg_buf_dispose(&cfg_bytes);
	return rc;
}

static int check_layer(size_t i, void *payload)
{
	load_run *l = payload;
	const struct layer_check *c = &l->checks[i];
	char got[160];
	int64_t size;
	int rc;

	if (c->compression == LIMG_COMPRESSION_NONE && !strcmp(c->digest, c->diff_id))
		return 0; /* an uncompressed layer is its own diff_id, and its digest was checked */
	for (size_t j = 0; j < i; j++)
		if (!strcmp(l->checks[j].digest, c->digest) && !strcmp(l->checks[j].diff_id, c->diff_id))
			return 0; /* (shared by images: once) */
	/* worked out while the archive was read, or known to the store from an earlier check */
	for (size_t k = 0; k < l->nmembers; k++) {
		const member *m = &l->members[k];
		if (m->diff_id && m->digest && !strcmp(m->digest, c->digest) && m->compression == c->compression) {
			if (strcmp(m->diff_id, c->diff_id) != 0)
				return limg__error_set(LIMG_EDIGEST_MISMATCH, "archive: layer %s unpacks to %s, but its config says %s",
				                       c->digest, m->diff_id, c->diff_id);
			return 0;
		}
	}
	if (limg__store_layer_info_get(l->store, c->digest, got, &size) == 0 && !strcmp(got, c->diff_id))
		return 0;
	rc = limg__diff_id_of_stored(l->store, c->digest, c->compression, c->diff_id, LIMG_LAYER_SIZE_MAX_DEFAULT, got,
	                             &size);
	if (rc == 0)
		limg__store_layer_info_put(l->store, c->digest, got, size);
	return rc;
}

static int tag_all(load_run *l)
{
	int rc;

	for (size_t i = 0; i < l->nimages; i++) {
		const found_image *f = &l->images[i];
		const cJSON *name;
		bool any = false;
		cJSON_ArrayForEach(name, f->names) {
			limg_reference *ref = NULL;
			if ((rc = limg_reference_parse_docker(&ref, name->valuestring)) < 0) {
				limg__error_prefix("archive: image name %.200s", name->valuestring);
				return rc;
			}
			rc = limg_tags_set(l->store, limg_reference_string(ref), f->manifest);
			if (rc == 0 && l->cb.loaded &&
			    (rc = l->cb.loaded(limg_reference_familiar_string(ref), f->config ? f->config : f->manifest,
			                       l->cb.payload)) != 0)
				rc = limg__error_after_callback(rc, "load");
			limg_reference_free(ref);
			if (rc != 0)
				return rc;
			any = true;
		}
		if (!any) {
			/* no name: kept as an untagged image, as docker load does */
			if ((rc = limg__tags_keep_untagged(l->store, f->manifest, NULL)) < 0)
				return rc;
			if (l->cb.loaded && (rc = l->cb.loaded(NULL, f->config ? f->config : f->manifest, l->cb.payload)) != 0)
				return limg__error_after_callback(rc, "load");
		}
	}
	return 0;
}

/* The format `docker save` wrote before Docker 1.10: a repositories file and
 * a directory per image (<id>/json, <id>/layer.tar), no manifest.json. */
static bool legacy(const load_run *l)
{
	bool repositories = false, layer = false;

	for (size_t i = 0; i < l->nmembers; i++) {
		const char *name = l->members[i].name, *slash = strrchr(name, '/');
		repositories |= !strcmp(name, "repositories");
		layer |= slash && !strcmp(slash + 1, "layer.tar");
	}
	return repositories || layer;
}

static int run(load_run *l)
{
	const member *mj, *ij;
	cJSON *manifest = NULL, *index = NULL;
	int rc;

	if ((rc = open_input(l)) < 0 || (rc = read_members(l)) < 0)
		return rc;
	/* the whole archive is read: its size is known now */
	if (l->cb.progress && (rc = l->cb.progress(NULL, LIMG_BLOB_NONE, LIMG_EVENT_READING, l->read_total,
	                                           l->read_total, NULL, l->cb.payload)) != 0)
		return limg__error_after_callback(rc, "load");
	mj = find(l, "manifest.json");
	ij = find(l, "index.json");
	if (ij && !(index = parse_small(ij, "index.json")))
		return LIMG_ECORRUPT;
	if (mj) {
		const cJSON *e;
		int at = 0;
		if (!(manifest = parse_small(mj, "manifest.json"))) {
			rc = LIMG_ECORRUPT;
			goto out;
		}
		if (!cJSON_IsArray(manifest)) {
			rc = limg__error_set(LIMG_ECORRUPT, "archive: manifest.json is not a list");
			goto out;
		}
		cJSON_ArrayForEach(e, manifest) if ((rc = docker_entry(l, e, index, at++)) < 0) goto out;
	} else if (index) {
		if ((rc = oci_entries(l, index)) < 0)
			goto out;
	} else if (legacy(l)) {
		rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_ARCHIVE, NULL,
		                           "this is a legacy docker save archive (repositories and <id>/layer.tar, no "
		                           "manifest.json: Docker before 1.10), which is not supported: load it with "
		                           "docker load and save it again with docker save (any Docker since 1.10)");
		goto out;
	} else {
		rc = limg__error_set(LIMG_ECORRUPT, "not an image archive: it has neither manifest.json nor index.json");
		goto out;
	}
	/* a manifest.json of [] (or an empty index.json) loads nothing, as docker load */
	for (size_t i = 0; i < l->nimages; i++)
		if ((rc = check_image(l, l->images[i].manifest, 0, &l->images[i].config)) < 0)
			goto out;
	if ((rc = limg__jobs_run(l->nchecks, 2, check_layer, l, l->o.cancel)) != 0)
		goto out;
	rc = tag_all(l);
out:
	cJSON_Delete(manifest);
	cJSON_Delete(index);
	return rc;
}

int limg_archive_load(limg_store *store, int fd, const limg_archive_load_opts *opts,
                      const limg_archive_load_callbacks *cb)
{
	load_run l;
	int rc;

	if (!store)
		return limg__error_invalid("store");
	memset(&l, 0, sizeof l);
	l.store = store;
	l.fd = fd;
	limg_archive_load_opts_init(&l.o, sizeof l.o);
	limg_archive_load_callbacks_init(&l.cb, sizeof l.cb);
	if ((rc = limg__opts_copy(&l.o, sizeof l.o, opts, "limg_archive_load_opts")) < 0 ||
	    (rc = limg__opts_copy(&l.cb, sizeof l.cb, cb, "limg_archive_load_callbacks")) < 0)
		return rc;
	if (fd < 0 && !l.cb.read)
		return limg__error_invalid("fd (or callbacks.read)");
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(l.in = malloc(READ_CHUNK)))
		rc = limg__error_oom();
	else if ((rc = limg__lease_new(&l.lease, store)) == 0)
		rc = run(&l);
	/* what the load found damaged is the archive (or a member of it) */
	if ((rc == LIMG_ECORRUPT || rc == LIMG_EMANIFEST) && limg_error_subject(limg_error_last()) == LIMG_SUBJECT_NONE)
		limg__error_about(LIMG_SUBJECT_ARCHIVE, NULL);
	for (size_t i = 0; i < l.nmembers; i++) {
		free(l.members[i].name);
		free(l.members[i].digest);
		free(l.members[i].link);
		free(l.members[i].diff_id);
		limg_buf_dispose(&l.members[i].data);
	}
	free(l.members);
	for (size_t i = 0; i < l.nimages; i++) {
		free(l.images[i].manifest);
		free(l.images[i].config);
		cJSON_Delete(l.images[i].names);
	}
	free(l.images);
	for (size_t i = 0; i < l.nchecks; i++) {
		free(l.checks[i].digest);
		free(l.checks[i].diff_id);
	}
	free(l.checks);
	limg_decompressor_free(l.dec);
	limg_buf_dispose(&l.out);
	free(l.in);
	limg__lease_free(l.lease);
	limg__store_leave(store);
	return rc;
}
