/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a layer's tar, applied beneath a
 * scratch root by the unpack layer's applier (privileged or rootless, by
 * the input's length). Whatever the input, nothing appears beside the root
 * and a canary directory next to it stays empty.
 */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "tar/reader.h"
#include "core/fs.h"
#include "unpack/apply.h"

static char top[64];
static int top_fd = -1;

static size_t entries_of(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	size_t n = 0;

	assert(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void remove_scratch(void)
{
	limg__fs_remove_tree_at(AT_FDCWD, top, "scratch");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	limg__applier a;
	struct archive *ar;
	struct archive_entry *e;
	int rc = 0, st;

	if (top_fd < 0) {
		assert(limg__libarchive_load() == 0);
		snprintf(top, sizeof top, "/tmp/limg-fuzz-tar-XXXXXX");
		assert(mkdtemp(top));
		top_fd = open(top, O_RDONLY | O_DIRECTORY);
		assert(mkdirat(top_fd, "canary", 0755) == 0);
		atexit(remove_scratch);
	}
	assert(mkdirat(top_fd, "root", 0755) == 0);
	memset(&a, 0, sizeof a);
	a.root = openat(top_fd, "root", O_RDONLY | O_DIRECTORY);
	a.rootless = size & 1;
	a.privileged = !a.rootless && geteuid() == 0;
	a.max_entries = 1000;
	a.limit = 64 << 20;
	a.parent_fd = -1;
	limg__apply_begin_layer(&a, "sha256:fuzz");
	ar = archive_read_new();
	archive_read_support_format_tar(ar);
	if (archive_read_open_memory(ar, data, size) == ARCHIVE_OK) {
		while (rc == 0 && ((st = archive_read_next_header(ar, &e)) == ARCHIVE_OK || st == ARCHIVE_WARN))
			rc = limg__apply_entry(&a, ar, e);
		if (rc == 0)
			limg__apply_end_layer(&a);
	}
	archive_read_free(ar);
	limg__apply_dispose(&a);
	close(a.root);
	/* the promise: nothing beside the root, nothing in the canary */
	assert(entries_of(top_fd, ".") == 2);
	assert(entries_of(top_fd, "canary") == 0);
	assert(limg__fs_remove_tree_at(top_fd, "root", "root") == 0);
	limg_error_clear();
	return 0;
}
