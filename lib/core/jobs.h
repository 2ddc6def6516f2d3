/* SPDX-License-Identifier: MIT */
/*
 * Independent jobs on a few threads: each thread takes the next job until
 * none are left or one failed (which requests @stop, so that the others
 * stop at their next check). The first real failure is returned with its
 * error, not the cancellations it caused.
 */
#ifndef LIMG_CORE_JOBS_H
#define LIMG_CORE_JOBS_H

#include <stddef.h>

#include "libimage/cancel.h"

typedef int (*limg__job_fn)(size_t index, void *payload);

int limg__jobs_run(size_t n, int threads, limg__job_fn fn, void *payload, limg_cancel *stop);

#endif
