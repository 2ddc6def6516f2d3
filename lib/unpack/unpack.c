/* SPDX-License-Identifier: MIT */
/*
 * limg_unpack(): the image found as limg_image_lookup() finds it, its
 * layers leased against gc, applied in order into a new (or empty)
 * directory, a bundle's config.json last (rootfs.c). A failure or a cancel
 * removes what was made (or leaves it marked incomplete, when asked), so
 * the directory is the image or says it is not.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "images/complete.h"
#include "libimage/images.h"
#include "libimage/manifest.h"
#include "rootfs.h"
#include "store/store_internal.h"

int limg_unpack_opts_init(limg_unpack_opts *opts, size_t size)
{
	static const limg_unpack_opts defaults = LIMG_UNPACK_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_unpack_callbacks_init(limg_unpack_callbacks *cb, size_t size)
{
	static const limg_unpack_callbacks defaults = LIMG_UNPACK_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

typedef struct {
	limg_store *store;
	limg_unpack_opts o;
	limg_unpack_callbacks cb;
	limg_cancel *stop;
	limg_image *info;
	limg__lease *lease;
	limg__rootfs *root;
} unpack_run;

static int apply_layers(unpack_run *u)
{
	const limg_manifest *m = limg_image_manifest(u->info);
	const limg_config *cfg = limg_image_config(u->info);
	size_t n = limg_manifest_count(m);
	int rc;

	if (limg_config_diff_id_count(cfg) != n)
		return limg__error_set(LIMG_ECORRUPT, "image %s has %zu layers but its config lists %zu diff_ids",
		                       limg_image_id(u->info), n, limg_config_diff_id_count(cfg));
	for (size_t i = 0; i < n; i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		limg__rootfs_layer layer = { limg_descriptor_digest(d), limg_descriptor_media_type(d),
			                     limg_config_diff_id(cfg, i), limg_descriptor_size(d), NULL, NULL };
		if ((rc = limg__rootfs_apply(u->root, i, n, &layer, NULL, NULL)) != 0)
			return rc;
	}
	return 0;
}

static int run(unpack_run *u, const char *image, const char *dir)
{
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	const limg_manifest *m;
	int rc;

	lo.platform = u->o.platform;
	if ((rc = limg_image_lookup(&u->info, u->store, image, &lo)) < 0)
		return rc;
	m = limg_image_manifest(u->info);
	/* an image the store holds in part (a foreign layer not pulled) is no image to unpack */
	if ((rc = limg__image_check_whole(u->store, m, limg_image_id(u->info))) < 0)
		return rc;
	/* leased before read: rmi and gc beside us cannot take a layer away */
	if (u->lease && (rc = limg__lease_add(u->lease, limg_image_id(u->info))) < 0)
		return rc;
	for (size_t i = 0; u->lease && i < limg_manifest_count(m); i++)
		if ((rc = limg__lease_add(u->lease, limg_descriptor_digest(limg_manifest_entry(m, i)))) < 0)
			return rc;
	if ((rc = limg__rootfs_begin(&u->root, u->store, dir, &u->o, u->stop, u->cb.progress, u->cb.payload)) < 0)
		return rc;
	if ((rc = apply_layers(u)) != 0)
		return rc;
	return limg__rootfs_finish(u->root, limg_image_config_bytes(u->info), limg_image_config_size(u->info));
}

int limg_unpack(limg_store *store, const char *image, const char *dir, const limg_unpack_opts *opts,
                const limg_unpack_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	unpack_run u;
	int rc;

	if (!store)
		return limg__error_invalid("store");
	if (!image || !*image)
		return limg__error_invalid("image");
	if (!dir || !*dir)
		return limg__error_invalid("dir");
	memset(&u, 0, sizeof u);
	u.store = store;
	limg_unpack_opts_init(&u.o, sizeof u.o);
	limg_unpack_callbacks_init(&u.cb, sizeof u.cb);
	if ((rc = limg__opts_copy(&u.o, sizeof u.o, opts, "limg_unpack_opts")) < 0 ||
	    (rc = limg__opts_copy(&u.cb, sizeof u.cb, cb, "limg_unpack_callbacks")) < 0 ||
	    (rc = limg__unpack_opts_check(&u.o)) < 0)
		return rc;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg_cancel_new(&u.stop)) < 0) {
		limg__store_leave(store);
		return rc;
	}
	if (limg__lease_new(&u.lease, store) < 0) {
		/* a store this user may only read (root's, shared): nothing to lease
		 * with, and a gc beside us would need the writes we cannot make */
		limg__log(limg__store_context(store), LIMG_LOG_INFO, "unpacking without a lease: %s",
		          limg_error_message(limg_error_last()));
		limg_error_clear();
		u.lease = NULL;
	}
	if ((rc = limg__store_link_stop(store, u.stop, u.o.cancel)) == 0)
		rc = limg__store_stopped(run(&u, image, dir), store, u.o.cancel, "unpack", image);
	limg__rootfs_free(u.root);
	limg_image_free(u.info);
	limg__lease_free(u.lease);
	limg_cancel_free(u.stop);
	limg__store_leave(store);
	return rc;
}
