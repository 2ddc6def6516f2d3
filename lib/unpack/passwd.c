/* SPDX-License-Identifier: MIT */
/*
 * USER of an image config, resolved as moby/sys/user's GetExecUserPath
 * (what runc and umoci use), against files an image wrote: they are read
 * beneath the root, only when regular and small, line by line with no
 * trust in their numbers (a line with a bad id is skipped, never read as 0).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "passwd.h"
#include "resolve.h"

#define FILE_MAX (4u << 20)
#define SGIDS_MAX 65536 /* NGROUPS_MAX */

/* The file's bytes, or NULL with *@missing when it is not there. */
static int read_file(char **out, size_t *len, bool *missing, int root, const char *path)
{
	char *buf = NULL;
	size_t n = 0;
	int fd, rc;

	*out = NULL;
	*missing = false;
	if ((rc = limg__resolve_file(root, path, &fd)) < 0) {
		if (rc == -ENOENT || rc == -ENOTDIR) {
			*missing = true;
			return 0;
		}
		return limg__error_set(rc == -EINVAL || rc == -ELOOP ? LIMG_ECORRUPT : LIMG_ESYSTEM,
		                       "the image's /%s cannot be read: %s", path,
		                       rc == -EINVAL ? "not a regular file" : strerror(-rc));
	}
	if (!(buf = limg__malloc(FILE_MAX + 1))) {
		close(fd);
		return limg__error_oom();
	}
	for (;;) {
		ssize_t got = read(fd, buf + n, FILE_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = errno;
			close(fd);
			limg__free(buf);
			return limg__error_set(LIMG_ESYSTEM, "the image's /%s cannot be read: %s", path, strerror(rc));
		}
		if (!got)
			break;
		n += (size_t)got;
		if (n > FILE_MAX) {
			close(fd);
			limg__free(buf);
			return limg__error_set(LIMG_ETOOBIG, "the image's /%s is larger than %u bytes", path, FILE_MAX);
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* A decimal id of at most LIMG_ID_MAX; -1 for anything else, -2 when all
 * digits but too large. */
static int64_t parse_id(const char *s, size_t n)
{
	int64_t v = 0;

	if (!n || n > 20)
		return n > 20 && strspn(s, "0123456789") >= n ? -2 : -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > (int64_t)LIMG_ID_MAX) {
			while (++i < n)
				if (s[i] < '0' || s[i] > '9')
					return -1;
			return -2;
		}
	}
	return v;
}

/* The fields of one line (at most @max), split at ':'. */
static size_t split_fields(char *line, char **f, size_t *len, size_t max)
{
	size_t k = 0;
	char *p = line;

	while (k < max) {
		char *c = strchr(p, ':');
		f[k] = p;
		len[k] = c ? (size_t)(c - p) : strlen(p);
		k++;
		if (!c)
			break;
		p = c + 1;
	}
	return k;
}

/* Calls @fn for each non-empty, non-comment line (trimmed); stops at its non-zero value. */
static int each_line(char *text, int (*fn)(char *line, void *payload), void *payload)
{
	char *p = text;

	while (*p) {
		char *end = strchr(p, '\n'), *line = p, *last;
		int rc;
		if (end)
			*end = '\0';
		p = end ? end + 1 : p + strlen(p);
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		last = line + strlen(line);
		while (last > line && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'))
			*--last = '\0';
		if (!*line || *line == '#')
			continue;
		if ((rc = fn(line, payload)) != 0)
			return rc;
	}
	return 0;
}

typedef struct {
	const char *arg;      /* the user or group part as written */
	int64_t id;           /* its number, or -1 for a name */
	bool found;
	char name[256];       /* the matched entry's name */
	uint32_t uid, gid;
	char *home;
	/* groups */
	const char *member;   /* the user's name, for the implicit form */
	uint32_t *sgids;
	size_t nsgids, capsgids;
	int rc;
} search;

static int passwd_line(char *line, void *payload)
{
	search *s = payload;
	char *f[7];
	size_t len[7], k = split_fields(line, f, len, 7);
	int64_t uid, gid;

	if (k < 4 || (uid = parse_id(f[2], len[2])) < 0 || (gid = parse_id(f[3], len[3])) < 0)
		return 0; /* not an entry we can trust */
	if (s->id >= 0 ? uid != s->id : (len[0] != strlen(s->arg) || memcmp(f[0], s->arg, len[0]) != 0))
		return 0;
	s->found = true;
	snprintf(s->name, sizeof s->name, "%.*s", (int)len[0], f[0]);
	s->uid = (uint32_t)uid;
	s->gid = (uint32_t)gid;
	if (k >= 6 && len[5] && !(s->home = limg__strndup(f[5], len[5]))) {
		s->rc = limg__error_oom();
		return 1;
	}
	return 1; /* the first match, as getpwnam */
}

static bool lists_member(char *list, size_t n, const char *who)
{
	size_t w = strlen(who);
	char *p = list, *end = list + n;

	if (!w)
		return false;
	while (p < end) {
		char *c = memchr(p, ',', (size_t)(end - p));
		size_t m = c ? (size_t)(c - p) : (size_t)(end - p);
		if (m == w && !memcmp(p, who, w))
			return true;
		p += m + 1;
	}
	return false;
}

static int group_line(char *line, void *payload)
{
	search *s = payload;
	char *f[4];
	size_t len[4], k = split_fields(line, f, len, 4);
	int64_t gid;

	if (k < 3 || (gid = parse_id(f[2], len[2])) < 0)
		return 0;
	if (s->member) {
		/* the implicit form: every group that lists the user */
		if (k < 4 || !lists_member(f[3], len[3], s->member))
			return 0;
		if (s->nsgids == SGIDS_MAX)
			return 0;
		if ((s->rc = limg__array_grow((void **)&s->sgids, &s->capsgids, s->nsgids + 1, sizeof *s->sgids)) < 0)
			return 1;
		s->sgids[s->nsgids++] = (uint32_t)gid;
		return 0;
	}
	if (s->id >= 0 ? gid != s->id : (len[0] != strlen(s->arg) || memcmp(f[0], s->arg, len[0]) != 0))
		return 0;
	s->found = true;
	s->gid = (uint32_t)gid;
	return 1;
}

static int out_of_range(const char *what, const char *arg)
{
	char q[64];

	limg__quote(q, sizeof q, arg, strlen(arg));
	return limg__error_set(LIMG_ECORRUPT, "the image's %s %s is out of range (0 to %u)", what, q, LIMG_ID_MAX);
}

void limg__exec_user_dispose(limg__exec_user *u)
{
	limg__free(u->sgids);
	limg__free(u->home);
	memset(u, 0, sizeof *u);
}

int limg__exec_user_resolve(limg__exec_user *out, int root, const char *spec)
{
	char user[512], q[300];
	const char *colon = strchr(spec, ':'), *group = colon ? colon + 1 : "";
	char *passwd = NULL, *groups = NULL;
	size_t plen = 0, glen = 0;
	bool no_passwd, no_group;
	search s;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&s, 0, sizeof s);
	snprintf(user, sizeof user, "%.*s", (int)(colon ? (size_t)(colon - spec) : strlen(spec)), spec);
	s.arg = user;
	s.id = *user ? parse_id(user, strlen(user)) : 0; /* no user: uid 0's entry */
	if (s.id == -2)
		return out_of_range("user id", user);
	if ((rc = read_file(&passwd, &plen, &no_passwd, root, "etc/passwd")) < 0)
		return rc;
	if (passwd)
		each_line(passwd, passwd_line, &s);
	limg__free(passwd);
	if (s.rc < 0)
		return s.rc;
	if (s.found) {
		out->uid = s.uid;
		out->gid = s.gid;
		out->home = s.home;
	} else if (s.id >= 0) {
		out->uid = (uint32_t)s.id;
	} else {
		limg__quote(q, sizeof q, user, strlen(user));
		return limg__error_set(LIMG_ENOTFOUND, "the image's user %s is not in its /etc/passwd%s", q,
		                       no_passwd ? " (it has none)" : "");
	}
	if ((rc = read_file(&groups, &glen, &no_group, root, "etc/group")) < 0)
		goto fail;
	{
		search g;
		memset(&g, 0, sizeof g);
		g.arg = group;
		if (*group) {
			g.id = parse_id(group, strlen(group));
			if (g.id == -2) {
				limg__free(groups);
				rc = out_of_range("group id", group);
				goto fail;
			}
		} else {
			g.member = s.found ? s.name : NULL;
		}
		if (groups && (*group || g.member))
			each_line(groups, group_line, &g);
		limg__free(groups);
		if (g.rc < 0) {
			limg__free(g.sgids);
			rc = g.rc;
			goto fail;
		}
		if (*group) {
			if (g.found) {
				out->gid = g.gid;
			} else if (g.id >= 0) {
				out->gid = (uint32_t)g.id;
			} else {
				limg__quote(q, sizeof q, group, strlen(group));
				rc = limg__error_set(LIMG_ENOTFOUND, "the image's group %s is not in its /etc/group%s", q,
				                     no_group ? " (it has none)" : "");
				goto fail;
			}
		} else {
			out->sgids = g.sgids;
			out->nsgids = g.nsgids;
		}
	}
	return 0;
fail:
	limg__exec_user_dispose(out);
	return rc;
}
