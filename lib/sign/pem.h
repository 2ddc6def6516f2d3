/* SPDX-License-Identifier: MIT */
/* PEM armour: the first "-----BEGIN <label>-----" block of a text. */
#ifndef LIMG_SIGN_PEM_H
#define LIMG_SIGN_PEM_H

#include <stdbool.h>
#include <stddef.h>

#include "libimage/common.h"

/* True when @data starts (after whitespace) with a PEM header. */
bool limg__pem_is(const void *data, size_t len);
/* The block's label into @label and its decoded body into @der. 0, or
 * LIMG_EINVALID (not raised) when there is no well-formed block. */
int limg__pem_decode(char *label, size_t cap, limg_buf *der, const void *data, size_t len);

#endif
