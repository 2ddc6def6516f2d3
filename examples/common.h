/* SPDX-License-Identifier: MIT */
/* What the example programs share: options, the store, registry sessions, Docker-style errors. */
#ifndef LIMG_EXAMPLES_COMMON_H
#define LIMG_EXAMPLES_COMMON_H

#include <stdint.h>

#include <libimage/libimage.h>

struct cli {
	const char *store_dir; /* --store, else limg_store_default_path() */
	const char *platform;  /* --platform */
	const char *cert_dir;  /* --cert-dir (NULL: the library's default, /etc/docker/certs.d) */
	const char *mirror;    /* a registry mirror for docker.io (limg-pull's --registry-mirror) */
	int tls;               /* a limg_tls_mode: --tls-verify=true, =false, or absent */
	limg_context *context; /* given to the store and the session; NULL: no logging */
	limg_buf store_path;   /* the default store path, when --store was not given */
};

/* Reads "NAME VALUE" or "NAME=VALUE" at argv[*i]: 1 with *value set (and
 * *i on the value's word), 0 when argv[*i] is not NAME, -1 after printing
 * an error when the value is missing. The one option parser of the examples. */
int cli_value(int argc, char **argv, int *i, const char *name, const char **value);

/* cli_value() for a whole number in [min, max]: -1 after printing an error
 * when the value is not one. */
int cli_number(int argc, char **argv, int *i, const char *name, int64_t min, int64_t max, int64_t *out);
/* cli_number() for an int. */
int cli_int(int argc, char **argv, int *i, const char *name, int min, int max, int *out);

/* Consumes a common option at argv[*i]; returns 1 if it was one, 0 if not,
 * -1 after printing an error. */
int cli_option(struct cli *c, int argc, char **argv, int *i);

/* Opens the store: mode LIMG_STORE_CREATE for programs that write,
 * LIMG_STORE_READ_ONLY for those that only read (nothing is created or
 * changed in it). Returns 0, or -1 after printing the error. With
 * @missing_ok, a default store that does not exist yet is no error: 0 with
 * *out NULL (a store with nothing in it); one named by --store must exist. */
/* cli_open_store() mode for programs that only read but lease what they read when they may */
#define CLI_STORE_READ_LEASED (-1)
int cli_open_store(struct cli *c, limg_store **out, int mode, int missing_ok);

/* A registry session with the options' settings (--tls-verify, --cert-dir,
 * and c->mirror as docker.io's mirror), for limg_pull, limg_push and
 * limg_copy. Returns 0, or -1 after printing the error. */
int cli_session(struct cli *c, limg_session **out);

/* Releases what the options hold. */
void cli_done(struct cli *c);

/* True for -h and --help. */
int cli_is_help(const char *arg);

/* True when the last error is "not found" about @subject (a limg_subject). */
int cli_not_found(int subject);

/* Prints the last error as docker does ("Error response from daemon: ..."),
 * with a hint where one helps (an untrusted certificate); returns 1. */
int cli_fail(void);

/* The hint for the last error, or NULL: how to trust a registry's certificate. */
const char *cli_hint(void);

/* A cancel token that SIGINT and SIGTERM request (the operation stops
 * cleanly, what it did stays resumable); NULL when none can be had. */
limg_cancel *cli_cancel_on_signals(void);
/* Gives SIGINT and SIGTERM back their default and frees the token. */
void cli_cancel_done(limg_cancel *cancel);

#define CLI_COMMON_USAGE                                                                              \
	"  --store DIR          the image store (default $LIBIMAGE_STORE, $XDG_DATA_HOME/libimage\n"  \
	"                       or ~/.local/share/libimage)\n"                                        \
	"  --platform OS/ARCH   the platform to pull or show (default: this machine's)\n"             \
	"  --tls-verify=BOOL    true: verified HTTPS only, also for localhost; false: plain HTTP\n" \
	"                       and unverified TLS allowed (default: Docker's, loopback insecure)\n" \
	"  --cert-dir DIR       per-registry certificates (DIR/<host:port>/ca.crt) and mirrors\n"    \
	"                       (DIR/<host:port>/hosts.toml, DIR/_default/hosts.toml, as containerd's)\n" \
	"                       (default /etc/docker/certs.d)\n"

#endif
