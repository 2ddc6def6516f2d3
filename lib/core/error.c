/* SPDX-License-Identifier: MIT */
/* The per-thread last error and the fixed table of codes. */
#include <stdio.h>
#include <string.h>

#include "core.h"

struct limg_error {
	int code;
	int http_status;
	long retry_after;
	int subject;
	char registry_code[64];
	char object[256];
	char message[1024];
};

/* Fixed-size and thread-local: raising an error never allocates, so it
 * works when memory is exhausted and leaks nothing at thread exit. */
static _Thread_local struct limg_error last_error = { 0, 0, 0, 0, "", "", "no error" };

static const struct limg_error no_error = { 0, 0, 0, 0, "", "", "no error" };

static const struct {
	int code;
	const char *name;
	const char *text;
} codes[] = {
	{ LIMG_OK, "LIMG_OK", "no error" },
	{ LIMG_ERROR, "LIMG_ERROR", "error" },
	{ LIMG_EINVALID, "LIMG_EINVALID", "invalid argument" },
	{ LIMG_ENOMEM, "LIMG_ENOMEM", "out of memory" },
	{ LIMG_ESYSTEM, "LIMG_ESYSTEM", "operating system error" },
	{ LIMG_ENOTFOUND, "LIMG_ENOTFOUND", "not found" },
	{ LIMG_EEXISTS, "LIMG_EEXISTS", "already exists" },
	{ LIMG_ECANCELLED, "LIMG_ECANCELLED", "cancelled" },
	{ LIMG_EUSER, "LIMG_EUSER", "stopped by a callback" },
	{ LIMG_EVERSION, "LIMG_EVERSION", "options newer than this library" },
	{ LIMG_ECORRUPT, "LIMG_ECORRUPT", "stored data is corrupt" },
	{ LIMG_ENOSPACE, "LIMG_ENOSPACE", "no space left on device" },
	{ LIMG_ETOOBIG, "LIMG_ETOOBIG", "too large" },
	{ LIMG_EUNSUPPORTED, "LIMG_EUNSUPPORTED", "unsupported" },
	{ LIMG_ECONFLICT, "LIMG_ECONFLICT", "conflict" },
	{ LIMG_EPARTIAL, "LIMG_EPARTIAL", "some parts failed" },
	{ LIMG_PASSTHROUGH, "LIMG_PASSTHROUGH", "passed through" },
	{ LIMG_ITEROVER, "LIMG_ITEROVER", "no more items" },
	{ LIMG_EREF_FORMAT, "LIMG_EREF_FORMAT", "invalid reference format" },
	{ LIMG_EREF_UPPERCASE, "LIMG_EREF_UPPERCASE", "repository name must be lowercase" },
	{ LIMG_EREF_EMPTY, "LIMG_EREF_EMPTY", "repository name must have at least one component" },
	{ LIMG_EREF_TOOLONG, "LIMG_EREF_TOOLONG", "repository name must not be more than 255 characters" },
	{ LIMG_EREF_NOTCANONICAL, "LIMG_EREF_NOTCANONICAL", "repository name must be canonical" },
	{ LIMG_EREF_HEXNAME, "LIMG_EREF_HEXNAME", "cannot specify 64-byte hexadecimal strings" },
	{ LIMG_EREF_TAG, "LIMG_EREF_TAG", "invalid tag format" },
	{ LIMG_EREF_DIGEST, "LIMG_EREF_DIGEST", "invalid digest format" },
	{ LIMG_EPATTERN, "LIMG_EPATTERN", "syntax error in pattern" },
	{ LIMG_EDIGEST_FORMAT, "LIMG_EDIGEST_FORMAT", "invalid checksum digest format" },
	{ LIMG_EDIGEST_LENGTH, "LIMG_EDIGEST_LENGTH", "invalid checksum digest length" },
	{ LIMG_EDIGEST_UNSUPPORTED, "LIMG_EDIGEST_UNSUPPORTED", "unsupported digest algorithm" },
	{ LIMG_EDIGEST_MISMATCH, "LIMG_EDIGEST_MISMATCH", "content does not match its digest" },
	{ LIMG_EMANIFEST, "LIMG_EMANIFEST", "invalid manifest" },
	{ LIMG_EPLATFORM, "LIMG_EPLATFORM", "no matching platform" },
	{ LIMG_ENETWORK, "LIMG_ENETWORK", "network error" },
	{ LIMG_ETIMEOUT, "LIMG_ETIMEOUT", "timed out" },
	{ LIMG_EHTTP, "LIMG_EHTTP", "unexpected HTTP status" },
	{ LIMG_EAUTH, "LIMG_EAUTH", "authentication failed" },
	{ LIMG_ERATELIMIT, "LIMG_ERATELIMIT", "too many requests" },
	{ LIMG_ETLS, "LIMG_ETLS", "TLS error" },
	{ LIMG_EREDIRECT, "LIMG_EREDIRECT", "bad redirect" },
	{ LIMG_EPROTOCOL, "LIMG_EPROTOCOL", "malformed response" },
	{ LIMG_EREJECTED, "LIMG_EREJECTED", "rejected by the signature policy" },
	{ LIMG_ESIGNATURE, "LIMG_ESIGNATURE", "invalid signature" },
};

static const char *const subjects[] = {
	"LIMG_SUBJECT_NONE", "LIMG_SUBJECT_IMAGE", "LIMG_SUBJECT_TAG", "LIMG_SUBJECT_BLOB", "LIMG_SUBJECT_MANIFEST",
	"LIMG_SUBJECT_REPOSITORY", "LIMG_SUBJECT_PLATFORM", "LIMG_SUBJECT_REGISTRY", "LIMG_SUBJECT_CREDENTIALS",
	"LIMG_SUBJECT_CERTIFICATE", "LIMG_SUBJECT_REFERENCE", "LIMG_SUBJECT_FILE", "LIMG_SUBJECT_STORE",
	"LIMG_SUBJECT_ARCHIVE", "LIMG_SUBJECT_LAYER", "LIMG_SUBJECT_CONFIG", "LIMG_SUBJECT_OPTIONS",
	"LIMG_SUBJECT_SIGNATURE", "LIMG_SUBJECT_POLICY", "LIMG_SUBJECT_KEY",
};

const char *limg_subject_name(int subject)
{
	return subject >= 0 && (size_t)subject < sizeof subjects / sizeof subjects[0] ? subjects[subject] : NULL;
}

static int code_index(int code)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i].code == code)
			return (int)i;
	return -1;
}

const char *limg_strerror(int code)
{
	int i = code_index(code);
	return i < 0 ? "unknown error" : codes[i].text;
}

const char *limg_error_name(int code)
{
	int i = code_index(code);
	return i < 0 ? NULL : codes[i].name;
}

const limg_error *limg_error_last(void)
{
	return &last_error;
}

void limg_error_clear(void)
{
	last_error = no_error;
}

int limg_error_code(const limg_error *err)
{
	return err ? err->code : LIMG_OK;
}

const char *limg_error_message(const limg_error *err)
{
	return err ? err->message : no_error.message;
}

int limg_error_subject(const limg_error *err)
{
	return err ? err->subject : LIMG_SUBJECT_NONE;
}

const char *limg_error_object(const limg_error *err)
{
	return err ? err->object : "";
}

int limg_error_http_status(const limg_error *err)
{
	return err ? err->http_status : 0;
}

const char *limg_error_registry_code(const limg_error *err)
{
	return err ? err->registry_code : "";
}

long limg_error_retry_after(const limg_error *err)
{
	return err ? err->retry_after : 0;
}

static void set_message(int code, const char *fmt, va_list ap)
{
	last_error.code = code;
	last_error.http_status = 0;
	last_error.retry_after = 0;
	last_error.subject = LIMG_SUBJECT_NONE;
	last_error.registry_code[0] = '\0';
	last_error.object[0] = '\0';
	vsnprintf(last_error.message, sizeof last_error.message, fmt, ap);
}

int limg__error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(code, fmt, ap);
	va_end(ap);
	return code;
}

int limg__error_about(int subject, const char *object)
{
	last_error.subject = subject;
	if (object)
		limg__sanitize(last_error.object, sizeof last_error.object, object, strlen(object));
	else
		last_error.object[0] = '\0';
	return last_error.code;
}

int limg__error_set_about(int code, int subject, const char *object, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(code, fmt, ap);
	va_end(ap);
	return limg__error_about(subject, object);
}

int limg__error_after_callback(int rc, const char *what)
{
	if (rc > 0)
		return limg__error_set(LIMG_EUSER, "%s stopped by the callback (it returned %d)", what, rc);
	/* a code of the library's own keeps the error the callback may have raised through us */
	if (limg_error_name(rc) && limg_error_last()->code == rc)
		return rc;
	return limg__error_set(rc, "%s stopped by the callback (it returned %d)", what, rc);
}

int limg__error_prefix(const char *fmt, ...)
{
	char prefix[512], message[sizeof last_error.message];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(message, last_error.message, sizeof message);
	n = strlen(prefix);
	if (n > sizeof last_error.message - 3)
		n = sizeof last_error.message - 3;
	memcpy(last_error.message, prefix, n);
	memcpy(last_error.message + n, ": ", 2);
	memcpy(last_error.message + n + 2, message, sizeof last_error.message - n - 3);
	last_error.message[sizeof last_error.message - 1] = '\0';
	return last_error.code;
}

int limg__error_oom(void)
{
	return limg__error_set(LIMG_ENOMEM, "out of memory");
}

int limg__error_invalid(const char *what)
{
	return limg__error_set(LIMG_EINVALID, "invalid argument: %s", what);
}

void limg__error_set_retry_after(long seconds)
{
	last_error.retry_after = seconds;
}

void limg__error_set_http(int http_status, const char *registry_code)
{
	last_error.http_status = http_status;
	snprintf(last_error.registry_code, sizeof last_error.registry_code, "%s",
	         registry_code ? registry_code : "");
}

void limg__sanitize(char *dst, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const size_t limit = 200; /* input bytes shown before "..." */
	size_t o = 0;

	if (!cap)
		return;
	for (size_t i = 0; i < n && i < limit; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 5 >= cap)
			break;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (n > limit && o + 4 < cap) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

void limg__quote(char *dst, size_t cap, const char *s, size_t n)
{
	size_t len;

	if (cap < 3) {
		if (cap)
			dst[0] = '\0';
		return;
	}
	dst[0] = '"';
	limg__sanitize(dst + 1, cap - 2, s, n);
	len = strlen(dst);
	dst[len] = '"';
	dst[len + 1] = '\0';
}

void limg__error_save(limg__error_copy *c)
{
	c->code = last_error.code;
	c->http_status = last_error.http_status;
	c->retry_after = last_error.retry_after;
	c->subject = last_error.subject;
	memcpy(c->registry_code, last_error.registry_code, sizeof c->registry_code);
	memcpy(c->object, last_error.object, sizeof c->object);
	memcpy(c->message, last_error.message, sizeof c->message);
}

int limg__error_restore(const limg__error_copy *c)
{
	last_error.code = c->code;
	last_error.http_status = c->http_status;
	last_error.retry_after = c->retry_after;
	last_error.subject = c->subject;
	memcpy(last_error.registry_code, c->registry_code, sizeof c->registry_code);
	memcpy(last_error.object, c->object, sizeof c->object);
	memcpy(last_error.message, c->message, sizeof c->message);
	return c->code;
}
