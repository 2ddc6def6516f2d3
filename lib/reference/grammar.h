/* SPDX-License-Identifier: MIT */
/*
 * The reference grammar of Docker's reference library, as hand-written
 * matchers (no regex engine, no allocation). Each matcher accepts exactly
 * the strings the corresponding anchored Go regexp accepts.
 */
#ifndef LIMG_REFERENCE_GRAMMAR_H
#define LIMG_REFERENCE_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>

/* Where the parts of a matched reference lie. The name always starts at 0. */
typedef struct limg__ref_spans {
	size_t name_len;   /* "domain/path" */
	size_t domain_len; /* 0 when the name has no domain */
	size_t tag_off, tag_len;       /* tag_len 0: no tag */
	size_t digest_off, digest_len; /* digest_len 0: no digest */
} limg__ref_spans;

/* name [":" tag] ["@" digest]. With @fold, every byte is read lowercased,
 * which answers "would the lowercased input match?" without a copy. */
bool limg__ref_match_reference(const char *s, size_t n, bool fold, limg__ref_spans *out);
/* [domain "/"] path, splitting off the domain as the Go regexp does. */
bool limg__ref_match_name(const char *s, size_t n, size_t *domain_len);
/* The path alone (what the registry API calls a repository name). */
bool limg__ref_match_path(const char *s, size_t n);
/* host [":" port], host a DNS name or a bracketed IPv6 literal. */
bool limg__ref_match_domain(const char *s, size_t n);
/* Exactly 64 lowercase hex digits. */
bool limg__ref_match_identifier(const char *s, size_t n);
/* A tag: word character, then up to 127 of word characters, "." and "-". */
bool limg__ref_match_tag(const char *s, size_t n);
/* The reference grammar's digest: algorithm ":" 32 or more hex digits. */
bool limg__ref_match_digest(const char *s, size_t n);

/* Longest repository path, domain excluded. */
#define LIMG_REF_PATH_MAX 255

#endif
