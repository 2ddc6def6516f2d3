/* SPDX-License-Identifier: MIT */
/* tags: set, lookup, remove, forget, listing and filters, untagged images, bad input. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "helpers.h"

struct fixture {
	char *dir;
	limg_store *store;
	char m[3][200]; /* three manifests */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = make_tmpdir();
	if (limg_store_open(&f->store, NULL, f->dir, NULL) != 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		char text[512], config[64], config_digest[200];
		/* a tag may only point at a whole image: the config is stored too */
		snprintf(config, sizeof config, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":%d}", i);
		if (put_text(f->store, config, config_digest) != 0)
			return -1;
		snprintf(text, sizeof text,
		         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
		         "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":"
		         "\"%s\",\"size\":%zu},\"layers\":[]}",
		         config_digest, strlen(config));
		if (put_text(f->store, text, f->m[i]) != 0)
			return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	limg_store_close(f->store);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static void test_set_lookup_remove(void **state)
{
	struct fixture *f = *state;
	limg_buf d = LIMG_BUF_INIT;

	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/redis:latest", f->m[0]));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/redis:latest"));
	assert_string_equal(d.ptr, f->m[0]);
	/* idempotent */
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/redis:latest", f->m[0]));
	assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/redis:7"), LIMG_ENOTFOUND);
	ASSERT_OK(limg_tags_remove(f->store, "docker.io/library/redis:latest"));
	assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/redis:latest"), LIMG_ENOTFOUND);
	assert_int_equal(limg_tags_remove(f->store, "docker.io/library/redis:latest"), LIMG_ENOTFOUND);
	limg_buf_dispose(&d);
}

static void test_refuses_bad_input(void **state)
{
	struct fixture *f = *state;
	char *index = path_in(f->dir, "index.json");
	limg_buf before = LIMG_BUF_INIT;
	FILE *fp = fopen(index, "r");
	char text[4096];
	size_t n = fread(text, 1, sizeof text - 1, fp);

	fclose(fp);
	text[n] = 0;
	(void)before;
	/* 1.0 reads references as `docker tag` does ("redis" is fine: test_familiar_references);
	 * what is no reference is refused and named */
	assert_int_equal(limg_tags_set(f->store, "redis:-bad", f->m[0]), LIMG_EREF_FORMAT);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_REFERENCE);
	assert_string_equal(limg_error_object(limg_error_last()), "redis:-bad");
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/redis@sha256:"
	                                         "0000000000000000000000000000000000000000000000000000000000000000",
	                               f->m[0]),
	                 LIMG_EINVALID);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_REFERENCE);
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/redis:1@sha256:" "0000000000000000000000000000000000000000000000000000000000000000", f->m[0]), LIMG_EINVALID);
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/Redis:1", f->m[0]), LIMG_EREF_UPPERCASE);
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/redis:1", "sha256:../../etc"), LIMG_EDIGEST_LENGTH);
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/redis:1",
	                               "sha256:2222222222222222222222222222222222222222222222222222222222222222"),
	                 LIMG_ENOTFOUND);
	char notmanifest[200];
	ASSERT_OK(put_text(f->store, "just a layer", notmanifest));
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/redis:1", notmanifest), LIMG_EINVALID);
	assert_int_equal(limg_tags_set(NULL, "docker.io/library/redis:1", f->m[0]), LIMG_EINVALID);
	/* index.json untouched by all of that */
	fp = fopen(index, "r");
	n = fread(text + 2048, 1, 2047, fp);
	fclose(fp);
	text[2048 + n] = 0;
	assert_string_equal(text, text + 2048);
	free(index);
}

/* A tag never points at an image whose blobs are not all stored (a pull's
 * blobs collected under it, a manifest of another store): refused, and
 * index.json is left as it was. */
static void test_refuses_incomplete_images(void **state)
{
	struct fixture *f = *state;
	char text[512], manifest[200], index[512], index_digest[200], *path = path_in(f->dir, "index.json");
	limg_buf d = LIMG_BUF_INIT;
	struct stat before, after;

	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/whole:1", f->m[0]));
	assert_int_equal(stat(path, &before), 0);
	snprintf(text, sizeof text,
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	         "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%064d\","
	         "\"size\":2},\"layers\":[]}", 7);
	ASSERT_OK(put_text(f->store, text, manifest));
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/broken:1", manifest), LIMG_ENOTFOUND);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "missing"));
	assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/broken:1"), LIMG_ENOTFOUND);
	/* an index none of whose images is stored */
	snprintf(index, sizeof index,
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":"
	         "[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%064d\",\"size\":9}]}",
	         8);
	ASSERT_OK(put_text(f->store, index, index_digest));
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/empty:1", index_digest), LIMG_ENOTFOUND);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino); /* never rewritten */
	limg_buf_dispose(&d);
	free(path);
}

static void test_visible_to_other_tools(void **state)
{
	struct fixture *f = *state;
	char *index = path_in(f->dir, "index.json");
	char text[8192];
	FILE *fp;
	size_t n;
	cJSON *doc, *e;

	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/redis:latest", f->m[0]));
	fp = fopen(index, "r");
	n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = 0;
	doc = cJSON_Parse(text);
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "manifests"), 0);
	assert_string_equal(cJSON_GetObjectItem(e, "digest")->valuestring, f->m[0]);
	assert_string_equal(cJSON_GetObjectItem(e, "mediaType")->valuestring,
	                    "application/vnd.docker.distribution.manifest.v2+json");
	assert_true(cJSON_GetObjectItem(e, "size")->valuedouble > 100);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(e, "annotations"), "org.opencontainers.image.ref.name")->valuestring,
	    "docker.io/library/redis:latest");
	cJSON_Delete(doc);
	free(index);
}

static int collect(limg_store *s, const limg_tag_iterator_opts *opts, char out[][200], int max)
{
	limg_tag_iterator *it;
	const limg_tag *t;
	int n = 0;

	ASSERT_OK(limg_tag_iterator_new(&it, s, opts));
	while (limg_tag_iterator_next(&t, it) == 0) {
		if (n < max)
			snprintf(out[n], 200, "%s %s", limg_tag_reference(t) ? limg_tag_reference(t) : "<none>",
			         limg_tag_digest(t));
		n++;
	}
	limg_tag_iterator_free(it);
	return n;
}

static void test_listing_and_untagged(void **state)
{
	struct fixture *f = *state;
	limg_tag_iterator_opts opts = LIMG_TAG_ITERATOR_OPTS_INIT;
	char rows[16][200], want[300];

	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/redis:latest", f->m[0]));
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/redis:7", f->m[0]));
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/alpine:3", f->m[1]));
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/redisx:1", f->m[2]));
	assert_int_equal(collect(f->store, NULL, rows, 16), 4);
	assert_int_equal(strncmp(rows[0], "docker.io/library/alpine:3 ", 27), 0);
	assert_int_equal(strncmp(rows[1], "docker.io/library/redis:7 ", 26), 0);
	assert_int_equal(strncmp(rows[2], "docker.io/library/redis:latest ", 31), 0);

	/* by repository, familiar or canonical; "redis" is not "redisx" */
	opts.repository = "redis";
	assert_int_equal(collect(f->store, &opts, rows, 16), 2);
	opts.repository = "docker.io/library/redisx";
	assert_int_equal(collect(f->store, &opts, rows, 16), 1);
	opts.repository = "redis:latest";
	limg_tag_iterator *it;
	assert_int_equal(limg_tag_iterator_new(&it, f->store, &opts), LIMG_EINVALID);
	opts.repository = NULL;
	/* by digest: the tags of one image */
	opts.digest = f->m[0];
	assert_int_equal(collect(f->store, &opts, rows, 16), 2);
	opts.digest = NULL;

	/* moving the only tag of m[1] leaves it untagged (dangling) */
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/alpine:3", f->m[2]));
	opts.select = LIMG_LIST_UNTAGGED;
	assert_int_equal(collect(f->store, &opts, rows, 16), 1);
	snprintf(want, sizeof want, "<none> %s", f->m[1]);
	assert_string_equal(rows[0], want);
	/* removing one of two tags of m[0] leaves it tagged */
	ASSERT_OK(limg_tags_remove(f->store, "docker.io/library/redis:7"));
	assert_int_equal(collect(f->store, &opts, rows, 16), 1);
	/* tagging the dangling image again makes it a tag, not a duplicate */
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/old:1", f->m[1]));
	assert_int_equal(collect(f->store, &opts, rows, 16), 0);
	opts.select = LIMG_LIST_ALL;
	assert_int_equal(collect(f->store, &opts, rows, 16), 4);

	/* remove_untagged refuses tagged images, drops untagged ones */
	assert_int_equal(limg_tags_remove_untagged(f->store, f->m[1]), LIMG_ECONFLICT);
	ASSERT_OK(limg_tags_remove(f->store, "docker.io/library/old:1"));
	ASSERT_OK(limg_tags_remove_untagged(f->store, f->m[1]));
	assert_int_equal(limg_tags_remove_untagged(f->store, f->m[1]), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_IMAGE);
	assert_int_equal(collect(f->store, &opts, rows, 16), 3);
}

static void test_entry_accessors(void **state)
{
	struct fixture *f = *state;
	limg_tag_iterator *it;
	const limg_tag *t;

	ASSERT_OK(limg_tags_set(f->store, "ghcr.io/o/r:v1", f->m[0]));
	ASSERT_OK(limg_tag_iterator_new(&it, f->store, NULL));
	ASSERT_OK(limg_tag_iterator_next(&t, it));
	assert_string_equal(limg_tag_reference(t), "ghcr.io/o/r:v1");
	assert_string_equal(limg_tag_digest(t), f->m[0]);
	assert_string_equal(limg_tag_media_type(t), "application/vnd.docker.distribution.manifest.v2+json");
	assert_true(limg_tag_size(t) > 100);
	assert_null(limg_tag_annotation(t, "io.libimage.image.id"));
	assert_int_equal(limg_tag_iterator_next(&t, it), LIMG_ITEROVER);
	limg_tag_iterator_free(it);
}

static void test_corrupt_index(void **state)
{
	struct fixture *f = *state;
	char *index = path_in(f->dir, "index.json");
	const char *garbage = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"dig";
	limg_buf d = LIMG_BUF_INIT;
	char back[256];
	FILE *fp = fopen(index, "w");
	size_t n;

	fputs(garbage, fp);
	fclose(fp);
	assert_int_equal(limg_tags_set(f->store, "docker.io/library/a:1", f->m[0]), LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), index));
	assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/a:1"), LIMG_ECORRUPT);
	assert_int_equal(limg_tags_remove(f->store, "docker.io/library/a:1"), LIMG_ECORRUPT);
	/* nothing overwrote the damaged file: whoever repairs it loses nothing */
	fp = fopen(index, "r");
	n = fread(back, 1, sizeof back - 1, fp);
	fclose(fp);
	back[n] = 0;
	assert_string_equal(back, garbage);
	/* blobs are still there and usable */
	int64_t size;
	ASSERT_OK(limg_store_blob_stat(&size, f->store, f->m[0]));
	free(index);
}

/* References are read as `docker tag` reads them: "redis" is docker.io/library/redis:latest. */
static void test_familiar_references(void **state)
{
	struct fixture *f = *state;
	limg_buf d = LIMG_BUF_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;

	ASSERT_OK(limg_tags_set(f->store, "redis", f->m[0]));
	/* every spelling of the same tag finds it */
	static const char *const same[] = { "redis", "redis:latest", "library/redis", "library/redis:latest",
		                            "docker.io/redis", "docker.io/library/redis", "docker.io/library/redis:latest",
		                            "index.docker.io/library/redis" };
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		if (limg_tags_lookup(&d, f->store, same[i]) != 0)
			fail_msg("%s: %s", same[i], limg_error_message(limg_error_last()));
		assert_string_equal(d.ptr, f->m[0]);
	}
	/* stored in canonical form, shown in familiar form */
	ASSERT_OK(limg_tag_iterator_new(&it, f->store, NULL));
	ASSERT_OK(limg_tag_iterator_next(&t, it));
	assert_string_equal(limg_tag_reference(t), "docker.io/library/redis:latest");
	assert_string_equal(limg_tag_repository(t), "redis");
	assert_int_equal(limg_tag_iterator_next(&t, it), LIMG_ITEROVER);
	limg_tag_iterator_free(it);
	/* one tag, whatever the spelling: setting it again moves it */
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/redis:latest", f->m[1]));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "redis"));
	assert_string_equal(d.ptr, f->m[1]);
	/* user repositories and other registries */
	ASSERT_OK(limg_tags_set(f->store, "someone/app:2", f->m[2]));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/someone/app:2"));
	assert_string_equal(d.ptr, f->m[2]);
	assert_int_equal(limg_tags_lookup(&d, f->store, "someone/app"), LIMG_ENOTFOUND); /* :latest is not :2 */
	assert_int_equal(limg_tags_lookup(&d, f->store, "ghcr.io/someone/app:2"), LIMG_ENOTFOUND);
	ASSERT_OK(limg_tags_set(f->store, "localhost:5000/app", f->m[2]));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "localhost:5000/app:latest"));
	/* removed by any spelling */
	ASSERT_OK(limg_tags_remove(f->store, "library/redis"));
	assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/redis:latest"), LIMG_ENOTFOUND);
	ASSERT_OK(limg_tags_remove(f->store, "docker.io/someone/app:2"));
	assert_int_equal(limg_tags_remove(f->store, "someone/app:2"), LIMG_ENOTFOUND);
	/* and the listing's repository filter reads them alike */
	{
		limg_tag_iterator_opts o = LIMG_TAG_ITERATOR_OPTS_INIT;
		ASSERT_OK(limg_tags_set(f->store, "alpine:3", f->m[0]));
		o.repository = "docker.io/library/alpine";
		ASSERT_OK(limg_tag_iterator_new(&it, f->store, &o));
		ASSERT_OK(limg_tag_iterator_next(&t, it));
		assert_string_equal(limg_tag_reference(t), "docker.io/library/alpine:3");
		limg_tag_iterator_free(it);
	}
	limg_buf_dispose(&d);
}

/* ---- the tag index: index.json in slots, the sidecar a cache ------------------ */

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	long n;
	char *text;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = malloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	text[n] = 0;
	fclose(fp);
	return text;
}

/* index.json parsed as another program parses it: reference -> digest. */
static cJSON *entries_of(const char *dir)
{
	char *index = path_in(dir, "index.json"), *text = slurp(index);
	cJSON *doc = cJSON_Parse(text), *out = cJSON_CreateObject(), *e;
	int untagged = 0;

	assert_non_null(doc); /* a valid document after every change */
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "manifests")) {
		cJSON *ref = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "annotations"), "org.opencontainers.image.ref.name");
		char key[64];
		if (!ref)
			snprintf(key, sizeof key, "<none>%d", untagged++);
		assert_null(ref ? cJSON_GetObjectItem(out, ref->valuestring) : NULL); /* a reference once */
		cJSON_AddStringToObject(out, ref ? ref->valuestring : key, cJSON_GetObjectItem(e, "digest")->valuestring);
	}
	cJSON_Delete(doc);
	free(text);
	free(index);
	return out;
}

/* Thousands of tags set, moved and removed: index.json, changed in place,
 * says exactly what lookups and the listing say. */
static void test_many_changes_keep_index_json_exact(void **state)
{
	struct fixture *f = *state;
	limg_buf d = LIMG_BUF_INIT;
	char ref[100], rows[1][200];
	enum { N = 150 };
	cJSON *seen;
	int live = 0;

	for (int i = 0; i < N; i++) {
		snprintf(ref, sizeof ref, "docker.io/team/app%d:v%d", i % 7, i);
		ASSERT_OK(limg_tags_set(f->store, ref, f->m[i % 2]));
	}
	for (int i = 0; i < N; i += 3) { /* moved */
		snprintf(ref, sizeof ref, "docker.io/team/app%d:v%d", i % 7, i);
		ASSERT_OK(limg_tags_set(f->store, ref, f->m[2]));
	}
	for (int i = 0; i < N; i += 5) { /* removed */
		snprintf(ref, sizeof ref, "docker.io/team/app%d:v%d", i % 7, i);
		ASSERT_OK(limg_tags_remove(f->store, ref));
	}
	seen = entries_of(f->dir);
	for (int i = 0; i < N; i++) {
		const char *want = i % 5 == 0 ? NULL : i % 3 == 0 ? f->m[2] : f->m[i % 2];
		cJSON *e;
		snprintf(ref, sizeof ref, "docker.io/team/app%d:v%d", i % 7, i);
		e = cJSON_GetObjectItem(seen, ref);
		if (!want) {
			assert_null(e);
			assert_int_equal(limg_tags_lookup(&d, f->store, ref), LIMG_ENOTFOUND);
			continue;
		}
		live++;
		assert_non_null(e);
		assert_string_equal(e->valuestring, want);
		ASSERT_OK(limg_tags_lookup(&d, f->store, ref));
		assert_string_equal(d.ptr, want);
	}
	assert_int_equal(cJSON_GetArraySize(seen), live);
	assert_int_equal(collect(f->store, NULL, rows, 0), live);
	cJSON_Delete(seen);
	limg_buf_dispose(&d);
}

/* Writes @text as index.json the way another program does: a new file renamed over it. */
static void replace_index(const char *dir, const char *text)
{
	char *tmp = path_in(dir, "index.json.other"), *index = path_in(dir, "index.json");
	FILE *fp = fopen(tmp, "w");

	fputs(text, fp);
	fclose(fp);
	assert_int_equal(rename(tmp, index), 0);
	free(tmp);
	free(index);
}

/* The sidecar is a cache: index.json rewritten by another program (compact,
 * one line, as skopeo writes it) is what lookups, listings and the next
 * change see; the change keeps what that program wrote. */
static void test_index_json_written_by_another_program(void **state)
{
	struct fixture *f = *state;
	limg_buf d = LIMG_BUF_INIT;
	char text[2048], rows[4][200];
	cJSON *seen;

	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/a:1", f->m[0]));
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/b:1", f->m[1]));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/a:1")); /* the sidecar now knows a and b */
	snprintf(text, sizeof text,
	         "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
	         "\"digest\":\"%s\",\"size\":10,\"annotations\":{\"org.opencontainers.image.ref.name\":"
	         "\"docker.io/library/other:1\",\"com.example.kept\":\"yes\"}}]}",
	         f->m[2]);
	replace_index(f->dir, text);
	assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/a:1"), LIMG_ENOTFOUND);
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/other:1"));
	assert_string_equal(d.ptr, f->m[2]);
	assert_int_equal(collect(f->store, NULL, rows, 4), 1);

	/* a change on top of it: the foreign entry and its annotation stay */
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/c:1", f->m[0]));
	seen = entries_of(f->dir);
	assert_int_equal(cJSON_GetArraySize(seen), 2);
	assert_string_equal(cJSON_GetObjectItem(seen, "docker.io/library/other:1")->valuestring, f->m[2]);
	assert_string_equal(cJSON_GetObjectItem(seen, "docker.io/library/c:1")->valuestring, f->m[0]);
	cJSON_Delete(seen);
	{
		char *index = path_in(f->dir, "index.json"), *now = slurp(index);
		assert_non_null(strstr(now, "\"com.example.kept\""));
		free(now);
		free(index);
	}

	/* edited in place, the same size, same inode (an editor that writes over the file) */
	{
		char *index = path_in(f->dir, "index.json"), *now = slurp(index), *at = strstr(now, "library/c:1");
		FILE *fp;
		assert_non_null(at);
		at[sizeof "library/" - 1] = 'e';
		fp = fopen(index, "r+");
		fputs(now, fp);
		fclose(fp);
		assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/c:1"), LIMG_ENOTFOUND);
		ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/e:1"));
		assert_string_equal(d.ptr, f->m[0]);
		free(now);
		free(index);
	}
	limg_buf_dispose(&d);
}

/* A sidecar that is not a database, or is gone, is made again from index.json. */
static void test_damaged_or_missing_sidecar(void **state)
{
	struct fixture *f = *state;
	char *db = path_in(f->dir, ".libimage/index.db");
	limg_buf d = LIMG_BUF_INIT;
	FILE *fp;

	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/a:1", f->m[0]));
	limg_store_close(f->store);
	fp = fopen(db, "w");
	fputs("this is not an SQLite database, but it is long enough to look like a header of one......", fp);
	fclose(fp);
	ASSERT_OK(limg_store_open(&f->store, NULL, f->dir, NULL));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/a:1"));
	assert_string_equal(d.ptr, f->m[0]);
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/b:1", f->m[1]));
	limg_store_close(f->store);
	assert_int_equal(unlink(db), 0);
	ASSERT_OK(limg_store_open(&f->store, NULL, f->dir, NULL));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/b:1"));
	assert_string_equal(d.ptr, f->m[1]);
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/a:1"));
	limg_buf_dispose(&d);
	free(db);
}

/* Every file under a directory with its size, mtime and bytes: what "changed nothing" compares. */
static char *tree_text;
static size_t tree_len;

static int tree_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char head[600], *bytes = type == FTW_F ? slurp(path) : NULL;
	int n = snprintf(head, sizeof head, "%s %d %lld %lld.%09ld\n", path, type, (long long)st->st_size,
	                 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	size_t add = (size_t)n + (bytes ? (size_t)st->st_size : 0);

	(void)ftw;
	tree_text = realloc(tree_text, tree_len + add + 1);
	memcpy(tree_text + tree_len, head, (size_t)n);
	if (bytes)
		memcpy(tree_text + tree_len + n, bytes, (size_t)st->st_size);
	tree_len += add;
	tree_text[tree_len] = '\0';
	free(bytes);
	return 0;
}

static char *tree_of(const char *dir, size_t *len)
{
	tree_text = NULL;
	tree_len = 0;
	assert_int_equal(nftw(dir, tree_file, 16, FTW_PHYS), 0);
	*len = tree_len;
	return tree_text;
}

static void assert_tree(const char *dir, const char *before, size_t len)
{
	size_t now_len;
	char *now = tree_of(dir, &now_len);

	assert_int_equal(now_len, len);
	assert_memory_equal(now, before, len);
	free(now);
}

/* What the library logged: read-only reads say when they read index.json itself. */
static char logged[8192];

static void on_log(int level, const char *message, void *payload)
{
	(void)level;
	(void)payload;
	if (strlen(logged) + strlen(message) + 2 < sizeof logged) {
		strcat(logged, message);
		strcat(logged, "\n");
	}
}

/* Looks up and lists @f's store opened read-only; true when that read index.json itself. */
static bool read_only_reads(struct fixture *f, const char *ref, const char *want, int rows_want)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_context *ctx;
	limg_store *ro;
	limg_buf d = LIMG_BUF_INIT;
	char rows[8][200];

	logged[0] = '\0';
	ASSERT_OK(limg_context_new(&ctx, NULL));
	ASSERT_OK(limg_context_set_log(ctx, on_log, LIMG_LOG_DEBUG, NULL));
	so.mode = LIMG_STORE_READ_ONLY;
	ASSERT_OK(limg_store_open(&ro, ctx, f->dir, &so));
	ASSERT_OK(limg_tags_lookup(&d, ro, ref));
	assert_string_equal(d.ptr, want);
	assert_int_equal(limg_tags_lookup(&d, ro, "docker.io/library/none:1"), LIMG_ENOTFOUND);
	assert_int_equal(collect(ro, NULL, rows, 8), rows_want);
	assert_int_equal(limg_tags_set(ro, "docker.io/library/new:1", f->m[0]), LIMG_EINVALID);
	limg_store_close(ro);
	limg_context_free(ctx);
	limg_buf_dispose(&d);
	return strstr(logged, "index.json itself") != NULL;
}

/* A store opened read-only reads the sidecar when it describes index.json,
 * index.json itself when it does not (stale, missing), and changes nothing:
 * no file written, made or removed, not even the sidecar's. */
static void test_read_only_reads_the_sidecar_and_changes_nothing(void **state)
{
	struct fixture *f = *state;
	limg_buf d = LIMG_BUF_INIT;
	char text[2048], *before, *db = path_in(f->dir, ".libimage/index.db");
	size_t len;

	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/a:1", f->m[0]));
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/b:1", f->m[1]));
	ASSERT_OK(limg_tags_lookup(&d, f->store, "docker.io/library/a:1"));
	before = tree_of(f->dir, &len);
	assert_false(read_only_reads(f, "docker.io/library/b:1", f->m[1], 2)); /* from the sidecar */
	assert_tree(f->dir, before, len);
	free(before);

	/* stale: index.json rewritten by another program; read from the file, the sidecar left as it was */
	snprintf(text, sizeof text,
	         "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
	         "\"digest\":\"%s\",\"size\":10,\"annotations\":{\"org.opencontainers.image.ref.name\":"
	         "\"docker.io/library/other:1\"}}]}",
	         f->m[2]);
	replace_index(f->dir, text);
	before = tree_of(f->dir, &len);
	assert_true(read_only_reads(f, "docker.io/library/other:1", f->m[2], 1));
	assert_tree(f->dir, before, len);
	free(before);

	/* missing: nothing made */
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/c:1", f->m[0])); /* the sidecar current again */
	assert_false(read_only_reads(f, "docker.io/library/c:1", f->m[0], 2));
	limg_store_close(f->store);
	f->store = NULL;
	for (const char *ext = ""; ext; ext = !*ext ? "-wal" : !strcmp(ext, "-wal") ? "-shm" : NULL) {
		char name[4200];
		snprintf(name, sizeof name, "%s%s", db, ext);
		assert_int_equal(unlink(name), 0);
	}
	before = tree_of(f->dir, &len);
	assert_true(read_only_reads(f, "docker.io/library/c:1", f->m[0], 2));
	assert_tree(f->dir, before, len);
	free(before);
	ASSERT_OK(limg_store_open(&f->store, NULL, f->dir, NULL));
	limg_buf_dispose(&d);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_lookup_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_incomplete_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visible_to_other_tools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listing_and_untagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_accessors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_familiar_references, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_changes_keep_index_json_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_json_written_by_another_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_or_missing_sidecar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_reads_the_sidecar_and_changes_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
