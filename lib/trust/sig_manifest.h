/* SPDX-License-Identifier: MIT */
/* cosign's `sha256-<hex>.sig` manifests: written, and merged with what a registry has. */
#ifndef LIMG_TRUST_SIG_MANIFEST_H
#define LIMG_TRUST_SIG_MANIFEST_H

#include <stdbool.h>

#include "core/json.h"

#include "libimage/registry.h"

/* Uploads @len bytes in memory as blob @digest of @repo (skipped when there). */
int limg__sig_upload(limg_registry *r, const char *repo, const char *digest, const void *data, size_t len,
                     const limg_cancel *cancel);

/* Puts, under @tag of @repo, a .sig manifest with the layers the registry
 * has there already and @layers (descriptors whose blobs are in @repo),
 * each once, and a config naming them as cosign writes it. A tag that holds
 * something else than an OCI manifest is left alone (LIMG_EMANIFEST). */
int limg__sig_merge(limg_registry *r, const char *repo, const char *tag, const cJSON *layers,
                    const limg_cancel *cancel);

/* Whether every layer of @have (a .sig manifest's "layers") is in @layers:
 * the same blob with the same signature. */
bool limg__sig_layers_within(const cJSON *have, const cJSON *layers);

#endif
