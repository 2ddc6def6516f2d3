/* SPDX-License-Identifier: MIT */
/* Whether the store holds an image whole, and the error that says why not. */
#ifndef LIMG_IMAGES_COMPLETE_H
#define LIMG_IMAGES_COMPLETE_H

#include <stdint.h>

#include "libimage/images.h"
#include "libimage/manifest.h"
#include "libimage/store.h"

/* The limg_image_state of @image's config and layers: a foreign layer not
 * stored leaves it INCOMPLETE; any other blob missing, or of another size
 * than its descriptor's, DAMAGED. *@bad (may be NULL) receives the first such
 * descriptor, *@stored (may be NULL) its stored size (-1: missing). No error
 * is left raised. */
int limg__image_state(limg_store *s, const limg_manifest *image, const limg_descriptor **bad, int64_t *stored);

/* 0 when the store holds @image whole; else the error naming the layer (or
 * config) that is missing or damaged: LIMG_ENOTFOUND (subject BLOB) or
 * LIMG_ECORRUPT (subject BLOB); LIMG_EUNSUPPORTED (subject IMAGE) for an
 * artifact, which is no image. @id names the image in the message. */
int limg__image_check_whole(limg_store *s, const limg_manifest *image, const char *id);

/* limg__image_check_whole() without the artifact check: of what an inspection
 * shows, only whether its blobs are all stored, at their sizes. */
int limg__image_check_stored(limg_store *s, const limg_manifest *image, const char *id);

#endif
