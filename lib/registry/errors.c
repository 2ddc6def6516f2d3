/* Registry error answers: the JSON "errors" array mapped to libimage codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/core.h"
#include "registry_internal.h"

long limg__retry_after_seconds(const char *v)
{
	char *end;
	long n;
	time_t when;

	if (!v || !*v)
		return -1;
	n = strtol(v, &end, 10);
	if (end != v && !*end)
		return n < 0 ? 0 : n;
	when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	n = (long)(when - time(NULL));
	return n < 0 ? 0 : n;
}

static int code_for(const char *registry_code, long status)
{
	static const struct {
		const char *name;
		int code;
	} map[] = {
		{ "MANIFEST_UNKNOWN", LIMG_ENOTFOUND }, { "NAME_UNKNOWN", LIMG_ENOTFOUND },
		{ "BLOB_UNKNOWN", LIMG_ENOTFOUND },     { "MANIFEST_BLOB_UNKNOWN", LIMG_ENOTFOUND },
		{ "UNAUTHORIZED", LIMG_EAUTH },         { "DENIED", LIMG_EAUTH },
		{ "TOOMANYREQUESTS", LIMG_ERATELIMIT }, { "UNSUPPORTED", LIMG_EUNSUPPORTED },
		{ "DIGEST_INVALID", LIMG_EDIGEST_MISMATCH }, { "MANIFEST_INVALID", LIMG_EMANIFEST },
		{ "BLOB_UPLOAD_UNKNOWN", LIMG_ENOTFOUND }, { "SIZE_INVALID", LIMG_EPROTOCOL },
	};
	for (size_t i = 0; registry_code && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(registry_code, map[i].name))
			return map[i].code;
	if (status == 404)
		return LIMG_ENOTFOUND;
	if (status == 401 || status == 403)
		return LIMG_EAUTH;
	if (status == 429)
		return LIMG_ERATELIMIT;
	return LIMG_EHTTP;
}

int limg__registry_error(const limg__http_resp *resp, const char *what)
{
	cJSON *doc = resp->body.size ? cJSON_ParseWithLength(resp->body.ptr, resp->body.size) : NULL;
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "errors"), 0);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(first, "code");
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(first, "message");
	const char *registry_code = cJSON_IsString(code) ? code->valuestring : NULL;
	char text[300] = "", rcode[64] = "";
	long retry = limg__retry_after_seconds(resp->retry_after);
	int rc;

	if (cJSON_IsString(message))
		limg__sanitize(text, sizeof text, message->valuestring, strlen(message->valuestring));
	if (registry_code)
		limg__sanitize(rcode, sizeof rcode, registry_code, strlen(registry_code));
	rc = code_for(registry_code, resp->status);
	if (text[0])
		limg__error_set(rc, "%s: %s (%s%sHTTP %ld)", what, text, rcode, rcode[0] ? ", " : "", resp->status);
	else
		limg__error_set(rc, "%s: %s (%s%sHTTP %ld)", what, limg_strerror(rc), rcode, rcode[0] ? ", " : "",
		                resp->status);
	limg__error_set_http((int)resp->status, rcode);
	if (retry > 0)
		limg__error_set_retry_after(retry);
	cJSON_Delete(doc);
	return rc;
}
