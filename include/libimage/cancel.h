/*
 * libimage: cancelling long operations from another thread.
 *
 * Create a token, pass it in an operation's options, and call
 * limg_cancel_request() from any thread: the operation stops at its next
 * check (within a fraction of a second, even while waiting on the network),
 * leaves everything consistent, and returns LIMG_ECANCELLED.
 */
#ifndef LIBIMAGE_CANCEL_H
#define LIBIMAGE_CANCEL_H

#include "common.h"

LIMG_BEGIN_DECL

/** A cancellation token; safe to use from several threads. @since 0.1 */
typedef struct limg_cancel limg_cancel;

/** Creates a token. @return 0, LIMG_EINVALID, LIMG_ENOMEM. @since 0.1 */
LIMG_EXTERN(int) limg_cancel_new(limg_cancel **out);

/** Frees a token; NULL is accepted. No operation may still use it. @since 0.1 */
LIMG_EXTERN(void) limg_cancel_free(limg_cancel *cancel);

/** Asks every operation using the token to stop. @since 0.1 */
LIMG_EXTERN(void) limg_cancel_request(limg_cancel *cancel);

/** True (1) once cancellation was requested. @since 0.1 */
LIMG_EXTERN(int) limg_cancel_requested(const limg_cancel *cancel);

/**
 * Makes @p child requested whenever @p parent is (as well as when it is
 * itself): one token for an operation that two things may stop (a caller's
 * token and a store's closing, a Go context). Link before the token is in
 * use; the parent must outlive the child. At most 3 parents.
 * @return 0, LIMG_EINVALID
 * @since 0.2
 */
LIMG_EXTERN(int) limg_cancel_link(limg_cancel *child, const limg_cancel *parent);

LIMG_END_DECL

#endif /* LIBIMAGE_CANCEL_H */
