/* SPDX-License-Identifier: MIT */
/**
 * @file reference.h
 * @brief Image references ("redis", "gcr.io/x/y:v1", "name@sha256:...").
 *
 * The grammar, the error kinds and the normalization are those of Docker's
 * reference library (github.com/distribution/reference), so that every
 * input is read exactly as `docker pull` reads it.
 *
 * A reference is immutable once made; all its strings are borrowed from it
 * and stay valid until limg_reference_free(). A reference may be read from
 * several threads at once.
 *
 * Which parse to call: limg_reference_parse_docker() for what a user types
 * (it is what `docker pull` acts on); limg_reference_parse_any() when the
 * text may also be an image ID; limg_reference_parse_normalized() to keep
 * "no tag" apart from ":latest"; limg_reference_parse_canonical() and
 * limg_reference_parse_name() to check stored or protocol text;
 * limg_reference_parse() for the bare grammar. Every function of the other
 * headers that takes a reference reads it as limg_reference_parse_docker().
 */
#ifndef LIBIMAGE_REFERENCE_H
#define LIBIMAGE_REFERENCE_H

#include "common.h"

LIMG_BEGIN_DECL

/** A parsed image reference. @since 1.0 */
typedef struct limg_reference limg_reference;

/**
 * Strict parse: the grammar only, no defaults, no normalization.
 * "foo/bar" gives domain "foo" and path "bar".
 *
 * @param out receives the reference; free with limg_reference_free()
 * @param str the text
 * @return 0, LIMG_EREF_EMPTY, LIMG_EREF_FORMAT, LIMG_EREF_UPPERCASE, LIMG_EREF_TOOLONG,
 *         LIMG_EDIGEST_FORMAT, LIMG_EDIGEST_LENGTH, LIMG_EDIGEST_UNSUPPORTED,
 *         LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_parse(limg_reference **out, const char *str);

/**
 * Parse as the Docker CLI does: "redis" is "docker.io/library/redis",
 * "index.docker.io/x" is "docker.io/library/x". No tag is added.
 *
 * @return the codes of limg_reference_parse(), and LIMG_EREF_HEXNAME for a bare
 *         64-hex string
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_parse_normalized(limg_reference **out, const char *str);

/**
 * Parse as limg_reference_parse_normalized(), and add the tag "latest" when
 * the reference has neither tag nor digest; with both, keep only the digest.
 * This is the reference `docker pull` acts on.
 *
 * @return the codes of limg_reference_parse_normalized()
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_parse_docker(limg_reference **out, const char *str);

/**
 * Parse a reference that must already be in canonical form
 * ("docker.io/library/redis", not "redis").
 *
 * @return the codes of limg_reference_parse_normalized(), and LIMG_EREF_NOTCANONICAL
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_parse_canonical(limg_reference **out, const char *str);

/**
 * Parse an image ID or a reference: 64 lowercase hex digits become the digest
 * `"sha256:<hex>"`, a valid digest stays a bare digest (no name), anything
 * else goes through limg_reference_parse_normalized().
 *
 * @return the codes of limg_reference_parse_normalized()
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_parse_any(limg_reference **out, const char *str);

/**
 * Parse a repository name alone (no tag, no digest), split strictly into
 * domain and path.
 *
 * @return 0, LIMG_EREF_FORMAT, LIMG_EREF_TOOLONG, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_parse_name(limg_reference **out, const char *str);

/**
 * A copy of @p ref with its tag set to @p tag (any digest is kept).
 *
 * @return 0, LIMG_EREF_TAG, LIMG_EINVALID (also for a reference without name), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_with_tag(limg_reference **out, const limg_reference *ref, const char *tag);

/**
 * A copy of @p ref with its digest set to @p digest (any tag is kept).
 * As in Docker's library, only the reference grammar is checked here
 * ("algorithm:hex", at least 32 hex digits); use limg_digest_validate()
 * for the strict check.
 *
 * @return 0, LIMG_EREF_DIGEST, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_with_digest(limg_reference **out, const limg_reference *ref, const char *digest);

/**
 * A copy of @p ref with the tag "latest" when it has neither tag nor digest,
 * else an unchanged copy.
 *
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_with_default_tag(limg_reference **out, const limg_reference *ref);

/** Frees a reference; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_reference_free(limg_reference *ref);

/** The whole reference: name, then ":tag", then "@digest". Never NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_reference_string(const limg_reference *ref);

/** "domain/path", or NULL for a bare digest. @since 1.0 */
LIMG_EXTERN(const char *) limg_reference_name(const limg_reference *ref);

/** The registry host with its port, or "" when there is none. @since 1.0 */
LIMG_EXTERN(const char *) limg_reference_domain(const limg_reference *ref);

/** The repository path without the domain, or NULL for a bare digest. @since 1.0 */
LIMG_EXTERN(const char *) limg_reference_path(const limg_reference *ref);

/** The tag, or NULL when there is none. @since 1.0 */
LIMG_EXTERN(const char *) limg_reference_tag(const limg_reference *ref);

/** The digest, or NULL when there is none. @since 1.0 */
LIMG_EXTERN(const char *) limg_reference_digest(const limg_reference *ref);

/**
 * The short form Docker prints: "docker.io/library/redis:latest" is
 * "redis:latest", "docker.io/user/app" is "user/app"; other registries are
 * unchanged. Never NULL.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_reference_familiar_string(const limg_reference *ref);

/** The familiar form of the name alone, or NULL for a bare digest. @since 1.0 */
LIMG_EXTERN(const char *) limg_reference_familiar_name(const limg_reference *ref);

/**
 * Shell-style match as `docker images REPOSITORY` and `--filter reference=`
 * do: @p pattern is matched against the familiar string, then the familiar
 * name; "*" does not cross "/".
 *
 * @param out_matched receives 1 for a match, else 0
 * @param ref the reference
 * @param pattern the pattern
 * @return 0, LIMG_EPATTERN for a malformed pattern, LIMG_EINVALID
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_familiar_match(int *out_matched, const limg_reference *ref, const char *pattern);

/**
 * Orders references from most to least specific (name+tag+digest, name+tag,
 * name+digest, name, digest), then by their strings.
 *
 * @return <0, 0 or >0 as for strcmp(); usable with qsort() through a wrapper
 * @since 1.0
 */
LIMG_EXTERN(int) limg_reference_compare(const limg_reference *a, const limg_reference *b);

LIMG_END_DECL

#endif /* LIBIMAGE_REFERENCE_H */
