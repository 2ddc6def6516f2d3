/* SPDX-License-Identifier: MIT */
/* What the image-building programs share: SOURCE_DATE_EPOCH, layer options, config flags, the result line. */
#ifndef LIMG_EXAMPLES_BUILDCLI_H
#define LIMG_EXAMPLES_BUILDCLI_H

#include <stdint.h>

#include <libimage/libimage.h>

/* SOURCE_DATE_EPOCH: 1 with *epoch set, 0 when unset, -1 after printing an error (not a whole number >= 0). */
int build_source_date_epoch(int64_t *epoch);

/* Consumes a layer option at argv[*i] (--compression gzip|zstd|none, --level N, --keep-owner,
 * --times epoch|clamp|keep): 1 if it was one, 0 if not, -1 after printing an error. */
int build_layer_option(int argc, char **argv, int *i, limg_layer_opts *o);

/* A config edit of crane mutate's at argv[*i] (--entrypoint, --cmd, --env K=V, --label K=V, --user,
 * --workdir, --expose P, --volume V, --stop-signal S, --set-platform P, --annotation K=V), applied to
 * @b: 1 if it was one, 0 if not, -1 after printing an error. */
int build_config_option(int argc, char **argv, int *i, limg_builder *b);

/* Reads the text of the edits only (no builder yet): 1 if argv[*i] is one (and its value), 0 if not. */
int build_is_config_option(int argc, char **argv, int i);

/* The builder's time and the layers' epoch from SOURCE_DATE_EPOCH; -1 after printing an error. */
int build_apply_epoch(limg_builder_opts *bo, limg_layer_opts *lo);

/* Prints the new image as crane does: "NAME@DIGEST" for a tag, else the digest. */
void build_print_result(const char *tag, const char *digest);

/* The programs' own option lines for cli_help(), docker's layout. */
#define BUILD_LAYER_USAGE                                                                                  \
	"      --compression C   gzip (libdeflate, the default), zstd or none\n"                            \
	"      --level N         compression level (gzip 1-12, default 6; zstd 1-19, default 3)\n"         \
	"      --keep-owner      the files' own uid and gid (default 0:0)\n"                                \
	"      --times T         epoch: every mtime SOURCE_DATE_EPOCH or 1970 (default); clamp: none\n"     \
	"                        later than it; keep: the files' own\n"

#define BUILD_CONFIG_USAGE                                                                                 \
	"      --entrypoint A,B  the entrypoint (comma-separated words, as crane; \"\" for [])\n"        \
	"      --cmd A,B         the command (likewise)\n"                                                 \
	"      --env K=V         an environment variable (repeatable)\n"                                   \
	"      --label K=V       a label (repeatable)\n"                                                   \
	"      --user U          the user\n"                                                               \
	"      --workdir W       the working directory\n"                                                  \
	"      --expose P        an exposed port (80, 53/udp, 8000-8010/tcp; repeatable)\n"               \
	"      --volume V        a volume (repeatable)\n"                                                  \
	"      --stop-signal S   the stop signal\n"                                                        \
	"      --set-platform P  the image's platform (os/arch[/variant])\n"                                \
	"      --annotation K=V  a manifest annotation (repeatable)\n"

/* What a failed build step says: "No such image" for a missing image (docker's words), else the
 * library's message after docker's prefix; returns 1. @given: the image the user named, or NULL. */
int build_fail(const char *given);

#endif
