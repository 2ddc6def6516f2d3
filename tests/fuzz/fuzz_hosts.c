/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a hosts.toml. The reader accepts or
 * refuses; what it accepts names only http(s) endpoints, and no header it
 * keeps can break a request line.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/core.h"
#include "hosts/hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	limg__hosts h;

	if (limg__hosts_parse(&h, (const char *)data, size, "fuzz.toml", "/base", NULL) == 0) {
		for (size_t i = 0; i < h.n; i++) {
			assert(!strncmp(h.hosts[i].url, "http://", 7) || !strncmp(h.hosts[i].url, "https://", 8));
			for (size_t k = 0; k < h.hosts[i].nheaders; k++)
				assert(!strpbrk(h.hosts[i].headers[k], "\r\n"));
		}
		assert(!h.server.url || !strncmp(h.server.url, "http", 4));
		limg__hosts_dispose(&h);
	}
	limg_error_clear();
	return 0;
}
