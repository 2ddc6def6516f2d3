/* SPDX-License-Identifier: MIT */
/* snapshot: options, the merged view a shared layer is applied in
 * (unpack/overlay.c), and prepare/gc/fsck on images built here. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/fs.h"
#include "helpers.h"
#include "libimage/libimage.h"
#include "unpack/apply.h"
#include "unpack/overlay.h"

static char top[256];

static int make_top(void **state)
{
	(void)state;
	snprintf(top, sizeof top, "/tmp/limg-test-snapshot-XXXXXX");
	assert_non_null(mkdtemp(top));
	return 0;
}

static int drop_top(void **state)
{
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	(void)state;
	limg__fs_remove_tree_at(fd, top + 5, top);
	close(fd);
	return 0;
}

static void test_options(void **state)
{
	limg_snapshot_opts o;
	limg_snapshot_callbacks cb;

	(void)state;
	ASSERT_OK(limg_snapshot_opts_init(&o, sizeof o));
	assert_int_equal(o.size, sizeof o);
	assert_int_equal(o.kind, LIMG_ROOT_OVERLAY);
	ASSERT_OK(limg_snapshot_callbacks_init(&cb, sizeof cb));
	assert_null(cb.progress);
	assert_int_equal(limg_snapshot_prepare(NULL, NULL, "x", "/tmp/x", NULL, NULL), LIMG_EINVALID);
	assert_int_equal(limg_snapshot_gc(NULL, NULL, NULL, NULL), LIMG_EINVALID);
	assert_int_equal(limg_snapshot_fsck(NULL, NULL, NULL, NULL), LIMG_EINVALID);
	assert_null(limg_mount_type(NULL));
	assert_null(limg_mount_source(NULL));
	assert_null(limg_mount_target(NULL));
	assert_null(limg_mount_options(NULL));
	limg_mount_free(NULL);
}

static void mkdir_at(int dir, const char *path, mode_t mode)
{
	assert_int_equal(mkdirat(dir, path, mode), 0);
	assert_int_equal(fchmodat(dir, path, mode, 0), 0);
}

static int open_at(int dir, const char *path)
{
	int fd = openat(dir, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

	assert_true(fd >= 0);
	return fd;
}

/* A lower layer with lib -> usr/lib (usr/lib 0750), a whited-out "gone" and
 * an opaque "o" above an older "o/old": the applier's merged view follows
 * the symlink, copies usr and usr/lib up with their modes, and sees
 * neither "gone" nor "o/old". */
static void test_merged_view(void **state)
{
	char path[512];
	limg__applier a;
	struct stat st;
	bool own;
	int t, bottom, lower, mine, fd, lowers[2];

	(void)state;
	if (geteuid() != 0)
		SKIP_BECAUSE("whiteouts are device nodes and opaque marks trusted xattrs: root only");
	t = open(top, O_RDONLY | O_DIRECTORY);
	mkdir_at(t, "bottom", 0755);
	mkdir_at(t, "lower", 0755);
	mkdir_at(t, "mine", 0755);
	bottom = open_at(t, "bottom");
	lower = open_at(t, "lower");
	mine = open_at(t, "mine");
	mkdir_at(bottom, "usr", 0755);
	mkdir_at(bottom, "usr/lib", 0750);
	assert_int_equal(symlinkat("usr/lib", bottom, "lib"), 0);
	assert_int_equal(mknodat(bottom, "gone", S_IFREG | 0644, 0), 0);
	mkdir_at(bottom, "o", 0755);
	assert_int_equal(mknodat(bottom, "o/old", S_IFREG | 0644, 0), 0);
	/* the middle layer hides "gone" and everything below "o" */
	assert_int_equal(mknodat(lower, "gone", S_IFCHR, makedev(0, 0)), 0);
	mkdir_at(lower, "o", 0711);
	fd = open_at(lower, "o");
	assert_int_equal(fsetxattr(fd, LIMG_OVERLAY_OPAQUE_XATTR, "y", 1, 0), 0);
	close(fd);

	memset(&a, 0, sizeof a);
	a.root = mine;
	a.privileged = true;
	a.parent_fd = -1;
	a.overlay = true;
	lowers[0] = lower;
	lowers[1] = bottom;
	a.lowers = lowers;
	a.nlowers = 2;
	limg__apply_begin_layer(&a, "sha256:test");
	ASSERT_OK(limg__overlay_resolve_dir(&a, "lib/deeper", limg__apply_record_upper, &a, &fd));
	close(fd);
	assert_int_equal(fstatat(mine, "usr/lib", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750); /* copied up */
	assert_int_equal(fstatat(mine, "usr/lib/deeper", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0755); /* made new */
	assert_int_equal(fstatat(mine, "lib", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(limg__overlay_lookup(&a, "", "gone", &st, &own), -ENOENT);
	assert_int_equal(limg__overlay_lookup(&a, "o", "old", &st, &own), -ENOENT);
	assert_int_equal(limg__overlay_lookup(&a, "", "o", &st, &own), 0);
	assert_false(own);
	assert_int_equal(st.st_mode & 07777, 0711);
	/* ".." stops at the merged root; an absolute symlink starts there */
	assert_int_equal(symlinkat("/../../usr", mine, "up"), 0);
	ASSERT_OK(limg__overlay_resolve_dir(&a, "up/lib/x", limg__apply_record_upper, &a, &fd));
	close(fd);
	assert_int_equal(fstatat(mine, "usr/lib/x", &st, AT_SYMLINK_NOFOLLOW), 0);
	/* a loop of symlinks is refused, not followed forever */
	assert_int_equal(symlinkat("loop", mine, "loop"), 0);
	assert_int_equal(limg__overlay_resolve_dir(&a, "loop/x", limg__apply_record_upper, &a, &fd), -ELOOP);
	limg__apply_dispose(&a);
	/* nothing below was changed */
	assert_int_equal(fstatat(bottom, "usr/lib/deeper", &st, AT_SYMLINK_NOFOLLOW), -1);
	snprintf(path, sizeof path, "%s/lower/usr", top);
	assert_int_equal(access(path, F_OK), -1);
	close(mine);
	close(lower);
	close(bottom);
	close(t);
}

/* An image of @n layers (@base's and one of its own) committed as @tag. */
static void build_image(limg_store *s, const char *tag, const char *own_path, const char *own_data)
{
	limg_layer_file f1 = LIMG_LAYER_FILE_INIT, f2 = LIMG_LAYER_FILE_INIT, f3 = LIMG_LAYER_FILE_INIT;
	const limg_layer_file *base[] = { &f1, &f2 }, *own[] = { &f3 };
	limg_builder *b = NULL;
	limg_layer *l1 = NULL, *l2 = NULL;
	limg_buf d = LIMG_BUF_INIT;

	f1.path = "/etc/os-release";
	f1.data = "base\n";
	f1.data_len = 5;
	f2.path = "/usr/bin/sh";
	f2.data = "sh";
	f2.data_len = 2;
	f2.mode = 0755;
	f3.path = own_path;
	f3.data = own_data;
	f3.data_len = strlen(own_data);
	ASSERT_OK(limg_layer_new_from_files(&l1, s, base, 2, NULL, NULL));
	ASSERT_OK(limg_layer_new_from_files(&l2, s, own, 1, NULL, NULL));
	ASSERT_OK(limg_builder_new(&b, s, NULL, NULL));
	ASSERT_OK(limg_builder_append_layer(b, l1, "base", NULL));
	ASSERT_OK(limg_builder_append_layer(b, l2, "own", NULL));
	ASSERT_OK(limg_builder_commit(&d, b, tag));
	limg_buf_dispose(&d);
	limg_builder_free(b);
	limg_layer_free(l1);
	limg_layer_free(l2);
}

static int count_events(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                        void *payload)
{
	int *counts = payload;

	(void)digest, (void)kind, (void)done, (void)total, (void)detail;
	if (event == LIMG_EVENT_EXISTS)
		counts[0]++;
	else if (event == LIMG_EVENT_LAYER_DONE)
		counts[1]++;
	return 0;
}

static void test_prepare_gc_fsck(void **state)
{
	char sdir[300], r1[300], r2[300], want[700];
	limg_snapshot_opts o = LIMG_SNAPSHOT_OPTS_INIT;
	limg_snapshot_callbacks cb = LIMG_SNAPSHOT_CALLBACKS_INIT;
	limg_store *s;
	limg_mount *m = NULL;
	size_t problems = 9;
	int64_t reclaimed = -1;
	int counts[2] = { 0, 0 };
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		SKIP_BECAUSE("shared layers need root");
	snprintf(sdir, sizeof sdir, "%s/store", top);
	snprintf(r1, sizeof r1, "%s/r1", top);
	snprintf(r2, sizeof r2, "%s/r2", top);
	ASSERT_OK(limg_store_open(&s, NULL, sdir, NULL));
	build_image(s, "test/one:1", "/app/one", "one");
	build_image(s, "test/two:1", "/app/two", "two");
	cb.progress = count_events;
	cb.payload = counts;
	o.kind = LIMG_ROOT_COPY;
	ASSERT_OK(limg_snapshot_prepare(&m, s, "test/one:1", r1, &o, &cb));
	assert_null(m);
	assert_int_equal(counts[0], 0);
	assert_int_equal(counts[1], 2);
	snprintf(want, sizeof want, "%s/rootfs/app/one", r1);
	assert_int_equal(stat(want, &st), 0);
	/* the second image: the base is there, only its own layer is applied */
	counts[0] = counts[1] = 0;
	o.kind = LIMG_ROOT_OVERLAY;
	ASSERT_OK(limg_snapshot_prepare(&m, s, "test/two:1", r2, &o, &cb));
	assert_int_equal(counts[0], 1);
	assert_int_equal(counts[1], 1);
	assert_non_null(m);
	assert_string_equal(limg_mount_type(m), "overlay");
	assert_string_equal(limg_mount_source(m), "overlay");
	snprintf(want, sizeof want, "%s/rootfs", r2);
	assert_string_equal(limg_mount_target(m), want);
	snprintf(want, sizeof want, ",upperdir=%s/upper,workdir=%s/work", r2, r2);
	assert_non_null(strstr(limg_mount_options(m), want));
	assert_int_equal(strncmp(limg_mount_options(m), "lowerdir=", 9), 0);
	limg_mount_free(m);
	/* a directory not empty is refused */
	assert_int_equal(limg_snapshot_prepare(NULL, s, "test/two:1", r2, &o, NULL), LIMG_EEXISTS);
	/* everything is needed: nothing goes, nothing is wrong */
	ASSERT_OK(limg_snapshot_gc(&reclaimed, s, NULL, NULL));
	assert_int_equal(reclaimed, 0);
	ASSERT_OK(limg_snapshot_fsck(&problems, s, NULL, NULL));
	assert_int_equal(problems, 0);
	limg_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test_setup_teardown(test_merged_view, make_top, drop_top),
		cmocka_unit_test_setup_teardown(test_prepare_gc_fsck, make_top, drop_top),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
