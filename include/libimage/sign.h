/* SPDX-License-Identifier: MIT */
/**
 * @file sign.h
 * @brief Who published an image: signature policies (containers-policy.json
 *        and registries.d, as podman and skopeo read them), public keys,
 *        cosign signatures in both their formats, and making them.
 *
 * Everything here works on bytes the caller has; trust.h fetches
 * signatures from registries and stores, and pull, copy and push use both.
 *
 * # Signature formats
 *
 * - **Simple signing** (#LIMG_SIGNATURE_SIMPLE): what cosign before v3,
 *   `skopeo copy --sign-by-sigstore-private-key` and podman write and
 *   read: a JSON payload `{"critical": {"identity": {"docker-reference":
 *   ...}, "image": {"docker-manifest-digest": ...}, "type": "cosign
 *   container image signature"}, "optional": ...}` signed with the key
 *   (ECDSA P-256 or RSA PKCS#1 v1.5, both over SHA-256), stored as a layer
 *   of the OCI manifest tagged `sha256-<hex>.sig` in the image's
 *   repository, with the base64 signature in the layer's annotation
 *   `dev.cosignproject.cosign/signature`.
 * - **Sigstore bundle** (#LIMG_SIGNATURE_BUNDLE): what cosign v3 writes by
 *   default: an in-toto statement whose subject is the manifest digest
 *   (predicate type `https://sigstore.dev/cosign/sign/v1`), in a DSSE
 *   envelope signed over its PAE, inside a bundle (v0.1 to v0.3), attached
 *   to the image as an OCI 1.1 referrer.
 *
 * Verification follows containers/image: the signature is checked with
 * the policy's keys first, then the payload is parsed strictly (unknown or
 * duplicate fields refuse it), then its digest must be the image's, then
 * its identity must satisfy the requirement's `signedIdentity`.
 *
 * # Identities of bundles
 *
 * A bundle signs a digest and no repository. libimage treats it as a
 * signature whose identity is the repository being verified, with no tag:
 * like cosign's simple-signing payloads (which name a repository only), it
 * satisfies `matchRepository`, `exactRepository` (of that repository), and
 * `matchRepoDigestOrExact` and `remapIdentity` for references by digest;
 * never `matchExact` or `exactReference`, and no form for a reference by
 * tag that needs the tag signed. Unlike a payload, the repository is not
 * covered by the signature: a bundle made for one repository can be
 * attached to the same digest in another, so where the key signs images
 * of several repositories, substitution between them is not prevented.
 *
 * # What is not supported
 *
 * `signedBy` (GPG) and `signedBaseLayer` requirements are read but reject
 * every image, with a message saying so; `sigstoreSigned` with `fulcio`,
 * `pki` or `rekorPublicKey*` likewise (keys only, no certificates and no
 * transparency log yet). Ed25519 keys are refused when loaded.
 */
#ifndef LIBIMAGE_SIGN_H
#define LIBIMAGE_SIGN_H

#include <stdint.h>

#include "common.h"

LIMG_BEGIN_DECL

/** Media type of a simple-signing payload (a `.sig` manifest's layers). @since 1.0 */
#define LIMG_MEDIA_SIMPLE_SIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
/** Media type (and artifactType) of a Sigstore bundle v0.3. @since 1.0 */
#define LIMG_MEDIA_SIGSTORE_BUNDLE "application/vnd.dev.sigstore.bundle.v0.3+json"
/** The annotation of a `.sig` layer that holds its base64 signature. @since 1.0 */
#define LIMG_ANNOTATION_COSIGN_SIGNATURE "dev.cosignproject.cosign/signature"

/** The two ways cosign stores a signature. Values are ABI. @since 1.0 */
typedef enum limg_signature_format {
	LIMG_SIGNATURE_SIMPLE = 0, /**< a simple-signing payload under the `sha256-<hex>.sig` tag */
	LIMG_SIGNATURE_BUNDLE = 1  /**< a Sigstore bundle attached as an OCI 1.1 referrer (cosign v3) */
} limg_signature_format;

/* ---- policies ------------------------------------------------------------ */

/** A signature policy, with the registries.d settings that go with it. @since 1.0 */
typedef struct limg_policy limg_policy;

/** Options of limg_policy_parse() and limg_policy_load(); zero means the default. @since 1.0 */
typedef struct limg_policy_opts {
	size_t size;              /**< sizeof the struct as the caller knows it */
	const char *registries_d; /**< the registries.d directory (its `*.yaml` files say where
	                               `use-sigstore-attachments` is on); NULL: podman's default,
	                               `$HOME/.config/containers/registries.d` when it exists, else
	                               `/etc/containers/registries.d`; "": none (no attachments read) */
} limg_policy_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_POLICY_OPTS_INIT LIMG_SIZED_INIT(limg_policy_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_policy_opts_init(limg_policy_opts *opts, size_t size);

/**
 * Reads a containers-policy.json(5) document as containers/image does:
 * strictly (an unknown or duplicate field, an empty requirement list, a
 * missing `default` refuse the whole document). Keys named by `keyPath`
 * and `keyPaths` are read now; one that cannot be read rejects the images
 * its scope applies to, with the reason, as containers/image does.
 *
 * @param out receives the policy; free with limg_policy_free()
 * @param text the document
 * @param len its length
 * @param opts options, or NULL
 * @return 0, LIMG_ECORRUPT (subject POLICY: not a valid policy, or an unreadable
 *         registries.d file; the message says where), LIMG_ETOOBIG, LIMG_EINVALID,
 *         LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_policy_parse(limg_policy **out, const char *text, size_t len, const limg_policy_opts *opts);

/**
 * Reads a policy file (limg_policy_parse()).
 *
 * @param out receives the policy; free with limg_policy_free()
 * @param path the file; NULL: the default (limg_policy_default_path())
 * @param opts options, or NULL
 * @return the codes of limg_policy_parse(), LIMG_ENOTFOUND (subject FILE)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_policy_load(limg_policy **out, const char *path, const limg_policy_opts *opts);

/**
 * The policy file podman and skopeo use: `$HOME/.config/containers/policy.json`
 * when it exists, else `/etc/containers/policy.json`.
 * @param out receives the path
 * @return 0, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_policy_default_path(limg_buf *out);

/** Frees a policy; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_policy_free(limg_policy *policy);

/* ---- keys ---------------------------------------------------------------- */

/** A public key that verifies signatures. @since 1.0 */
typedef struct limg_key limg_key;

/**
 * Reads a public key: PEM or DER SubjectPublicKeyInfo, ECDSA P-256 or RSA
 * (2048 bits or more), as `cosign generate-key-pair` and
 * `skopeo generate-sigstore-key` write them.
 *
 * @param out receives the key; free with limg_key_free()
 * @param data the key's bytes
 * @param len their length
 * @return 0, LIMG_ECORRUPT (subject KEY: not a public key), LIMG_EUNSUPPORTED
 *         (subject KEY: Ed25519, another curve, a short RSA key), LIMG_EINVALID,
 *         LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_key_parse(limg_key **out, const void *data, size_t len);

/**
 * Reads a public key from a file (limg_key_parse()).
 * @param out receives the key; free with limg_key_free()
 * @param path the file
 * @return the codes of limg_key_parse(), LIMG_ENOTFOUND (subject FILE), LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_key_load(limg_key **out, const char *path);

/** Frees a key; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_key_free(limg_key *key);

/** "ecdsa-p256" or "rsa". @since 1.0 */
LIMG_EXTERN(const char *) limg_key_algorithm(const limg_key *key);

/**
 * Checks a signature of @p data made with the key's private half: ECDSA
 * (ASN.1 DER) or RSA PKCS#1 v1.5, over SHA-256 of the data.
 *
 * @param key the key
 * @param data what was signed
 * @param len its length
 * @param signature the signature in base64 (either alphabet)
 * @return 0, LIMG_ESIGNATURE (subject SIGNATURE: it does not verify, or is not
 *         base64), LIMG_EINVALID
 * @since 1.0
 */
LIMG_EXTERN(int) limg_key_verify(const limg_key *key, const void *data, size_t len, const char *signature);

/** A private key that signs. @since 1.0 */
typedef struct limg_signer limg_signer;

/** Options of limg_signer_parse() and limg_signer_load(); zero means the default. @since 1.0 */
typedef struct limg_signer_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *passphrase; /**< of an encrypted key (NUL-terminated); NULL: none */
} limg_signer_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_SIGNER_OPTS_INIT LIMG_SIZED_INIT(limg_signer_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_signer_opts_init(limg_signer_opts *opts, size_t size);

/**
 * Reads an ECDSA P-256 private key: PEM `EC PRIVATE KEY` (SEC 1) or
 * `PRIVATE KEY` (PKCS#8), or cosign's encrypted `ENCRYPTED SIGSTORE
 * PRIVATE KEY` (also `ENCRYPTED COSIGN PRIVATE KEY`: scrypt and NaCl
 * secretbox, as `cosign generate-key-pair` and `skopeo
 * generate-sigstore-key` write it), which needs the passphrase.
 *
 * @param out receives the signer; free with limg_signer_free()
 * @param data the key's bytes
 * @param len their length
 * @param opts options (the passphrase), or NULL
 * @return 0, LIMG_ECORRUPT (subject KEY: not a private key, or a wrong
 *         passphrase), LIMG_EUNSUPPORTED (subject KEY: not ECDSA P-256),
 *         LIMG_EINVALID, LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signer_parse(limg_signer **out, const void *data, size_t len, const limg_signer_opts *opts);

/**
 * Reads a private key from a file (limg_signer_parse()).
 * @param out receives the signer; free with limg_signer_free()
 * @param path the file
 * @param opts options (the passphrase), or NULL
 * @return the codes of limg_signer_parse(), LIMG_ENOTFOUND (subject FILE), LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signer_load(limg_signer **out, const char *path, const limg_signer_opts *opts);

/** Frees a signer (its key material wiped); NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_signer_free(limg_signer *signer);

/**
 * The public half, as a PEM SubjectPublicKeyInfo (what limg_key_parse() reads).
 * @param out receives the PEM text
 * @param signer the signer
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signer_public_key(limg_buf *out, const limg_signer *signer);

/**
 * Signs @p data: ECDSA over its SHA-256, ASN.1 DER, in standard base64.
 * @param out receives the base64 text
 * @param signer the signer
 * @param data what to sign
 * @param len its length
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM, LIMG_ERROR
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signer_sign(limg_buf *out, const limg_signer *signer, const void *data, size_t len);

/* ---- making signatures ------------------------------------------------- */

/**
 * A simple-signing payload, as containers/image writes it (with
 * `optional.creator` and `optional.timestamp`).
 *
 * @param out receives the JSON (sign it with limg_signer_sign())
 * @param digest the manifest's digest
 * @param identity the image's reference as the signer names it
 *        ("registry.example.com/app:1", or a repository alone, as cosign does)
 * @return 0, LIMG_EINVALID (a bad digest or reference), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signature_payload(limg_buf *out, const char *digest, const char *identity);

/**
 * A Sigstore bundle v0.3 as `cosign sign --key` (v3) makes it: an in-toto
 * statement about @p digest (predicate `https://sigstore.dev/cosign/sign/v1`),
 * a DSSE envelope signed by @p signer, and the public key's hint (the
 * base64 SHA-256 of its DER); no certificate and no transparency-log entry.
 *
 * @param out receives the bundle's JSON
 * @param signer the signer
 * @param digest the manifest's digest (sha256)
 * @param name the subject's name in the statement (the repository), or NULL
 * @return 0, LIMG_EINVALID, LIMG_EUNSUPPORTED (a sha512 digest), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signature_bundle(limg_buf *out, const limg_signer *signer, const char *digest,
                                       const char *name);

/* ---- checking them ------------------------------------------------------ */

/** Signatures gathered for one image: untrusted until limg_policy_check() accepts one. @since 1.0 */
typedef struct limg_signatures limg_signatures;

/**
 * Makes an empty set.
 * @param out receives the set; free with limg_signatures_free()
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signatures_new(limg_signatures **out);

/** Frees a set; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_signatures_free(limg_signatures *set);

/**
 * Adds a simple-signing signature (a `.sig` manifest's layer). Nothing is
 * checked yet: a malformed one is kept, and rejected with its reason.
 *
 * @param set the set
 * @param payload the layer's bytes
 * @param len their length
 * @param signature its `dev.cosignproject.cosign/signature` annotation (base64);
 *        NULL when it has none
 * @param source names it in reasons ("sha256-<hex>.sig layer 1"), or NULL
 * @return 0, LIMG_EINVALID, LIMG_ETOOBIG (over 4 MiB), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signatures_add_simple(limg_signatures *set, const void *payload, size_t len,
                                            const char *signature, const char *source);

/**
 * Adds a Sigstore bundle (the layer of a bundle referrer). Nothing is
 * checked yet: a malformed one is kept, and rejected with its reason.
 *
 * @param set the set
 * @param bundle the bundle's JSON
 * @param len its length
 * @param source names it in reasons ("referrer sha256:..."), or NULL
 * @return 0, LIMG_EINVALID, LIMG_ETOOBIG (over 4 MiB), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_signatures_add_bundle(limg_signatures *set, const void *bundle, size_t len,
                                            const char *source);

/** How many signatures the set holds. @since 1.0 */
LIMG_EXTERN(size_t) limg_signatures_count(const limg_signatures *set);

/** Whose signatures admit an image chosen from an index. Values are ABI. @since 1.0 */
typedef enum limg_index_signatures {
	LIMG_INDEX_SIGNATURES_ACCEPT = 0, /**< the image's own, or the index's (cosign signs the index by
	                                       default; its bytes were checked against its digest and it
	                                       lists the image) */
	LIMG_INDEX_SIGNATURES_IGNORE = 1  /**< the image's own only (containers/image's rule: podman
	                                       needs `cosign sign --recursive`) */
} limg_index_signatures;

/** Options of limg_policy_check(); zero means the default. @since 1.0 */
typedef struct limg_policy_check_opts {
	size_t size;              /**< sizeof the struct as the caller knows it */
	const char *index_digest; /**< the index the image was chosen from, whose signatures may admit it;
	                               NULL: none */
	int index_signatures;     /**< a limg_index_signatures */
} limg_policy_check_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_POLICY_CHECK_OPTS_INIT LIMG_SIZED_INIT(limg_policy_check_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_policy_check_opts_init(limg_policy_check_opts *opts, size_t size);

/** What a policy decided about an image, and why. @since 1.0 */
typedef struct limg_verdict limg_verdict;

/**
 * Decides whether the policy admits an image: the scope that applies to
 * @p reference (the most specific of `transports.docker`, else `default`),
 * then every requirement of it in turn (all must hold; one accepted
 * signature satisfies a `sigstoreSigned`).
 *
 * @param out receives the verdict, accepted or not (free with limg_verdict_free());
 *        set also when the result is LIMG_EREJECTED, so that it can say why
 * @param policy the policy
 * @param reference the image as pulled ("registry.example.com/app:1", "...@sha256:..."),
 *        read as docker reads it
 * @param digest the digest of the image's manifest
 * @param signatures what was found for it (and for its index); NULL: none
 * @param opts options, or NULL
 * @return 0 (accepted), LIMG_EREJECTED (subject POLICY; the message names the image,
 *         the scope and why), reference errors, LIMG_EINVALID, LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_policy_check(limg_verdict **out, const limg_policy *policy, const char *reference,
                                   const char *digest, const limg_signatures *signatures,
                                   const limg_policy_check_opts *opts);

/** Frees a verdict; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_verdict_free(limg_verdict *verdict);
/** 1 when the image is admitted, else 0. @since 1.0 */
LIMG_EXTERN(int) limg_verdict_accepted(const limg_verdict *verdict);
/** The image as the policy saw it ("docker.io/library/busybox:latest"). @since 1.0 */
LIMG_EXTERN(const char *) limg_verdict_image(const limg_verdict *verdict);
/**
 * The `transports.docker` scope that applied ("docker.io/library", "" for the
 * transport's own default), or NULL when the policy's `default` did. @since 1.0
 */
LIMG_EXTERN(const char *) limg_verdict_scope(const limg_verdict *verdict);
/** One line that says what was decided and why (the text of a rejection's error). @since 1.0 */
LIMG_EXTERN(const char *) limg_verdict_message(const limg_verdict *verdict);
/** How many requirements the scope has. @since 1.0 */
LIMG_EXTERN(size_t) limg_verdict_count(const limg_verdict *verdict);
/** Requirement @p i's type ("sigstoreSigned", "reject", ...), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_verdict_requirement(const limg_verdict *verdict, size_t i);
/** 1 when requirement @p i holds, else 0. @since 1.0 */
LIMG_EXTERN(int) limg_verdict_requirement_accepted(const limg_verdict *verdict, size_t i);
/**
 * Why requirement @p i holds (which signature, which key, which identity) or
 * does not; NULL past the end. Untrusted text in it is escaped. @since 1.0
 */
LIMG_EXTERN(const char *) limg_verdict_reason(const limg_verdict *verdict, size_t i);

LIMG_END_DECL

#endif /* LIBIMAGE_SIGN_H */
