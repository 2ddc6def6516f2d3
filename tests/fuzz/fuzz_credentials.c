/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as Docker's config.json, asked for a
 * registry's credentials (and Docker Hub's). Accepted or refused; what it
 * gives is a user and a secret, or a helper's name to run.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "r.io", "docker.io", "127.0.0.1:5000" };

	for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
		limg_buf user = LIMG_BUF_INIT, secret = LIMG_BUF_INIT;
		char *helper = NULL;
		int auths = 0, rc = limg__credentials_parse(&user, &secret, &helper, &auths, (const char *)data, size,
		                                            hosts[i], "config.json");
		if (rc == 0) {
			assert(auths == 0 || auths == LIMG_ENOTFOUND || auths == LIMG_PASSTHROUGH || auths == LIMG_ECORRUPT ||
			       auths == LIMG_ENOMEM);
			assert(auths != LIMG_PASSTHROUGH || helper);
		} else {
			assert(rc < 0 && !helper);
		}
		limg__free(helper); /* the library's memory: its allocator's */
		limg_buf_dispose(&user);
		limg_buf_dispose(&secret);
		limg_error_clear();
	}
	return 0;
}
