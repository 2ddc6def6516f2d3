/* SPDX-License-Identifier: MIT */
/* A sync's report as JSON, for scripts. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "sync_internal.h"

static int put(limg_buf *b, const char *s)
{
	return limg__buf_put(b, s, strlen(s));
}

/* A JSON string: quotes, backslashes and control bytes escaped (the text
 * came from registries: anything may be in it). */
static int put_string(limg_buf *b, const char *s)
{
	char esc[8];
	int rc;

	if (!s)
		return put(b, "null");
	if ((rc = put(b, "\"")) < 0)
		return rc;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc[2] = '\0';
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		if ((rc = put(b, esc)) < 0)
			return rc;
	}
	return put(b, "\"");
}

static const char *status_name(int s)
{
	switch (s) {
	case LIMG_SYNC_PENDING: return "pending";
	case LIMG_SYNC_RUNNING: return "running";
	case LIMG_SYNC_COPIED: return "copied";
	case LIMG_SYNC_UP_TO_DATE: return "up-to-date";
	case LIMG_SYNC_FAILED: return "failed";
	case LIMG_SYNC_WOULD_COPY: return "would-copy";
	default: return "unknown";
	}
}

static const char *const kind_names[LIMG__REQ_KINDS] = {
	"manifest_head", "manifest_get", "manifest_put", "blob_head", "blob_get", "blob_upload", "tags_list",
	"catalog", "other",
};

int limg_sync_report_json(limg_buf *out, const limg_sync_report *r)
{
	limg_buf b = LIMG_BUF_INIT;
	char num[96];
	int rc = 0;

	if (!out || !r)
		return limg__error_invalid("out, report");
#define P(s) if (rc == 0) rc = put(&b, s)
#define S(s) if (rc == 0) rc = put_string(&b, s)
	P("{\"images\":[");
	for (size_t i = 0; i < r->n; i++) {
		const limg_sync_image *m = &r->img[i];
		P(i ? ",{\"source\":" : "{\"source\":");
		S(m->source);
		P(",\"destination\":");
		S(m->destination);
		P(",\"status\":");
		S(status_name(m->status));
		P(",\"digest\":");
		S(m->digest);
		P(",\"reason\":");
		S(m->reason ? m->reason : "");
		P(",\"error\":");
		S(m->error ? limg_error_name(m->error) : NULL);
		snprintf(num, sizeof num, ",\"bytes\":%lld}", (long long)m->bytes);
		P(num);
	}
	snprintf(num, sizeof num, "],\"copied\":%zu,\"up_to_date\":%zu,", limg_sync_report_tally(r, LIMG_SYNC_COPIED),
	         limg_sync_report_tally(r, LIMG_SYNC_UP_TO_DATE));
	P(num);
	snprintf(num, sizeof num, "\"failed\":%zu,\"would_copy\":%zu,\"seconds\":%.3f,\"registries\":{",
	         limg_sync_report_tally(r, LIMG_SYNC_FAILED), limg_sync_report_tally(r, LIMG_SYNC_WOULD_COPY), r->seconds);
	P(num);
	for (size_t i = 0; i < r->nreg; i++) {
		if (i)
			P(",");
		S(r->reg[i].domain);
		P(":{");
		for (int k = 0; k < LIMG__REQ_KINDS; k++) {
			snprintf(num, sizeof num, "%s\"%s\":%lld", k ? "," : "", kind_names[k], (long long)r->reg[i].count[k]);
			P(num);
		}
		snprintf(num, sizeof num, ",\"throttled\":%lld}", (long long)r->reg[i].throttled);
		P(num);
	}
	P("}}");
#undef P
#undef S
	if (rc < 0) {
		limg_buf_dispose(&b);
		return rc;
	}
	limg_buf_dispose(out);
	*out = b;
	return 0;
}
