/* SPDX-License-Identifier: MIT */
/*
 * Versions in tags and ranges of them, as skopeo's images-by-semver reads
 * them (the Masterminds semver library's loose versions and constraints):
 * "v1.2", "1.2.3-rc.1" are versions; ">=1.2 <2", ">= 1.2, < 2", "^1.4",
 * "~2.0", "1.2.x", "1.2 - 1.4", "a || b" are ranges. A pre-release is in a
 * range only when the comparator it is held against names a pre-release.
 */
#ifndef LIMG_SYNC_SEMVER_H
#define LIMG_SYNC_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t major, minor, patch;
	char pre[130]; /* the pre-release ("rc.1"), or "" */
} limg__version;

/* A tag (or the version of a comparator) as a version: 0, or -1 when it is none. */
int limg__version_parse(limg__version *v, const char *text);
/* <0, 0, >0, by semver's precedence. */
int limg__version_compare(const limg__version *a, const limg__version *b);

typedef struct limg__semver_range limg__semver_range;

/* 0 with *@out, or -1 with what is wrong in @why. */
int limg__semver_parse(limg__semver_range **out, const char *text, char *why, size_t cap);
bool limg__semver_match(const limg__semver_range *r, const limg__version *v);
void limg__semver_free(limg__semver_range *r);

#endif
