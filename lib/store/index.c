/* SPDX-License-Identifier: MIT */
/*
 * index.json, the OCI layout's list of root descriptors (tags live here),
 * decoded into a compact model: fixed fields per entry, strings in one
 * arena, and every member we do not interpret kept as its JSON text so
 * that other tools' fields survive our rewrites. A 200 MB index costs a
 * small multiple of its size, not the tenfold of a general JSON tree.
 * Written back one entry per line, padded (store_internal.h: "slots"), so
 * that a later change can rewrite one line in place (index_file.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "libimage/manifest.h"
#include "manifest/fields.h"
#include "store_internal.h"

static char *arena_copy(limg__index *ix, const char *s, size_t n)
{
	return limg__arena_strndup(&ix->arena, s, n);
}

/* Appends valid JSON text without the whitespace between its tokens (a
 * pretty-printed member of another tool would break a line in two). */
static int put_compact(limg_buf *out, const char *raw, size_t len)
{
	bool in_string = false, escaped = false;
	size_t from = 0;

	for (size_t i = 0; i < len; i++) {
		char c = raw[i];
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (i > from && limg__buf_put(out, raw + from, i - from) < 0)
				return LIMG_ENOMEM;
			from = i + 1;
		}
	}
	return len > from && limg__buf_put(out, raw + from, len - from) < 0 ? LIMG_ENOMEM : 0;
}

/* Appends `"name":raw` to a growing list of extra members. */
static int add_extra(limg_buf *extra, const char *name, size_t name_len, const char *raw, size_t raw_len)
{
	if (extra->size && limg__buf_put(extra, ",", 1) < 0)
		return LIMG_ENOMEM;
	if (limg__json_put_string(extra, name, name_len) < 0 || limg__buf_put(extra, ":", 1) < 0 ||
	    put_compact(extra, raw, raw_len) < 0)
		return LIMG_ENOMEM;
	return 0;
}

/* "annotations": an object of strings (the OCI spec, and Go's map[string]string). */
static int read_annotations(limg__json *j, limg__index *ix, limg__index_entry *e, limg_buf *key, limg_buf *val)
{
	limg__annotation *list = NULL;
	size_t n = 0, cap = 0;
	int more;

	if (limg__json_begin_object(j) < 0)
		return -1;
	while ((more = limg__json_next_key(j, key)) == 1) {
		if (limg__json_peek(j) != LIMG_JSON_STRING)
			return limg__json_fail(j, "an annotation is not a string");
		if (limg__json_string(j, val) < 0)
			return -1;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			limg__annotation *grown = limg__arena_alloc(&ix->arena, ncap * sizeof *grown);
			if (!grown)
				return limg__json_oom(j);
			if (n)
				memcpy(grown, list, n * sizeof *list);
			list = grown;
			cap = ncap;
		}
		if (!(list[n].key = arena_copy(ix, key->ptr, key->size)) ||
		    !(list[n].value = arena_copy(ix, val->ptr, val->size)))
			return limg__json_oom(j);
		n++;
	}
	if (more != 0)
		return -1;
	e->ann = list;
	e->nann = n;
	return 0;
}

static int read_string_field(limg__json *j, limg__index *ix, char **field, limg_buf *val, const char *name)
{
	char why[64];

	if (limg__json_peek(j) != LIMG_JSON_STRING) {
		snprintf(why, sizeof why, "%s is not a string", name);
		return limg__json_fail(j, why);
	}
	if (limg__json_string(j, val) < 0)
		return -1;
	if (!(*field = arena_copy(ix, val->ptr, val->size)))
		return limg__json_oom(j);
	return 0;
}

/* One descriptor. Our members are matched as Go matches struct fields (so
 * that an unknown member kept as it is can never collide with one we
 * write), with the types Go's decoder demands; every other member is kept
 * as its JSON text. */
static int read_entry(limg__json *j, limg__index *ix, limg__index_entry *e, limg_buf *key, limg_buf *val,
                      limg_buf *extra)
{
	int more;

	memset(e, 0, sizeof *e);
	e->size = -1;
	extra->size = 0;
	if (limg__json_begin_object(j) < 0)
		return -1;
	while ((more = limg__json_next_key(j, key)) == 1) {
		if (limg__json_key_is(key->ptr, "mediaType")) {
			if (read_string_field(j, ix, &e->media_type, val, "mediaType") < 0)
				return -1;
		} else if (limg__json_key_is(key->ptr, "digest")) {
			if (read_string_field(j, ix, &e->digest, val, "digest") < 0)
				return -1;
		} else if (limg__json_key_is(key->ptr, "size")) {
			if (limg__json_int64(j, &e->size) < 0)
				return -1;
			if (e->size < 0)
				return limg__json_fail(j, "a negative size");
		} else if (limg__json_key_is(key->ptr, "annotations")) {
			if (limg__json_peek(j) != LIMG_JSON_OBJECT)
				return limg__json_fail(j, "annotations is not an object");
			if (read_annotations(j, ix, e, key, val) < 0)
				return -1;
		} else {
			const char *raw;
			size_t len;
			/* the key buffer is reused by skip: keep the name first */
			char *name = arena_copy(ix, key->ptr, key->size);
			if (!name)
				return limg__json_oom(j);
			if (limg__json_skip(j, &raw, &len) < 0)
				return -1;
			if (add_extra(extra, name, strlen(name), raw, len) < 0)
				return limg__json_oom(j);
		}
	}
	if (more != 0)
		return -1;
	if (extra->size && !(e->extra = arena_copy(ix, extra->ptr, extra->size)))
		return limg__json_oom(j);
	return 0;
}

int limg__index_entry_parse(limg__index *ix, limg__index_entry *e, const char *text, size_t len, char *why,
                            size_t cap)
{
	limg_buf key = LIMG_BUF_INIT, val = LIMG_BUF_INIT, extra = LIMG_BUF_INIT;
	limg__json j;
	int rc = 0;

	limg__json_init(&j, text, len, &limg__manifest_fields);
	if (limg__json_peek(&j) != LIMG_JSON_OBJECT)
		limg__json_fail(&j, "an entry is not an object");
	if (j.failed || read_entry(&j, ix, e, &key, &val, &extra) < 0 || limg__json_finish(&j) < 0) {
		snprintf(why, cap, "%s", j.why[0] ? j.why : "out of memory");
		rc = -1;
	}
	limg__json_dispose(&j);
	limg_buf_dispose(&key);
	limg_buf_dispose(&val);
	limg_buf_dispose(&extra);
	return rc;
}

static int grow(limg__index *ix)
{
	return limg__array_grow((void **)&ix->entries, &ix->cap, ix->count + 1, sizeof *ix->entries);
}

static int parse(limg__index *ix, limg__json *j)
{
	limg_buf key = LIMG_BUF_INIT, val = LIMG_BUF_INIT, extra = LIMG_BUF_INIT, top = LIMG_BUF_INIT;
	bool have_manifests = false, bad_version = false;
	int more, rc = -1;

	if (limg__json_begin_object(j) < 0)
		goto out;
	while ((more = limg__json_next_key(j, &key)) == 1) {
		if (limg__json_key_is(key.ptr, "manifests")) {
			if (limg__json_begin_array(j) < 0)
				goto out;
			have_manifests = true;
			while ((more = limg__json_next_item(j)) == 1) {
				if (grow(ix) < 0) {
					limg__json_oom(j);
					goto out;
				}
				if (read_entry(j, ix, &ix->entries[ix->count], &key, &val, &extra) < 0)
					goto out;
				ix->count++;
			}
			if (more < 0)
				goto out;
		} else if (limg__json_key_is(key.ptr, "schemaVersion")) {
			int64_t v = 0;
			if (limg__json_int64(j, &v) < 0 || v != 2)
				bad_version = true;
		} else if (limg__json_key_is(key.ptr, "mediaType")) {
			if (limg__json_peek(j) != LIMG_JSON_STRING || limg__json_string(j, &val) < 0 ||
			    strcmp(val.ptr, LIMG_MEDIA_OCI_INDEX) != 0)
				bad_version = true;
		} else {
			const char *raw;
			size_t len;
			char *name = arena_copy(ix, key.ptr, key.size);
			if (!name || limg__json_skip(j, &raw, &len) < 0 || add_extra(&top, name, strlen(name), raw, len) < 0)
				goto out;
		}
		if (bad_version)
			break;
	}
	if (bad_version) {
		limg__json_fail(j, "not an OCI image index (schemaVersion 2, an OCI index mediaType)");
		goto out;
	}
	if (more != 0 || limg__json_finish(j) < 0)
		goto out;
	if (!have_manifests) {
		limg__json_fail(j, "no \"manifests\" list");
		goto out;
	}
	if (top.size && !(ix->extra = arena_copy(ix, top.ptr, top.size)))
		goto out;
	rc = 0;
out:
	limg_buf_dispose(&key);
	limg_buf_dispose(&val);
	limg_buf_dispose(&extra);
	limg_buf_dispose(&top);
	return rc;
}

int limg__index_parse(limg__index **out, const char *text, size_t len, const char *label)
{
	limg__index *ix = limg__calloc(1, sizeof *ix);
	limg__json j;
	int rc = 0;

	*out = NULL;
	if (!ix)
		return limg__error_oom();
	ix->arena.chunk_size = len > (64u << 20) ? (4u << 20) : (256u << 10);
	limg__json_init(&j, text, len, &limg__manifest_fields);
	if (parse(ix, &j) < 0) {
		rc = j.oom || !j.failed ? limg__error_oom()
		                        : limg__error_set(LIMG_ECORRUPT, "%s is corrupt: %s", label, j.why);
		limg__index_free(ix);
		ix = NULL;
	}
	limg__json_dispose(&j);
	*out = ix;
	return rc;
}

void limg__index_free(limg__index *ix)
{
	if (!ix)
		return;
	limg__arena_free(&ix->arena);
	limg__free(ix->entries);
	limg__free(ix);
}

int limg__index_load(limg__index **out, limg_store *s)
{
	limg_buf buf = LIMG_BUF_INIT;
	char label[4096];
	int rc;

	*out = NULL;
	limg__store_label(label, sizeof label, s, "index.json");
	if ((rc = limg__fs_read_at(&buf, s->root_fd, "index.json", LIMG_INDEX_MAX, label)) < 0) {
		if (rc == LIMG_ENOTFOUND)
			rc = limg__error_set(LIMG_ECORRUPT, "%s is missing", label);
		limg_buf_dispose(&buf);
		return rc;
	}
	rc = limg__index_parse(out, buf.ptr, buf.size, label);
	limg_buf_dispose(&buf);
	return rc;
}

int limg__index_entry_format(limg_buf *b, const limg__index_entry *e)
{
	char num[32];
	bool first = true;

#define SEP() (first ? (first = false, 0) : limg__buf_put(b, ",", 1))
	if (limg__buf_put(b, "{", 1) < 0)
		return LIMG_ENOMEM;
	if (e->media_type && (SEP() < 0 || limg__buf_put(b, "\"mediaType\":", 12) < 0 ||
	                      limg__json_put_string(b, e->media_type, strlen(e->media_type)) < 0))
		return LIMG_ENOMEM;
	if (e->digest && (SEP() < 0 || limg__buf_put(b, "\"digest\":", 9) < 0 ||
	                  limg__json_put_string(b, e->digest, strlen(e->digest)) < 0))
		return LIMG_ENOMEM;
	if (e->size >= 0) {
		int n = snprintf(num, sizeof num, "%lld", (long long)e->size);
		if (SEP() < 0 || limg__buf_put(b, "\"size\":", 7) < 0 || limg__buf_put(b, num, (size_t)n) < 0)
			return LIMG_ENOMEM;
	}
	if (e->extra && (SEP() < 0 || limg__buf_put(b, e->extra, strlen(e->extra)) < 0))
		return LIMG_ENOMEM;
	if (e->nann) {
		if (SEP() < 0 || limg__buf_put(b, "\"annotations\":{", 15) < 0)
			return LIMG_ENOMEM;
		for (size_t i = 0; i < e->nann; i++)
			if ((i && limg__buf_put(b, ",", 1) < 0) ||
			    limg__json_put_string(b, e->ann[i].key, strlen(e->ann[i].key)) < 0 ||
			    limg__buf_put(b, ":", 1) < 0 || limg__json_put_string(b, e->ann[i].value, strlen(e->ann[i].value)) < 0)
				return LIMG_ENOMEM;
		if (limg__buf_put(b, "}", 1) < 0)
			return LIMG_ENOMEM;
	}
#undef SEP
	return limg__buf_put(b, "}", 1) < 0 ? LIMG_ENOMEM : 0;
}

size_t limg__index_slot_size(size_t entry_len)
{
	/* separator, entry, '\n', and room for the entry to grow in place (a tag
	 * moving to an image of another media type, a few more annotations) */
	size_t line = entry_len + 2;
	return (line + 48 + line / 8 + 7) & ~(size_t)7;
}

int limg__index_slot_put(limg_buf *out, const char *entry, size_t len, bool first, size_t size)
{
	size_t at = out->size;

	if (size < 2 || (entry && len + 2 > size))
		return limg__error_set(LIMG_EINVALID, "index.json: a slot of %zu bytes cannot hold %zu", size, len);
	if (limg__buf_grow(out, at + size + 1) < 0)
		return LIMG_ENOMEM;
	memset(out->ptr + at, ' ', size - 1);
	out->ptr[at + size - 1] = '\n';
	if (entry) {
		out->ptr[at] = first ? ' ' : ',';
		memcpy(out->ptr + at + 1, entry, len);
	}
	out->size = at + size;
	out->ptr[out->size] = '\0';
	return 0;
}

int limg__index_tail_put(limg_buf *out, const char *extra)
{
	if (limg__buf_put(out, "]", 1) < 0 ||
	    (extra && (limg__buf_put(out, ",", 1) < 0 || limg__buf_put(out, extra, strlen(extra)) < 0)) ||
	    limg__buf_put(out, "}\n", 2) < 0)
		return LIMG_ENOMEM;
	return 0;
}

int limg__index_format(limg_buf *out, const limg__index *ix)
{
	limg_buf entry = LIMG_BUF_INIT;
	int rc = 0;

	out->size = 0;
	if (limg__buf_grow(out, sizeof LIMG_INDEX_HEAD + ix->count * 320) < 0 ||
	    limg__buf_put(out, LIMG_INDEX_HEAD, sizeof LIMG_INDEX_HEAD - 1) < 0)
		return limg__error_oom();
	for (size_t i = 0; i < ix->count && rc == 0; i++) {
		entry.size = 0;
		if (limg__index_entry_format(&entry, &ix->entries[i]) < 0)
			rc = limg__error_oom();
		else
			rc = limg__index_slot_put(out, entry.ptr, entry.size, i == 0, limg__index_slot_size(entry.size));
	}
	limg_buf_dispose(&entry);
	if (rc == 0 && limg__index_tail_put(out, ix->extra) < 0)
		rc = limg__error_oom();
	return rc;
}

int limg__index_save(limg_store *s, const limg__index *ix)
{
	limg_buf text = LIMG_BUF_INIT;
	char label[4096];
	int rc;

	limg__store_label(label, sizeof label, s, "index.json");
	if ((rc = limg__index_format(&text, ix)) == 0)
		rc = limg__fs_write_at(s->root_fd, "index.json", text.ptr, text.size, true, label);
	/* the journal's records were of the file replaced: none is to be replayed on this one */
	if (rc == 0 && !s->read_only)
		rc = limg__index_checkpoint(s);
	limg_buf_dispose(&text);
	return rc;
}

const char *limg__index_annotation(const limg__index_entry *e, const char *key)
{
	for (size_t i = 0; e && i < e->nann; i++)
		if (!strcmp(e->ann[i].key, key))
			return e->ann[i].value;
	return NULL;
}

int limg__index_set_annotation(limg__index *ix, limg__index_entry *e, const char *key, const char *value)
{
	limg__annotation *list;
	char *v = arena_copy(ix, value, strlen(value));

	if (!v)
		return limg__error_oom();
	for (size_t i = 0; i < e->nann; i++)
		if (!strcmp(e->ann[i].key, key)) {
			e->ann[i].value = v;
			return 0;
		}
	/* arrays live in the arena: grow by copying (entries hold a handful) */
	if (!(list = limg__arena_alloc(&ix->arena, (e->nann + 1) * sizeof *list)))
		return limg__error_oom();
	if (e->nann)
		memcpy(list, e->ann, e->nann * sizeof *list);
	if (!(list[e->nann].key = arena_copy(ix, key, strlen(key))))
		return limg__error_oom();
	list[e->nann].value = v;
	e->ann = list;
	e->nann++;
	return 0;
}

int limg__index_append(limg__index *ix, const char *media_type, const char *digest, int64_t size,
                       limg__index_entry **out)
{
	limg__index_entry *e;

	if (grow(ix) < 0)
		return limg__error_oom();
	e = &ix->entries[ix->count];
	memset(e, 0, sizeof *e);
	e->size = size;
	if ((media_type && !(e->media_type = arena_copy(ix, media_type, strlen(media_type)))) ||
	    (digest && !(e->digest = arena_copy(ix, digest, strlen(digest)))))
		return limg__error_oom();
	ix->count++;
	*out = e;
	return 0;
}

void limg__index_remove(limg__index *ix, size_t i)
{
	if (i >= ix->count)
		return;
	memmove(&ix->entries[i], &ix->entries[i + 1], (ix->count - i - 1) * sizeof *ix->entries);
	ix->count--;
}

bool limg__index_entry_usable(const limg__index_entry *e)
{
	return e->media_type && e->digest && e->size >= 0 && limg__digest_check(e->digest, strlen(e->digest), NULL) == 0;
}

static int take_lock(int *fd, limg_store *s, bool exclusive)
{
	char label[4096];

	snprintf(label, sizeof label, "%s/.libimage/index.lock", s->root);
	*fd = -1;
	/* a read-only store is never changed by us, and we create nothing in it;
	 * but others may be changing it in place: its readers take the lock
	 * shared when it exists (another tool's layout has none) */
	if (s->read_only) {
		int f;
		if (exclusive)
			return limg__store_writable(s);
		if (s->meta_fd < 0 || (f = openat(s->meta_fd, "index.lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return 0;
		while (flock(f, LOCK_SH) < 0)
			if (errno != EINTR) {
				close(f);
				return limg__error_set(LIMG_ESYSTEM, "%s: %s", label, strerror(errno));
			}
		*fd = f;
		return 0;
	}
	return limg__fs_lock_at(fd, s->meta_fd, "index.lock", exclusive, true, label);
}

int limg__index_lock(int *fd, limg_store *s)
{
	int rc;

	if ((rc = take_lock(fd, s, true)) < 0)
		return rc;
	/* a change a crash cut short is finished (or undone) before anyone reads */
	if ((rc = limg__index_recover(s)) < 0) {
		limg__fs_unlock(*fd);
		*fd = -1;
	}
	return rc;
}

int limg__index_lock_shared(int *fd, limg_store *s)
{
	int rc;

	for (int tries = 0; tries < 8; tries++) {
		if ((rc = take_lock(fd, s, false)) < 0 || !limg__index_journal_pending(s))
			return rc;
		/* a crash left a change half done: the exclusive lock finishes it */
		limg__fs_unlock(*fd);
		if ((rc = limg__index_lock(fd, s)) < 0)
			return rc;
		limg__fs_unlock(*fd);
	}
	*fd = -1;
	return limg__error_set(LIMG_ESYSTEM, "%s/index.json: an interrupted change cannot be finished", s->root);
}

int limg__index_read(limg__index **out, limg_store *s)
{
	int lock, rc;

	*out = NULL;
	if ((rc = limg__index_lock_shared(&lock, s)) < 0)
		return rc;
	rc = limg__index_load(out, s);
	limg__fs_unlock(lock);
	return rc;
}

void limg__index_unlock(int fd)
{
	limg__fs_unlock(fd);
}
