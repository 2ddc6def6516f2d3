/* SPDX-License-Identifier: MIT */
/*
 * Where a registry is served from: containerd's hosts directory
 * (DIR/<host>/hosts.toml, DIR/_default/hosts.toml) and the endpoints the
 * C API is given, as one list: mirrors in order, then the server.
 */
#ifndef LIMG_HOSTS_H
#define LIMG_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "libimage/context.h"
#include "libimage/endpoint.h"

/* One endpoint, its strings owned. */
typedef struct {
	char *url;
	unsigned caps;            /* LIMG_ENDPOINT_CAP_* */
	bool skip_verify, override_path;
	char *ca_file, *client_cert, *client_key;
	char **headers;           /* "Name: value" */
	size_t nheaders;
	long dial_timeout_ms;     /* 0: the default */
} limg__endpoint_spec;

typedef struct {
	limg__endpoint_spec *hosts; /* [host."..."] entries, in the file's order */
	size_t n;
	limg__endpoint_spec server; /* server = "..." (url NULL when not given) */
	char *path;                 /* the file read, for messages (NULL: none) */
} limg__hosts;

/* Reads DIR/<host>/hosts.toml, else DIR/_default/hosts.toml. 0 (with
 * out->path NULL when there is neither), or LIMG_ECORRUPT naming the file
 * and line, LIMG_ETOOBIG, LIMG_ESYSTEM. */
int limg__hosts_load(limg__hosts *out, const char *dir, const char *host, limg_context *ctx);
/* The text of a hosts.toml; relative file names resolve against @base_dir. */
int limg__hosts_parse(limg__hosts *out, const char *text, size_t len, const char *label, const char *base_dir,
                      limg_context *ctx);
void limg__hosts_dispose(limg__hosts *h);

int limg__endpoint_spec_copy(limg__endpoint_spec *out, const limg_endpoint *in);
int limg__endpoint_spec_dup(limg__endpoint_spec *out, const limg__endpoint_spec *in);
void limg__endpoint_spec_dispose(limg__endpoint_spec *e);

#endif
