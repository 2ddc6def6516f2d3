/* SPDX-License-Identifier: MIT */
/**
 * @file cancel.h
 * @brief Cancelling calls from another thread.
 *
 * Create a token, give it in a call's options (`cancel`), and call
 * limg_cancel_request() from any thread (a signal handler too): the call
 * stops at its next check (within a fraction of a second, even while
 * waiting on the network or on a pipe), leaves everything consistent, and
 * returns LIMG_ECANCELLED. One token may serve several calls at once.
 */
#ifndef LIBIMAGE_CANCEL_H
#define LIBIMAGE_CANCEL_H

#include "common.h"

LIMG_BEGIN_DECL

/** A cancellation token; safe to use from several threads. @since 1.0 */
typedef struct limg_cancel limg_cancel;

/**
 * Creates a token.
 * @param out receives the token; free it with limg_cancel_free()
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_cancel_new(limg_cancel **out);

/** Frees a token; NULL is accepted. No call may still use it. @since 1.0 */
LIMG_EXTERN(void) limg_cancel_free(limg_cancel *cancel);

/** Asks every call using the token to stop; safe in a signal handler. @since 1.0 */
LIMG_EXTERN(void) limg_cancel_request(limg_cancel *cancel);

/** True (1) once cancellation was requested (of the token or of a parent). @since 1.0 */
LIMG_EXTERN(int) limg_cancel_requested(const limg_cancel *cancel);

/**
 * Makes @p child requested whenever @p parent is (as well as when it is
 * itself): one token for a call that two things may stop (a caller's token
 * and a Go context). Link before the token is in use; the parent must
 * outlive the child. At most 3 parents.
 * @return 0, LIMG_EINVALID (NULL, or a fourth parent)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_cancel_link(limg_cancel *child, const limg_cancel *parent);

LIMG_END_DECL

#endif /* LIBIMAGE_CANCEL_H */
