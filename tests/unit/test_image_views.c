/* SPDX-License-Identifier: MIT */
/* images.h: what `docker images`, `docker tag` and `docker image inspect`
 * see of a store, read through every accessor of a listing row and of a
 * looked-up image, against the image the test stored itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

/* TEST_CONFIG_DEFAULT's "created" */
#define CREATED_UNIX 1705312800

struct fixture {
	char *dir;
	limg_store *store;
	test_image img;
	size_t layer_size;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	limg_buf tar = LIMG_BUF_INIT;

	f->dir = make_tmpdir();
	if (limg_store_open(&f->store, NULL, f->dir, NULL) != 0)
		return -1;
	tar_add(&tar, "etc/", NULL, '5');
	tar_add(&tar, "etc/hello", "hello from the images test\n", '0');
	tar_finish(&tar);
	f->layer_size = tar.size;
	if (put_image(f->store, "team/app:1", tar.ptr, tar.size, NULL, &f->img) != 0)
		return -1;
	limg_buf_dispose(&tar);
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

/* docker tag: the same image under a second name; sources and targets as docker reads them. */
static void test_tag(void **state)
{
	struct fixture *f = *state;
	limg_buf digest = LIMG_BUF_INIT;

	ASSERT_OK(limg_images_tag(f->store, "team/app:1", "other/copy:2"));
	ASSERT_OK(limg_images_lookup(&digest, f->store, "other/copy:2"));
	assert_string_equal(digest.ptr, f->img.manifest);
	limg_buf_dispose(&digest);
	/* by image ID prefix, as docker tag takes it */
	ASSERT_OK(limg_images_tag(f->store, f->img.config + 7, "third:latest"));
	ASSERT_OK(limg_images_lookup(&digest, f->store, "docker.io/library/third:latest"));
	assert_string_equal(digest.ptr, f->img.manifest);
	limg_buf_dispose(&digest);
	assert_int_equal(limg_images_tag(f->store, "nothing:here", "x:1"), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_IMAGE);
	assert_true(limg_images_tag(f->store, "team/app:1", "Bad Name") < 0);
	assert_true(limg_images_lookup(&digest, f->store, "Bad Name") < 0);
}

/* Every field of every row: two tags of one image, newest first then by name. */
static void test_rows(void **state)
{
	struct fixture *f = *state;
	limg_images_iterator *it;
	const limg_images_row *row;
	const char *want[] = { "docker.io/other/copy:2", "docker.io/team/app:1" };
	int n = 0;

	ASSERT_OK(limg_images_tag(f->store, "team/app:1", "other/copy:2"));
	ASSERT_OK(limg_images_iterator_new(&it, f->store, NULL));
	while (limg_images_iterator_next(&row, it) == 0) {
		assert_true(n < 2);
		assert_string_equal(limg_images_row_reference(row), want[n]);
		assert_string_equal(limg_images_row_repository(row), n ? "team/app" : "other/copy"); /* as docker shows it */
		assert_string_equal(limg_images_row_tag(row), n ? "1" : "2");
		assert_string_equal(limg_images_row_digest(row), f->img.manifest);
		assert_string_equal(limg_images_row_id(row), f->img.config);
		assert_int_equal(limg_images_row_created(row), CREATED_UNIX);
		assert_int_equal(limg_images_row_size(row), (int64_t)f->layer_size);
		assert_int_equal(limg_images_row_state(row), LIMG_IMAGE_COMPLETE);
		n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(limg_images_iterator_next(&row, it), LIMG_ITEROVER);
	limg_images_iterator_free(it);
}

/* A listing never shows a damaged image as whole: its layer gone from the
 * store, the row says so; NULL has no state. limg_image_check_whole() says
 * it of a looked-up image, as unpack does. */
static void test_row_state(void **state)
{
	struct fixture *f = *state;
	limg_images_iterator *it;
	const limg_images_row *row;
	limg_image *img;
	char path[1024];

	ASSERT_OK(limg_image_lookup(&img, f->store, "team/app:1", NULL));
	ASSERT_OK(limg_image_check_whole(f->store, img));
	snprintf(path, sizeof path, "%s/blobs/sha256/%s", f->dir, f->img.layer + strlen("sha256:"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(limg_image_check_whole(f->store, img), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_BLOB);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "is damaged: its layer 1 of 1"));
	assert_int_equal(limg_image_check_whole(NULL, img), LIMG_EINVALID);
	assert_int_equal(limg_image_check_whole(f->store, NULL), LIMG_EINVALID);
	limg_image_free(img);
	ASSERT_OK(limg_images_iterator_new(&it, f->store, NULL));
	ASSERT_OK(limg_images_iterator_next(&row, it));
	assert_string_equal(limg_images_row_reference(row), "docker.io/team/app:1");
	assert_int_equal(limg_images_row_state(row), LIMG_IMAGE_DAMAGED);
	assert_int_equal(limg_images_iterator_next(&row, it), LIMG_ITEROVER);
	limg_images_iterator_free(it);
	assert_int_equal(limg_images_row_state(NULL), LIMG_IMAGE_UNKNOWN);
}

/* docker image inspect's facts, each through its accessor. */
static void test_lookup_accessors(void **state)
{
	struct fixture *f = *state;
	limg_image *img;
	char config[4096];

	ASSERT_OK(limg_images_tag(f->store, "team/app:1", "other/copy:2"));
	ASSERT_OK(limg_image_lookup(&img, f->store, "team/app:1", NULL));
	assert_string_equal(limg_image_id(img), f->img.config);
	assert_string_equal(limg_image_digest(img), f->img.manifest);
	assert_string_equal(limg_image_manifest_digest(img), f->img.manifest);
	assert_int_equal(limg_manifest_kind(limg_image_manifest(img)), LIMG_MANIFEST_IMAGE);
	assert_string_equal(limg_descriptor_digest(limg_manifest_config(limg_image_manifest(img))), f->img.config);
	assert_string_equal(limg_config_os(limg_image_config(img)), "linux");
	assert_string_equal(limg_config_diff_id(limg_image_config(img), 0), f->img.diff_id);
	/* the config's own bytes, as stored (put_image wrote them so) */
	snprintf(config, sizeof config, TEST_CONFIG_DEFAULT, f->img.diff_id);
	assert_int_equal(limg_image_config_size(img), strlen(config));
	assert_memory_equal(limg_image_config_bytes(img), config, strlen(config));
	assert_int_equal(limg_image_size(img), (int64_t)f->layer_size);
	/* one layer: its size is the image's; none past it */
	assert_int_equal(limg_image_layer_size(img, 0), (int64_t)f->layer_size);
	assert_int_equal(limg_image_layer_size(img, 1), -1);
	/* RepoTags and RepoDigests, familiar, sorted */
	assert_int_equal(limg_image_tag_count(img), 2);
	assert_string_equal(limg_image_tag(img, 0), "other/copy:2");
	assert_string_equal(limg_image_tag(img, 1), "team/app:1");
	assert_null(limg_image_tag(img, 2));
	assert_int_equal(limg_image_repo_digest_count(img), 2);
	{
		char want[300];
		snprintf(want, sizeof want, "other/copy@%s", f->img.manifest);
		assert_string_equal(limg_image_repo_digest(img, 0), want);
		snprintf(want, sizeof want, "team/app@%s", f->img.manifest);
		assert_string_equal(limg_image_repo_digest(img, 1), want);
	}
	assert_null(limg_image_repo_digest(img, 2));
	limg_image_free(img);
	limg_image_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_accessors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
