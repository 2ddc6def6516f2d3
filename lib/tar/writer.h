/* SPDX-License-Identifier: MIT */
/* Writing a tar archive (ustar; sizes past 8 GiB in GNU's base-256) to a
 * descriptor or to a caller's write callback. */
#ifndef LIMG_TAR_WRITER_H
#define LIMG_TAR_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "libimage/common.h"

typedef struct {
	int fd;              /* where the bytes go, when @write is NULL */
	limg_write_cb write; /* or through this (what it returns to stop follows errors.h) */
	void *payload;
	int64_t written;
} limg__tar_writer;

/* A directory entry ("blobs/sha256/"). */
int limg__tar_dir(limg__tar_writer *t, const char *name);
/* A regular file's header; its @size bytes follow through limg__tar_data. */
int limg__tar_file_header(limg__tar_writer *t, const char *name, int64_t size);
int limg__tar_data(limg__tar_writer *t, const void *data, size_t len);
/* The padding after a file's @size bytes. */
int limg__tar_pad(limg__tar_writer *t, int64_t size);
/* A whole small file. */
int limg__tar_file(limg__tar_writer *t, const char *name, const void *data, size_t len);
/* The two zero blocks that end an archive. */
int limg__tar_finish(limg__tar_writer *t);

#endif
