/* SPDX-License-Identifier: MIT */
/*
 * Credentials from Docker's config.json and credential helpers
 * (docker-credential-<name> get: server URL on stdin, JSON on stdout).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "core/base64.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "libimage/credentials.h"

extern char **environ;

#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

static bool is_docker_hub(const char *host)
{
	return !strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io");
}

static int set_pair(limg_buf *user, limg_buf *secret, const char *u, size_t ulen, const char *s, size_t slen)
{
	user->size = secret->size = 0;
	if (limg__buf_put(user, u, ulen) < 0 || limg__buf_put(secret, s, slen) < 0)
		return LIMG_ENOMEM;
	return 0;
}

/* Runs docker-credential-<helper> get for @server. */
static int run_helper(limg_buf *user, limg_buf *secret, const char *helper, const char *server)
{
	char program[256];
	char *argv[] = { program, "get", NULL };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status, rc = 0;
	posix_spawn_file_actions_t fa;
	limg_buf answer = LIMG_BUF_INIT;
	pid_t pid;
	cJSON *doc = NULL;
	const cJSON *u, *s;
	char chunk[4096], why[200];
	ssize_t n;

	if (strchr(helper, '/') || snprintf(program, sizeof program, "docker-credential-%s", helper) >= (int)sizeof program)
		return limg__error_set(LIMG_EAUTH, "invalid credential helper name");
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		rc = limg__fs_error("cannot create pipe for", program);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	rc = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (rc != 0) {
		errno = rc;
		rc = limg__error_set(LIMG_EAUTH, "credential helper %s cannot run: %s", program, strerror(errno));
		goto out;
	}
	{
		/* a helper that exits early must not kill us with SIGPIPE */
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;
		sigaction(SIGPIPE, &ign, &old);
		if (write(in[1], server, strlen(server)) < 0 || write(in[1], "\n", 1) < 0) {
			/* reported through the exit status below */
		}
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in[1]);
	in[1] = -1;
	while ((n = read(out[0], chunk, sizeof chunk)) > 0 && answer.size < 64 * 1024)
		limg__buf_put(&answer, chunk, (size_t)n);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* the helper protocol's way of saying "none stored" */
		if (answer.ptr && strstr(answer.ptr, "credentials not found"))
			rc = LIMG_ENOTFOUND;
		else
			rc = limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
			                           "credential helper %s failed for %s", program, server);
		goto out;
	}
	if (limg__json_parse(&doc, answer.ptr, answer.size, NULL, why, sizeof why) < 0) {
		rc = limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
		                           "credential helper %s gave an unreadable answer (%s)", program, why);
		goto out;
	}
	u = cJSON_GetObjectItemCaseSensitive(doc, "Username");
	s = cJSON_GetObjectItemCaseSensitive(doc, "Secret");
	if (!cJSON_IsString(u) || !cJSON_IsString(s))
		rc = limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
		                           "credential helper %s gave an unreadable answer", program);
	else
		rc = set_pair(user, secret, u->valuestring, strlen(u->valuestring), s->valuestring, strlen(s->valuestring));
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
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

	if (is_docker_hub(host)) {
		if ((e = cJSON_GetObjectItemCaseSensitive(auths, DOCKER_HUB_KEY)))
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
	const cJSON *helpers, *named, *store;
	int rc;

	*helper = NULL;
	*auths_rc = LIMG_ENOTFOUND;
	user->size = secret->size = 0;
	if (limg__json_parse(&doc, text, len, NULL, why, sizeof why) < 0 || !cJSON_IsObject(doc)) {
		rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CREDENTIALS, label, "%s is not valid JSON%s%s%s",
		                           label, doc ? "" : " (", doc ? "" : why, doc ? "" : ")");
		cJSON_Delete(doc);
		return rc;
	}
	helpers = cJSON_GetObjectItemCaseSensitive(doc, "credHelpers");
	named = cJSON_GetObjectItemCaseSensitive(helpers, host);
	if (!named && is_docker_hub(host))
		named = cJSON_GetObjectItemCaseSensitive(helpers, "index.docker.io");
	store = cJSON_GetObjectItemCaseSensitive(doc, "credsStore");
	rc = 0;
	if (cJSON_IsString(named)) {
		*auths_rc = LIMG_PASSTHROUGH; /* the host's own helper: its answer is the answer */
		if (!(*helper = strdup(named->valuestring)))
			rc = limg__error_oom();
	} else {
		*auths_rc = from_auth_entry(user, secret, find_auth(cJSON_GetObjectItemCaseSensitive(doc, "auths"), host),
		                            label);
		if (cJSON_IsString(store) && !(*helper = strdup(store->valuestring)))
			rc = limg__error_oom();
	}
	cJSON_Delete(doc);
	return rc;
}

int limg_credentials_lookup(limg_buf *user, limg_buf *secret, const char *host, const char *config_dir)
{
	limg_buf path = LIMG_BUF_INIT, text = LIMG_BUF_INIT;
	const char *dir = config_dir, *home = getenv("HOME");
	char *helper = NULL;
	int rc, auths_rc;

	if (!user || !secret || !host)
		return limg__error_invalid(!user ? "out_username" : !secret ? "out_secret" : "host");
	if (!dir)
		dir = getenv("DOCKER_CONFIG");
	if (!dir || !*dir) {
		if (!home)
			return LIMG_ENOTFOUND;
		if ((rc = limg__fs_join(&path, home, ".docker/config.json")) < 0)
			return rc;
	} else if ((rc = limg__fs_join(&path, dir, "config.json")) < 0) {
		return rc;
	}
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
		rc = run_helper(&u, &sec, helper, is_docker_hub(host) ? DOCKER_HUB_KEY : host);
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
	free(helper);
	if (text.ptr)
		memset(text.ptr, 0, text.size);
	limg_buf_dispose(&text);
	limg_buf_dispose(&path);
	return rc;
}
