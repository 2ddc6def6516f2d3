/* What the example programs share: options, the store location, Docker-style errors. */
#ifndef LIMG_EXAMPLES_COMMON_H
#define LIMG_EXAMPLES_COMMON_H

#include <libimage/libimage.h>

struct cli {
	const char *store_dir;  /* --store, else $LIBIMAGE_STORE, $XDG_DATA_HOME/libimage, ~/.local/share/libimage */
	const char *platform;   /* --platform */
	const char *cert_dir;   /* --cert-dir */
	int tls_verify;         /* --tls-verify=false turns it off */
	limg_registry_opts registry;
	char store_buf[4096];
};

/* Consumes a common option at argv[*i]; returns 1 if it was one, 0 if not,
 * -1 after printing an error. */
int cli_option(struct cli *c, int argc, char **argv, int *i);

/* Fills in defaults after the options; opens the store (created if asked). */
int cli_open_store(struct cli *c, limg_store **out, int create);

/* True for -h and --help. */
int cli_is_help(const char *arg);

/* Prints "Error response from daemon: <message>" as docker does, returns 1. */
int cli_fail(const char *prefix);

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
