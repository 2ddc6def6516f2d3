/* SPDX-License-Identifier: MIT */
/* Reproducible layer entries (see entry.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "entry.h"

#define BLOCK 512
#define NAME_LEN 100
#define PREFIX_LEN 155
#define IDNAME_LEN 32
#define OCTAL7_MAX 07777777LL          /* uid, gid, mode in 8-byte fields */
#define OCTAL11_MAX 077777777777LL     /* size, mtime in 12-byte fields */

typedef struct {
	const char *key;
	const char *value;
	size_t len;
	char num[24];                  /* a number's text, when value points here */
} record;

int limg__tar_path_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	while (*p && *p == *q) {
		p++;
		q++;
	}
	if (*p == *q)
		return 0;
	/* "/" before every other byte: a directory's contents right after it */
	if (*p == '/')
		return *q ? -1 : 1;
	if (*q == '/')
		return *p ? 1 : -1;
	return *p < *q ? -1 : 1;
}

static void octal(unsigned char *field, size_t width, uint64_t value)
{
	/* width - 1 digits and a NUL, as ustar wants */
	char tmp[24];

	snprintf(tmp, sizeof tmp, "%0*llo", (int)width - 1, (unsigned long long)value);
	memcpy(field, tmp, width - 1);
	field[width - 1] = 0;
}

static int record_cmp(const void *a, const void *b)
{
	return strcmp(((const record *)a)->key, ((const record *)b)->key);
}

static size_t digits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* "<len> <key>=<value>\n", where len counts the whole record, its own digits too. */
static int put_record(limg_buf *out, const char *key, const void *value, size_t len)
{
	size_t body = 1 + strlen(key) + 1 + len + 1, total = body + digits(body);
	char head[32];

	if (digits(total) != digits(body))
		total++;
	snprintf(head, sizeof head, "%zu ", total);
	if (limg__buf_put(out, head, strlen(head)) < 0 || limg__buf_put(out, key, strlen(key)) < 0 ||
	    limg__buf_put(out, "=", 1) < 0 || limg__buf_put(out, value, len) < 0 || limg__buf_put(out, "\n", 1) < 0)
		return LIMG_ENOMEM;
	return 0;
}

static int header_block(limg__tar_writer *t, const char *name, size_t name_len, const char *prefix, size_t prefix_len,
                        int type, const limg__tar_entry *e, uint64_t size, uint64_t mtime, bool uid_ok, bool gid_ok,
                        const char *link)
{
	unsigned char h[BLOCK];
	unsigned sum = 0;

	memset(h, 0, sizeof h);
	memcpy(h, name, name_len);
	octal(h + 100, 8, e->mode & 07777);
	octal(h + 108, 8, uid_ok ? (uint64_t)e->uid : 0);
	octal(h + 116, 8, gid_ok ? (uint64_t)e->gid : 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, mtime);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	if (e->uname && strlen(e->uname) <= IDNAME_LEN)
		memcpy(h + 265, e->uname, strlen(e->uname) < IDNAME_LEN ? strlen(e->uname) : IDNAME_LEN - 1);
	if (e->gname && strlen(e->gname) <= IDNAME_LEN)
		memcpy(h + 297, e->gname, strlen(e->gname) < IDNAME_LEN ? strlen(e->gname) : IDNAME_LEN - 1);
	octal(h + 329, 8, e->type == LIMG__TAR_CHAR || e->type == LIMG__TAR_BLOCK ? e->devmajor : 0);
	octal(h + 337, 8, e->type == LIMG__TAR_CHAR || e->type == LIMG__TAR_BLOCK ? e->devminor : 0);
	if (prefix_len)
		memcpy(h + 345, prefix, prefix_len);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	return limg__tar_data(t, h, sizeof h);
}

/* Splits @name into ustar's prefix and name fields when it can (at a "/",
 * prefix at most 155 bytes, name 1-100): the length of the prefix, or -1. */
static long ustar_split(const char *name, size_t len)
{
	if (len <= NAME_LEN)
		return 0;
	for (size_t i = len - 1; i > 0; i--) {
		if (name[i] != '/')
			continue;
		if (len - i - 1 > NAME_LEN)
			return -1; /* the part after the last usable "/" is too long */
		if (i <= PREFIX_LEN && len - i - 1 >= 1)
			return (long)i;
	}
	return -1;
}

int limg__tar_entry_write(limg__tar_writer *t, const limg__tar_entry *e)
{
	char full[LIMG__TAR_PATH_MAX + 2];
	size_t len;
	long split;
	record recs[8];
	size_t nrec = 0;
	limg_buf pax = LIMG_BUF_INIT;
	bool is_link = e->type == LIMG__TAR_SYMLINK || e->type == LIMG__TAR_HARDLINK;
	uint64_t size = e->type == LIMG__TAR_REG ? (uint64_t)e->size : 0;
	bool uid_ok = e->uid >= 0 && e->uid <= OCTAL7_MAX, gid_ok = e->gid >= 0 && e->gid <= OCTAL7_MAX;
	bool mtime_ok = e->mtime >= 0 && e->mtime <= OCTAL11_MAX;
	char quoted[160];
	int rc = 0;

	if (!e->name || !*e->name)
		return limg__error_set(LIMG_EINVALID, "a layer entry without a name");
	len = strlen(e->name);
	if (len > LIMG__TAR_PATH_MAX || (is_link && (!e->link || strlen(e->link) > LIMG__TAR_PATH_MAX))) {
		limg__quote(quoted, sizeof quoted, e->name, len);
		return limg__error_set(LIMG_ETOOBIG, "%s: %s longer than %d bytes", quoted,
		                       len > LIMG__TAR_PATH_MAX ? "its path is" : "its link target is", LIMG__TAR_PATH_MAX);
	}
	if (e->type == LIMG__TAR_REG && e->size < 0)
		return limg__error_invalid("size");
	memcpy(full, e->name, len + 1);
	if (e->type == LIMG__TAR_DIR && full[len - 1] != '/') {
		full[len++] = '/';
		full[len] = 0;
	}
	split = ustar_split(full, len);

	/* what ustar cannot hold goes into PAX records */
	if (split < 0)
		recs[nrec++] = (record){ "path", full, len, "" };
	if (is_link && strlen(e->link) > NAME_LEN)
		recs[nrec++] = (record){ "linkpath", e->link, strlen(e->link), "" };
	if (size > (uint64_t)OCTAL11_MAX) {
		recs[nrec] = (record){ "size", NULL, 0, "" };
		snprintf(recs[nrec].num, sizeof recs[nrec].num, "%llu", (unsigned long long)size);
		nrec++;
	}
	if (!mtime_ok) {
		recs[nrec] = (record){ "mtime", NULL, 0, "" };
		snprintf(recs[nrec].num, sizeof recs[nrec].num, "%lld", (long long)e->mtime);
		nrec++;
	}
	if (!uid_ok) {
		recs[nrec] = (record){ "uid", NULL, 0, "" };
		snprintf(recs[nrec].num, sizeof recs[nrec].num, "%lld", (long long)e->uid);
		nrec++;
	}
	if (!gid_ok) {
		recs[nrec] = (record){ "gid", NULL, 0, "" };
		snprintf(recs[nrec].num, sizeof recs[nrec].num, "%lld", (long long)e->gid);
		nrec++;
	}
	if (e->uname && strlen(e->uname) > IDNAME_LEN - 1)
		recs[nrec++] = (record){ "uname", e->uname, strlen(e->uname), "" };
	if (e->gname && strlen(e->gname) > IDNAME_LEN - 1)
		recs[nrec++] = (record){ "gname", e->gname, strlen(e->gname), "" };

	if (nrec || e->nxattrs) {
		/* standard keys (lowercase) and SCHILY.xattr.* (uppercase, sorting first) in byte order */
		const limg__tar_xattr **xs = NULL;
		char pax_name[NAME_LEN];
		const char *base = strrchr(e->name, '/');
		if (e->nxattrs && !(xs = limg__calloc(e->nxattrs, sizeof *xs)))
			return limg__error_oom();
		for (size_t i = 0; i < e->nxattrs; i++) {
			xs[i] = &e->xattrs[i];
			if (!xs[i]->name || !*xs[i]->name || strchr(xs[i]->name, '=')) {
				limg__free(xs);
				limg__quote(quoted, sizeof quoted, e->name, strlen(e->name));
				return limg__error_set(LIMG_EINVALID, "%s: an extended attribute name a tar cannot hold", quoted);
			}
		}
		/* insertion sort: entries carry a handful of xattrs */
		for (size_t i = 1; i < e->nxattrs; i++)
			for (size_t j = i; j > 0 && strcmp(xs[j - 1]->name, xs[j]->name) > 0; j--) {
				const limg__tar_xattr *x = xs[j];
				xs[j] = xs[j - 1];
				xs[j - 1] = x;
			}
		for (size_t i = 1; i < e->nxattrs && rc == 0; i++)
			if (!strcmp(xs[i - 1]->name, xs[i]->name)) {
				limg__quote(quoted, sizeof quoted, e->name, strlen(e->name));
				rc = limg__error_set(LIMG_EINVALID, "%s: an extended attribute named twice", quoted);
			}
		for (size_t i = 0; i < e->nxattrs && rc == 0; i++) {
			char key[300];
			if (snprintf(key, sizeof key, "SCHILY.xattr.%s", xs[i]->name) >= (int)sizeof key)
				rc = limg__error_set(LIMG_EINVALID, "an extended attribute name longer than 255 bytes");
			else if (put_record(&pax, key, xs[i]->value, xs[i]->len) < 0)
				rc = limg__error_oom();
		}
		limg__free(xs);
		qsort(recs, nrec, sizeof *recs, record_cmp);
		/* numbers point into their own record: only now that the records stay where they are */
		for (size_t i = 0; i < nrec; i++)
			if (!recs[i].value) {
				recs[i].value = recs[i].num;
				recs[i].len = strlen(recs[i].num);
			}
		for (size_t i = 0; i < nrec && rc == 0; i++)
			if (put_record(&pax, recs[i].key, recs[i].value, recs[i].len) < 0)
				rc = limg__error_oom();
		/* a fixed name: never the process id GNU tar puts there */
		base = base ? base + 1 : e->name;
		snprintf(pax_name, sizeof pax_name, "PaxHeaders/%.80s", base);
		if (rc == 0) {
			limg__tar_entry ph = *e;
			ph.mode = 0644;
			ph.type = 'x';
			ph.uname = ph.gname = NULL;
			ph.uid = ph.gid = 0;
			rc = header_block(t, pax_name, strlen(pax_name), NULL, 0, 'x', &ph, pax.size,
			                  mtime_ok ? (uint64_t)e->mtime : 0, true, true, NULL);
		}
		if (rc == 0 && (rc = limg__tar_data(t, pax.ptr, pax.size)) == 0)
			rc = limg__tar_pad(t, (int64_t)pax.size);
		limg_buf_dispose(&pax);
		if (rc < 0)
			return rc;
	}

	{
		/* the ustar header; a name or link target a PAX record carries is cut to its first bytes
		 * here (libarchive reads a PAX linkpath only beside a ustar linkname, as GNU tar writes it) */
		char cut[NAME_LEN + 1], link_cut[NAME_LEN + 1];
		const char *link = NULL;
		if (is_link) {
			snprintf(link_cut, sizeof link_cut, "%.*s", NAME_LEN, e->link);
			link = link_cut;
		}
		const char *name = full, *prefix = NULL;
		size_t name_len = len, prefix_len = 0;
		if (split > 0) {
			prefix = full;
			prefix_len = (size_t)split;
			name = full + split + 1;
			name_len = len - (size_t)split - 1;
		} else if (split < 0) {
			/* the PAX path is the name; the field holds its first bytes for old readers */
			snprintf(cut, sizeof cut, "%.*s", NAME_LEN, full);
			name = cut;
			name_len = strlen(cut);
		}
		return header_block(t, name, name_len, prefix, prefix_len, e->type, e,
		                    size > (uint64_t)OCTAL11_MAX ? 0 : size, mtime_ok ? (uint64_t)e->mtime : 0, uid_ok,
		                    gid_ok, link);
	}
}
