/* SPDX-License-Identifier: MIT */
/* RFC 3339 timestamps, as image configs write "created". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core.h"

int64_t limg__parse_rfc3339(const char *s)
{
	struct tm tm;
	int64_t t;
	int n = 0, oh, om;
	const char *p;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	           &tm.tm_sec, &n) != 6 || !n)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (int64_t)timegm(&tm);
	p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z')
		return t;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
		return t - (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	return -1;
}
