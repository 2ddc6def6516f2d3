/* SPDX-License-Identifier: MIT */
/*
 * Where blobs came from: "<domain>/<repository>" lines in
 * .libimage/sources/<alg>-<hex>, one file per blob (containerd's
 * distribution-source labels). A push to a repository of the same registry
 * mounts the blob from one of them instead of uploading it. Appends are
 * single small writes with O_APPEND, so concurrent writers interleave whole
 * lines; readers take what parses and ignore the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "digest/digest_internal.h"
#include "store_internal.h"

#define SOURCES_FILE_MAX (16u << 10)

/* The sources directory, made on first use (a store opened read-only has none to make). */
static int sources_dir(limg_store *s, bool create, int *out)
{
	char label[4096];
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->sources_fd < 0) {
		snprintf(label, sizeof label, "%s/.libimage/sources", s->root);
		rc = limg__fs_open_dir_at(&s->sources_fd, s->meta_fd, "sources", create, label);
	}
	*out = s->sources_fd;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The store keeps the lines; what they mean (a repository name) is checked by
 * the layer that reads them. Here: short, printable, no spaces. */
static bool valid_source(const char *line, size_t n)
{
	if (!n || n >= 512)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] <= 0x20 || (unsigned char)line[i] >= 0x7f)
			return false;
	return true;
}

int limg__store_sources(limg_store *s, const char *digest, limg__source_cb cb, void *payload)
{
	limg_buf text = LIMG_BUF_INIT;
	char name[160], label[4096];
	const char *p;
	int dir, rc;

	if (limg__digest_check(digest, strlen(digest), NULL) != 0 || sources_dir(s, false, &dir) < 0) {
		limg_error_clear();
		return 0;
	}
	limg__store_flat_name(name, sizeof name, digest);
	snprintf(label, sizeof label, "%s/.libimage/sources/%s", s->root, name);
	if (limg__fs_read_at(&text, dir, name, SOURCES_FILE_MAX, label) < 0) {
		limg_error_clear(); /* no facts, or unreadable ones: none */
		return 0;
	}
	rc = 0;
	for (p = text.ptr; rc == 0 && p && *p;) {
		const char *end = strchr(p, '\n');
		char line[512];
		size_t n;
		if (!end)
			break; /* a line still being written */
		n = (size_t)(end - p);
		if (valid_source(p, n)) {
			memcpy(line, p, n);
			line[n] = '\0';
			rc = cb(line, payload);
		}
		p = end + 1;
	}
	limg_buf_dispose(&text);
	return rc;
}

static int is_line(const char *line, void *payload)
{
	return !strcmp(line, payload);
}

int limg__store_source_add(limg_store *s, const char *digest, const char *source)
{
	char name[160], line[520];
	int dir, fd, n;

	if (!valid_source(source, strlen(source)) || limg__digest_check(digest, strlen(digest), NULL) != 0 ||
	    s->read_only)
		return 0;
	if (limg__store_sources(s, digest, is_line, (void *)source) == 1)
		return 0; /* known */
	if (sources_dir(s, true, &dir) < 0) {
		limg_error_clear(); /* a store we may not write: sources are a help, not a need */
		return 0;
	}
	limg__store_flat_name(name, sizeof name, digest);
	if ((fd = openat(dir, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		return 0;
	/* a blob pulled from very many repositories keeps the first ones */
	if (lseek(fd, 0, SEEK_END) < (off_t)SOURCES_FILE_MAX / 2) {
		n = snprintf(line, sizeof line, "%s\n", source);
		if (write(fd, line, (size_t)n) != n)
			limg__log(s->ctx, LIMG_LOG_DEBUG, "cannot record where %s came from", digest);
	}
	close(fd);
	return 0;
}

int limg__store_sources_sweep(limg_store *s, const limg__strset *keep)
{
	int dir;

	if (sources_dir(s, false, &dir) < 0) {
		limg_error_clear();
		return 0;
	}
	return limg__store_sweep_flat(dir, keep);
}
