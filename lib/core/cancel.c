/* Cancellation tokens: one atomic flag, set from any thread. */
#include <stdatomic.h>
#include <stdlib.h>

#include "core.h"
#include "libimage/cancel.h"

struct limg_cancel {
	atomic_int requested;
	const limg_cancel *parent; /* set before any thread uses the token */
};

int limg_cancel_new(limg_cancel **out)
{
	if (!out)
		return limg__error_invalid("out");
	if (!(*out = malloc(sizeof **out)))
		return limg__error_oom();
	atomic_init(&(*out)->requested, 0);
	(*out)->parent = NULL;
	return 0;
}

void limg_cancel_free(limg_cancel *c)
{
	free(c);
}

void limg_cancel_request(limg_cancel *c)
{
	if (c)
		atomic_store(&c->requested, 1);
}

int limg_cancel_requested(const limg_cancel *c)
{
	if (!c)
		return 0;
	return atomic_load(&((limg_cancel *)c)->requested) || limg_cancel_requested(c->parent);
}

void limg__cancel_link(limg_cancel *child, const limg_cancel *parent)
{
	child->parent = parent;
}
