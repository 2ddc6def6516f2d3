/* SPDX-License-Identifier: MIT */
/*
 * index.json on disk beyond reading and replacing it whole (index.c): a
 * stamp that any other program's write changes, and its slots read one
 * line at a time. Changes in place go through the journal (index_journal.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "libimage/digest.h"
#include "store_internal.h"

#define SAMPLE 256                 /* bytes of each end hashed into the stamp */
#define LINE_MAX_BYTES (8u << 20)  /* a longer line is not ours: read the file whole */

static void label_of(char *out, size_t cap, limg_store *s, const char *name)
{
	snprintf(out, cap, "%s/%s", s->root, name);
}

int limg__index_open(int *fd, limg_store *s, bool write)
{
	char label[4096];
	int rc;

	label_of(label, sizeof label, s, "index.json");
	if (!write) {
		rc = limg__fs_open_regular_at(fd, s->root_fd, "index.json", label);
		return rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "%s is missing", label) : rc;
	}
	*fd = openat(s->root_fd, "index.json", O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return errno == ELOOP ? limg__error_set(LIMG_ECORRUPT, "%s is a symlink, which is refused", label)
		       : errno == ENOENT ? limg__error_set(LIMG_ECORRUPT, "%s is missing", label)
		                         : limg__fs_error("cannot open", label);
	{
		struct stat st;
		if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(*fd);
			*fd = -1;
			return limg__error_set(LIMG_ECORRUPT, "%s is not a regular file", label);
		}
	}
	return 0;
}

ssize_t limg__pread_all(int fd, void *buf, size_t len, int64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + (int64_t)got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int limg__pwrite_all(int fd, const void *buf, size_t len, int64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + (int64_t)done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* ---- the stamp ----------------------------------------------------------- */

int limg__index_stamp_fd(char out[LIMG_INDEX_STAMP_MAX], int fd, const char *label)
{
	unsigned char head[2 * SAMPLE];
	limg_buf hex = LIMG_BUF_INIT;
	struct stat st;
	ssize_t a, b = 0;
	int rc;

	if (fstat(fd, &st) < 0)
		return limg__fs_error("cannot stat", label);
	if ((a = limg__pread_all(fd, head, SAMPLE, 0)) < 0 ||
	    (st.st_size > SAMPLE && (b = limg__pread_all(fd, head + a, SAMPLE, st.st_size > 2 * SAMPLE ? st.st_size - SAMPLE : SAMPLE)) < 0))
		return limg__fs_error("cannot read", label);
	if ((rc = limg_digest_compute(&hex, LIMG_DIGEST_SHA256, head, (size_t)(a + b))) < 0)
		return rc;
	snprintf(out, LIMG_INDEX_STAMP_MAX, "%ju:%ju:%jd:%jd.%09ld:%jd.%09ld:%.16s", (uintmax_t)st.st_dev,
	         (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	         (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, hex.ptr + 7);
	limg_buf_dispose(&hex);
	return 0;
}

int limg__index_stamp(char out[LIMG_INDEX_STAMP_MAX], limg_store *s)
{
	char label[4096];
	int fd, rc;

	label_of(label, sizeof label, s, "index.json");
	if ((rc = limg__index_open(&fd, s, false)) < 0)
		return rc;
	rc = limg__index_stamp_fd(out, fd, label);
	close(fd);
	return rc;
}

/* ---- reading slot by slot ----------------------------------------------- */

static int corrupt(const char *label, int64_t off, const char *why)
{
	return limg__error_set(LIMG_ECORRUPT, "%s is corrupt at byte %" PRId64 ": %s", label, off, why);
}

/* The members after "]" on the last line, without "," and "}": checked as
 * JSON members that do not repeat the head's. */
static int check_tail(const char *text, size_t len, char **extra, const char *label, int64_t off)
{
	limg_buf doc = LIMG_BUF_INIT, key = LIMG_BUF_INIT;
	limg__json j;
	int more, rc = 0;

	*extra = NULL;
	if (len == 0)
		return 0;
	if (text[0] != ',')
		return LIMG__INDEX_FOREIGN;
	if (limg__buf_put(&doc, "{", 1) < 0 || limg__buf_put(&doc, text + 1, len - 1) < 0 || limg__buf_put(&doc, "}", 1) < 0)
		return limg__error_oom();
	limg__json_init(&j, doc.ptr, doc.size, NULL);
	if (limg__json_begin_object(&j) == 0) {
		while ((more = limg__json_next_key(&j, &key)) == 1) {
			if (limg__json_key_is(key.ptr, "manifests") || limg__json_key_is(key.ptr, "schemaVersion") ||
			    limg__json_key_is(key.ptr, "mediaType")) {
				limg__json_fail(&j, "a member of the head line again");
				break;
			}
			if (limg__json_skip(&j, NULL, NULL) < 0)
				break;
		}
		if (!j.failed)
			limg__json_finish(&j);
	}
	if (j.failed)
		rc = corrupt(label, off, j.why);
	else if (!(*extra = limg__strndup(text + 1, len - 1)))
		rc = limg__error_oom();
	limg__json_dispose(&j);
	limg_buf_dispose(&doc);
	limg_buf_dispose(&key);
	return rc;
}

static bool all_spaces(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ')
			return false;
	return true;
}

int limg__index_scan(limg_store *s, limg__index_slot_cb cb, void *payload, limg__index_layout *out)
{
	static const char head[] = LIMG_INDEX_HEAD;
	char label[4096], stamp_after[LIMG_INDEX_STAMP_MAX];
	limg_buf buf = LIMG_BUF_INIT;
	size_t start = 0;         /* of the unread part of buf */
	int64_t off, base = 0;   /* file offset of buf.ptr[0] */
	bool eof = false, seen_entry = false, tail = false;
	int fd, rc;

	memset(out, 0, sizeof *out);
	label_of(label, sizeof label, s, "index.json");
	if ((rc = limg__index_open(&fd, s, false)) < 0)
		return rc;
	if ((rc = limg__index_stamp_fd(out->stamp, fd, label)) < 0)
		goto done;
	off = 0;
	for (;;) {
		char *line, *nl;
		size_t len;
		/* a whole line in the buffer, reading more as needed */
		while (!(nl = buf.size > start ? memchr(buf.ptr + start, '\n', buf.size - start) : NULL) && !eof) {
			ssize_t n;
			if (start) { /* keep only the unread part */
				memmove(buf.ptr, buf.ptr + start, buf.size - start);
				buf.size -= start;
				base += (int64_t)start;
				start = 0;
			}
			if (buf.size >= LINE_MAX_BYTES) {
				rc = LIMG__INDEX_FOREIGN;
				goto done;
			}
			if (limg__buf_grow(&buf, buf.size + (1u << 20) + 1) < 0) {
				rc = limg__error_oom();
				goto done;
			}
			n = read(fd, buf.ptr + buf.size, (1u << 20));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = limg__fs_error("cannot read", label);
				goto done;
			}
			eof = n == 0;
			buf.size += (size_t)n;
		}
		if (!nl) {
			if (buf.size != start || !tail) /* text after the last line, or no last line */
				rc = tail ? corrupt(label, off, "text after the end") : LIMG__INDEX_FOREIGN;
			break;
		}
		if (tail) { /* a line after the last one */
			rc = LIMG__INDEX_FOREIGN;
			break;
		}
		line = buf.ptr + start;
		len = (size_t)(nl - line);
		off = base + (int64_t)start;
		start += len + 1;
		if (off == 0) {
			if (len + 1 != sizeof head - 1 || memcmp(line, head, len + 1) != 0) {
				rc = LIMG__INDEX_FOREIGN;
				break;
			}
			continue;
		}
		if (len && line[0] == ']') {
			/* the last line: "]" members "}" */
			size_t end = len;
			if (end < 2 || line[end - 1] != '}') {
				rc = LIMG__INDEX_FOREIGN;
				break;
			}
			out->tail_off = off;
			if ((rc = check_tail(line + 1, end - 2, &out->tail, label, off)) != 0)
				break;
			tail = true;
			continue;
		}
		if (all_spaces(line, len)) {
			if ((rc = cb(off, (int64_t)len + 1, NULL, 0, payload)) != 0)
				break;
			continue;
		}
		{
			size_t n = len;
			while (n > 1 && line[n - 1] == ' ')
				n--;
			/* ' ' before the first entry, ',' before the others, then one object */
			if (line[0] != (seen_entry ? ',' : ' ') || line[1] != '{' || line[n - 1] != '}') {
				rc = LIMG__INDEX_FOREIGN;
				break;
			}
			seen_entry = true;
			if ((rc = cb(off, (int64_t)len + 1, line + 1, n - 1, payload)) != 0)
				break;
		}
	}
	if (rc == 0) {
		out->end = base + (int64_t)buf.size;
		/* written while we read (by a program that does not take our lock): not a layout to trust */
		if ((rc = limg__index_stamp_fd(stamp_after, fd, label)) == 0 && strcmp(stamp_after, out->stamp) != 0)
			rc = limg__error_set(LIMG_ECORRUPT, "%s changed while it was read (another program writing it?)", label);
	}
done:
	if (rc != 0) {
		limg__free(out->tail);
		out->tail = NULL;
	}
	close(fd);
	limg_buf_dispose(&buf);
	return rc;
}
