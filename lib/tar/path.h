/* SPDX-License-Identifier: MIT */
/* Lexical path cleaning, for names that come from layers, archives and images. */
#ifndef LIMG_TAR_PATH_H
#define LIMG_TAR_PATH_H

#include <stddef.h>

/* Makes @in local: leading "/" and "./" go, "." and empty components drop,
 * ".." pops the component before it. 0 with the result in @out ("" for the
 * start itself); -1 when ".." climbs above the start; -2 when it does not
 * fit @cap or (with @name_max) a component is longer than @name_max. */
int limg__path_clean(const char *in, char *out, size_t cap, size_t name_max);

/* The same as chroot reads a path: ".." at the start stays there (never -1). */
int limg__path_clean_clamped(const char *in, char *out, size_t cap);

#endif
