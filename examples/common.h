/* SPDX-License-Identifier: MIT */
/* What the example programs share: options, the store, registry sessions, Docker-style errors. */
#ifndef LIMG_EXAMPLES_COMMON_H
#define LIMG_EXAMPLES_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include <libimage/libimage.h>

/* The common options a program takes: its --help lists these and no
 * others, and any other is an unknown flag. */
enum cli_uses {
	CLI_STORE = 1 << 0,    /* --store */
	CLI_PLATFORM = 1 << 1, /* --platform */
	CLI_REGISTRY = 1 << 2  /* --tls-verify, --cert-dir */
};

struct cli {
	const char *name;      /* "limg-images" */
	const char *usage;     /* what follows the name on the usage line: "[OPTIONS] [REPOSITORY[:TAG]]" */
	const char *about;     /* one line: "List images" */
	unsigned uses;         /* enum cli_uses */
	const char *store_dir; /* --store, else limg_store_default_path() */
	const char *platform;  /* --platform */
	const char *cert_dir;  /* --cert-dir (NULL: the library's default, /etc/docker/certs.d) */
	const char *mirror;    /* a registry mirror for docker.io (limg-pull's --registry-mirror) */
	int tls;               /* a limg_tls_mode: --tls-verify=true, =false, or absent */
	limg_context *context; /* given to the store and the session; NULL: no logging */
	limg_context *own_context; /* made by cli_log_to_stderr(), freed by cli_done() */
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

/* Consumes a common option the program uses (c->uses) at argv[*i]; returns
 * 1 if it was one, 0 if not, -1 after printing an error. */
int cli_option(struct cli *c, int argc, char **argv, int *i);

/* Splits clustered short flags ("-aq" into "-a" "-q") as docker's flag
 * parser does, for the single letters in @booleans (flags without a value).
 * The new argv is the program's for good (it is never freed). */
void cli_split_shorts(int *argc, char ***argv, const char *booleans);

/* --help: "Usage:  NAME USAGE", the about line, then @options (the
 * program's own lines) and the common options it uses. */
void cli_help(const struct cli *c, FILE *out, const char *options);

/* Docker's answer to a flag it does not know: "unknown flag: --foo" (or
 * "unknown shorthand flag: 'x' in -x") and "See 'NAME --help'."; returns
 * 125, docker's exit status for it. */
int cli_unknown_flag(const struct cli *c, const char *arg);

/* Docker's answer to the wrong number of arguments: "\"NAME\" WHAT.", the
 * hint and the usage line; returns 1. @what: "requires exactly 1 argument". */
int cli_bad_args(const struct cli *c, const char *what);

/* Opens the store: mode LIMG_STORE_CREATE for programs that write,
 * LIMG_STORE_READ_ONLY for those that only read (nothing is created or
 * changed in it). Returns 0, or -1 after printing the error. With
 * @missing_ok, a default store that does not exist yet is no error: 0 with
 * *out NULL (a store with nothing in it); one named by --store must exist. */
/* cli_open_store() mode for programs that only read but lease what they read when they may */
#define CLI_STORE_READ_LEASED (-1)
int cli_open_store(struct cli *c, limg_store **out, int mode, int missing_ok);

/* For programs that change only what is there (rmi, tag, image-prune): they
 * find what to change in the store opened read-only (cli_open_store() with
 * LIMG_STORE_READ_ONLY), so that a name it lacks writes nothing, not even in
 * another tool's layout; this opens it for writing (an existing store) once
 * there is a change to make. *rw is kept when already open. Returns 0, or -1
 * after printing the error. */
int cli_store_to_change(struct cli *c, limg_store **rw);

/* Whether the store is libimage's own (it has .libimage/), not a layout
 * another tool wrote. */
int cli_store_is_ours(const struct cli *c);

/* A registry session with the options' settings (--tls-verify, --cert-dir,
 * and c->mirror as docker.io's mirror), for limg_pull, limg_push and
 * limg_copy. Returns 0, or -1 after printing the error. */
int cli_session(struct cli *c, limg_session **out);

/* Sends the library's log at @level and above (LIMG_LOG_WARN, LIMG_LOG_INFO)
 * to stderr ("warning: ...", "info: ..."), through c->context: -v. */
void cli_log_to_stderr(struct cli *c, int level);

/* The registry host a login names, as docker's ConvertToHostname reads
 * it: scheme and path dropped ("https://localhost:5000/v2/" is
 * "localhost:5000"); Docker Hub's names (none given, index.docker.io,
 * registry-1.docker.io, https://index.docker.io/v1/) are "docker.io". */
const char *cli_registry_host(char *out, size_t cap, const char *server);

/* Releases what the options hold. */
void cli_done(struct cli *c);

/* True for -h and --help. */
int cli_is_help(const char *arg);

/* The end of the option loop of a program that takes exactly one argument:
 * -h or --help (the help, then @epilogue's lines when not NULL), an unknown
 * flag (docker's answer), a second argument (docker's "requires exactly 1
 * argument"), or the argument, kept in *@arg. Returns -1 to go on, else the
 * status the program exits with. */
int cli_one_argument(const struct cli *c, const char *word, const char **arg, const char *options,
                     const char *epilogue);

/* True when the last error is "not found" about @subject (a limg_subject). */
int cli_not_found(int subject);

/* Prints the last error as docker does ("Error response from daemon: ..."),
 * with a hint where one helps (an untrusted certificate); returns 1. */
int cli_fail(void);

/* Docker's "Error response from daemon: No such image: NAME:latest" for
 * an image @given names that the store lacks; returns 1. */
int cli_no_such_image(const char *given);

/* The hint for the last error, or NULL: how to trust a registry's certificate. */
const char *cli_hint(void);

/* A cancel token that SIGINT and SIGTERM request (the operation stops
 * cleanly, what it did stays resumable); NULL when none can be had. */
limg_cancel *cli_cancel_on_signals(void);
/* Gives SIGINT and SIGTERM back their default and frees the token. */
void cli_cancel_done(limg_cancel *cancel);

/* Signatures: the options of the programs that check a policy or sign. */
struct cli_trust {
	const char *policy_path;     /* --policy FILE */
	int default_policy;          /* --default-policy: podman's and skopeo's file */
	const char *registries_d;    /* --registries.d DIR */
	const char *sign_key;        /* --sign-key (--sign-by-sigstore-private-key) FILE */
	const char *passphrase_file; /* --sign-passphrase-file FILE */
	const char *sign_identity;   /* --sign-identity REF */
	int sign_format;             /* --sign-format simple|bundle */
	int sign_recursive;          /* --sign-recursive */
	int referrers;               /* --referrers */
	limg_policy *policy;         /* loaded by cli_trust_load(), or NULL */
	limg_signer *signer;
};

/* Consumes a signature option at argv[*i] (those of @which: "p" policy,
 * "s" signing, "r" --referrers); 1, 0 or -1 as cli_option(). */
int cli_trust_option(struct cli_trust *t, const char *which, int argc, char **argv, int *i);
/* Loads the policy and the key the options name: 0, or -1 after printing the error. */
int cli_trust_load(struct cli_trust *t);
void cli_trust_done(struct cli_trust *t);

/* The --help lines of the signature options, for a program's own options. */
#define CLI_POLICY_OPTIONS                                                                                 \
	"      --policy FILE     check the image against this signature policy (containers-policy.json)\n"   \
	"      --default-policy  ... against podman's and skopeo's ($HOME/.config/containers/policy.json,\n"  \
	"                        else /etc/containers/policy.json)\n"                                       \
	"      --registries.d DIR  where use-sigstore-attachments is set (default podman's:\n"              \
	"                        $HOME/.config/containers/registries.d, else /etc/containers/registries.d)\n"

#define CLI_SIGN_OPTIONS                                                                                   \
	"      --sign-key FILE   sign what is written with this ECDSA P-256 key (PEM, or cosign's\n"         \
	"                        encrypted key); also --sign-by-sigstore-private-key\n"                       \
	"      --sign-passphrase-file FILE  the encrypted key's passphrase (first line)\n"                    \
	"      --sign-format simple|bundle  cosign's .sig tag (podman, skopeo, cosign < 3; the default)\n"    \
	"                        or a Sigstore bundle referrer (cosign v3)\n"                                 \
	"      --sign-identity REF  the docker-reference a simple signature names (default: the destination)\n" \
	"      --sign-recursive  of an index: sign each of its images too (what podman needs)\n"

#endif
