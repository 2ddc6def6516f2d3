/* SPDX-License-Identifier: MIT */
/*
 * An image in skopeo's `dir:` layout to a registry (`skopeo sync --src
 * dir`): manifest.json, each blob under its hex digest, an index's images
 * as HEX.manifest.json. The directory is another program's: every file is
 * opened beneath it without following links, must be a regular file of
 * the size its descriptor says, and is hashed as it goes out; a blob whose
 * bytes are not its digest fails before its upload is committed (the read
 * that would give its last bytes fails instead), and no manifest is put
 * before all it names is at the registry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy_internal.h"
#include "core/core.h"
#include "core/fs.h"
#include "libimage/bounds.h"
#include "libimage/digest.h"
#include "libimage/manifest.h"
#include "libimage/registry.h"

typedef struct {
	int fd;
	limg_hasher *h;
	const char *digest;
	const char *label;
	int64_t left;
	limg_cancel *cancel;
} blob_read;

static int read_blob(size_t *got, void *buf, size_t cap, void *payload)
{
	blob_read *b = payload;
	ssize_t n;

	*got = 0;
	if (limg_cancel_requested(b->cancel))
		return limg__error_set(LIMG_ECANCELLED, "cancelled");
	if (b->left == 0)
		return 0;
	if ((int64_t)cap > b->left)
		cap = (size_t)b->left;
	do
		n = read(b->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return limg__fs_error("cannot read", b->label);
	if (n == 0)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, b->digest, "%s ended %lld bytes early",
		                             b->label, (long long)b->left);
	limg_hasher_update(b->h, buf, (size_t)n);
	b->left -= n;
	/* the last bytes go only when all of them are the digest: else the upload is never finished */
	if (b->left == 0 && limg_hasher_verify(b->h, b->digest) != 0)
		return limg__error_set_about(LIMG_EDIGEST_MISMATCH, LIMG_SUBJECT_BLOB, b->digest, "%s does not hash to %s",
		                             b->label, b->digest);
	*got = (size_t)n;
	return 0;
}

/* A broken upload goes on at @offset: the bytes before it hashed again from the file. */
static int seek_blob(int64_t offset, void *payload)
{
	blob_read *b = payload;
	int64_t size;
	char buf[65536];
	struct stat st;

	if (fstat(b->fd, &st) < 0 || offset < 0 || offset > st.st_size || lseek(b->fd, 0, SEEK_SET) < 0 ||
	    limg_hasher_reset(b->h) < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot go back in %s", b->label);
	for (size = offset; size > 0;) {
		ssize_t n = read(b->fd, buf, size < (int64_t)sizeof buf ? (size_t)size : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return limg__error_set(LIMG_ESYSTEM, "cannot read %s again", b->label);
		limg_hasher_update(b->h, buf, (size_t)n);
		size -= n;
	}
	b->left = st.st_size - offset;
	return 0;
}

/* The blob @d from its file beneath @dir, unless the registry has it. */
static int put_blob(limg_registry *to, const char *repo, int dir, const char *dir_label, const limg_descriptor *d,
                    limg_cancel *cancel, int64_t *bytes)
{
	limg_registry_upload_opts uo = LIMG_REGISTRY_UPLOAD_OPTS_INIT;
	limg_registry_upload_callbacks ucb = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;
	const char *digest = limg_descriptor_digest(d);
	int64_t size = limg_descriptor_size(d);
	char label[4400];
	blob_read b = { -1, NULL, digest, label, size, cancel };
	struct stat st;
	int result = 0, rc;

	if (strncmp(digest, "sha256:", 7) != 0)
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_BLOB, digest,
		                             "blob %s: a dir: layout names blobs by their sha256 only", digest);
	snprintf(label, sizeof label, "%s/%s", dir_label, digest + 7);
	if ((rc = limg__fs_open_regular_at(&b.fd, dir, digest + 7, label)) < 0)
		return rc == LIMG_ENOTFOUND ? limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest,
		                                                    "%s is not there: the image is incomplete", label)
		                            : rc;
	if (fstat(b.fd, &st) < 0 || st.st_size != size) {
		close(b.fd);
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, digest,
		                             "%s has %lld bytes, its descriptor says %lld", label, (long long)st.st_size,
		                             (long long)size);
	}
	if ((rc = limg_hasher_new(&b.h, LIMG_DIGEST_SHA256)) == 0) {
		uo.cancel = cancel;
		ucb.read = read_blob;
		ucb.seek = seek_blob;
		ucb.payload = &b;
		rc = limg_registry_blob_upload(&result, to, repo, digest, size, &uo, &ucb);
	}
	limg_hasher_free(b.h);
	close(b.fd);
	if (rc == 0 && b.left == 0)
		*bytes += size; /* sent, not found there */
	return rc;
}

/* The blobs of the image manifest @m, then @m itself at @reference. */
static int put_image(limg_registry *to, const char *repo, int dir, const char *label, const limg_manifest *m,
                     const void *text, size_t len, const char *reference, limg_cancel *cancel, int64_t *bytes,
                     limg_buf *out)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	int rc;

	if ((rc = put_blob(to, repo, dir, label, limg_manifest_config(m), cancel, bytes)) < 0)
		return rc;
	for (size_t i = 0; i < limg_manifest_count(m); i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		const char *digest = limg_descriptor_digest(d);
		if (limg_descriptor_is_foreign(d) && strlen(digest) > 7 &&
		    faccessat(dir, digest + 7, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* a foreign layer the layout left out, as skopeo leaves it */
		if ((rc = put_blob(to, repo, dir, label, d, cancel, bytes)) < 0)
			return rc;
	}
	co.cancel = cancel;
	return limg_registry_manifest_put(out, to, repo, reference, limg_manifest_media_type(m), text, len, &co);
}

int limg__copy_from_dir(limg_registry *to, const char *repo, const char *tag, int dir, const char *label,
                        const limg_buf *text, limg_cancel *cancel, int64_t *bytes)
{
	limg_buf sub = LIMG_BUF_INIT, put = LIMG_BUF_INIT;
	limg_manifest *m = NULL, *child = NULL;
	char name[4400];
	int rc;

	*bytes = 0;
	if ((rc = limg_manifest_parse(&m, text->ptr, text->size, NULL)) < 0)
		goto out;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX) {
		/* each image by its digest first: the index names them */
		for (size_t i = 0; rc == 0 && i < limg_manifest_count(m); i++) {
			const char *digest = limg_descriptor_digest(limg_manifest_entry(m, i));
			char file[96];
			if (strncmp(digest, "sha256:", 7) != 0) {
				rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_MANIFEST, digest,
				                           "%s: a dir: layout names images by their sha256 only", digest);
				break;
			}
			snprintf(file, sizeof file, "%s.manifest.json", digest + 7);
			snprintf(name, sizeof name, "%s/%s", label, file);
			limg_buf_dispose(&sub);
			limg_manifest_free(child);
			child = NULL;
			if ((rc = limg__fs_read_at(&sub, dir, file, LIMG_MANIFEST_SIZE_MAX, name)) < 0) {
				if (rc == LIMG_ENOTFOUND)
					rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_MANIFEST, digest,
					                           "%s is not there: the index's images were not all copied "
					                           "(skopeo sync --all writes them)", name);
				break;
			}
			if ((rc = limg_digest_verify(digest, sub.ptr, sub.size)) < 0 ||
			    (rc = limg_manifest_parse(&child, sub.ptr, sub.size, NULL)) < 0)
				break;
			if (limg_manifest_kind(child) != LIMG_MANIFEST_IMAGE) {
				rc = limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, digest,
				                           "%s is not an image manifest", name);
				break;
			}
			limg_buf_dispose(&put);
			rc = put_image(to, repo, dir, label, child, sub.ptr, sub.size, digest, cancel, bytes, &put);
		}
		if (rc == 0) {
			limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
			co.cancel = cancel;
			limg_buf_dispose(&put);
			rc = limg_registry_manifest_put(&put, to, repo, tag, limg_manifest_media_type(m), text->ptr, text->size,
			                                &co);
		}
	} else {
		rc = put_image(to, repo, dir, label, m, text->ptr, text->size, tag, cancel, bytes, &put);
	}
out:
	limg_manifest_free(child);
	limg_manifest_free(m);
	limg_buf_dispose(&put);
	limg_buf_dispose(&sub);
	return rc;
}
