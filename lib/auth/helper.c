/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-<name> get|store|erase: the request on stdin, the
 * answer (or the error) on stdout, as docker-credential-helpers' client does.
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

#include "core/core.h"
#include "core/fs.h"
#include "helper.h"

extern char **environ;

#define ANSWER_MAX (64 * 1024)

bool limg__is_docker_hub(const char *host)
{
	return !strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io") ||
	       !strcmp(host, LIMG_DOCKER_HUB_KEY);
}

const char *limg__credentials_key(const char *host)
{
	return limg__is_docker_hub(host) ? LIMG_DOCKER_HUB_KEY : host;
}

const char *limg__credentials_helper(const cJSON *doc, const char *host, bool *dedicated)
{
	const cJSON *helpers = cJSON_GetObjectItemCaseSensitive(doc, "credHelpers");
	const cJSON *helper = cJSON_GetObjectItemCaseSensitive(helpers, host);
	const cJSON *store = cJSON_GetObjectItemCaseSensitive(doc, "credsStore");

	if (!helper && limg__is_docker_hub(host))
		helper = cJSON_GetObjectItemCaseSensitive(helpers, "index.docker.io");
	if (dedicated)
		*dedicated = cJSON_IsString(helper) && *helper->valuestring; /* "" is as none, as docker reads it */
	if (cJSON_IsString(helper) && *helper->valuestring)
		return helper->valuestring;
	return cJSON_IsString(store) && *store->valuestring ? store->valuestring : NULL;
}

int limg__docker_config_path(limg_buf *out, const char *config_dir)
{
	const char *dir = config_dir, *home = getenv("HOME");

	if (!dir)
		dir = getenv("DOCKER_CONFIG");
	if (dir && *dir)
		return limg__fs_join(out, dir, "config.json");
	if (!home || !*home)
		return LIMG_ENOTFOUND;
	return limg__fs_join(out, home, ".docker/config.json");
}

/* The first line of what a failing helper printed, made safe to show. */
static void helper_said(char *dst, size_t cap, const limg_buf *answer)
{
	size_t n = answer->ptr ? strcspn(answer->ptr, "\r\n") : 0;

	if (!n) {
		snprintf(dst, cap, "no message");
		return;
	}
	limg__sanitize(dst, cap, answer->ptr, n);
}

int limg__credential_helper_run(limg_buf *out, const char *helper, const char *action, const char *input, size_t len,
                                const char *server)
{
	char program[256], said[200];
	char *argv[] = { program, (char *)action, NULL };
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = 0, rc = 0;
	posix_spawn_file_actions_t fa;
	limg_buf answer = LIMG_BUF_INIT;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (!*helper || strchr(helper, '/') ||
	    snprintf(program, sizeof program, "docker-credential-%s", helper) >= (int)sizeof program)
		return limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
		                             "invalid credential helper name in config.json");
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		rc = limg__fs_error("cannot create pipe for", program);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	rc = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	if (rc != 0) {
		rc = limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
		                           "credential helper %s cannot run: %s", program, strerror(rc));
		goto out;
	}
	{
		/* a helper that exits early must not kill us with SIGPIPE */
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;
		sigaction(SIGPIPE, &ign, &old);
		if (limg__fs_write_all(in[1], input, len, program) < 0)
			limg_error_clear(); /* reported through the exit status below */
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in[1]);
	in[1] = -1;
	while ((n = read(outp[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && answer.size < ANSWER_MAX && limg__buf_put(&answer, chunk, (size_t)n) < 0)
			limg_error_clear(); /* an answer cut short fails to parse */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* the protocol's way of saying "none stored" (credentials.ErrCredentialsNotFound) */
		if (answer.ptr && strstr(answer.ptr, "credentials not found")) {
			rc = LIMG_ENOTFOUND;
			goto out;
		}
		helper_said(said, sizeof said, &answer);
		rc = limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, server,
		                           "credential helper %s %s failed for %s: %s", program, action, server, said);
		goto out;
	}
	if (out) {
		limg_buf_dispose(out);
		*out = answer;
		answer = (limg_buf)LIMG_BUF_INIT;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (answer.ptr)
		memset(answer.ptr, 0, answer.size); /* it may hold the secret */
	limg_buf_dispose(&answer);
	return rc;
}
