/* SPDX-License-Identifier: MIT */
/*
 * The bytes of an archive being loaded: from a descriptor (a file, a pipe,
 * a socket) or the caller's read callback; gzip and zstd around the tar
 * are taken off by our own decompressor; libarchive pulls what it needs
 * through limg__input_open_archive().
 */
#ifndef LIMG_ARCHIVE_INPUT_H
#define LIMG_ARCHIVE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "libimage/archive.h"
#include "libimage/compress.h"
#include "tar/reader.h"

typedef struct {
	int fd;                              /* or -1: cb->read */
	const limg_archive_load_callbacks *cb;
	const limg_cancel *cancel;
	int64_t read_total, reported;
	int stopped;                         /* what stopped the reading (a callback, the token), and its error */
	limg__error_copy stopped_error;
	limg_decompressor *dec;
	unsigned char *in;
	limg_buf out;                        /* decompressed bytes not yet handed to libarchive */
	bool in_eof;
	unsigned char head[8];
	size_t head_len, head_given;
} limg__input;

/* Starts reading: peeks at the first bytes for gzip or zstd. */
int limg__input_open(limg__input *in, int fd, const limg_archive_load_callbacks *cb, const limg_cancel *cancel);
/* A libarchive reader over the input (tar only): *@out, or an error raised. */
int limg__input_open_archive(struct archive **out, limg__input *in);
/* The error that stopped the reading, restored as the last error (0 when nothing stopped it). */
int limg__input_stopped(limg__input *in);
void limg__input_dispose(limg__input *in);

#endif
