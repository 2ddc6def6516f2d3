/* SPDX-License-Identifier: MIT */
/* The filters of `docker images --filter`, for limg_images_iterator_new(). */
#ifndef LIMG_IMAGES_FILTER_H
#define LIMG_IMAGES_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libimage/images.h"

typedef struct {
	char key[16];       /* dangling, reference, before, since, label, label! */
	const char *value;  /* borrowed from the caller */
	int64_t created;    /* before= and since=: the named image's time */
} limg__filter;

/* Checks "key=value" texts and looks up before=/since= images. 0,
 * LIMG_EINVALID (a filter Docker does not know, or no "="), LIMG_ENOTFOUND. */
int limg__filters_parse(limg__filter **out, limg_store *store, const char *const *texts, size_t n);

/* Does a row pass? (several values of one key: any of them; all keys: each) */
bool limg__filters_keep(const limg__filter *f, size_t n, limg_store *store, const char *reference, const char *tag,
                        const char *repository, const char *id, int64_t created);

/* dangling=true asks for untagged rows only (of those, the ones without a
 * repository: an image pulled by digest is not dangling), dangling=false for
 * tagged ones (and images pulled by digest):
 * the limg_list_select the listing needs (or @select as given). */
int limg__filters_select(const limg__filter *f, size_t n, int select);

#endif
