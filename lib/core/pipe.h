/* SPDX-License-Identifier: MIT */
/*
 * A bounded pipe between two threads, for readers that pull (libarchive):
 * the writer's bytes are copied into a few fixed slots (waiting while all
 * are full); the reader borrows one slot at a time. Either side can end it:
 * the writer with its result (an error is carried to the reader), the
 * reader by walking away (the writer's next write fails).
 */
#ifndef LIMG_CORE_PIPE_H
#define LIMG_CORE_PIPE_H

#include <stddef.h>
#include <sys/types.h>

typedef struct limg__pipe limg__pipe;

int limg__pipe_new(limg__pipe **out, size_t slots, size_t slot_size);
/* 0, or LIMG_ECANCELLED (not raised) when the reader has gone. */
int limg__pipe_write(limg__pipe *p, const void *data, size_t len);
/* The writer is done: @rc 0 means the end of the stream; anything else is
 * a failure, its error (the thread's last) carried to the reader. */
void limg__pipe_finish(limg__pipe *p, int rc);
/* The next bytes (valid until the next read): their length, 0 at the end,
 * or the writer's failure code with its error restored. */
ssize_t limg__pipe_read(limg__pipe *p, const void **data);
/* The reader stops reading. */
void limg__pipe_abandon(limg__pipe *p);
void limg__pipe_free(limg__pipe *p);

#endif
