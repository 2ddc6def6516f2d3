/* SPDX-License-Identifier: MIT */
/*
 * What an archive says it holds, read from its manifest.json (Docker's
 * list of Config, RepoTags, Layers) and index.json (the OCI layout's list
 * of manifests, named by their annotations), before anything is looked up:
 * untrusted bytes in, plain strings out, every one checked for its kind.
 * Callable on bytes alone (the fuzz target does).
 */
#ifndef LIMG_ARCHIVE_LISTING_H
#define LIMG_ARCHIVE_LISTING_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *config;    /* a path in the archive */
	char **layers;   /* paths in the archive */
	size_t nlayers;
	char **tags;     /* RepoTags, as written (checked as references when they are set) */
	size_t ntags;
} limg__docker_entry;

typedef struct {
	char *digest;    /* a valid digest */
	char *name;      /* the reference its annotations give, or NULL */
} limg__oci_entry;

typedef struct {
	limg__docker_entry *docker; /* manifest.json's entries, when it is there */
	size_t ndocker;
	limg__oci_entry *oci;       /* index.json's entries, when it is there */
	size_t noci;
	bool has_manifest_json, has_index_json;
} limg__listing;

/* Reads manifest.json and index.json (each NULL when the archive lacks it).
 * 0, or LIMG_ECORRUPT naming the file and what is wrong in it (untrusted
 * text quoted and escaped); *@out is then empty. */
int limg__listing_parse(limg__listing *out, const char *manifest_json, size_t manifest_len, const char *index_json,
                        size_t index_len);
void limg__listing_dispose(limg__listing *l);

#endif
