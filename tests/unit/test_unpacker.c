/* SPDX-License-Identifier: MIT */
/* unpack: names cleaned, paths resolved beneath a root (kernel and walk
 * alike), the rootless xattr, USER resolved from the root's own files, the pipe. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/fs.h"
#include "tar/path.h"
#include "core/pipe.h"
#include "libimage/libimage.h"
#include "helpers.h"
#include "unpack/apply.h"
#include "unpack/passwd.h"
#include "unpack/resolve.h"

/* A scratch tree: T/root is the root, T/outside what must never be reached. */
typedef struct {
	char top[256], outside[300];
	int top_fd, root;
} scratch;

static void make_scratch(scratch *s)
{
	snprintf(s->top, sizeof s->top, "/tmp/limg-test-unpack-XXXXXX");
	assert_non_null(mkdtemp(s->top));
	snprintf(s->outside, sizeof s->outside, "%s/outside", s->top);
	s->top_fd = open(s->top, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(s->top_fd, "root", 0755), 0);
	assert_int_equal(mkdirat(s->top_fd, "outside", 0755), 0);
	s->root = openat(s->top_fd, "root", O_RDONLY | O_DIRECTORY);
	assert_true(s->root >= 0);
}

static void drop_scratch(scratch *s)
{
	close(s->root);
	assert_int_equal(limg__fs_remove_tree_at(s->top_fd, "root", "root"), 0);
	assert_int_equal(limg__fs_remove_tree_at(s->top_fd, "outside", "outside"), 0);
	close(s->top_fd);
	assert_int_equal(rmdir(s->top), 0);
}

static void put(int dir, const char *name, const char *text)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_clean_name(void **state)
{
	static const struct {
		const char *in, *out;
		int rc;
	} cases[] = {
		{ "a/b", "a/b", 0 },         { "./a//b/", "a/b", 0 },   { "/etc/passwd", "etc/passwd", 0 },
		{ "a/../b", "b", 0 },        { ".", "", 0 },            { "./", "", 0 },
		{ "/", "", 0 },              { "..", NULL, -1 },        { "../x", NULL, -1 },
		{ "a/../../x", NULL, -1 },   { "/../etc", NULL, -1 },   { "./a/./../..", NULL, -1 },
		{ "a/b/../../c", "c", 0 },
	};
	char out[64], big[400];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = limg__clean_name(cases[i].in, out, sizeof out);
		assert_int_equal(rc, cases[i].rc);
		if (!rc)
			assert_string_equal(out, cases[i].out);
	}
	memset(big, 'x', 300);
	big[300] = '\0';
	assert_int_equal(limg__clean_name(big, out, sizeof out), -2); /* too long for the buffer */
	{
		char wide[4096];
		assert_int_equal(limg__clean_name(big, wide, sizeof wide), -2); /* a component over 255 */
	}
	assert_int_equal(limg__path_clean_clamped("../../a/../../b", out, sizeof out), 0);
	assert_string_equal(out, "b");
	/* a path that does not fit is refused, not shortened into another one */
	assert_int_equal(limg__path_clean_clamped(big, out, sizeof out), -2);
}

/* The inode @path names beneath the root, through limg__resolve_dir. */
static ino_t resolved(int root, const char *path)
{
	struct stat st;
	int fd;

	assert_int_equal(limg__resolve_dir(root, path, NULL, NULL, &fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	return st.st_ino;
}

static ino_t ino_at(int dir, const char *path)
{
	struct stat st;
	assert_int_equal(fstatat(dir, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

static int count_created(const char *path, void *payload)
{
	(void)path;
	++*(int *)payload;
	return 0;
}

static void resolve_escapes(bool walk)
{
	scratch s;
	char target[400];
	int fd, made = 0;

	limg__resolve_force_walk(walk);
	make_scratch(&s);
	assert_int_equal(mkdirat(s.root, "outside", 0755), 0); /* the root's own "outside" */
	assert_int_equal(mkdirat(s.root, "etc", 0755), 0);
	assert_int_equal(symlinkat(s.outside, s.root, "abs"), 0);            /* -> the host's outside */
	assert_int_equal(symlinkat("../outside", s.root, "rel"), 0);         /* -> ../ of the root */
	assert_int_equal(symlinkat("../../../../../../outside", s.root, "deep"), 0);
	assert_int_equal(symlinkat("/", s.root, "slash"), 0);
	assert_int_equal(symlinkat("etc/../../outside", s.root, "mixed"), 0);
	assert_int_equal(symlinkat("loop2", s.root, "loop1"), 0);
	assert_int_equal(symlinkat("loop1", s.root, "loop2"), 0);

	/* a symlink out of the root lands inside it, as chroot would have it */
	assert_int_equal(resolved(s.root, "rel"), ino_at(s.root, "outside"));
	assert_int_equal(resolved(s.root, "deep"), ino_at(s.root, "outside"));
	assert_int_equal(resolved(s.root, "mixed"), ino_at(s.root, "outside"));
	assert_int_equal(resolved(s.root, "slash"), ino_at(s.top_fd, "root"));
	assert_int_equal(resolved(s.root, "slash/etc"), ino_at(s.root, "etc"));
	/* the absolute one names a path the root does not have */
	assert_int_equal(limg__resolve_dir(s.root, "abs", NULL, NULL, &fd), -ENOENT);
	assert_int_equal(limg__resolve_dir(s.root, "loop1", NULL, NULL, &fd), -ELOOP);
	/* made when asked: inside the root, where the link points there */
	assert_int_equal(limg__resolve_dir(s.root, "abs/made", count_created, &made, &fd), 0);
	close(fd);
	assert_true(made >= 2);
	snprintf(target, sizeof target, "%s/made", s.outside + 1);
	assert_int_equal(faccessat(s.root, target, F_OK, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(faccessat(s.top_fd, "outside/made", F_OK, 0), -1); /* the host's untouched */
	/* a dangling symlink: the directory it names is made inside */
	assert_int_equal(symlinkat("/run", s.root, "varrun"), 0);
	assert_int_equal(limg__resolve_dir(s.root, "varrun/x", count_created, &made, &fd), 0);
	close(fd);
	assert_int_equal(faccessat(s.root, "run/x", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	/* a file where a directory is wanted */
	put(s.root, "file", "f");
	assert_int_equal(limg__resolve_dir(s.root, "file/x", count_created, &made, &fd), -ENOTDIR);
	drop_scratch(&s);
	limg__resolve_force_walk(false);
}

static void test_resolve_kernel(void **state)
{
	(void)state;
	resolve_escapes(false);
}

static void test_resolve_walk(void **state)
{
	(void)state;
	resolve_escapes(true);
}

static void resolve_files(bool walk)
{
	scratch s;
	char path[400];
	int fd, etc;

	limg__resolve_force_walk(walk);
	make_scratch(&s);
	put(s.top_fd, "outside/secret", "host secret");
	assert_int_equal(mkdirat(s.root, "etc", 0755), 0);
	etc = openat(s.root, "etc", O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof path, "%s/secret", s.outside);
	assert_int_equal(symlinkat(path, etc, "abs"), 0);
	assert_int_equal(symlinkat("../../../outside/secret", etc, "rel"), 0);
	assert_int_equal(mkfifoat(etc, "fifo", 0644), 0);
	assert_int_equal(symlinkat("fifo", etc, "to-fifo"), 0);
	put(etc, "real", "mine");
	assert_int_equal(symlinkat("/etc/real", etc, "to-real"), 0);
	assert_int_equal(limg__resolve_file(s.root, "etc/abs", &fd), -ENOENT);
	assert_int_equal(limg__resolve_file(s.root, "etc/rel", &fd), -ENOENT);
	assert_int_equal(limg__resolve_file(s.root, "etc/fifo", &fd), -EINVAL); /* never opened: no hang */
	assert_int_equal(limg__resolve_file(s.root, "etc/to-fifo", &fd), -EINVAL);
	assert_int_equal(limg__resolve_file(s.root, "etc", &fd), -EINVAL);
	assert_int_equal(limg__resolve_file(s.root, "etc/to-real", &fd), 0);
	{
		char buf[8] = { 0 };
		assert_int_equal(read(fd, buf, sizeof buf), 4);
		assert_string_equal(buf, "mine");
		close(fd);
	}
	close(etc);
	drop_scratch(&s);
	limg__resolve_force_walk(false);
}

static void test_resolve_file_kernel(void **state)
{
	(void)state;
	resolve_files(false);
}

static void test_resolve_file_walk(void **state)
{
	(void)state;
	resolve_files(true);
}

static void test_rootless_xattr(void **state)
{
	unsigned char x[16];
	static const unsigned char both[] = { 0x08, 0xe8, 0x07, 0x10, 0xd0, 0x0f };
	static const unsigned char uid_only[] = { 0x08, 0x05, 0x10, 0xff, 0xff, 0xff, 0xff, 0x0f };

	(void)state;
	assert_int_equal(limg__rootless_xattr(x, 0, 0), 0);
	assert_int_equal(limg__rootless_xattr(x, 1000, 2000), sizeof both);
	assert_memory_equal(x, both, sizeof both);
	assert_int_equal(limg__rootless_xattr(x, 5, 0), sizeof uid_only);
	assert_memory_equal(x, uid_only, sizeof uid_only);
}

static void etc_files(scratch *s, const char *passwd, const char *group)
{
	int etc;

	mkdirat(s->root, "etc", 0755);
	etc = openat(s->root, "etc", O_RDONLY | O_DIRECTORY);
	if (passwd)
		put(etc, "passwd", passwd);
	if (group)
		put(etc, "group", group);
	close(etc);
}

static void test_exec_user(void **state)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
	                             "# a comment\n\n"
	                             "evil:x:abc:0:bad id, never read as 0:/evil:/bin/sh\n"
	                             "alice:x:1000:1001:Alice:/home/alice:/bin/sh\n"
	                             "  daemon:x:2:2::/:\n"
	                             "huge:x:4294967296:0::/:\n";
	static const char group[] = "root:x:0:\nwheel:x:10:alice,bob\nalice:x:1001:\nstaff:x:50:carol,alice\n";
	limg__exec_user u;
	scratch s;

	(void)state;
	make_scratch(&s);
	etc_files(&s, passwd, group);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, ""), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.home, "/root");
	limg__exec_user_dispose(&u);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "alice"), 0);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1001);
	assert_string_equal(u.home, "/home/alice");
	assert_int_equal(u.nsgids, 2);
	assert_int_equal(u.sgids[0], 10);
	assert_int_equal(u.sgids[1], 50);
	limg__exec_user_dispose(&u);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "1000"), 0); /* numeric: by uid */
	assert_string_equal(u.home, "/home/alice");
	limg__exec_user_dispose(&u);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "alice:staff"), 0);
	assert_int_equal(u.gid, 50);
	assert_int_equal(u.nsgids, 0); /* a named group: no supplementary ones */
	limg__exec_user_dispose(&u);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "4242:777"), 0); /* ids the files lack */
	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 777);
	assert_null(u.home);
	limg__exec_user_dispose(&u);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "daemon"), 0);
	assert_int_equal(u.uid, 2);
	limg__exec_user_dispose(&u);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "evil"), LIMG_ENOTFOUND); /* its line is skipped */
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "huge"), LIMG_ENOTFOUND);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "bob"), LIMG_ENOTFOUND);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "alice:nogroup"), LIMG_ENOTFOUND);
	/* numeric ids out of int32: refused, never looked up as names (containerd's CVE-2026-46680) */
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "4294967295"), LIMG_ECORRUPT);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "2147483648"), LIMG_ECORRUPT);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "99999999999"), LIMG_ECORRUPT);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "0:4294967295"), LIMG_ECORRUPT);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "2147483647"), 0);
	assert_int_equal(u.uid, 2147483647u);
	limg__exec_user_dispose(&u);
	drop_scratch(&s);
}

static void test_exec_user_hostile_files(void **state)
{
	limg__exec_user u;
	scratch s;
	int etc, fd;
	char *big;

	(void)state;
	make_scratch(&s);
	put(s.top_fd, "outside/passwd", "alice:x:0:0::/:\n"); /* the host's, never read */
	mkdirat(s.root, "etc", 0755);
	etc = openat(s.root, "etc", O_RDONLY | O_DIRECTORY);
	{
		char path[400];
		snprintf(path, sizeof path, "%s/passwd", s.outside);
		assert_int_equal(symlinkat(path, etc, "passwd"), 0);
	}
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "alice"), LIMG_ENOTFOUND);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "0"), 0); /* numeric needs no file */
	limg__exec_user_dispose(&u);
	unlinkat(etc, "passwd", 0);
	assert_int_equal(mkfifoat(etc, "passwd", 0644), 0); /* CVE-2024-9676: would hang a reader */
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "alice"), LIMG_ECORRUPT);
	unlinkat(etc, "passwd", 0);
	big = malloc(5 << 20);
	memset(big, 'x', 5 << 20);
	fd = openat(etc, "passwd", O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, big, 5 << 20), 5 << 20);
	close(fd);
	free(big);
	assert_int_equal(limg__exec_user_resolve(&u, s.root, "alice"), LIMG_ETOOBIG);
	close(etc);
	drop_scratch(&s);
}

static void *write_then_fail(void *arg)
{
	limg__pipe *p = arg;
	char data[1000];

	memset(data, 'p', sizeof data);
	for (int i = 0; i < 50; i++)
		if (limg__pipe_write(p, data, sizeof data) != 0)
			break;
	limg__pipe_finish(p, limg__error_set(LIMG_EDIGEST_MISMATCH, "the writer's own reason"));
	return NULL;
}

static void *write_forever(void *arg)
{
	limg__pipe *p = arg;
	char data[4096] = { 0 };
	int rc;

	while ((rc = limg__pipe_write(p, data, sizeof data)) == 0)
		;
	limg__pipe_finish(p, rc);
	return (void *)(intptr_t)rc;
}

static void test_pipe(void **state)
{
	limg__pipe *p;
	pthread_t t;
	const void *data;
	ssize_t n;
	size_t total = 0;
	void *ret;

	(void)state;
	assert_int_equal(limg__pipe_new(&p, 2, 300), 0);
	pthread_create(&t, NULL, write_then_fail, p);
	while ((n = limg__pipe_read(p, &data)) > 0)
		total += (size_t)n;
	pthread_join(t, NULL);
	assert_int_equal(n, LIMG_EDIGEST_MISMATCH);
	assert_int_equal(limg_error_code(limg_error_last()), LIMG_EDIGEST_MISMATCH);
	assert_string_equal(limg_error_message(limg_error_last()), "the writer's own reason");
	assert_true(total <= 50000);
	limg__pipe_free(p);
	/* the reader walks away: the writer stops */
	assert_int_equal(limg__pipe_new(&p, 2, 1024), 0);
	pthread_create(&t, NULL, write_forever, p);
	assert_true(limg__pipe_read(p, &data) > 0);
	limg__pipe_abandon(p);
	pthread_join(t, &ret);
	assert_int_equal((int)(intptr_t)ret, LIMG_ECANCELLED);
	limg__pipe_free(p);
}

static void test_opts(void **state)
{
	limg_unpack_opts o;

	(void)state;
	ASSERT_OK(limg_unpack_opts_init(&o, sizeof o));
	/* zero is the default: rootless by the effective uid, a terminal in config.json */
	assert_int_equal(o.rootless, LIMG_ROOTLESS_AUTO);
	assert_int_equal(o.no_terminal, 0);
	assert_int_equal(limg_unpack(NULL, "x", "/nonexistent", NULL, NULL), LIMG_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_name),
		cmocka_unit_test(test_resolve_kernel),
		cmocka_unit_test(test_resolve_walk),
		cmocka_unit_test(test_resolve_file_kernel),
		cmocka_unit_test(test_resolve_file_walk),
		cmocka_unit_test(test_rootless_xattr),
		cmocka_unit_test(test_exec_user),
		cmocka_unit_test(test_exec_user_hostile_files),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_opts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
