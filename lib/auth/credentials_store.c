/* SPDX-License-Identifier: MIT */
/*
 * docker login's and docker logout's side of config.json: credentials go to
 * the credential helper config.json names (leaving an empty "auths" entry,
 * as Docker does), else into "auths" as base64 "auth"; the file is replaced
 * atomically, 0600, with every other key kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "helper.h"
#include "libimage/credentials.h"

#define CONFIG_MAX (4 << 20)

static void wipe(limg_buf *b)
{
	if (b->ptr)
		memset(b->ptr, 0, b->size);
	limg_buf_dispose(b);
}

/* A host is a key in config.json and a line on a helper's stdin: no
 * whitespace or control characters, no path. */
static int check_host(const char *host)
{
	char shown[120];

	if (!host || !*host)
		return limg__error_invalid("host");
	for (const unsigned char *p = (const unsigned char *)host; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/') {
			limg__quote(shown, sizeof shown, host, strlen(host));
			return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_REGISTRY, host,
			                             "invalid registry host %s", shown);
		}
	return 0;
}

/* config.json as a document (an empty object when there is none yet); @path
 * is where it is, its symlink followed as Docker follows it. */
static int read_config(cJSON **doc, limg_buf *path, const char *config_dir)
{
	limg_buf text = LIMG_BUF_INIT;
	char why[200], *real;
	int rc;

	*doc = NULL;
	if ((rc = limg__docker_config_path(path, config_dir)) < 0)
		return rc == LIMG_ENOTFOUND ? limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_CREDENTIALS, NULL,
		                                                    "no home directory for .docker/config.json "
		                                                    "(set DOCKER_CONFIG)")
		                            : rc;
	if ((real = realpath(path->ptr, NULL))) {
		rc = limg_buf_set(path, real, strlen(real));
		limg__libc_free(real); /* realpath's own */
		if (rc < 0)
			return rc;
	}
	rc = limg__fs_read(&text, path->ptr, CONFIG_MAX);
	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		*doc = cJSON_CreateObject();
		return *doc ? 0 : limg__error_oom();
	}
	if (rc < 0)
		return rc;
	if ((rc = limg__json_parse(doc, text.ptr, text.size, NULL, why, sizeof why)) < 0 || !cJSON_IsObject(*doc)) {
		rc = rc == LIMG_ENOMEM ? limg__error_oom() : limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CREDENTIALS, path->ptr,
		                           "%s is not a JSON object%s%s%s: it is left as it is", path->ptr,
		                           *doc ? "" : " (", *doc ? "" : why, *doc ? "" : ")");
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	wipe(&text);
	return rc;
}

/* config.json's directory, 0700 as Docker makes it (its parents as mkdir -p does). */
static int make_dir(char *dir)
{
	char *slash = strrchr(dir, '/');
	int rc;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || !slash || slash == dir)
		return limg__fs_error("cannot create", dir);
	*slash = '\0';
	rc = limg__fs_mkdirs(dir);
	*slash = '/';
	if (rc < 0)
		return rc;
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : limg__fs_error("cannot create", dir);
}

/* Replaces config.json: a new file beside it (0600), flushed, renamed over it. */
static int write_config(const cJSON *doc, const char *path)
{
	char *text = limg__json_print(doc, true), *slash, tmp[256];
	limg_buf dir = LIMG_BUF_INIT;
	int dirfd = -1, fd = -1, rc;

	if (!text)
		return limg__error_oom();
	slash = strrchr(path, '/');
	if ((rc = limg_buf_set(&dir, path, slash ? (size_t)(slash - path) : 0)) < 0)
		goto out;
	if (dir.size && (rc = make_dir(dir.ptr)) < 0)
		goto out;
	if ((dirfd = open(dir.size ? dir.ptr : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = limg__fs_error("cannot open", dir.size ? dir.ptr : ".");
		goto out;
	}
	if ((rc = limg__fs_create_unique_at(&fd, dirfd, "config.json.tmp-", tmp, sizeof tmp, path)) < 0)
		goto out;
	if (fchmod(fd, 0600) < 0) {
		rc = limg__fs_error("cannot set the mode of", path);
		goto fail;
	}
	if ((rc = limg__fs_write_all(fd, text, strlen(text), path)) < 0 ||
	    (rc = limg__fs_write_all(fd, "\n", 1, path)) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		rc = limg__fs_error("cannot flush", path);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, slash ? slash + 1 : path) < 0) {
		rc = limg__fs_error("cannot replace", path);
		goto fail;
	}
	rc = limg__fs_sync_fd(dirfd, path);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
out:
	if (dirfd >= 0)
		close(dirfd);
	memset(text, 0, strlen(text)); /* it may hold base64 of a password */
	limg__free(text);
	limg_buf_dispose(&dir);
	return rc;
}

/* The "auths" object of @doc, made when missing; NULL (raised) when it is something else. */
static cJSON *auths_of(cJSON *doc, const char *path)
{
	cJSON *auths = cJSON_GetObjectItemCaseSensitive(doc, "auths");

	if (cJSON_IsObject(auths))
		return auths;
	if (auths) {
		limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CREDENTIALS, path,
		                      "%s: \"auths\" is not an object: it is left as it is", path);
		return NULL;
	}
	if (!(auths = cJSON_AddObjectToObject(doc, "auths")))
		limg__error_oom();
	return auths;
}

/* {"ServerURL", "Username", "Secret"}: what `docker-credential-<name> store` reads. */
static int helper_store(const char *helper, const char *key, const char *username, const char *secret)
{
	limg_buf request = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg__buf_put(&request, "{\"ServerURL\":", 13)) < 0 ||
	    (rc = limg__json_put_string(&request, key, strlen(key))) < 0 ||
	    (rc = limg__buf_put(&request, ",\"Username\":", 12)) < 0 ||
	    (rc = limg__json_put_string(&request, username, strlen(username))) < 0 ||
	    (rc = limg__buf_put(&request, ",\"Secret\":", 10)) < 0 ||
	    (rc = limg__json_put_string(&request, secret, strlen(secret))) < 0 || (rc = limg__buf_put(&request, "}", 1)) < 0)
		goto out;
	rc = limg__credential_helper_run(NULL, helper, "store", request.ptr, request.size, key);
	if (rc == LIMG_ENOTFOUND)
		rc = limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, key,
		                           "credential helper docker-credential-%s store failed for %s", helper, key);
out:
	wipe(&request);
	return rc;
}

/* The entry config.json keeps for @key: {"auth": base64(user:secret)}, or
 * {"identitytoken": secret} for an identity token; {} when a helper holds them. */
static cJSON *auth_entry(const char *username, const char *secret, bool in_helper)
{
	cJSON *entry = cJSON_CreateObject();
	limg_buf plain = LIMG_BUF_INIT, encoded = LIMG_BUF_INIT;
	bool ok = entry != NULL;

	if (!ok || in_helper)
		return entry;
	if (!strcmp(username, "<token>")) {
		ok = cJSON_AddStringToObject(entry, "identitytoken", secret) != NULL;
	} else {
		ok = limg__buf_put(&plain, username, strlen(username)) == 0 && limg__buf_put(&plain, ":", 1) == 0 &&
		     limg__buf_put(&plain, secret, strlen(secret)) == 0 &&
		     limg__base64_encode(&encoded, plain.ptr, plain.size) == 0 &&
		     cJSON_AddStringToObject(entry, "auth", encoded.ptr) != NULL;
	}
	wipe(&plain);
	wipe(&encoded);
	if (!ok) {
		cJSON_Delete(entry);
		return NULL;
	}
	return entry;
}

int limg_credentials_store(limg_buf *out_location, const char *host, const char *username, const char *secret,
                           const char *config_dir)
{
	limg_buf path = LIMG_BUF_INIT;
	cJSON *doc = NULL, *auths, *entry;
	const char *helper, *key;
	int rc;

	if (out_location)
		limg_buf_dispose(out_location);
	if ((rc = check_host(host)) < 0)
		return rc;
	if (!username || !*username || strchr(username, ':') || strpbrk(username, "\r\n"))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_CREDENTIALS, host,
		                             "a user name must be given, without ':' or a line break");
	if (!secret || !*secret)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_CREDENTIALS, host, "a password must be given");
	key = limg__credentials_key(host);
	if ((rc = read_config(&doc, &path, config_dir)) < 0)
		goto out;
	if (!(auths = auths_of(doc, path.ptr))) {
		rc = limg_error_code(limg_error_last());
		goto out;
	}
	/* the helper first: config.json changes only once it holds them */
	if ((helper = limg__credentials_helper(doc, host, NULL)) && (rc = helper_store(helper, key, username, secret)) < 0)
		goto out;
	if (!(entry = auth_entry(username, secret, helper != NULL))) {
		rc = limg__error_oom();
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(auths, key);
	cJSON_AddItemToObject(auths, key, entry);
	if ((rc = write_config(doc, path.ptr)) < 0)
		goto out;
	if (out_location && !helper)
		rc = limg_buf_set(out_location, path.ptr, path.size);
out:
	if (doc) {
		/* the secret's base64 is in it */
		cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "auths"), key);
		cJSON *s = cJSON_GetObjectItemCaseSensitive(a, "auth");
		if (!cJSON_IsString(s))
			s = cJSON_GetObjectItemCaseSensitive(a, "identitytoken");
		if (cJSON_IsString(s))
			memset(s->valuestring, 0, strlen(s->valuestring));
	}
	cJSON_Delete(doc);
	limg_buf_dispose(&path);
	return rc;
}

int limg_credentials_erase(const char *host, const char *config_dir)
{
	limg_buf path = LIMG_BUF_INIT;
	cJSON *doc = NULL, *auths;
	const char *helper, *key;
	char forms[3][300];
	bool changed = false;
	int rc;

	if ((rc = check_host(host)) < 0)
		return rc;
	key = limg__credentials_key(host);
	if ((rc = read_config(&doc, &path, config_dir)) < 0)
		goto out;
	if ((helper = limg__credentials_helper(doc, host, NULL))) {
		rc = limg__credential_helper_run(NULL, helper, "erase", key, strlen(key), key);
		if (rc == LIMG_ENOTFOUND)
			rc = 0; /* nothing stored there: nothing to erase */
		if (rc < 0)
			goto out;
	}
	/* the spellings docker logout removes too (older Docker wrote them) */
	snprintf(forms[0], sizeof forms[0], "%s", key);
	snprintf(forms[1], sizeof forms[1], "http://%s", host);
	snprintf(forms[2], sizeof forms[2], "https://%s", host);
	auths = cJSON_GetObjectItemCaseSensitive(doc, "auths");
	for (size_t i = 0; i < 3 && cJSON_IsObject(auths); i++)
		if (cJSON_GetObjectItemCaseSensitive(auths, forms[i])) {
			cJSON_DeleteItemFromObjectCaseSensitive(auths, forms[i]);
			changed = true;
		}
	if (changed)
		rc = write_config(doc, path.ptr);
out:
	cJSON_Delete(doc);
	limg_buf_dispose(&path);
	return rc;
}
