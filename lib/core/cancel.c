/* SPDX-License-Identifier: MIT */
/* Cancellation tokens: one atomic flag, set from any thread, plus links to
 * parent tokens. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core.h"
#include "libimage/cancel.h"

#define PARENTS_MAX 3

struct limg_cancel {
	atomic_int requested;
	const limg_cancel *parents[PARENTS_MAX]; /* set before any thread uses the token */
};

int limg_cancel_new(limg_cancel **out)
{
	if (!out)
		return limg__error_invalid("out");
	if (!(*out = limg__calloc(1, sizeof **out)))
		return limg__error_oom();
	atomic_init(&(*out)->requested, 0);
	return 0;
}

void limg_cancel_free(limg_cancel *c)
{
	limg__free(c);
}

void limg_cancel_request(limg_cancel *c)
{
	if (c)
		atomic_store(&c->requested, 1);
}

int64_t limg__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int limg_cancel_requested(const limg_cancel *c)
{
	if (!c)
		return 0;
	if (atomic_load(&((limg_cancel *)c)->requested))
		return 1;
	for (int i = 0; i < PARENTS_MAX && c->parents[i]; i++)
		if (limg_cancel_requested(c->parents[i]))
			return 1;
	return 0;
}

int limg_cancel_link(limg_cancel *child, const limg_cancel *parent)
{
	if (!child || !parent || child == parent)
		return limg__error_invalid("child, parent");
	for (int i = 0; i < PARENTS_MAX; i++)
		if (!child->parents[i] || child->parents[i] == parent) {
			child->parents[i] = parent;
			return 0;
		}
	return limg__error_set(LIMG_EINVALID, "a cancellation token can follow at most %d others", PARENTS_MAX);
}

int limg__cancel_follow(limg_cancel *child, const limg_cancel *parent)
{
	return parent ? limg_cancel_link(child, parent) : 0;
}
