/* SPDX-License-Identifier: MIT */
/*
 * Stored blobs checked against their digests ahead of the one writing them
 * out: a thread of its own hashes blob i+1 while the caller copies blob i,
 * so that a save costs about the longer of hashing and copying, not both,
 * and no byte of a blob goes out before its digest was checked.
 */
#ifndef LIMG_ARCHIVE_AHEAD_H
#define LIMG_ARCHIVE_AHEAD_H

#include <stddef.h>
#include <sys/stat.h>

#include "store/store_internal.h"

typedef struct limg__ahead limg__ahead;

/* Starts checking the @n blobs of @digests, in order (the strings must
 * outlive the checker). Without a thread to be had, take() checks. */
int limg__ahead_start(limg__ahead **out, limg_store *s, const char *const *digests, size_t n,
                      const limg_cancel *cancel);
/* Waits for blob @i (taken in order): 0 with its open descriptor (the
 * caller's to close) and what fstat said before it was hashed, or the error
 * that blob met (LIMG_ECORRUPT naming a damaged one). */
int limg__ahead_take(limg__ahead *a, size_t i, int *fd, struct stat *st);
/* Stops the thread (NULL accepted), closing what was not taken. */
void limg__ahead_stop(limg__ahead *a);

#endif
