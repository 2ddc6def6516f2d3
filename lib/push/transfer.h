/* SPDX-License-Identifier: MIT */
/*
 * What a push and a copy share: the plan of a transfer (the blobs to send,
 * once each, and the manifests, children first), its progress events
 * (handed to the caller one at a time, uploads throttled to one per MiB),
 * and the manifests put bottom-up with the tag last.
 */
#ifndef LIMG_PUSH_TRANSFER_H
#define LIMG_PUSH_TRANSFER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/strset.h"
#include "libimage/reference.h"
#include "libimage/registry.h"
#include "libimage/sign.h"

typedef struct {
	char *digest;
	int64_t size;
	int kind; /* limg_blob_kind */
} limg__xfer_blob;

typedef struct {
	char *digest, *media_type;
	limg_buf bytes;
} limg__xfer_doc;

typedef struct {
	limg__xfer_blob *blobs;
	size_t nblobs, capblobs;
	limg__strset seen;
	limg__xfer_doc *docs; /* children first, the top last */
	size_t ndocs, capdocs;
	limg_progress_cb progress;
	void *payload;
	const char *what;     /* "push", "copy": named when the callback stops it */
	pthread_mutex_t lock;
} limg__transfer;

void limg__transfer_init(limg__transfer *t, limg_progress_cb progress, void *payload, const char *what);
void limg__transfer_dispose(limg__transfer *t);

/* A blob to send (once, however many manifests name it). 0, or LIMG_ENOMEM. */
int limg__transfer_add_blob(limg__transfer *t, const char *digest, int64_t size, int kind);
/* A manifest to put after the blobs, in the order added (the top last); its bytes are copied. */
int limg__transfer_add_doc(limg__transfer *t, const char *digest, const char *media_type, const void *bytes,
                           size_t len);
/* Drops the first @n documents (a copy of one platform keeps only its image). */
void limg__transfer_drop_docs(limg__transfer *t, size_t n);
/* Moves the first document to the end (an index gathered before its children). */
void limg__transfer_top_last(limg__transfer *t);

/* One event to the caller (serialized). 0, or what the callback returned to stop (errors.h). */
int limg__transfer_report(limg__transfer *t, const char *digest, int kind, int event, int64_t done, int64_t total,
                          const char *detail);
/* Upload progress of one blob, every MiB and at its end; *@reported keeps where it was last told. */
int limg__transfer_uploading(limg__transfer *t, int64_t *reported, const limg__xfer_blob *b, int64_t done);

/* The waiting events of every blob, before the workers start. */
int limg__transfer_waiting(limg__transfer *t);

/* Puts the documents into @dst's repository at @to: the children by digest,
 * then the top under @dst's tag (or digest), unless the registry has it at
 * that digest already; *@out_digest (may be NULL) receives the top's digest. */
int limg__transfer_put_manifests(limg__transfer *t, limg_registry *to, const limg_reference *dst,
                                 const limg_cancel *cancel, limg_buf *out_digest);

/* After the manifests: signs the top document (and, @recursive, the others)
 * in @dst's repository with the identity @identity (NULL: @dst in full). */
int limg__transfer_sign(limg__transfer *t, limg_registry *to, const limg_reference *dst, const limg_signer *signer,
                        int format, const char *identity, bool recursive, const limg_cancel *cancel);

#endif
