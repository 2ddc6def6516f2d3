/* SPDX-License-Identifier: MIT */
/* The snapshots directory, its lock, chain IDs and the marker file of a snapshot. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "libimage/digest.h"
#include "snapshot_internal.h"
#include "store/store_internal.h"

#define MARKER_MAX 4096

int limg__snapshots_open(int *out, limg_store *s, bool create)
{
	char label[4200];

	limg__store_label(label, sizeof label, s, ".libimage/snapshots");
	if (s->meta_fd < 0)
		return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_STORE, s->root, "%s is not there", label);
	return limg__fs_open_dir_at(out, s->meta_fd, "snapshots", create, label);
}

int limg__snapshots_lock(int *out, int dir, bool exclusive, const char *label)
{
	return limg__fs_lock_at(out, dir, "lock", exclusive, true, label);
}

int limg__chain_next(char out[LIMG_CHAIN_MAX], const char *parent, const char *diff_id)
{
	char text[2 * LIMG_CHAIN_MAX + 2];
	limg_buf d = LIMG_BUF_INIT;
	int rc;

	if (!parent || !*parent) {
		snprintf(out, LIMG_CHAIN_MAX, "%s", diff_id);
		return 0;
	}
	snprintf(text, sizeof text, "%s %s", parent, diff_id);
	if ((rc = limg_digest_compute(&d, LIMG_DIGEST_SHA256, text, strlen(text))) < 0)
		return rc;
	snprintf(out, LIMG_CHAIN_MAX, "%.*s", (int)d.size, d.ptr);
	limg_buf_dispose(&d);
	return 0;
}

const char *limg__chain_hex(const char *chain)
{
	const char *colon = strchr(chain, ':');

	return colon ? colon + 1 : chain;
}

bool limg__snapshot_name_ok(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++)
		if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'a' && name[n] <= 'f')))
			return false;
	return n == 64;
}

/* The marker's last line for a snapshot made without privileges (root's have none). */
#define ROOTLESS_LINE "form rootless\n"

int limg__snapshot_info_format(char *out, size_t cap, const limg__snapshot_info *i)
{
	int n = snprintf(out, cap, "libimage snapshot 1\nchain %s\nparent %s\ndiff_id %s\nlayer %s\ntree %s\n%s",
	                 i->chain, *i->parent ? i->parent : "-", i->diff_id, i->layer, i->tree,
	                 i->rootless ? ROOTLESS_LINE : "");

	return n < 0 || (size_t)n >= cap ? limg__error_set(LIMG_EINVALID, "snapshot marker too long") : n;
}

/* One "key value" line at *@p: the value, a digest (or "-" where @may_be_none), into @out. */
static bool field(const char **p, const char *end, const char *key, char *out, bool may_be_none)
{
	size_t k = strlen(key), n;
	const char *nl;

	if ((size_t)(end - *p) <= k + 1 || memcmp(*p, key, k) || (*p)[k] != ' ')
		return false;
	*p += k + 1;
	if (!(nl = memchr(*p, '\n', (size_t)(end - *p))))
		return false;
	n = (size_t)(nl - *p);
	if (n >= LIMG_CHAIN_MAX)
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nl + 1;
	if (may_be_none && !strcmp(out, "-")) {
		*out = '\0';
		return true;
	}
	return limg_digest_validate(out) == 0 || (limg_error_clear(), false);
}

int limg__snapshot_info_parse(limg__snapshot_info *i, const char *text, size_t len, const char *label)
{
	static const char head[] = "libimage snapshot 1\n";
	const char *p = text, *end = text + len;

	memset(i, 0, sizeof *i);
	if (len < sizeof head - 1 || memcmp(text, head, sizeof head - 1))
		goto bad;
	p += sizeof head - 1;
	if (!field(&p, end, "chain", i->chain, false) || !field(&p, end, "parent", i->parent, true) ||
	    !field(&p, end, "diff_id", i->diff_id, false) || !field(&p, end, "layer", i->layer, false) ||
	    !field(&p, end, "tree", i->tree, false))
		goto bad;
	if ((size_t)(end - p) == sizeof ROOTLESS_LINE - 1 && !memcmp(p, ROOTLESS_LINE, sizeof ROOTLESS_LINE - 1)) {
		i->rootless = true;
		p = end;
	}
	if (p != end)
		goto bad;
	return 0;
bad:
	return limg__error_set(LIMG_ECORRUPT, "%s is not a snapshot marker", label);
}

int limg__snapshot_info_read(limg__snapshot_info *i, int dir, const char *hex, const char *label)
{
	limg_buf b = LIMG_BUF_INIT;
	char l[4400];
	int fd, rc;

	snprintf(l, sizeof l, "%s/%s", label, hex);
	if ((rc = limg__fs_open_dir_at(&fd, dir, hex, false, l)) < 0)
		return rc;
	snprintf(l, sizeof l, "%s/%s/" LIMG_SNAPSHOT_MARKER, label, hex);
	rc = limg__fs_read_at(&b, fd, LIMG_SNAPSHOT_MARKER, MARKER_MAX, l);
	close(fd);
	if (rc < 0)
		return rc;
	rc = limg__snapshot_info_parse(i, b.ptr, b.size, l);
	limg_buf_dispose(&b);
	return rc;
}
