/* SPDX-License-Identifier: MIT */
/* An image's root filesystem, entry by entry, from the top layer down (see rootfs.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/strmap.h"
#include "libimage/compress.h"
#include "rootfs.h"
#include "tar/path.h"
#include "tar/stream.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* What the layers above said about one path: open addressing by name. */
typedef struct {
	char *path;
	int emitted;    /* the layer the path's entry came from, or -1 */
	int hidden;     /* the highest layer that whited it out, or -1 */
	int opaque;     /* the highest layer that made the directory opaque, or -1 */
	bool nondir;    /* the entry given is not a directory */
	bool written;   /* given to the caller already (in the second pass) */
	size_t at;      /* the place of its entry in layer @emitted */
} record;

/* Which entries of a layer are part of the result (by their place in it). */
typedef struct {
	unsigned char *bits;
	size_t n, cap;
} bitset;

struct limg__rootfs {
	const limg__rootfs_opts *o;
	record *slots;
	size_t cap, count;
	bitset *layers;            /* per layer, from the first pass */
	limg__tar_stream *current; /* where limg__rootfs_data() reads */
	int layer;                 /* the second pass's layer, and its entry's place in it */
	size_t at;
	char name[LIMG__TAR_PATH_MAX + 1], link[LIMG__TAR_PATH_MAX + 1];
	limg__strhash_key key;     /* the layers' names cannot be chosen to collide (strmap.h) */
};

static uint64_t hash_name(const limg__rootfs *r, const char *s)
{
	return limg__strhash(&r->key, s);
}

static record *lookup(limg__rootfs *r, const char *path)
{
	if (!r->cap)
		return NULL;
	for (size_t i = hash_name(r, path) & (r->cap - 1);; i = (i + 1) & (r->cap - 1)) {
		if (!r->slots[i].path)
			return NULL;
		if (!strcmp(r->slots[i].path, path))
			return &r->slots[i];
	}
}

static int grow(limg__rootfs *r)
{
	size_t cap = r->cap ? r->cap * 2 : 1024;
	record *slots = limg__calloc(cap, sizeof *slots);

	if (!slots)
		return limg__error_oom();
	if (!r->cap)
		limg__strhash_key_draw(&r->key);
	for (size_t i = 0; i < r->cap; i++) {
		size_t j;
		if (!r->slots[i].path)
			continue;
		for (j = hash_name(r, r->slots[i].path) & (cap - 1); slots[j].path; j = (j + 1) & (cap - 1))
			;
		slots[j] = r->slots[i];
	}
	limg__free(r->slots);
	r->slots = slots;
	r->cap = cap;
	return 0;
}

/* The record of @path, made when missing. */
static int get(limg__rootfs *r, const char *path, record **out)
{
	size_t j;
	int rc;

	if ((*out = lookup(r, path)))
		return 0;
	if ((r->count + 1) * 2 > r->cap && (rc = grow(r)) < 0)
		return rc;
	for (j = hash_name(r, path) & (r->cap - 1); r->slots[j].path; j = (j + 1) & (r->cap - 1))
		;
	if (!(r->slots[j].path = limg__strdup(path)))
		return limg__error_oom();
	r->slots[j].emitted = r->slots[j].hidden = r->slots[j].opaque = -1;
	r->count++;
	*out = &r->slots[j];
	return 0;
}

/* Does something above @layer hide @path (through a directory above it, or itself)? */
static bool hidden(limg__rootfs *r, char *path, int layer)
{
	const record *rec = lookup(r, "");

	if (rec && rec->opaque > layer)
		return true;
	for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		rec = lookup(r, path);
		*slash = '/';
		if (rec && (rec->hidden > layer || rec->opaque > layer || (rec->emitted > layer && rec->nondir)))
			return true;
	}
	rec = lookup(r, path);
	return rec && (rec->hidden > layer || rec->emitted > layer);
}

static int bad_name(limg__rootfs *r, const char *name, const char *why)
{
	char quoted[160];

	(void)r;
	limg__quote(quoted, sizeof quoted, name, strlen(name));
	return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, NULL, "a layer entry %s %s", quoted, why);
}

static int read_blob(size_t *out_len, void *buf, size_t cap, void *payload)
{
	return limg_blob_reader_read(out_len, payload, buf, cap);
}

typedef struct {
	limg_blob_reader *reader;
	limg__tar_stream *stream;
	char label[120];
} layer_input;

static int open_layer(limg__rootfs *r, int i, layer_input *in)
{
	const limg_descriptor *d = limg_manifest_entry(r->o->manifest, (size_t)i);
	limg__tar_stream_opts to = { 0 };
	int compression = limg_compression_from_media_type(limg_descriptor_media_type(d));
	int rc;

	memset(in, 0, sizeof *in);
	snprintf(in->label, sizeof in->label, "layer %s", limg_descriptor_digest(d));
	if (compression == LIMG_COMPRESSION_UNKNOWN)
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_LAYER, limg_descriptor_digest(d),
		                             "%s has media type %s, which this library cannot read", in->label,
		                             limg_descriptor_media_type(d) ? limg_descriptor_media_type(d) : "(none)");
	if ((rc = limg_blob_reader_open(&in->reader, r->o->store, limg_descriptor_digest(d))) < 0)
		return rc;
	to.compression = compression;
	to.max_entries = r->o->max_entries;
	to.read = read_blob;
	to.read_payload = in->reader;
	to.cancel = r->o->cancel;
	to.label = in->label;
	to.subject = LIMG_SUBJECT_LAYER;
	return limg__tar_stream_open(&in->stream, &to);
}

static void close_layer(layer_input *in)
{
	limg__tar_stream_free(in->stream);
	limg_blob_reader_close(in->reader);
	memset(in, 0, sizeof *in);
}

/* The entry's name and link cleaned into r->name and r->link; 1 to skip it (the root). */
static int clean_entry(limg__rootfs *r, limg__tar_entry *e)
{
	int rc = limg__path_clean(e->name, r->name, sizeof r->name, 255);

	if (rc == -1)
		return bad_name(r, e->name, "leaves the root");
	if (rc < 0)
		return bad_name(r, e->name, "is too long");
	if (!*r->name)
		return 1; /* the root itself: the image's, whatever a layer says */
	e->name = r->name;
	if (e->type == LIMG__TAR_HARDLINK) {
		if (limg__path_clean(e->link, r->link, sizeof r->link, 255) < 0 || !*r->link)
			return bad_name(r, e->link, "(a hard link's target) leaves the root");
		e->link = r->link;
	}
	return 0;
}

static int bit_set(bitset *b, size_t i)
{
	size_t need = i / 8 + 1;
	int rc;

	if (need > b->cap) {
		size_t old = b->cap;
		if ((rc = limg__array_grow((void **)&b->bits, &b->cap, need, 1)) < 0)
			return rc;
		memset(b->bits + old, 0, b->cap - old);
	}
	b->bits[i / 8] |= (unsigned char)(1u << (i % 8));
	return 0;
}

static void bit_clear(bitset *b, size_t i)
{
	if (i / 8 < b->cap)
		b->bits[i / 8] &= (unsigned char)~(1u << (i % 8));
}

static bool bit_get(const bitset *b, size_t i)
{
	return i / 8 < b->cap && (b->bits[i / 8] >> (i % 8) & 1);
}

/* The layer's stream read to its end, its diff_id checked. */
static int finish_layer(limg__rootfs *r, int layer, layer_input *in)
{
	char diff_id[80];
	int64_t size;
	const char *want = limg_config_diff_id(r->o->config, (size_t)layer);
	int rc = limg__tar_stream_finish(in->stream, diff_id, &size);

	if (rc == 0 && (!want || strcmp(want, diff_id) != 0))
		rc = limg__error_set_about(LIMG_EDIGEST_MISMATCH, LIMG_SUBJECT_LAYER, in->label + 6,
		                           "%s unpacks to %s, but the image config says %s", in->label, diff_id,
		                           want ? want : "nothing");
	return rc;
}

/* The first pass, from the top layer down: which entries of @layer win;
 * with @fn (one pass), they are given to it at once. */
static int mark_layer(limg__rootfs *r, int layer, limg__rootfs_fn fn, void *payload)
{
	bitset *bits = &r->layers[layer];
	layer_input in;
	limg__tar_entry e;
	size_t at = 0;
	int rc;

	if ((rc = open_layer(r, layer, &in)) < 0)
		goto out;
	r->current = in.stream;
	r->layer = layer;
	for (; (rc = limg__tar_stream_next(in.stream, &e)) == 0; at++) {
		const char *base;
		record *rec;
		if ((rc = clean_entry(r, &e)) > 0)
			continue;
		if (rc < 0)
			break;
		base = strrchr(r->name, '/');
		base = base ? base + 1 : r->name;
		if (!strncmp(base, WH_PREFIX, sizeof WH_PREFIX - 1)) {
			/* a whiteout hides what lies below this layer */
			char target[LIMG__TAR_PATH_MAX + 1];
			size_t dir = (size_t)(base - r->name);
			if (!strcmp(base, WH_OPAQUE)) {
				snprintf(target, sizeof target, "%.*s", dir ? (int)dir - 1 : 0, r->name);
				if ((rc = get(r, target, &rec)) < 0)
					break;
				if (rec->opaque < 0)
					rec->opaque = layer;
			} else {
				snprintf(target, sizeof target, "%.*s%s", (int)dir, r->name, base + sizeof WH_PREFIX - 1);
				if ((rc = get(r, target, &rec)) < 0)
					break;
				if (rec->hidden < 0)
					rec->hidden = layer;
			}
			continue;
		}
		if (hidden(r, r->name, layer))
			continue;
		if ((rc = get(r, r->name, &rec)) < 0)
			break;
		if (rec->emitted == layer) {
			/* named twice in one layer: the last wins, as tar -x, umoci and podman unpack it
			 * (one pass: given again, the caller keeps the later). A directory that becomes
			 * something else, or the other way, would take what the layer put beneath it
			 * with it: such layers are refused. */
			if (rec->nondir != (e.type != LIMG__TAR_DIR)) {
				rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_LAYER, in.label + 6,
				                           "%s names %s twice, once as a directory", in.label, r->name);
				break;
			}
			if (!fn)
				bit_clear(bits, rec->at);
		}
		rec->emitted = layer;
		rec->at = at;
		rec->nondir = e.type != LIMG__TAR_DIR;
		if (fn) {
			char name[sizeof r->name];
			r->at = at;
			snprintf(name, sizeof name, "%s", r->name);
			if ((rc = fn(r, &e, layer, payload)) != 0)
				break;
			if ((rec = lookup(r, name)))
				rec->written = true;
		} else if ((rc = bit_set(bits, at)) < 0) {
			break;
		}
	}
	if (rc == LIMG_ITEROVER)
		rc = finish_layer(r, layer, &in);
out:
	r->current = NULL;
	close_layer(&in);
	return rc;
}

/* The second pass, from the bottom layer up: the winning entries, with their data. */
static int emit_layer(limg__rootfs *r, int layer, limg__rootfs_fn fn, void *payload)
{
	const bitset *bits = &r->layers[layer];
	layer_input in;
	limg__tar_entry e;
	size_t at = 0;
	int rc;

	if ((rc = open_layer(r, layer, &in)) < 0)
		goto out;
	r->current = in.stream;
	r->layer = layer;
	for (; (rc = limg__tar_stream_next(in.stream, &e)) == 0; at++) {
		record *rec;
		if (!bit_get(bits, at))
			continue;
		r->at = at;
		if ((rc = clean_entry(r, &e)) < 0 || (rc == 0 && (rc = fn(r, &e, layer, payload)) != 0))
			break;
		if ((rec = lookup(r, r->name)))
			rec->written = true;
	}
	if (rc == LIMG_ITEROVER)
		rc = finish_layer(r, layer, &in);
out:
	r->current = NULL;
	close_layer(&in);
	return rc;
}

static int report(const limg__rootfs_opts *o, int layer, int event, size_t n)
{
	const limg_descriptor *d = limg_manifest_entry(o->manifest, (size_t)layer);
	int rc = o->progress ? o->progress(limg_descriptor_digest(d), LIMG_BLOB_LAYER, event, layer, (int64_t)n, NULL,
	                                   o->payload)
	                     : 0;
	return rc ? limg__error_after_callback(rc, "reading the layers") : 0;
}

int limg__rootfs_walk(const limg__rootfs_opts *o, limg__rootfs_fn fn, void *payload)
{
	limg__rootfs r;
	size_t n = limg_manifest_count(o->manifest);
	int rc = 0;

	memset(&r, 0, sizeof r);
	r.o = o;
	if (limg_config_diff_id_count(o->config) != n)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CONFIG, NULL,
		                             "the image has %zu layers but its config lists %zu diff_ids", n,
		                             limg_config_diff_id_count(o->config));
	if (n && !(r.layers = limg__calloc(n, sizeof *r.layers)))
		return limg__error_oom();
	/* which entries win, from the top down; then they are given from the bottom up, as
	 * an unpacker meets them (a directory before what lower layers put in it) */
	for (size_t i = n; i-- > 0 && rc == 0;)
		rc = mark_layer(&r, (int)i, o->one_pass ? fn : NULL, payload);
	for (size_t i = 0; i < n && rc == 0 && !o->one_pass; i++) {
		if ((rc = report(o, (int)i, LIMG_EVENT_LAYER_START, n)) == 0 && (rc = emit_layer(&r, (int)i, fn, payload)) == 0)
			rc = report(o, (int)i, LIMG_EVENT_LAYER_DONE, n);
	}
	for (size_t i = 0; r.layers && i < n; i++)
		limg__free(r.layers[i].bits);
	limg__free(r.layers);
	for (size_t i = 0; i < r.cap; i++)
		limg__free(r.slots[i].path);
	limg__free(r.slots);
	return rc;
}

int limg__rootfs_data(limg__rootfs *r, const void **data, size_t *len)
{
	if (!r->current) {
		*data = NULL;
		*len = 0;
		return 0;
	}
	return limg__tar_stream_data(r->current, data, len);
}

bool limg__rootfs_written(limg__rootfs *r, const char *path)
{
	const record *rec = lookup(r, path);

	/* from the top down, only a file given earlier in this layer is the one a link here points to */
	return rec && rec->written && (!r->o->one_pass || rec->emitted == r->layer);
}

/* The regular file @name in @layer (only among its first @before entries). */
static int find_in(limg__rootfs *r, int layer, size_t before, const char *name, limg__rootfs_fn fn, void *payload)
{
	layer_input in;
	limg__tar_entry e;
	size_t at = 0;
	int rc;

	if ((rc = open_layer(r, layer, &in)) < 0)
		goto out;
	r->current = in.stream;
	for (; at < before && (rc = limg__tar_stream_next(in.stream, &e)) == 0; at++) {
		if ((rc = clean_entry(r, &e)) > 0)
			continue;
		if (rc < 0)
			break;
		if (e.type == LIMG__TAR_REG && !strcmp(r->name, name)) {
			rc = fn(r, &e, layer, payload);
			goto out;
		}
	}
	rc = rc == 0 || rc == LIMG_ITEROVER ? 1 : rc;
out:
	close_layer(&in);
	return rc;
}

int limg__rootfs_find_link_target(limg__rootfs *r, const char *target, limg__rootfs_fn fn, void *payload)
{
	limg__tar_stream *was = r->current;
	char saved_name[sizeof r->name], saved_link[sizeof r->link], name[sizeof r->name];
	int rc = 1;

	/* @target may be r->link, which the search below overwrites */
	snprintf(name, sizeof name, "%s", target);
	/* the caller's entry lives in r->name and r->link: kept across the search */
	memcpy(saved_name, r->name, sizeof saved_name);
	memcpy(saved_link, r->link, sizeof saved_link);
	/* the file as it was when the link was made: earlier in its layer, else in a layer below */
	rc = find_in(r, r->layer, r->at, name, fn, payload);
	for (int layer = r->layer - 1; rc == 1 && layer >= 0; layer--)
		rc = find_in(r, layer, SIZE_MAX, name, fn, payload);
	if (rc == 1)
		rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_LAYER, NULL,
		                           "a hard link to %s, which no layer holds before it", name);
	r->current = was;
	memcpy(r->name, saved_name, sizeof saved_name);
	memcpy(r->link, saved_link, sizeof saved_link);
	return rc;
}
