/* SPDX-License-Identifier: MIT */
/* Writing a tar archive (ustar; sizes past 8 GiB in GNU's base-256) to a
 * descriptor or to a caller's write callback. A pipe or a socket is never
 * written with a call that can block: a pipe through a non-blocking
 * description of its own (the caller's stays as it is), a socket with
 * MSG_DONTWAIT, both waited on with poll() and a short timeout, so that a
 * reader that stopped never keeps the writer from its cancel token. */
#ifndef LIMG_TAR_WRITER_H
#define LIMG_TAR_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "libimage/cancel.h"
#include "libimage/common.h"

typedef struct {
	int fd;              /* where the bytes go, when @write is NULL */
	limg_write_cb write; /* or through this (what it returns to stop follows errors.h) */
	void *payload;
	const limg_cancel *cancel; /* stops a write that waits (a full pipe); may be NULL */
	int64_t written;
	int kind;            /* (the writer's own: what @fd is, learnt at the first write) */
	int own_fd;          /* (a non-blocking description of the pipe, or -1) */
} limg__tar_writer;

/* Releases what the writer opened for itself (call once it is done). */
void limg__tar_writer_dispose(limg__tar_writer *t);

/* A directory entry ("blobs/sha256/"). */
int limg__tar_dir(limg__tar_writer *t, const char *name);
/* A regular file's header; its @size bytes follow through limg__tar_data. */
int limg__tar_file_header(limg__tar_writer *t, const char *name, int64_t size);
int limg__tar_data(limg__tar_writer *t, const void *data, size_t len);
struct limg_cancel;
/* @len bytes of the file @fd (from its start) as the current file's data:
 * copied by the kernel when the archive goes to a descriptor, else read
 * into @buf (@cap bytes) for the callback; stops on @cancel (tar/copy.c). */
int limg__tar_data_from(limg__tar_writer *t, int fd, int64_t len, void *buf, size_t cap,
                        const struct limg_cancel *cancel);
/* The padding after a file's @size bytes. */
int limg__tar_pad(limg__tar_writer *t, int64_t size);
/* A whole small file. */
int limg__tar_file(limg__tar_writer *t, const char *name, const void *data, size_t len);
/* The two zero blocks that end an archive. */
int limg__tar_finish(limg__tar_writer *t);

#endif
