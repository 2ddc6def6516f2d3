/* SPDX-License-Identifier: MIT */
/* What a stored layer unpacks to: its uncompressed digest (the config's
 * diff_id) and size, for listings of images another tool stored. */
#ifndef LIMG_IMAGES_DIFF_ID_H
#define LIMG_IMAGES_DIFF_ID_H

#include <stdint.h>

#include "libimage/store.h"

/* Decompresses the stored blob @digest (a limg_compression), at most
 * @limit bytes; @got (160 bytes) and *@size receive the facts. With
 * @expect, they must match (LIMG_EDIGEST_MISMATCH). */
int limg__diff_id_of_stored(limg_store *store, const char *digest, int compression, const char *expect,
                            int64_t limit, char got[160], int64_t *size);

#endif
