/* SPDX-License-Identifier: MIT */
/*
 * The directories a new layer must write above its own entries (above its
 * prefix, its files, its removed paths), taken from the image the layer
 * will sit on: with that image's owner, mode, times and xattrs, so that
 * applying the layer leaves them as they were (a base's 0700 /secret stays
 * 0700, as in the layers docker builds). A path of the base that is no
 * directory where the layer needs one (a symlink such as /lib -> usr/lib)
 * is refused: the layer would replace it.
 */
#ifndef LIMG_BUILD_BASE_H
#define LIMG_BUILD_BASE_H

#include "build_internal.h"
#include "emit.h"
#include "tar/entry.h"

typedef struct limg__base_dirs limg__base_dirs;

/* The directories of the image @o->base (@o->platform of an index), read
 * when limg__base_dir_of() is first asked (not at all for a layer that
 * needs no parent); @o and @store must outlive it. */
int limg__base_dirs_new(limg__base_dirs **out, limg_store *store, const limg_layer_opts *o);

/* An emitter's parent_of (emit.h): 1 with the base's directory, 0 where the
 * base has none (the default). @payload is the limg__base_dirs. */
int limg__base_dir_of(const char *path, limg__tar_entry *out, void *payload);

void limg__base_dirs_free(limg__base_dirs *b);

#endif
