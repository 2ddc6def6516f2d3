/* SPDX-License-Identifier: MIT */
/*
 * An LD_PRELOAD shim that crashes a process at a chosen step of its writes
 * to a store's index.json and .libimage/index.journal (a step: one pwrite,
 * fdatasync, fsync or ftruncate of either), seen from the outside as the
 * kernel sees them. Nothing of libimage's is used.
 *
 *   LIMG_CRASH_AT=N      SIGKILL before the Nth step (none: run through)
 *   LIMG_CRASH_MODE=     process (default): the writes done so far stay, as
 *                        after a killed process (the page cache keeps them);
 *                        power: writes not yet flushed are lost, as after a
 *                        power cut (each file's writes are held back until
 *                        its fdatasync/fsync); torn: of those, only every
 *                        other 512-byte sector reaches the file
 *   LIMG_FAKE_BOOT_ID=ID /proc/sys/kernel/random/boot_id reads ID (a
 *                        restart is a run with another ID)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#define BOOT_ID "/proc/sys/kernel/random/boot_id"

typedef struct {
	int kind; /* 0 index.json, 1 the journal */
	char *path;
	off_t off;
	size_t len;
	char *bytes;
} held;

static held *holds;
static size_t nholds;
static long steps;

static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_fdatasync)(int);
static int (*real_fsync)(int);
static int (*real_ftruncate)(int, off_t);
static int (*real_open)(const char *, int, ...);

static void bind(void)
{
	if (real_pwrite)
		return;
	real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate64");
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
}

/* 0 index.json, 1 the journal, -1 anything else; @path (may be NULL) receives its path. */
static int kind_of(int fd, char **path_out)
{
	char link[64], path[4096];
	ssize_t n;
	int kind = -1;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return -1;
	path[n] = '\0';
	if (n >= 11 && !strcmp(path + n - 11, "/index.json"))
		kind = 0;
	if (n >= 14 && !strcmp(path + n - 14, "/index.journal"))
		kind = 1;
	if (kind >= 0 && path_out && !(*path_out = strdup(path)))
		abort();
	return kind;
}

static const char *mode(void)
{
	const char *m = getenv("LIMG_CRASH_MODE");
	return m && *m ? m : "process";
}

static bool holding(void)
{
	return strcmp(mode(), "process") != 0;
}

/* Writes what is held for @kind (-1: all): all of it, or (torn) every other sector. */
static void release(int kind, bool torn)
{
	size_t k = 0;

	for (size_t i = 0; i < nholds; i++) {
		held *h = &holds[i];
		int fd;
		if (kind >= 0 && h->kind != kind) {
			holds[k++] = *h;
			continue;
		}
		fd = real_open(h->path, O_WRONLY | O_CLOEXEC);
		for (size_t at = 0; fd >= 0 && at < h->len;) {
			off_t pos = h->off + (off_t)at;
			size_t end = (size_t)((pos / 512 + 1) * 512 - h->off);
			if (end > h->len)
				end = h->len;
			if (!torn || (pos / 512) % 2 == 0)
				real_pwrite(fd, h->bytes + at, end - at, pos);
			at = end;
		}
		if (fd >= 0)
			close(fd);
		free(h->bytes);
		free(h->path);
	}
	nholds = k;
}

/* One step: the crash, when it is this one. */
static void step(void)
{
	const char *at = getenv("LIMG_CRASH_AT");

	if (!at || ++steps != atol(at))
		return;
	if (!strcmp(mode(), "torn"))
		release(-1, true);
	kill(getpid(), SIGKILL);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	char *path = NULL;
	int kind;

	bind();
	if ((kind = kind_of(fd, NULL)) < 0)
		return real_pwrite(fd, buf, len, off);
	step();
	if (holding()) {
		kind_of(fd, &path);
		held *more = realloc(holds, (nholds + 1) * sizeof *holds);
		if (!more || !(more[nholds].bytes = malloc(len ? len : 1)))
			abort();
		holds = more;
		memcpy(holds[nholds].bytes, buf, len);
		holds[nholds].kind = kind;
		holds[nholds].path = path;
		holds[nholds].off = off;
		holds[nholds].len = len;
		nholds++;
		return (ssize_t)len;
	}
	return real_pwrite(fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite64(fd, buf, len, off);
}

static int flush(int fd, int (*real)(int))
{
	int kind;

	bind();
	if ((kind = kind_of(fd, NULL)) >= 0) {
		step();
		release(kind, false);
	}
	return real(fd);
}

int fdatasync(int fd)
{
	bind();
	return flush(fd, real_fdatasync);
}

int fsync(int fd)
{
	bind();
	return flush(fd, real_fsync);
}

int ftruncate64(int fd, off_t len)
{
	int kind;

	bind();
	if ((kind = kind_of(fd, NULL)) >= 0) {
		step();
		release(kind, false); /* a truncation comes after what was written before it */
	}
	return real_ftruncate(fd, len);
}

int ftruncate(int fd, off_t len)
{
	return ftruncate64(fd, len);
}

int open64(const char *path, int flags, ...)
{
	const char *boot = getenv("LIMG_FAKE_BOOT_ID");
	mode_t m = 0;
	va_list ap;

	bind();
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		m = (mode_t)va_arg(ap, int);
	va_end(ap);
	if (boot && !strcmp(path, BOOT_ID)) {
		int fd = memfd_create("boot_id", MFD_CLOEXEC);
		if (fd >= 0 && write(fd, boot, strlen(boot)) == (ssize_t)strlen(boot) && lseek(fd, 0, SEEK_SET) == 0)
			return fd;
	}
	return real_open(path, flags, m);
}

int open(const char *path, int flags, ...)
{
	mode_t m = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		m = (mode_t)va_arg(ap, int);
	va_end(ap);
	return open64(path, flags, m);
}

/* A run that ends without a crash: what it held reaches the files. */
__attribute__((destructor)) static void finish(void)
{
	if (nholds)
		release(-1, false);
}
