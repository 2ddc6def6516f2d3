/* SPDX-License-Identifier: MIT */
/* libarchive through dlopen (see libarchive.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "core/core.h"
#include "reader.h"

struct limg__libarchive limg__la;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded; /* 1: ready; -1: not to be had */
static char why[256];

static void load(void)
{
	/* the soname this library was built against, then any */
	static const char *const names[] = { "libarchive.so.13", "libarchive.so" };
	void *h = NULL;

	for (size_t i = 0; !h && i < sizeof names / sizeof *names; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof why, "%s", dlerror());
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_new = dlsym(h, "archive_read_new"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_new");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_support_format_tar = dlsym(h, "archive_read_support_format_tar"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_support_format_tar");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_open = dlsym(h, "archive_read_open"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_open");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_open_memory = dlsym(h, "archive_read_open_memory"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_open_memory");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_next_header = dlsym(h, "archive_read_next_header"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_next_header");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_data_block = dlsym(h, "archive_read_data_block"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_data_block");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_data_skip = dlsym(h, "archive_read_data_skip"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_data_skip");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.read_free = dlsym(h, "archive_read_free"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_read_free");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.error_string = dlsym(h, "archive_error_string"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_error_string");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.set_error = dlsym(h, "archive_set_error"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_set_error");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_pathname = dlsym(h, "archive_entry_pathname"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_pathname");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_hardlink = dlsym(h, "archive_entry_hardlink"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_hardlink");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_symlink = dlsym(h, "archive_entry_symlink"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_symlink");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_filetype = dlsym(h, "archive_entry_filetype"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_filetype");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_perm = dlsym(h, "archive_entry_perm"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_perm");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_size = dlsym(h, "archive_entry_size"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_size");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_size_is_set = dlsym(h, "archive_entry_size_is_set"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_size_is_set");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_uid = dlsym(h, "archive_entry_uid"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_uid");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_gid = dlsym(h, "archive_entry_gid"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_gid");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_mtime = dlsym(h, "archive_entry_mtime"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_mtime");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_mtime_nsec = dlsym(h, "archive_entry_mtime_nsec"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_mtime_nsec");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_atime = dlsym(h, "archive_entry_atime"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_atime");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_atime_nsec = dlsym(h, "archive_entry_atime_nsec"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_atime_nsec");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_atime_is_set = dlsym(h, "archive_entry_atime_is_set"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_atime_is_set");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_rdev = dlsym(h, "archive_entry_rdev"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_rdev");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_xattr_reset = dlsym(h, "archive_entry_xattr_reset"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_xattr_reset");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_xattr_next = dlsym(h, "archive_entry_xattr_next"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_xattr_next");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_uname = dlsym(h, "archive_entry_uname"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_uname");
		loaded = -1;
		return;
	}
	if (!(*(void **)&limg__la.entry_gname = dlsym(h, "archive_entry_gname"))) {
		snprintf(why, sizeof why, "%s is missing", "archive_entry_gname");
		loaded = -1;
		return;
	}
	loaded = 1; /* (the handle stays open for the life of the process) */
}

int limg__libarchive_load(void)
{
	pthread_once(&once, load);
	if (loaded > 0)
		return 0;
	return limg__error_set(LIMG_EUNSUPPORTED, "reading tar archives needs libarchive (Debian: libarchive13): %s", why);
}
