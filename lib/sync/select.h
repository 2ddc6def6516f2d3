/* SPDX-License-Identifier: MIT */
/*
 * Which tags of a repository a sync takes: a regular expression (and one
 * that leaves tags out), a version range, the N highest versions. Tag
 * lists come from registries: a tag that is no valid tag is never chosen.
 */
#ifndef LIMG_SYNC_SELECT_H
#define LIMG_SYNC_SELECT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "semver.h"

typedef struct {
	bool has_regex, has_exclude;
	regex_t regex, exclude;
	limg__semver_range *range;
	int latest;
	char *regex_text, *exclude_text, *range_text; /* as written, for messages and reports */
} limg__tag_filter;

/* A POSIX ERE from what skopeo users write (Go's RE2 syntax): \d \D \s \S
 * \w \W become bracket expressions, Go-only syntax is refused. 0, or -1
 * with the reason in @why. */
int limg__sync_regex_compile(regex_t *re, const char *pattern, char *why, size_t cap);

/* Sets the filter's parts (NULL: none). 0, or LIMG_EPATTERN (raised, naming
 * @origin: "list.yaml:12", or NULL) / LIMG_ENOMEM. */
int limg__tag_filter_init(limg__tag_filter *f, const char *regex, const char *exclude, const char *range, int latest,
                          const char *origin);
void limg__tag_filter_dispose(limg__tag_filter *f);
bool limg__tag_filter_any(const limg__tag_filter *f);

/* Chooses among @tags (n of them; each a valid tag): the chosen ones are
 * moved to the front, in the order they came, *@chosen says how many. */
void limg__tag_filter_apply(const limg__tag_filter *f, char **tags, size_t n, size_t *chosen);

#endif
