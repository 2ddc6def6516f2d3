/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as an archive given to limg_archive_load
 * (plain, gzip or zstd tar), into a scratch store. Whatever the input: a
 * refused load adds no blob and leaves nothing in the store's private
 * areas; a load that succeeds tags what it loaded, every blob it kept
 * passes fsck. The store is emptied between inputs.
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
#include "core/fs.h"
#include "libimage/libimage.h"

static char top[64];
static limg_store *store;

struct input {
	const uint8_t *data;
	size_t size, at;
};

static int give(size_t *out_len, void *buf, size_t cap, void *payload)
{
	struct input *in = payload;
	size_t n = in->size - in->at < cap ? in->size - in->at : cap;

	if (n > 777)
		n = 777; /* small reads: the input's edges fall anywhere */
	memcpy(buf, in->data + in->at, n);
	in->at += n;
	*out_len = n;
	return 0;
}

static size_t entries(const char *sub)
{
	char path[128];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/store/%s", top, sub);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void remove_scratch(void)
{
	limg_store_close(store);
	limg__fs_remove_tree_at(AT_FDCWD, top, "scratch");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_archive_load_callbacks cb = LIMG_ARCHIVE_LOAD_CALLBACKS_INIT;
	struct input in = { data, size, 0 };
	char path[128];
	int rc;

	if (!store) {
		const char *base = getenv("LIMG_FUZZ_SCRATCH") ? getenv("LIMG_FUZZ_SCRATCH") : "/dev/shm";
		snprintf(top, sizeof top, "%s/limg-fuzz-load-XXXXXX", base);
		assert(mkdtemp(top));
		atexit(remove_scratch);
	}
	snprintf(path, sizeof path, "%s/store", top);
	so.mode = LIMG_STORE_CREATE;
	if (!store)
		assert(limg_store_open(&store, NULL, path, &so) == 0);
	cb.read = give;
	cb.payload = &in;
	rc = limg_archive_load(store, -1, NULL, &cb);
	assert(rc <= 0);
	assert(entries(".libimage/tmp") == 0 && entries(".libimage/ingest") == 0);
	if (rc < 0) {
		assert(entries("blobs/sha256") == 0); /* a refused load leaves nothing it read */
		assert(limg_error_message(limg_error_last())[0]);
	} else {
		/* what it kept is whole; then a fresh store for the next input */
		limg_store_fsck_opts fo = LIMG_STORE_FSCK_OPTS_INIT;
		size_t problems = 0;
		assert(limg_store_fsck(&problems, store, &fo, NULL) == 0 && problems == 0);
		limg_store_close(store);
		store = NULL;
		assert(limg__fs_remove_tree_at(AT_FDCWD, path, "store") == 0);
		assert(limg_store_open(&store, NULL, path, &so) == 0);
	}
	limg_error_clear();
	return 0;
}
