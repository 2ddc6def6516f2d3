/* SPDX-License-Identifier: MIT */
/*
 * The trust layer, for pull, push and copy: the policy checked where the
 * image is, signatures written, and the artifacts that refer to an image
 * (signatures, SBOMs) carried between registries and stores.
 */
#ifndef LIMG_TRUST_INTERNAL_H
#define LIMG_TRUST_INTERNAL_H

#include <stdbool.h>

#include "libimage/registry.h"
#include "libimage/sign.h"
#include "libimage/store.h"
#include "libimage/trust.h"
#include "store/store_internal.h"

/* Signature layers and bundles: what is fetched to be checked, at most. */
#define LIMG_TRUST_SIGNATURE_MAX (4u << 20)

/* One image in a registry, as the policy sees it. */
typedef struct {
	limg_registry *registry;
	const char *repository;
	const char *reference;    /* as the caller named it: the identity the policy matches */
	const char *digest;       /* the image's manifest (the platform's, for an index) */
	const char *index_digest; /* the index it was chosen from, or NULL */
	int index_signatures;     /* a limg_index_signatures */
	const limg_cancel *cancel;
} limg__trust_image;

/* The policy's verdict on @img: 0, LIMG_EREJECTED (raised, *@out set), or
 * an error that kept it from deciding (*@out NULL). @out may be NULL. */
int limg__trust_check(limg_verdict **out, const limg_policy *policy, const limg__trust_image *img);

/* The same for an image of a store, with the signatures stored beside it. */
int limg__trust_check_stored(limg_verdict **out, const limg_policy *policy, limg_store *store, const char *reference,
                             const char *digest, const char *index_digest, int index_signatures);

/* Gathering: the .sig tag of @digest, and its bundle referrers, into @set. */
int limg__gather_sig_tag(limg_signatures *set, limg_registry *r, const char *repo, const char *digest,
                         const limg_cancel *cancel);
int limg__gather_bundles(limg_signatures *set, limg_registry *r, const char *repo, const char *digest,
                         const limg_cancel *cancel);

/* Signs @digest (a manifest of @media_type and @size) in @repo. */
int limg__trust_sign(limg_registry *r, const char *repo, const char *digest, const char *media_type, int64_t size,
                     const limg_signer *signer, int format, const char *identity, const limg_cancel *cancel);

/* ---- carrying what refers to an image ---------------------------------- */

/* Registry to registry: @digest's .sig manifest and referrers (and theirs),
 * blobs first, each manifest after. */
int limg__attachments_copy(limg_registry *from, const char *src_repo, limg_registry *to, const char *dst_repo,
                           const char *digest, const limg_cancel *cancel);
/* Registry to store: the same, stored and listed beside @digest, each
 * digest added to @lease before it is stored. */
int limg__attachments_pull(limg_registry *r, const char *repo, limg_store *store, limg__lease *lease,
                           const char *digest, const limg_cancel *cancel);
/* Store to registry: what the store keeps beside @digest. */
int limg__attachments_push(limg_store *store, limg_registry *r, const char *repo, const char *digest,
                           const limg_cancel *cancel);

/* "sha256-<hex>.sig": where cosign keeps @digest's simple signatures. */
int limg__sig_tag(char *out, size_t cap, const char *digest);

#endif
