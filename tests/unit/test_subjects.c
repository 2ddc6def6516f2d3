/* SPDX-License-Identifier: MIT */
/* errors.h: what a failure was about. One test per subject the offline
 * layers raise: the code, limg_error_subject() and limg_error_object(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>

#include <cmocka.h>

#include "helpers.h"

struct fixture {
	char *dir;
	limg_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = make_tmpdir();
	if (limg_store_open(&f->store, NULL, f->dir, NULL) != 0)
		return -1;
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

/* The last error is @code about @subject, and its object contains @object (NULL: any). */
#define ASSERT_ABOUT(code, subject, object)                                                                      \
	do {                                                                                                     \
		const limg_error *e_ = limg_error_last();                                                        \
		if (limg_error_code(e_) != (code) || limg_error_subject(e_) != (subject))                        \
			fail_msg("expected %s about %s, got %s about %s: %s", #code, #subject,                   \
			         limg_error_name(limg_error_code(e_)), limg_subject_name(limg_error_subject(e_)), \
			         limg_error_message(e_));                                                        \
		if ((object) && !strstr(limg_error_object(e_), (object) ? (object) : ""))                        \
			fail_msg("object \"%s\" does not name \"%s\"", limg_error_object(e_), (object));         \
	} while (0)

/* Names map to subjects one to one, as the header spells them. */
static void test_subject_names(void **state)
{
	(void)state;
	assert_string_equal(limg_subject_name(LIMG_SUBJECT_NONE), "LIMG_SUBJECT_NONE");
	assert_string_equal(limg_subject_name(LIMG_SUBJECT_IMAGE), "LIMG_SUBJECT_IMAGE");
	assert_string_equal(limg_subject_name(LIMG_SUBJECT_OPTIONS), "LIMG_SUBJECT_OPTIONS");
	assert_string_equal(limg_subject_name(LIMG_SUBJECT_ARCHIVE), "LIMG_SUBJECT_ARCHIVE");
	assert_null(limg_subject_name(-1));
	assert_string_equal(limg_subject_name(LIMG_SUBJECT_SIGNATURE), "LIMG_SUBJECT_SIGNATURE");
	assert_string_equal(limg_subject_name(LIMG_SUBJECT_POLICY), "LIMG_SUBJECT_POLICY");
	assert_string_equal(limg_subject_name(LIMG_SUBJECT_KEY), "LIMG_SUBJECT_KEY");
	assert_null(limg_subject_name(LIMG_SUBJECT_KEY + 1));
	/* values are ABI */
	assert_int_equal(LIMG_SUBJECT_IMAGE, 1);
	assert_int_equal(LIMG_SUBJECT_BLOB, 3);
	assert_int_equal(LIMG_SUBJECT_PLATFORM, 6);
	assert_int_equal(LIMG_SUBJECT_STORE, 12);
	assert_int_equal(LIMG_SUBJECT_OPTIONS, 16);
	assert_int_equal(LIMG_SUBJECT_SIGNATURE, 17);
	assert_int_equal(LIMG_SUBJECT_POLICY, 18);
	assert_int_equal(LIMG_SUBJECT_KEY, 19);
	limg_error_clear();
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_NONE);
	assert_string_equal(limg_error_object(limg_error_last()), "");
	assert_int_equal(limg_error_subject(NULL), LIMG_SUBJECT_NONE);
	assert_string_equal(limg_error_object(NULL), "");
}

static void test_subject_image(void **state)
{
	struct fixture *f = *state;
	limg_image *img = (limg_image *)&img;
	limg_buf digest = LIMG_BUF_INIT;
	test_image t;
	char *dir = path_in(f->dir, "rootfs");

	ASSERT_OK(put_image(f->store, "present:1", NULL, 0, NULL, &t));
	assert_int_equal(limg_image_lookup(&img, f->store, "missing:1", NULL), LIMG_ENOTFOUND);
	assert_null(img);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, "missing:1");
	assert_non_null(strstr(limg_error_message(limg_error_last()), "No such image"));
	/* an ID that is no image */
	assert_int_equal(limg_image_lookup(&img, f->store, "0123456789ab", NULL), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, "0123456789ab");
	/* what docker tag, rmi and unpack say of it */
	assert_int_equal(limg_images_lookup(&digest, f->store, "missing"), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, "missing");
	assert_int_equal(limg_images_remove(f->store, "missing:2", NULL, NULL), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, "missing:2");
	assert_int_equal(limg_unpack(f->store, "missing:3", dir, NULL, NULL), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, "missing:3");
	/* and what is there is found */
	ASSERT_OK(limg_image_lookup(&img, f->store, "present:1", NULL));
	assert_string_equal(limg_image_id(img), t.config);
	limg_image_free(img);
	limg_buf_dispose(&digest);
	free(dir);
}

static void test_subject_tag(void **state)
{
	struct fixture *f = *state;
	limg_buf digest = LIMG_BUF_INIT;
	test_image t;

	ASSERT_OK(put_image(f->store, "redis:latest", NULL, 0, NULL, &t));
	assert_int_equal(limg_tags_lookup(&digest, f->store, "redis:7"), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_TAG, "redis:7");
	assert_null(digest.ptr);
	assert_int_equal(limg_tags_remove(f->store, "docker.io/library/redis:8"), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_TAG, "docker.io/library/redis:8");
	ASSERT_OK(limg_tags_lookup(&digest, f->store, "redis"));
	assert_string_equal(digest.ptr, t.manifest);
	limg_buf_dispose(&digest);
}

static void test_subject_blob(void **state)
{
	struct fixture *f = *state;
	const char *missing = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
	char manifest_text[1024], manifest[80], config[80];
	const char *config_text = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
	limg_buf b = LIMG_BUF_INIT;
	int64_t size;

	assert_int_equal(limg_store_blob_read(&b, f->store, missing, 1024), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, missing);
	assert_null(b.ptr);
	assert_int_equal(limg_store_blob_stat(&size, f->store, missing), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, missing);
	assert_int_equal(limg_store_blob_delete(f->store, missing), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, missing);

	/* a tag for a manifest whose layer is not stored: the layer is named */
	ASSERT_OK(put_text(f->store, config_text, config));
	snprintf(manifest_text, sizeof manifest_text,
	         "{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\","
	         "\"config\":{\"mediaType\":\"" LIMG_MEDIA_OCI_CONFIG "\",\"digest\":\"%s\",\"size\":%zu},"
	         "\"layers\":[{\"mediaType\":\"" LIMG_MEDIA_OCI_LAYER_GZIP "\",\"digest\":\"%s\",\"size\":10}]}",
	         config, strlen(config_text), missing);
	ASSERT_OK(put_text(f->store, manifest_text, manifest));
	assert_int_equal(limg_tags_set(f->store, "app:1", manifest), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, missing);
	/* and a manifest that is not stored at all */
	assert_int_equal(limg_tags_set(f->store, "app:1", missing), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, missing);
	assert_int_equal(limg_tags_lookup(&b, f->store, "app:1"), LIMG_ENOTFOUND); /* no tag was set */
}

/* An index of linux/amd64 (stored) and linux/arm64 (listed, not stored). */
static void put_index(limg_store *s, const char *tag, test_image *amd64, char *index_out)
{
	char text[2048];

	ASSERT_OK(put_image(s, NULL, NULL, 0, NULL, amd64));
	snprintf(text, sizeof text,
	         "{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":["
	         "{\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
	         "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	         "{\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"sha256:"
	         "2222222222222222222222222222222222222222222222222222222222222222\",\"size\":400,"
	         "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}",
	         amd64->manifest, amd64->manifest_size);
	ASSERT_OK(put_text(s, text, index_out));
	ASSERT_OK(limg_tags_set(s, tag, index_out));
}

static void test_subject_platform(void **state)
{
	struct fixture *f = *state;
	limg_image_lookup_opts opts = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	limg_image *img = (limg_image *)&img;
	test_image amd64;
	char index[80];

	put_index(f->store, "multi:1", &amd64, index);
	/* listed in the index, but not stored */
	opts.platform = "linux/arm64";
	assert_int_equal(limg_image_lookup(&img, f->store, "multi:1", &opts), LIMG_ENOTFOUND);
	assert_null(img);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_PLATFORM, "linux/arm64");
	/* not in the index at all */
	opts.platform = "linux/s390x";
	assert_int_equal(limg_image_lookup(&img, f->store, "multi:1", &opts), LIMG_EPLATFORM);
	ASSERT_ABOUT(LIMG_EPLATFORM, LIMG_SUBJECT_PLATFORM, "linux/s390x");
	/* the stored one is found, by platform and by default */
	opts.platform = "linux/amd64";
	ASSERT_OK(limg_image_lookup(&img, f->store, "multi:1", &opts));
	assert_string_equal(limg_image_digest(img), index);
	assert_string_equal(limg_image_manifest_digest(img), amd64.manifest);
	limg_image_free(img);
	ASSERT_OK(limg_image_lookup(&img, f->store, "multi:1", NULL));
	assert_string_equal(limg_image_manifest_digest(img), amd64.manifest);
	limg_image_free(img);
}

static void test_subject_reference(void **state)
{
	struct fixture *f = *state;
	test_image t;

	ASSERT_OK(put_image(f->store, NULL, NULL, 0, NULL, &t));
	assert_int_equal(limg_tags_set(f->store, "bad reference!", t.manifest), LIMG_EREF_FORMAT);
	ASSERT_ABOUT(LIMG_EREF_FORMAT, LIMG_SUBJECT_REFERENCE, "bad reference!");
	assert_int_equal(limg_tags_set(f->store, "docker.io/Upper/case:1", t.manifest), LIMG_EREF_UPPERCASE);
	ASSERT_ABOUT(LIMG_EREF_UPPERCASE, LIMG_SUBJECT_REFERENCE, "docker.io/Upper/case:1");
	/* a digest is no tag */
	assert_int_equal(limg_tags_set(f->store, "app@sha256:1111111111111111111111111111111111111111111111111111111111111111",
	                               t.manifest),
	                 LIMG_EINVALID);
	ASSERT_ABOUT(LIMG_EINVALID, LIMG_SUBJECT_REFERENCE, "app@sha256:");
	/* a hostile reference is named escaped */
	assert_true(limg_tags_set(f->store, "bad\nname", t.manifest) < 0);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_REFERENCE);
	assert_null(strchr(limg_error_object(limg_error_last()), '\n'));
}

static void test_subject_store(void **state)
{
	struct fixture *f = *state;
	limg_store_opts opts = LIMG_STORE_OPTS_INIT;
	limg_store *s = (limg_store *)&s;
	char *missing = path_in(f->dir, "no-store-here");
	struct stat st;

	opts.mode = LIMG_STORE_EXISTING;
	assert_int_equal(limg_store_open(&s, NULL, missing, &opts), LIMG_ENOTFOUND);
	assert_null(s);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_STORE, missing);
	assert_int_equal(stat(missing, &st), -1); /* nothing was created */
	/* a directory without a layout */
	assert_int_equal(mkdir(missing, 0755), 0);
	assert_int_equal(limg_store_open(&s, NULL, missing, &opts), LIMG_ENOTFOUND);
	ASSERT_ABOUT(LIMG_ENOTFOUND, LIMG_SUBJECT_STORE, missing);
	/* created by default */
	ASSERT_OK(limg_store_open(&s, NULL, missing, NULL));
	limg_store_close(s);
	ASSERT_OK(limg_store_open(&s, NULL, missing, &opts));
	limg_store_close(s);
	free(missing);
}

static void test_subject_config(void **state)
{
	struct fixture *f = *state;
	/* Env must be a list of strings */
	const char *bad = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":\"PATH=/bin\"},"
	                  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}";
	limg_image *img = (limg_image *)&img;
	limg_config *c = (limg_config *)&c;
	test_image t;

	assert_int_equal(limg_config_parse(&c, "{\"config\":{\"Env\":\"x\"}}", 22), LIMG_EMANIFEST);
	assert_null(c);
	ASSERT_ABOUT(LIMG_EMANIFEST, LIMG_SUBJECT_CONFIG, NULL);
	/* stored with an image, the config is named by its digest */
	ASSERT_OK(put_image(f->store, NULL, NULL, 0, bad, &t));
	ASSERT_OK(limg_tags_set(f->store, "badconfig:1", t.manifest)); /* its blobs are all there */
	assert_int_equal(limg_image_lookup(&img, f->store, "badconfig:1", NULL), LIMG_EMANIFEST);
	assert_null(img);
	ASSERT_ABOUT(LIMG_EMANIFEST, LIMG_SUBJECT_CONFIG, t.config);
}

/* An image whose one layer is @tar, for unpack. */
static void unpack_fails(struct fixture *f, const char *tag, const limg_buf *tar, const char *config_fmt, int code,
                         test_image *t)
{
	char *dir = path_in(f->dir, "unpacked");
	limg_unpack_opts opts = LIMG_UNPACK_OPTS_INIT;
	struct stat st;

	ASSERT_OK(put_image(f->store, tag, tar->ptr, tar->size, config_fmt, t));
	opts.rootless = LIMG_ROOTLESS_ON; /* nothing here needs privileges */
	assert_int_equal(limg_unpack(f->store, tag, dir, &opts, NULL), code);
	ASSERT_ABOUT(code, LIMG_SUBJECT_LAYER, t->layer);
	/* what the failed unpack made is gone */
	if (stat(dir, &st) == 0)
		assert_int_equal(count_files(dir), 0);
	free(dir);
}

static void test_subject_layer(void **state)
{
	struct fixture *f = *state;
	char *outside = path_in(f->dir, "escaped"), *dir = path_in(f->dir, "unpacked");
	limg_unpack_opts opts = LIMG_UNPACK_OPTS_INIT;
	limg_buf tar = LIMG_BUF_INIT;
	struct stat st;
	test_image t;

	/* an entry that would leave the root */
	tar_add(&tar, "etc/", NULL, '5');
	tar_add(&tar, "../../escaped", "gotcha", '0');
	tar_finish(&tar);
	unpack_fails(f, "escape:1", &tar, NULL, LIMG_ECORRUPT, &t);
	assert_int_equal(stat(outside, &st), -1);
	limg_buf_dispose(&tar);

	/* bytes that are no tar */
	assert_int_equal(limg_buf_set(&tar, "this is not a tar archive, not even close to one", 48), 0);
	unpack_fails(f, "garbage:1", &tar, NULL, LIMG_ECORRUPT, &t);
	limg_buf_dispose(&tar);

	/* a layer whose diff_id is not the config's */
	tar_add(&tar, "file", "content", '0');
	tar_finish(&tar);
	unpack_fails(f, "diffid:1", &tar,
	             "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
	             "[\"sha256:3333333333333333333333333333333333333333333333333333333333333333\"]}}",
	             LIMG_EDIGEST_MISMATCH, &t);
	limg_buf_dispose(&tar);

	/* and a sound layer unpacks */
	tar_add(&tar, "etc/", NULL, '5');
	tar_add(&tar, "etc/os-release", "ID=test\n", '0');
	tar_finish(&tar);
	ASSERT_OK(put_image(f->store, "good:1", tar.ptr, tar.size, NULL, &t));
	opts.rootless = LIMG_ROOTLESS_ON;
	ASSERT_OK(limg_unpack(f->store, "good:1", dir, &opts, NULL));
	limg_buf_dispose(&tar);
	free(outside);
	outside = path_in(dir, "etc/os-release");
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(st.st_size, 8);
	free(outside);
	free(dir);
}

static int load_file(limg_store *s, const char *dir, const void *data, size_t len)
{
	char *path = path_in(dir, "archive.tar");
	FILE *fp = fopen(path, "wb");
	int fd, rc;

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	rc = limg_archive_load(s, fd, NULL, NULL);
	close(fd);
	unlink(path);
	free(path);
	return rc;
}

static void test_subject_archive(void **state)
{
	struct fixture *f = *state;
	limg_buf tar = LIMG_BUF_INIT;
	char *other = path_in(f->dir, "other");

	assert_int_equal(mkdir(other, 0755), 0);
	/* not a tar at all */
	assert_int_equal(load_file(f->store, other, "certainly no tar archive here, just some text.", 46),
	                 LIMG_ECORRUPT);
	ASSERT_ABOUT(LIMG_ECORRUPT, LIMG_SUBJECT_ARCHIVE, NULL);
	/* a tar that holds no image */
	tar_add(&tar, "readme.txt", "hello", '0');
	tar_finish(&tar);
	assert_int_equal(load_file(f->store, other, tar.ptr, tar.size), LIMG_ECORRUPT);
	ASSERT_ABOUT(LIMG_ECORRUPT, LIMG_SUBJECT_ARCHIVE, NULL);
	limg_buf_dispose(&tar);
	/* a manifest.json naming a config the archive does not hold */
	tar_add(&tar, "manifest.json", "[{\"Config\":\"blobs/sha256/none.json\",\"RepoTags\":[\"x:1\"],\"Layers\":[]}]", '0');
	tar_finish(&tar);
	assert_int_equal(load_file(f->store, other, tar.ptr, tar.size), LIMG_ECORRUPT);
	ASSERT_ABOUT(LIMG_ECORRUPT, LIMG_SUBJECT_ARCHIVE, NULL);
	limg_buf_dispose(&tar);
	/* an entry that leads out of the archive */
	tar_add(&tar, "../../manifest.json", "[]", '0');
	tar_finish(&tar);
	assert_int_equal(load_file(f->store, other, tar.ptr, tar.size), LIMG_ECORRUPT);
	ASSERT_ABOUT(LIMG_ECORRUPT, LIMG_SUBJECT_ARCHIVE, NULL);
	limg_buf_dispose(&tar);
	free(other);
}

static void test_subject_options(void **state)
{
	struct fixture *f = *state;
	limg_images_iterator_opts opts = LIMG_IMAGES_ITERATOR_OPTS_INIT;
	limg_images_iterator *it = (limg_images_iterator *)&it;
	limg_store_gc_opts gc = LIMG_STORE_GC_OPTS_INIT;

	opts.select = 9;
	assert_int_equal(limg_images_iterator_new(&it, f->store, &opts), LIMG_EINVALID);
	assert_null(it);
	ASSERT_ABOUT(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "select");
	/* the size field not set */
	gc.size = 0;
	assert_int_equal(limg_store_gc(NULL, f->store, &gc, NULL), LIMG_EINVALID);
	ASSERT_ABOUT(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "limg_store_gc_opts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_names),
		cmocka_unit_test_setup_teardown(test_subject_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_platform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_options, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
