/* SPDX-License-Identifier: MIT */
/* A layer from a list of files with their in-image paths (what ko and jib make). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_internal.h"
#include "core/core.h"
#include "dir.h"
#include "emit.h"

int limg_layer_file_init(limg_layer_file *file, size_t size)
{
	static const limg_layer_file defaults = LIMG_LAYER_FILE_INIT;

	return limg__opts_init(file, size, &defaults, sizeof defaults);
}

typedef struct {
	limg_layer_file f; /* the caller's entry, as this library knows it */
	char *name;        /* clean, prefixed */
} item;

typedef struct {
	const limg_layer_file *const *files;
	size_t n;
} files_arg;

static int cmp_items(const void *a, const void *b)
{
	return limg__tar_path_cmp(((const item *)a)->name, ((const item *)b)->name);
}

static int file_error(int code, const char *path, const char *what)
{
	char quoted[300];

	limg__quote(quoted, sizeof quoted, path ? path : "", path ? strlen(path) : 0);
	return limg__error_set_about(code, LIMG_SUBJECT_FILE, path, "%s: %s", quoted, what);
}

static int read_items(item *items, const files_arg *a, const char *prefix)
{
	char clean[LIMG__TAR_PATH_MAX + 1];
	int rc;

	for (size_t i = 0; i < a->n; i++) {
		item *it = &items[i];
		size_t len;
		if (!a->files[i])
			return limg__error_invalid("files");
		memset(&it->f, 0, sizeof it->f);
		it->f.size = sizeof it->f;
		if ((rc = limg__opts_copy(&it->f, sizeof it->f, a->files[i], "limg_layer_file")) < 0)
			return rc;
		if ((rc = limg__clean_image_path(clean, sizeof clean, it->f.path, "file")) < 0)
			return rc;
		if (!*clean && !*prefix)
			return file_error(LIMG_EINVALID, it->f.path, "the image's root cannot be a layer entry");
		if (it->f.type < LIMG_FILE_REGULAR || it->f.type > LIMG_FILE_SYMLINK)
			return file_error(LIMG_EINVALID, it->f.path, "not a limg_file_type");
		if (it->f.type == LIMG_FILE_SYMLINK && (!it->f.link || !*it->f.link))
			return file_error(LIMG_EINVALID, it->f.path, "a symlink without a target");
		if (it->f.type == LIMG_FILE_REGULAR && !it->f.source && !it->f.data && it->f.data_len)
			return file_error(LIMG_EINVALID, it->f.path, "data_len without data");
		if (it->f.mode > 07777)
			return file_error(LIMG_EINVALID, it->f.path, "a mode beyond 07777");
		len = strlen(prefix) + 1 + strlen(clean) + 1;
		if (!(it->name = limg__malloc(len)))
			return limg__error_oom();
		snprintf(it->name, len, "%s%s%s", prefix, *prefix && *clean ? "/" : "", clean);
		if (strlen(it->name) > LIMG__TAR_PATH_MAX)
			return file_error(LIMG_ETOOBIG, it->f.path, "its path in the image is longer than 4095 bytes");
	}
	qsort(items, a->n, sizeof *items, cmp_items);
	for (size_t i = 1; i < a->n; i++)
		if (!strcmp(items[i - 1].name, items[i].name))
			return file_error(LIMG_EINVALID, items[i].f.path, "listed twice");
	return 0;
}

/* A listed file's bytes from its source. */
static int write_source(limg__emitter *em, limg__tar_writer *t, limg__dir_reader *r, limg__tar_entry *te,
                        const item *it, const limg_layer_opts *o)
{
	struct stat st;
	int fd, rc;

	fd = open(it->f.source, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
		return file_error(errno == ENOENT ? LIMG_ENOTFOUND : LIMG_ESYSTEM, it->f.source, msg);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return file_error(LIMG_EINVALID, it->f.source, "not a regular file");
	}
	te->size = st.st_size;
	te->mode = it->f.mode ? it->f.mode : st.st_mode & 07777;
	te->mtime = limg__layer_mtime(o, st.st_mtim.tv_sec);
	if ((rc = limg__emit(em, te)) == 0)
		rc = limg__dir_copy(r, t, fd, &st, it->f.source);
	close(fd);
	return rc;
}

static int files_source(struct limg__emitter *em, limg__tar_writer *t, const char *prefix, const limg_layer_opts *o,
                        limg_store *store, const void *arg)
{
	const files_arg *a = arg;
	item *items = limg__calloc(a->n ? a->n : 1, sizeof *items);
	limg__dir_reader r;
	int rc;

	(void)store;
	if (!items)
		return limg__error_oom();
	if ((rc = limg__dir_reader_init(&r, o)) < 0 || (rc = read_items(items, a, prefix)) < 0)
		goto out;
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		const item *it = &items[i];
		limg__tar_entry te;
		memset(&te, 0, sizeof te);
		te.name = it->name;
		te.uid = it->f.uid;
		te.gid = it->f.gid;
		te.mtime = o->epoch; /* data and directories have no time of their own */
		switch (it->f.type) {
		case LIMG_FILE_DIRECTORY:
			te.type = LIMG__TAR_DIR;
			te.mode = it->f.mode ? it->f.mode : 0755;
			rc = limg__emit(em, &te);
			break;
		case LIMG_FILE_SYMLINK:
			te.type = LIMG__TAR_SYMLINK;
			te.mode = it->f.mode ? it->f.mode : 0777;
			te.link = it->f.link;
			rc = limg__emit(em, &te);
			break;
		default:
			te.type = LIMG__TAR_REG;
			if (it->f.source) {
				rc = write_source(em, t, &r, &te, it, o);
				break;
			}
			te.mode = it->f.mode ? it->f.mode : 0644;
			te.size = (int64_t)it->f.data_len;
			if ((rc = limg__emit(em, &te)) == 0 && (rc = limg__tar_data(t, it->f.data, it->f.data_len)) == 0)
				rc = limg__tar_pad(t, te.size);
		}
	}
out:
	for (size_t i = 0; i < a->n; i++)
		limg__free(items[i].name);
	limg__free(items);
	limg__dir_reader_dispose(&r);
	return rc;
}

int limg_layer_new_from_files(limg_layer **out, limg_store *store, const limg_layer_file *const *files,
                              size_t files_len, const limg_layer_opts *opts, const limg_layer_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	files_arg a = { files, files_len };

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (files_len && !files)
		return limg__error_invalid("files");
	return limg__layer_build(out, store, opts, cb, files_source, &a);
}
