/* SPDX-License-Identifier: MIT */
/*
 * Choosing the image for a platform from an index, with the normalizations
 * and fallbacks of containerd's platforms package: x86_64 is amd64, aarch64
 * is arm64 whose variant v8 is the default, an armv7 machine runs v6 and v5
 * images, and Windows images must match the host's build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "libimage/platform.h"
#include "manifest_internal.h"

typedef struct {
	char os[32], arch[32], variant[16], os_version[64];
} platform;

const char *limg_platform_native(void)
{
#if defined(__x86_64__)
	return "linux/amd64";
#elif defined(__aarch64__)
	return "linux/arm64/v8";
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
	return "linux/arm/v7";
#elif defined(__arm__)
	return "linux/arm/v6";
#elif defined(__i386__)
	return "linux/386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "linux/ppc64le";
#elif defined(__s390x__)
	return "linux/s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "linux/riscv64";
#else
	return "linux/unknown";
#endif
}

static void copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	dst[n] = '\0';
}

/* Aliases to the names images use; default variants filled in. */
static void normalize(platform *p)
{
	if (!strcmp(p->arch, "x86_64") || !strcmp(p->arch, "x86-64"))
		strcpy(p->arch, "amd64");
	else if (!strcmp(p->arch, "aarch64"))
		strcpy(p->arch, "arm64");
	else if (!strcmp(p->arch, "armhf")) {
		strcpy(p->arch, "arm");
		strcpy(p->variant, "v7");
	} else if (!strcmp(p->arch, "armel")) {
		strcpy(p->arch, "arm");
		strcpy(p->variant, "v6");
	} else if (!strcmp(p->arch, "i386") || !strcmp(p->arch, "i686"))
		strcpy(p->arch, "386");
	if (!strcmp(p->arch, "arm64") && (!p->variant[0] || !strcmp(p->variant, "8")))
		strcpy(p->variant, "v8");
	if (!strcmp(p->arch, "arm") && !p->variant[0])
		strcpy(p->variant, "v7");
	if (!strcmp(p->arch, "arm") && p->variant[0] >= '5' && p->variant[0] <= '8' && !p->variant[1]) {
		p->variant[1] = p->variant[0];
		p->variant[0] = 'v';
		p->variant[2] = '\0';
	}
	if (!strcmp(p->arch, "amd64") && !strcmp(p->variant, "v1"))
		p->variant[0] = '\0';
}

/* "os[(os.version)]/arch[/variant]" */
static int parse_platform(platform *p, const char *s)
{
	const char *slash = strchr(s, '/'), *paren, *rest;
	size_t os_len;

	memset(p, 0, sizeof *p);
	if (!slash || slash == s)
		return limg__error_set(LIMG_EINVALID, "invalid platform \"%.64s\": expected os/arch[/variant]", s);
	os_len = (size_t)(slash - s);
	paren = memchr(s, '(', os_len);
	if (paren) {
		const char *close = memchr(paren, ')', (size_t)(slash - paren));
		if (!close || close + 1 != slash)
			return limg__error_set(LIMG_EINVALID, "invalid platform \"%.64s\"", s);
		copy(p->os_version, sizeof p->os_version, paren + 1, (size_t)(close - paren - 1));
		os_len = (size_t)(paren - s);
	}
	copy(p->os, sizeof p->os, s, os_len);
	rest = slash + 1;
	slash = strchr(rest, '/');
	copy(p->arch, sizeof p->arch, rest, slash ? (size_t)(slash - rest) : strlen(rest));
	if (slash) {
		if (strchr(slash + 1, '/'))
			return limg__error_set(LIMG_EINVALID, "invalid platform \"%.64s\"", s);
		copy(p->variant, sizeof p->variant, slash + 1, strlen(slash + 1));
	}
	if (!p->os[0] || !p->arch[0])
		return limg__error_set(LIMG_EINVALID, "invalid platform \"%.64s\"", s);
	normalize(p);
	return 0;
}

static int variant_number(const char *v)
{
	return v[0] == 'v' && v[1] >= '0' && v[1] <= '9' ? atoi(v + 1) : -1;
}

/* Windows "10.0.17763.1234": the first three parts must match. Returns the
 * revision (>= 0) on a match, else -1. */
static long windows_build_match(const char *want, const char *have)
{
	int dots = 0;
	size_t i = 0;

	if (!have)
		return -1;
	for (; want[i] && have[i] && want[i] == have[i]; i++)
		if (want[i] == '.' && ++dots == 3)
			break;
	if (dots < 3 && !(want[i] == '\0' && (have[i] == '.' || have[i] == '\0') && dots == 2))
		return -1;
	return have[i] == '.' ? atol(have + i + 1) : 0;
}

/* Higher is better; -1 means it cannot run. */
static long score(const platform *want, const limg_descriptor *d)
{
	platform have;

	memset(&have, 0, sizeof have);
	if (!d->os || !d->architecture)
		return -1;
	copy(have.os, sizeof have.os, d->os, strlen(d->os));
	copy(have.arch, sizeof have.arch, d->architecture, strlen(d->architecture));
	if (d->variant)
		copy(have.variant, sizeof have.variant, d->variant, strlen(d->variant));
	normalize(&have);
	if (strcmp(want->os, have.os) || strcmp(want->arch, have.arch))
		return -1;
	if (!strcmp(want->os, "windows") && want->os_version[0]) {
		long rev = windows_build_match(want->os_version, d->os_version);
		return rev < 0 ? -1 : 1000 + rev;
	}
	if (!strcmp(want->variant, have.variant))
		return 100;
	/* an older variant runs on a newer CPU (arm v7 takes v6, amd64 v3 takes v2) */
	if (variant_number(have.variant) >= 0 && variant_number(want->variant) > variant_number(have.variant))
		return 50 + variant_number(have.variant);
	if (!have.variant[0] && want->variant[0] && strcmp(want->arch, "arm"))
		return 40;
	return -1;
}

int limg_manifest_select(const limg_descriptor **out, const limg_manifest *index, const char *requested)
{
	platform want;
	const limg_descriptor *best = NULL;
	long best_score = -1;
	char seen[512];
	size_t o = 0;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!index || index->kind != LIMG_MANIFEST_INDEX)
		return limg__error_invalid("index");
	if ((rc = parse_platform(&want, requested ? requested : limg_platform_native())) < 0)
		return rc;
	seen[0] = '\0';
	for (size_t i = 0; i < index->count; i++) {
		const limg_descriptor *d = &index->items[i];
		long s = score(&want, d);
		if (s > best_score) {
			best_score = s;
			best = d;
		}
		if (o < sizeof seen - 80)
			o += (size_t)snprintf(seen + o, sizeof seen - o, "%s%s/%s%s%s", o ? ", " : "", d->os ? d->os : "?",
			                      d->architecture ? d->architecture : "?", d->variant ? "/" : "",
			                      d->variant ? d->variant : "");
	}
	if (!best) {
		/* the platforms came from the registry: printable only */
		char shown[600];
		limg__sanitize(shown, sizeof shown, seen, strlen(seen));
		limg__error_set(LIMG_EPLATFORM, "no matching manifest for %s%s%s%s%s in the manifest list entries "
		                                "(available: %s)",
		                want.os, want.os_version[0] ? "(" : "", want.os_version, want.os_version[0] ? ")/" : "/",
		                want.arch, seen[0] ? shown : "none");
		return limg__error_about(LIMG_SUBJECT_PLATFORM, requested ? requested : limg_platform_native());
	}
	*out = best;
	return 0;
}

int limg_platform_normalize(limg_buf *out, const char *text)
{
	platform p;
	char s[256];
	int rc;

	if (!out || !text)
		return limg__error_invalid("out, platform");
	if ((rc = parse_platform(&p, text)) < 0)
		return rc;
	snprintf(s, sizeof s, "%s%s%s%s/%s%s%s", p.os, p.os_version[0] ? "(" : "", p.os_version,
	         p.os_version[0] ? ")" : "", p.arch, p.variant[0] ? "/" : "", p.variant);
	return limg_buf_set(out, s, strlen(s));
}
