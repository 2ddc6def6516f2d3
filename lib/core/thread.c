/* SPDX-License-Identifier: MIT */
/* The threads libimage starts: they allocate as the call that started them
 * (see alloc.h), and carry names, so that top -H, perf and gdb say which
 * stage of a pull, push or unpack each one is. */
#include <errno.h>
#include <pthread.h>

#include "alloc.h"
#include "core.h"

struct start {
	void *(*fn)(void *);
	void *arg;
	const limg_allocator *allocator;
};

static void *started(void *arg)
{
	struct start s = *(struct start *)arg;

	limg__free(arg);
	limg__allocator_swap(s.allocator);
	return s.fn(s.arg);
}

int limg__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	struct start *s;
	int rc;

	if (!(s = limg__malloc(sizeof *s)))
		return ENOMEM;
	s->fn = fn;
	s->arg = arg;
	s->allocator = limg__allocator_current();
	if ((rc = pthread_create(thread, NULL, started, s)) != 0)
		limg__free(s);
	return rc;
}

void limg__thread_name(const char *name)
{
	/* at most 15 bytes on Linux; a failure only costs the name */
	(void)pthread_setname_np(pthread_self(), name);
}
