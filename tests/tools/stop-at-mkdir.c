/* SPDX-License-Identifier: MIT */
/*
 * An LD_PRELOAD shim that holds a process still at a known moment: right
 * after it makes a directory named $LIMG_STOP_AT_MKDIR (mkdirat's last path
 * component), it stops itself with SIGSTOP, once. The test then looks at
 * the process's state, sends what it means to send (Ctrl-C's SIGINT) and
 * SIGCONT: the signal lands there and then, never racing the work.
 * It depends on nothing of libimage's: it sees the library's mkdirat calls
 * from the outside, as the kernel would.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static atomic_bool stopped;

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	static int (*real)(int, const char *, mode_t);
	const char *at = getenv("LIMG_STOP_AT_MKDIR"), *base;
	int rc;

	if (!real)
		real = (int (*)(int, const char *, mode_t))dlsym(RTLD_NEXT, "mkdirat");
	rc = real(dirfd, path, mode);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (rc == 0 && at && !strcmp(base, at) && !atomic_exchange(&stopped, true))
		raise(SIGSTOP);
	return rc;
}
