/* SPDX-License-Identifier: MIT */
/*
 * Credentials from Docker's config.json and credential helpers
 * (docker-credential-<name> get: server URL on stdin, JSON on stdout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "auth.h"
#include "helper.h"
#include "libimage/credentials.h"

static int set_pair(limg_buf *user, limg_buf *secret, const char *u, size_t ulen, const char *s, size_t slen)
{
	user->size = secret->size = 0;
	if (limg__buf_put(user, u, ulen) < 0 || limg__buf_put(secret, s, slen) < 0)
		return LIMG_ENOMEM;
	return 0;
}

/* docker-credential-<helper> get for @server: {"Username", "Secret"} on its stdout. */
static int from_helper(limg_buf *user, limg_buf *secret, const char *helper, const char *server)
{
	limg_buf answer = LIMG_BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *u, *s;
	char why[200];
	int rc;

	if ((rc = limg__credential_helper_run(&answer, helper, "get", server, strlen(server), server)) < 0)
		goto out;
	if ((rc = limg__json_parse(&doc, answer.ptr, answer.size, NULL, why, sizeof why)) < 0) {
		rc = rc == LIMG_ENOMEM ? limg__error_oom() : limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
		                           "credential helper docker-credential-%s gave an unreadable answer (%s)", helper,
		                           why);
		goto out;
	}
	u = cJSON_GetObjectItemCaseSensitive(doc, "Username");
	s = cJSON_GetObjectItemCaseSensitive(doc, "Secret");
	if (!cJSON_IsString(u) || !cJSON_IsString(s))
		rc = limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
		                           "credential helper docker-credential-%s gave an unreadable answer", helper);
	else
		rc = set_pair(user, secret, u->valuestring, strlen(u->valuestring), s->valuestring, strlen(s->valuestring));
	if (cJSON_IsString(s))
		memset(s->valuestring, 0, strlen(s->valuestring));
out:
	cJSON_Delete(doc);
	if (answer.ptr)
		memset(answer.ptr, 0, answer.size); /* it held the secret */
	limg_buf_dispose(&answer);
	return rc;
}

/* The auths entry for @host, trying the spellings Docker has used. */
static const cJSON *find_auth(const cJSON *auths, const char *host)
{
	const char *forms[] = { "%s", "https://%s", "http://%s", "https://%s/v1/", "https://%s/v2/", "http://%s/v1/" };
	const cJSON *e;
	char key[512];

	if (limg__is_docker_hub(host)) {
		if ((e = cJSON_GetObjectItemCaseSensitive(auths, LIMG_DOCKER_HUB_KEY)))
			return e;
		host = "index.docker.io";
	}
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		snprintf(key, sizeof key, forms[i], host);
		if ((e = cJSON_GetObjectItemCaseSensitive(auths, key)))
			return e;
	}
	return NULL;
}

static int from_auth_entry(limg_buf *user, limg_buf *secret, const cJSON *entry, const char *path)
{
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(entry, "auth");
	const cJSON *identity = cJSON_GetObjectItemCaseSensitive(entry, "identitytoken");
	limg_buf plain = LIMG_BUF_INIT;
	const char *colon;
	int rc;

	if (cJSON_IsString(identity) && *identity->valuestring)
		return set_pair(user, secret, "<token>", 7, identity->valuestring, strlen(identity->valuestring));
	if (!cJSON_IsString(auth) || !*auth->valuestring)
		return LIMG_ENOTFOUND;
	if (limg__base64_decode(&plain, auth->valuestring, strlen(auth->valuestring)) < 0 ||
	    !(colon = memchr(plain.ptr, ':', plain.size))) {
		limg_buf_dispose(&plain);
		return limg__error_set(LIMG_ECORRUPT, "%s: an \"auth\" entry is not base64 of user:password", path);
	}
	rc = set_pair(user, secret, plain.ptr, (size_t)(colon - plain.ptr), colon + 1,
	              plain.size - (size_t)(colon - plain.ptr) - 1);
	memset(plain.ptr, 0, plain.size);
	limg_buf_dispose(&plain);
	return rc;
}

int limg__credentials_parse(limg_buf *user, limg_buf *secret, char **helper, int *auths_rc, const char *text,
                            size_t len, const char *host, const char *label)
{
	cJSON *doc = NULL;
	char why[200];
	const char *named;
	bool dedicated;
	int rc = 0;

	*helper = NULL;
	*auths_rc = LIMG_ENOTFOUND;
	user->size = secret->size = 0;
	if ((rc = limg__json_parse(&doc, text, len, NULL, why, sizeof why)) < 0 || !cJSON_IsObject(doc)) {
		rc = rc == LIMG_ENOMEM ? limg__error_oom() : limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CREDENTIALS, label, "%s is not valid JSON%s%s%s",
		                           label, doc ? "" : " (", doc ? "" : why, doc ? "" : ")");
		cJSON_Delete(doc);
		return rc;
	}
	named = limg__credentials_helper(doc, host, &dedicated);
	if (dedicated)
		*auths_rc = LIMG_PASSTHROUGH; /* the host's own helper: its answer is the answer */
	else
		*auths_rc = from_auth_entry(user, secret, find_auth(cJSON_GetObjectItemCaseSensitive(doc, "auths"), host),
		                            label);
	if (named && !(*helper = limg__strdup(named)))
		rc = limg__error_oom();
	cJSON_Delete(doc);
	return rc;
}

int limg_credentials_lookup(limg_buf *user, limg_buf *secret, const char *host, const char *config_dir)
{
	limg_buf path = LIMG_BUF_INIT, text = LIMG_BUF_INIT;
	char *helper = NULL;
	int rc, auths_rc;

	if (!user || !secret || !host)
		return limg__error_invalid(!user ? "out_username" : !secret ? "out_secret" : "host");
	if ((rc = limg__docker_config_path(&path, config_dir)) < 0)
		goto out;
	rc = limg__fs_read(&text, path.ptr, 4 << 20);
	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		goto out;
	}
	if (rc < 0)
		goto out;
	if ((rc = limg__credentials_parse(user, secret, &helper, &auths_rc, text.ptr ? text.ptr : "", text.size, host,
	                                  path.ptr)) < 0)
		goto out;
	if (!helper) {
		rc = auths_rc;
	} else {
		/* the host's helper, or the store; a store that has nothing leaves "auths" to try */
		limg_buf u = LIMG_BUF_INIT, sec = LIMG_BUF_INIT;
		rc = from_helper(&u, &sec, helper, limg__credentials_key(host));
		if (rc == 0)
			rc = set_pair(user, secret, u.ptr ? u.ptr : "", u.size, sec.ptr ? sec.ptr : "", sec.size);
		else if (rc == LIMG_ENOTFOUND && auths_rc != LIMG_PASSTHROUGH)
			rc = auths_rc; /* (user and secret hold that entry when there is one) */
		if (sec.ptr)
			memset(sec.ptr, 0, sec.size);
		limg_buf_dispose(&u);
		limg_buf_dispose(&sec);
	}
out:
	if (rc == LIMG_ENOTFOUND)
		limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_CREDENTIALS, host, "no credentials for %s", host);
	limg__free(helper);
	if (text.ptr)
		memset(text.ptr, 0, text.size);
	limg_buf_dispose(&text);
	limg_buf_dispose(&path);
	return rc;
}
