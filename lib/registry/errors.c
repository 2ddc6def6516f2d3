/* SPDX-License-Identifier: MIT */
/* Registry error answers: the JSON "errors" array mapped to libimage codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/json.h"
#include "registry_internal.h"

/* The code and subject a registry's error means; *@subject is left alone
 * when the registry's code does not say. */
static int code_for(const char *registry_code, long status, int *subject)
{
	static const struct {
		const char *name;
		int code, subject;
	} map[] = {
		{ "MANIFEST_UNKNOWN", LIMG_ENOTFOUND, LIMG_SUBJECT_MANIFEST },
		{ "NAME_UNKNOWN", LIMG_ENOTFOUND, LIMG_SUBJECT_REPOSITORY },
		{ "BLOB_UNKNOWN", LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB },
		{ "MANIFEST_BLOB_UNKNOWN", LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB },
		{ "BLOB_UPLOAD_UNKNOWN", LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB },
		{ "UNAUTHORIZED", LIMG_EAUTH, -1 },
		{ "DENIED", LIMG_EAUTH, -1 },
		{ "TOOMANYREQUESTS", LIMG_ERATELIMIT, -1 },
		{ "UNSUPPORTED", LIMG_EUNSUPPORTED, -1 },
		{ "DIGEST_INVALID", LIMG_EDIGEST_MISMATCH, -1 },
		{ "MANIFEST_INVALID", LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST },
		{ "SIZE_INVALID", LIMG_EPROTOCOL, -1 },
	};
	for (size_t i = 0; registry_code && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(registry_code, map[i].name)) {
			if (map[i].subject >= 0)
				*subject = map[i].subject;
			return map[i].code;
		}
	if (status == 404)
		return LIMG_ENOTFOUND;
	if (status == 401 || status == 403)
		return LIMG_EAUTH;
	if (status == 429)
		return LIMG_ERATELIMIT;
	return LIMG_EHTTP;
}

int limg__registry_error_about(const limg__http_resp *resp, const char *what, int subject, const char *object)
{
	cJSON *doc = NULL;
	const cJSON *first, *code, *message;
	const char *registry_code;
	char text[300] = "", rcode[64] = "", why[200];
	long retry = limg__http_retry_after(resp);
	int rc;

	/* an error body that is not strict JSON says nothing we can trust */
	if (resp->body.size && limg__json_parse(&doc, resp->body.ptr, resp->body.size, NULL, why, sizeof why) < 0)
		doc = NULL;
	first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "errors"), 0);
	code = cJSON_GetObjectItemCaseSensitive(first, "code");
	message = cJSON_GetObjectItemCaseSensitive(first, "message");
	registry_code = cJSON_IsString(code) ? code->valuestring : NULL;
	if (cJSON_IsString(message))
		limg__sanitize(text, sizeof text, message->valuestring, strlen(message->valuestring));
	if (registry_code)
		limg__sanitize(rcode, sizeof rcode, registry_code, strlen(registry_code));
	rc = code_for(registry_code, resp->status, &subject);
	if (rc != LIMG_ENOTFOUND && rc != LIMG_EMANIFEST)
		subject = LIMG_SUBJECT_NONE;
	if (text[0])
		limg__error_set(rc, "%s: %s (%s%sHTTP %ld)", what, text, rcode, rcode[0] ? ", " : "", resp->status);
	else
		limg__error_set(rc, "%s: %s (%s%sHTTP %ld)", what, limg_strerror(rc), rcode, rcode[0] ? ", " : "",
		                resp->status);
	if (subject != LIMG_SUBJECT_NONE)
		limg__error_about(subject, object);
	limg__error_set_http((int)resp->status, rcode);
	if (retry > 0)
		limg__error_set_retry_after(retry);
	cJSON_Delete(doc);
	return rc;
}

int limg__registry_error(const limg__http_resp *resp, const char *what)
{
	return limg__registry_error_about(resp, what, LIMG_SUBJECT_NONE, NULL);
}
