/* SPDX-License-Identifier: MIT */
/* The field names of manifests, indexes, descriptors and image configs, for
 * the strict JSON reader's check of keys that Go's decoder folds together. */
#ifndef LIMG_MANIFEST_FIELDS_H
#define LIMG_MANIFEST_FIELDS_H

#include "core/json.h"

extern const limg__json_fields limg__manifest_fields;

#endif
