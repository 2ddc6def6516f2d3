/* SPDX-License-Identifier: MIT */
/*
 * The inside of the sign layer: the policy model, keys, signatures and
 * verdicts, shared by its files and read by the trust layer above.
 */
#ifndef LIMG_SIGN_INTERNAL_H
#define LIMG_SIGN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libimage/sign.h"

/* Largest policy, registries.d file, payload, bundle or key we read. */
#define LIMG_SIGN_DOC_MAX (4u << 20)
/* Keys of one requirement, requirements of one scope, scopes of a policy. */
#define LIMG_SIGN_KEYS_MAX 256
#define LIMG_SIGN_LIST_MAX 4096

/* The predicate type of cosign v3's image signatures. */
#define LIMG_COSIGN_SIGN_PREDICATE "https://sigstore.dev/cosign/sign/v1"

/* ---- keys ---------------------------------------------------------------- */

/* SHA-256 of @data, then the key's verify: 0, or LIMG_ESIGNATURE (not raised). */
int limg__key_verify_raw(const limg_key *key, const void *data, size_t len, const void *sig, size_t sig_len);
/* A printable name of where the key came from ("/etc/keys/a.pub", "keyData[1]"). */
const char *limg__key_label(const limg_key *key);
int limg__key_set_label(limg_key *key, const char *label);
/* The SHA-256 of the key's DER SubjectPublicKeyInfo, in standard base64 (a bundle's key hint). */
int limg__key_hint(limg_buf *out, const limg_key *key);
/* The signer's public key as a limg_key. */
int limg__signer_key(limg_key **out, const limg_signer *signer);

/* ---- the policy model ---------------------------------------------------- */

enum limg__identity_type {
	LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT = 0,
	LIMG_ID_MATCH_EXACT,
	LIMG_ID_MATCH_REPOSITORY,
	LIMG_ID_EXACT_REFERENCE,
	LIMG_ID_EXACT_REPOSITORY,
	LIMG_ID_REMAP_IDENTITY
};

typedef struct {
	int type;   /* limg__identity_type */
	char *a;    /* dockerReference, dockerRepository, or remapIdentity's prefix */
	char *b;    /* remapIdentity's signedPrefix */
} limg__identity;

enum limg__requirement_type {
	LIMG_REQ_ACCEPT = 0, /* insecureAcceptAnything */
	LIMG_REQ_REJECT,
	LIMG_REQ_SIGNED_BY,
	LIMG_REQ_SIGNED_BASE_LAYER,
	LIMG_REQ_SIGSTORE
};

typedef struct {
	int type;                /* limg__requirement_type */
	limg__identity identity; /* signedIdentity (sigstoreSigned, signedBy) */
	limg_key **keys;         /* sigstoreSigned: the keys that may sign, any one */
	size_t nkeys;
	char *key_error;         /* a key that could not be read: every image of the scope is rejected with this */
	char *unsupported;       /* what libimage cannot check (fulcio, pki, rekor, GPG): rejects with this */
} limg__requirement;

typedef struct {
	limg__requirement *items;
	size_t count;
} limg__requirements;

typedef struct {
	char *scope; /* a transports.docker key ("" for the transport's default) */
	limg__requirements reqs;
} limg__scope;

/* registries.d: use-sigstore-attachments per namespace. */
typedef struct {
	char *ns;
	int use; /* -1: not said, 0, 1 */
} limg__attach_ns;

struct limg_policy {
	char *label; /* the file, or "policy" for text */
	limg__requirements defaults;
	limg__scope *docker;
	size_t ndocker;
	limg__attach_ns *ns;
	size_t nns;
	int default_use; /* default-docker's use-sigstore-attachments: -1, 0, 1 */
	char *registries_d; /* the directory read, or NULL */
};

/* The scope for a reference: *@scope (NULL for the policy's default) and its requirements. */
const limg__requirements *limg__policy_scope(const limg_policy *policy, const char *name, const char *identity,
                                             const char **scope);
/* Whether any requirement for @reference needs signatures (sigstoreSigned). */
bool limg__policy_needs_signatures(const limg_policy *policy, const char *reference);
/* registries.d's use-sigstore-attachments for a reference (normalized). */
bool limg__policy_use_attachments(const limg_policy *policy, const char *reference);
/* Reads the registries.d directory into the policy. */
int limg__registries_d_load(limg_policy *policy, const char *dir);
/* The namespaces containers/image searches for a repository name, most specific first:
 * "a.b.c/x/y", "a.b.c/x", "a.b.c", "*.b.c", "*.c". Calls @cb with each; non-zero stops. */
int limg__policy_namespaces(const char *name, int (*cb)(const char *ns, void *payload), void *payload);

void limg__requirements_dispose(limg__requirements *r);

/* ---- signatures ---------------------------------------------------------- */

enum limg__sig_kind { LIMG_SIG_SIMPLE = 0, LIMG_SIG_BUNDLE };

typedef struct {
	int kind;        /* limg__sig_kind */
	char *source;    /* for reasons (printable) */
	char *broken;    /* malformed before any key was tried: why (it is rejected with this) */
	limg_buf signed_bytes; /* what the key signed: the payload, or the DSSE PAE */
	limg_buf *sigs;  /* decoded signatures (a DSSE envelope may have several) */
	size_t nsigs;
	limg_buf payload; /* the claims: the simple-signing payload, or the in-toto statement */
	char *hint;      /* a bundle's public key hint, or NULL */
} limg__sig;

struct limg_signatures {
	limg__sig *items;
	size_t count, cap;
	char *note; /* said when no signature was found (why none was looked for, where) */
};

/* A source that could not be read (a .sig manifest of the wrong type, a bad
 * referrers index): kept so that a rejection says why. */
int limg__signatures_add_broken(limg_signatures *set, const char *source, const char *why);
int limg__signatures_note(limg_signatures *set, const char *note);

/* The claims of a simple-signing payload, parsed strictly (after the key accepted it). */
typedef struct {
	char *digest;   /* docker-manifest-digest */
	char *identity; /* docker-reference */
	bool has_timestamp;
	int64_t timestamp;
	char *creator;
} limg__payload;

/* 0, or LIMG_ESIGNATURE with @why (not raised). */
int limg__payload_parse(limg__payload *out, const void *data, size_t len, char *why, size_t cap);
void limg__payload_dispose(limg__payload *p);

/* The subject digests of an in-toto statement ("sha256:<hex>" each), and its predicate type. */
typedef struct {
	char **digests;
	size_t count;
	char *predicate_type;
} limg__statement;

int limg__statement_parse(limg__statement *out, const void *data, size_t len, char *why, size_t cap);
void limg__statement_dispose(limg__statement *s);

/* A bundle's envelope, decoded: fills @sig (kind BUNDLE), or sets sig->broken. */
int limg__bundle_read(limg__sig *sig, const void *data, size_t len);

/* DSSE's pre-authentication encoding: "DSSEv1 <len> <type> <len> <body>". */
int limg__dsse_pae(limg_buf *out, const char *type, const void *body, size_t len);

/* ---- verdicts ------------------------------------------------------------ */

typedef struct {
	const char *type;
	bool accepted;
	char *reason;
} limg__verdict_item;

struct limg_verdict {
	bool accepted;
	char *image;
	char *scope; /* NULL: default */
	char *message;
	limg__verdict_item *items;
	size_t count;
};

#endif
