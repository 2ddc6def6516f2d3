/* SPDX-License-Identifier: MIT */
/* Names for the threads libimage starts, so that top -H, perf and gdb say
 * which stage of a pull, push or unpack each one is. */
#include <pthread.h>

#include "core.h"

void limg__thread_name(const char *name)
{
	/* at most 15 bytes on Linux; a failure only costs the name */
	(void)pthread_setname_np(pthread_self(), name);
}
