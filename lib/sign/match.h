/* SPDX-License-Identifier: MIT */
/* signedIdentity matching (containers/image's policy_reference_match.go). */
#ifndef LIMG_SIGN_MATCH_H
#define LIMG_SIGN_MATCH_H

#include <stdbool.h>

#include "libimage/reference.h"
#include "sign_internal.h"

/* Whether a signature claiming @signed_identity satisfies @id for @intended
 * (the image being admitted: a reference with a tag or a digest). */
bool limg__identity_matches(const limg__identity *id, const limg_reference *intended, const char *signed_identity);
/* remapIdentity: @intended with @prefix rewritten to @signed_prefix when its
 * name has that prefix (else unchanged); NULL when the result is no valid
 * reference in its full form. */
limg_reference *limg__identity_remap(const limg_reference *intended, const char *prefix, const char *signed_prefix);
/* The policy's name of an identity type ("matchRepository"). */
const char *limg__identity_name(int type);

#endif
