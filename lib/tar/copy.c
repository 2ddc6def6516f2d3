/* SPDX-License-Identifier: MIT */
/* A stored file's bytes as an archive member's data: copied by the kernel
 * (copy_file_range, else sendfile) when the archive is a regular file,
 * never through our memory; through a buffer to a pipe, a socket (which
 * writer.c writes without blocking, for the cancel token) or a callback. */
#include <errno.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "libimage/cancel.h"
#include "writer.h"

#define KERNEL_CHUNK (8u << 20) /* per call: the cancel token is looked at in between */

enum { COPY_RANGE, SEND_FILE, READ_WRITE };

static int write_error(int err)
{
	return limg__error_set(err == ENOSPC || err == EDQUOT ? LIMG_ENOSPACE : LIMG_ESYSTEM,
	                       "cannot write the archive: %s", strerror(err));
}

int limg__tar_data_from(limg__tar_writer *t, int fd, int64_t len, void *buf, size_t cap, const limg_cancel *cancel)
{
	struct stat st;
	int mode = !t->write && fstat(t->fd, &st) == 0 && S_ISREG(st.st_mode) ? COPY_RANGE : READ_WRITE;
	int64_t off = 0;
	ssize_t n;
	int rc;

	while (off < len) {
		size_t want = len - off < (int64_t)KERNEL_CHUNK ? (size_t)(len - off) : KERNEL_CHUNK;
		if (limg_cancel_requested(cancel))
			return limg__error_set(LIMG_ECANCELLED, "save cancelled");
		if (mode == READ_WRITE) {
			if (want > cap)
				want = cap;
			n = pread(fd, buf, want, (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return limg__error_set(n < 0 ? LIMG_ESYSTEM : LIMG_ECORRUPT, "a stored file being saved: %s",
				                       n < 0 ? strerror(errno) : "shorter than it was");
			if ((rc = limg__tar_data(t, buf, (size_t)n)) < 0)
				return rc;
			off += n;
			continue;
		}
		if (mode == COPY_RANGE) {
			loff_t in = (loff_t)off;
			n = copy_file_range(fd, &in, t->fd, NULL, want, 0);
		} else {
			off_t in = (off_t)off;
			n = sendfile(t->fd, fd, &in, want);
		}
		if (n > 0) {
			off += n;
			t->written += n;
			continue;
		}
		if (n == 0)
			return limg__error_set(LIMG_ECORRUPT, "a stored file being saved: shorter than it was");
		if (errno == EINTR)
			continue;
		/* not between these two files (another file system, O_APPEND): the next way */
		if (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS || errno == EBADF ||
		    errno == ETXTBSY) {
			mode++;
			continue;
		}
		return write_error(errno);
	}
	return 0;
}
