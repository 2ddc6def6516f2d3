/* SPDX-License-Identifier: MIT */
/*
 * A big blob over several connections, as containerd 2.1 fetches one: the
 * blob is cut into chunks fetched by a few workers with bounded Range
 * requests (many registries and CDNs cap what one connection carries),
 * each written at its offset in the ingest file as it arrives. The layer's
 * own thread follows the frontier: the bytes written in order so far, into
 * the chunk still arriving (a worker writes its chunk front to back and
 * never rewrites a byte), reading them back from the page cache once to
 * hash them (and to inflate them for the diff_id); memory stays a read
 * buffer, whatever the chunk size. Written chunks are sent to the disk as
 * they arrive, so that the flush at commit has little left to wait for.
 *
 * Finished chunks are listed in a sidecar ("<ingest>.ranges"), so a killed
 * pull resumes with what it had: the chunks finished in order are re-hashed,
 * the others kept, and only the rest fetched again. A registry that answers
 * a Range request with the whole blob gets the single stream instead.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "pull_internal.h"
#include "registry/registry_internal.h"
#include "store/store_internal.h"
#include "stream.h"

#define READ_BACK (128u * 1024)
#define GATHER (64u * 1024) /* a worker writes this much at once: fewer turns at the file's lock */
#define WRITEBACK_STEP ((int64_t)1 << 20)
#define SIDECAR_MAX (1u << 20)

enum chunk_state { TODO, BUSY, DONE };

struct chunk {
	int64_t start, end; /* [start, end) */
	int64_t index;      /* start / chunk size: its line in the sidecar */
	enum chunk_state state;
	atomic_int_fast64_t written; /* bytes from start on that are in the file */
};

struct ranged {
	struct pull *p;
	struct download *d;
	const char *digest;
	int fd;               /* the ingest file */
	int sidecar;          /* fd, or -1 (a private copy: nothing to resume) */
	struct chunk *chunks;
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool confirmed; /* the registry answered a range with 206 (read without the lock) */
	atomic_bool stop;
	atomic_long waiting;  /* the chunk (array index) the frontier waits on, or -1 */
	atomic_int_fast64_t wake_at; /* ... until the file has the bytes before this offset */
	int rc;
	limg__error_copy error;
};

struct range_sink {
	struct ranged *r;
	struct chunk *c;
	long at;        /* c's array index */
	int64_t pos;    /* in the file: where the gathered bytes go */
	int64_t kicked; /* bytes from c->start on already sent to the disk */
	unsigned char *gathered;
	size_t ngathered;
};

/* Starts the write-out of what arrived since the last time (no waiting). */
static void writeback(struct range_sink *s, bool all)
{
	if (s->pos - s->kicked >= (all ? 1 : WRITEBACK_STEP)) {
		sync_file_range(s->r->fd, s->kicked, s->pos - s->kicked, SYNC_FILE_RANGE_WRITE);
		s->kicked = s->pos;
	}
}

static void fail(struct ranged *r, int rc)
{
	pthread_mutex_lock(&r->lock);
	if (!r->rc) {
		r->rc = rc;
		limg__error_save(&r->error);
	}
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Writes the gathered bytes at their offset; wakes the frontier when it waits for them. */
static int flush_gathered(struct range_sink *s)
{
	struct ranged *r = s->r;
	const unsigned char *p = s->gathered;
	size_t left = s->ngathered;

	while (left) {
		ssize_t n = pwrite(r->fd, p, left, s->pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return limg__fs_error("cannot write blob", r->digest);
		p += n;
		left -= (size_t)n;
		s->pos += n;
	}
	s->ngathered = 0;
	atomic_store(&s->c->written, s->pos - s->c->start);
	if (atomic_load(&r->waiting) == s->at && s->pos >= atomic_load(&r->wake_at)) {
		pthread_mutex_lock(&r->lock);
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	writeback(s, false);
	return 0;
}

static int on_range_bytes(const void *data, size_t len, void *payload)
{
	struct range_sink *s = payload;
	struct ranged *r = s->r;
	const unsigned char *p = data;
	size_t left = len;
	int rc;

	if (r->stop || limg_cancel_requested(r->p->stop))
		return limg__error_set(LIMG_ECANCELLED, "pull cancelled");
	if (!r->confirmed) {
		pthread_mutex_lock(&r->lock);
		r->confirmed = true; /* bytes of a 206: ranges are served */
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	while (left) {
		size_t take = GATHER - s->ngathered < left ? GATHER - s->ngathered : left;
		memcpy(s->gathered + s->ngathered, p, take);
		s->ngathered += take;
		p += take;
		left -= take;
		if (s->ngathered == GATHER && (rc = flush_gathered(s)) < 0)
			return rc;
	}
	return limg__pull_progress(r->d, (int64_t)len);
}

static void mark_done(struct ranged *r, struct chunk *c)
{
	char line[32];
	int n;

	pthread_mutex_lock(&r->lock);
	c->state = DONE;
	if (r->sidecar >= 0) {
		n = snprintf(line, sizeof line, "%lld\n", (long long)c->index);
		if (write(r->sidecar, line, (size_t)n) != n)
			limg__log(r->p->store->ctx, LIMG_LOG_DEBUG, "%s: cannot note a finished range", r->digest);
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *worker(void *arg)
{
	struct ranged *r = arg;
	unsigned char *gathered = limg__malloc(GATHER);

	limg__thread_name("limg-range");
	if (!gathered) {
		fail(r, limg__error_oom());
		return NULL;
	}
	for (;;) {
		struct chunk *c = NULL;
		struct range_sink s;
		int rc;

		pthread_mutex_lock(&r->lock);
		for (size_t i = 0; i < r->n && !r->stop && !c; i++)
			if (r->chunks[i].state == TODO)
				c = &r->chunks[i];
		if (c)
			c->state = BUSY;
		pthread_mutex_unlock(&r->lock);
		if (!c)
			break;
		s.r = r;
		s.c = c;
		s.at = (long)(c - r->chunks);
		s.pos = s.kicked = c->start;
		s.gathered = gathered;
		s.ngathered = 0;
		rc = limg__registry_blob_range(r->p->registry, r->p->repository, r->digest, c->start, c->end - 1,
		                               on_range_bytes, &s, r->p->stop);
		if (rc == 0)
			rc = flush_gathered(&s);
		if (rc != 0) {
			fail(r, rc);
			break;
		}
		writeback(&s, true);
		mark_done(r, c);
	}
	limg__free(gathered);
	return NULL;
}

/* The sidecar: "libimage ranges <chunk> <size>", then one finished chunk index per line. */
static char *sidecar_name(char *out, size_t cap, const char *digest)
{
	char flat[160];

	limg__store_flat_name(flat, sizeof flat, digest);
	snprintf(out, cap, "%s.ranges", flat);
	return out;
}

/* Reads the sidecar: false when there is none (the partial file, if any,
 * came from a single stream). With one, the chunk indexes it lists as
 * finished go to @done (of @nchunks), when it was written for this chunk
 * size and blob; *@chunk_out receives its chunk size. */
static bool read_sidecar(struct pull *p, const char *digest, int64_t chunk, int64_t size, bool *done, size_t nchunks,
                         int64_t *chunk_out)
{
	limg_buf text = LIMG_BUF_INIT;
	char name[200], label[4096], *line, *save = NULL;
	long long c = -1, s = -1;
	bool found;

	sidecar_name(name, sizeof name, digest);
	snprintf(label, sizeof label, "%s/.libimage/ingest/%s", p->store->root, name);
	found = limg__fs_read_at(&text, p->store->ingest_fd, name, SIDECAR_MAX, label) == 0;
	if (found && sscanf(text.ptr, "libimage ranges %lld %lld", &c, &s) == 2 && s == size && c > 0) {
		*chunk_out = c;
		strtok_r(text.ptr, "\n", &save);
		while (done && c == chunk && (line = strtok_r(NULL, "\n", &save))) {
			char *end;
			long long k = strtoll(line, &end, 10);
			if (!*end && k >= 0 && (size_t)k < nchunks)
				done[k] = true;
		}
	} else {
		*chunk_out = 0;
	}
	limg_error_clear();
	limg_buf_dispose(&text);
	return found;
}

/* A fresh sidecar listing what is finished (so that stale lines never survive). */
static int write_sidecar(struct ranged *r, int64_t chunk, int64_t size, const bool *done, size_t nchunks)
{
	char name[200], text[128];
	int n;

	sidecar_name(name, sizeof name, r->digest);
	r->sidecar = openat(r->p->store->ingest_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (r->sidecar < 0)
		return 0; /* resuming is a nicety: a read-only ingest area still downloads */
	n = snprintf(text, sizeof text, "libimage ranges %lld %lld\n", (long long)chunk, (long long)size);
	if (write(r->sidecar, text, (size_t)n) != n)
		return 0;
	for (size_t k = 0; k < nchunks; k++)
		if (done[k]) {
			n = snprintf(text, sizeof text, "%zu\n", k);
			if (write(r->sidecar, text, (size_t)n) != n)
				return 0;
		}
	return 0;
}

static void drop_sidecar(struct pull *p, const char *digest)
{
	char name[200];

	unlinkat(p->store->ingest_fd, sidecar_name(name, sizeof name, digest), 0);
}

/* Hashes (and inflates) [@at, @end), reading it back from the page cache. */
static int follow(struct ranged *r, int64_t at, int64_t end, unsigned char *buf)
{
	int rc;

	while (at < end) {
		size_t want = end - at < (int64_t)READ_BACK ? (size_t)(end - at) : READ_BACK;
		ssize_t n = pread(r->fd, buf, want, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? limg__fs_error("cannot read back blob", r->digest)
			             : limg__error_set(LIMG_ECORRUPT, "blob %s: a finished range is missing", r->digest);
		if ((rc = limg__blob_writer_adopt(r->d->writer, buf, (size_t)n)) < 0 ||
		    (rc = limg__pull_digest_more(r->d, buf, (size_t)n)) < 0)
			return rc;
		at += n;
		if (r->d->live)
			limg__stream_more(r->d->live, at);
	}
	return 0;
}

/* Chunks from @prefix to @size, cut at multiples of @chunk; finished ones marked. */
static int plan(struct ranged *r, int64_t prefix, int64_t size, int64_t chunk, const bool *done)
{
	size_t cap = (size_t)((size - prefix) / chunk + 2);

	if (!(r->chunks = limg__calloc(cap, sizeof *r->chunks)))
		return limg__error_oom();
	for (int64_t at = prefix; at < size;) {
		struct chunk *c = &r->chunks[r->n++];
		c->index = at / chunk;
		c->start = at;
		c->end = (c->index + 1) * chunk < size ? (c->index + 1) * chunk : size;
		c->state = c->start == c->index * chunk && done[c->index] ? DONE : TODO;
		at = c->end;
	}
	return 0;
}

static int on_prefix(const void *data, size_t len, void *payload)
{
	return limg__pull_digest_more(payload, data, len);
}

/* How much of a partial file is to be trusted, with or without a sidecar:
 * the chunks finished in order, or (no sidecar: a single stream wrote it)
 * all of it. */
static int64_t resume_point(struct pull *p, const char *digest, int64_t size, int64_t chunk, bool *done,
                            size_t nchunks)
{
	char flat[160];
	struct stat st;
	int64_t k = 0, chunk_used = 0;
	bool ranged_file;

	limg__store_flat_name(flat, sizeof flat, digest);
	if (fstatat(p->store->ingest_fd, flat, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > size) {
		if (done)
			memset(done, 0, nchunks);
		return 0;
	}
	ranged_file = read_sidecar(p, digest, chunk, size, done, nchunks, &chunk_used);
	if (!ranged_file)
		return st.st_size;
	if (chunk_used == chunk && done)
		while ((size_t)k < nchunks && done[k])
			k++;
	else if (done)
		memset(done, 0, nchunks); /* ranges of another size: only the start is of use */
	/* what the sidecar says, if the file has it */
	return k * chunk < st.st_size ? (k * chunk < size ? k * chunk : size) : st.st_size;
}

int64_t limg__pull_ranged_prefix(struct pull *p, const char *digest, int64_t size)
{
	char name[200];
	int64_t chunk = 0;

	if (!read_sidecar(p, digest, 0, size, NULL, 0, &chunk))
		return -1;
	/* a single stream continues from the chunks finished in order; the rest goes */
	{
		size_t nchunks = chunk > 0 ? (size_t)((size + chunk - 1) / chunk) : 0;
		bool *done = limg__calloc(nchunks + 1, sizeof *done);
		int64_t prefix = done && chunk > 0 ? resume_point(p, digest, size, chunk, done, nchunks) : 0;
		limg__free(done);
		unlinkat(p->store->ingest_fd, sidecar_name(name, sizeof name, digest), 0);
		return prefix;
	}
}

/* The default chunk for @size over @workers connections: LIMG_RANGE_ROUNDS
 * each, so that they all finish at about the same time (the last chunks of
 * a fixed size left some connections idle while others still fetched) and
 * the hash, which follows the first chunk still arriving, has little left
 * at the end; in whole 64 KiB, between the bounds. Only the size and the
 * connection count decide it, so a resumed pull cuts the blob the same way. */
static int64_t default_chunk(int64_t size, int workers)
{
	int64_t pieces = (int64_t)workers * LIMG_RANGE_ROUNDS;
	int64_t chunk = ((size + pieces - 1) / pieces + GATHER - 1) & ~(int64_t)(GATHER - 1);

	if (chunk < LIMG_RANGE_CHUNK_MIN)
		return LIMG_RANGE_CHUNK_MIN;
	return chunk > LIMG_RANGE_CHUNK_MAX ? LIMG_RANGE_CHUNK_MAX : chunk;
}

int limg__pull_ranged(struct pull *p, struct download *d)
{
	const char *digest = limg_descriptor_digest(d->job->desc);
	int64_t size = limg_descriptor_size(d->job->desc);
	int workers = p->o.range_parallel > 0 ? p->o.range_parallel : LIMG_RANGE_PARALLEL_DEFAULT;
	int64_t chunk = p->o.range_chunk > 0 ? p->o.range_chunk : default_chunk(size, workers);
	size_t nchunks = (size_t)((size + chunk - 1) / chunk);
	struct ranged r;
	pthread_t *ids = NULL;
	unsigned char *buf = NULL;
	bool *done = limg__calloc(nchunks + 1, sizeof *done);
	int64_t prefix = 0;
	int started = 0, rc;

	memset(&r, 0, sizeof r);
	atomic_init(&r.confirmed, false);
	atomic_init(&r.stop, false);
	atomic_init(&r.waiting, -1L);
	atomic_init(&r.wake_at, 0);
	r.p = p;
	r.d = d;
	r.digest = digest;
	r.sidecar = -1;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	if (!done || !(buf = limg__malloc(READ_BACK)) || !(ids = limg__calloc((size_t)workers, sizeof *ids))) {
		rc = limg__error_oom();
		goto out;
	}
	prefix = resume_point(p, digest, size, chunk, done, nchunks);
	/* the prefix is re-hashed by the writer and goes to the digester on the way */
	if ((rc = limg__blob_writer_open_ranged(&d->writer, p->store, digest, size, prefix, on_prefix, d)) != 0)
		goto out;
	r.fd = limg__blob_writer_fd(d->writer);
	prefix = limg_blob_writer_offset(d->writer); /* what the writer re-hashed */
	if (d->live && (rc = limg__stream_file(d->live, r.fd, prefix)) < 0)
		goto out;
	if (limg__blob_writer_private(d->writer)) {
		memset(done, 0, nchunks); /* a fresh private copy: nothing to resume, nothing to note */
	} else if ((rc = write_sidecar(&r, chunk, size, done, nchunks)) < 0) {
		goto out;
	}
	if ((rc = plan(&r, prefix, size, chunk, done)) < 0)
		goto out;
	/* one worker first: its answer says whether ranges are served at all */
	if (r.n && limg__thread_start(&ids[started], worker, &r) == 0)
		started++;
	pthread_mutex_lock(&r.lock);
	while (started && !r.confirmed && !r.stop && !(r.n && r.chunks[0].state == DONE))
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	if (r.rc == LIMG_EUNSUPPORTED) {
		rc = LIMG_EUNSUPPORTED;
		goto out;
	}
	if (r.rc) {
		limg__error_restore(&r.error);
		rc = r.rc;
		goto out;
	}
	/* what was there is done, not downloaded */
	pthread_mutex_lock(&p->lock);
	d->done += prefix;
	p->done += prefix;
	pthread_mutex_unlock(&p->lock);
	for (; started < workers && !r.stop; started++)
		if (limg__thread_start(&ids[started], worker, &r) != 0)
			break;
	/* the frontier: each chunk, in order, as far as it is there */
	for (size_t i = 0; i < r.n && !r.stop; i++) {
		struct chunk *c = &r.chunks[i];
		int64_t at = c->start, there;

		while (at < c->end && !r.stop) {
			pthread_mutex_lock(&r.lock);
			/* said before looking, so that a worker's new bytes either are seen or wake us */
			atomic_store(&r.wake_at, at + (int64_t)READ_BACK < c->end ? at + (int64_t)READ_BACK : c->end);
			atomic_store(&r.waiting, (long)i);
			while (c->state != DONE && !r.stop && c->start + atomic_load(&c->written) <= at)
				pthread_cond_wait(&r.cond, &r.lock);
			atomic_store(&r.waiting, -1L);
			there = c->state == DONE ? c->end : c->start + atomic_load(&c->written);
			pthread_mutex_unlock(&r.lock);
			if (r.stop)
				break;
			if ((rc = follow(&r, at, there, buf)) != 0)
				fail(&r, rc);
			at = there;
		}
	}
	pthread_mutex_lock(&r.lock);
	if (r.rc)
		r.stop = true;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	for (int i = 0; i < started; i++)
		pthread_join(ids[i], NULL);
	started = 0;
	if (r.rc) {
		limg__error_restore(&r.error);
		rc = r.rc; /* a callback's own value, positive ones too */
		goto out;
	}
	if ((rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_VERIFYING, size, size)) != 0)
		goto out;
	if ((rc = limg_blob_writer_commit(d->writer)) == 0)
		drop_sidecar(p, digest);
out:
	if (started) {
		pthread_mutex_lock(&r.lock);
		r.stop = true;
		pthread_cond_broadcast(&r.cond);
		pthread_mutex_unlock(&r.lock);
		for (int i = 0; i < started; i++)
			pthread_join(ids[i], NULL);
	}
	if (rc == LIMG_EUNSUPPORTED) {
		/* nothing of this run went past the prefix; older ranges there are not to be trusted */
		if (d->writer && ftruncate(r.fd, prefix) < 0)
			rc = limg__fs_error("cannot truncate blob", digest);
		drop_sidecar(p, digest);
		limg_error_clear();
	}
	if (r.sidecar >= 0)
		close(r.sidecar);
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
	limg__free(r.chunks);
	limg__free(ids);
	limg__free(buf);
	limg__free(done);
	return rc;
}
