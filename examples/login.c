/* SPDX-License-Identifier: MIT */
/*
 * limg-login: docker login, on libimage.
 *
 *   limg-login [OPTIONS] [SERVER]
 *
 * Checks the credentials with the registry first (its token server, or
 * Basic), then keeps them as the docker CLI does: through the credential
 * helper Docker's config.json names, else base64 in config.json (with
 * Docker's warning). Without -u and -p, credentials stored already are
 * tried first; then it asks on the terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common.h"
#include "format.h"

static const char options[] = "  -p, --password string   Password\n"
                              "      --password-stdin    Take the password from stdin\n"
                              "  -u, --username string   Username\n";

struct secret {
	const char *user, *password;
};

/* The registry asks: these credentials, never config.json's. */
static int give_credentials(limg_buf *user, limg_buf *secret, const char *host, void *payload)
{
	const struct secret *s = payload;

	(void)host;
	if (limg_buf_set(user, s->user, strlen(s->user)) < 0 || limg_buf_set(secret, s->password, strlen(s->password)) < 0)
		return LIMG_ENOMEM;
	return 0;
}

/* docker login's check, at the registry itself. */
static int verify(struct cli *c, const char *host, const struct secret *s)
{
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	limg_registry_callbacks cb = LIMG_REGISTRY_CALLBACKS_INIT;
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_registry *registry = NULL;
	int rc;

	ro.tls = c->tls;
	ro.certs_dir = c->cert_dir;
	ro.skip_hosts_toml = 1; /* a login is the registry's own business, never a mirror's */
	cb.credentials = give_credentials;
	cb.payload = (void *)s;
	co.cancel = cli_cancel_on_signals();
	if ((rc = limg_registry_open(&registry, c->context, host, &ro, &cb)) == 0)
		rc = limg_registry_login(registry, &co);
	cli_cancel_done(co.cancel);
	limg_registry_close(registry);
	return rc;
}

/* A line from the terminal, without echo for a password. */
static char *ask(const char *prompt, int hide)
{
	struct termios old, quiet;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int hidden = 0;

	/* echo off before the prompt shows, and nothing typed is discarded (no TCSAFLUSH):
	 * a password typed as soon as the prompt appears is neither echoed nor lost */
	if (hide && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		hidden = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
	}
	fputs(prompt, stdout);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	if (hidden) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &old);
		fputc('\n', stdout);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* All of stdin, less one trailing newline (and carriage return), as --password-stdin reads it. */
static char *read_stdin(void)
{
	char *all = NULL;
	size_t cap = 0, len = 0;
	char chunk[4096];
	size_t n;

	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (len + n + 1 > cap) {
			size_t want = (len + n + 1) * 2;
			char *grown = realloc(all, want);
			if (!grown) {
				free(all);
				return NULL;
			}
			all = grown;
			cap = want;
		}
		memcpy(all + len, chunk, n);
		len += n;
	}
	memset(chunk, 0, sizeof chunk);
	if (!all && !(all = calloc(1, 1)))
		return NULL;
	all[len] = '\0';
	if (len && all[len - 1] == '\n')
		all[--len] = '\0';
	if (len && all[len - 1] == '\r')
		all[--len] = '\0';
	return all;
}

static void wipe(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* Keeps them, with docker's warning when they went into config.json as they are. */
static int keep(const char *host, const struct secret *s)
{
	limg_buf where = LIMG_BUF_INIT;

	if (limg_credentials_store(&where, host, s->user, s->password, NULL) < 0) {
		fprintf(stderr, "Error saving credentials: %s\n", limg_error_message(limg_error_last()));
		return -1;
	}
	if (where.size)
		fprintf(stderr, "\nWARNING! Your credentials are stored unencrypted in '%s'.\n"
		                "Configure a credential helper to remove this warning. See\n"
		                "https://docs.docker.com/go/credential-store/\n\n",
		        where.ptr);
	limg_buf_dispose(&where);
	return 0;
}

/* The credentials stored already, when they still work (docker's loginWithStoredCredentials). */
static int stored_still_work(struct cli *c, const char *host, int *worked)
{
	limg_buf user = LIMG_BUF_INIT, password = LIMG_BUF_INIT;
	struct secret s;
	int rc = 0;

	*worked = 0;
	if (limg_credentials_lookup(&user, &password, host, NULL) < 0 || !user.size || !password.size)
		goto out; /* none (or unreadable): ask */
	printf("Authenticating with existing credentials... [Username: %s]\n"
	       "To login with a different account, run 'limg-logout' followed by 'limg-login'\n\n",
	       user.ptr);
	fflush(stdout);
	s.user = user.ptr;
	s.password = password.ptr;
	if (verify(c, host, &s) < 0) {
		if (limg_error_subject(limg_error_last()) == LIMG_SUBJECT_CREDENTIALS)
			fprintf(stderr, "Stored credentials invalid or expired\n");
		else
			fprintf(stderr, "Login did not succeed, error: %s\n", limg_error_message(limg_error_last()));
		goto out;
	}
	*worked = 1;
	rc = keep(host, &s);
out:
	if (password.ptr)
		memset(password.ptr, 0, password.size);
	limg_buf_dispose(&user);
	limg_buf_dispose(&password);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-login", .usage = "[OPTIONS] [SERVER]",
		           .about = "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
		           .uses = CLI_REGISTRY };
	const char *server = NULL, *user = NULL, *password = NULL;
	char host[512], *asked_user = NULL, *asked_password = NULL;
	struct secret s;
	int from_stdin = 0, worked = 0, r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-u", &user)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--username", &user)) != 0 ||
		    (r = cli_value(argc, argv, &i, "-p", &password)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--password", &password)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "--password-stdin")) {
			from_stdin = 1;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_unknown_flag(&cli, argv[i]);
		} else if (server) {
			return cli_bad_args(&cli, "requires at most 1 argument");
		} else {
			server = argv[i];
		}
	}
	/* docker's verifyLoginOptions */
	if (password) {
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
		if (from_stdin) {
			fprintf(stderr, "--password and --password-stdin are mutually exclusive\n");
			return 1;
		}
	}
	if (from_stdin) {
		if (!user) {
			fprintf(stderr, "Must provide --username with --password-stdin\n");
			return 1;
		}
		if (!(asked_password = read_stdin())) {
			fprintf(stderr, "Error: out of memory\n");
			return 1;
		}
		password = asked_password;
	}
	cli_registry_host(host, sizeof host, server);
	if (!user && !password && (stored_still_work(&cli, host, &worked) < 0 || worked)) {
		rc = worked ? 0 : 1;
		goto done;
	}
	if ((!user || !password) && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "Error: Cannot perform an interactive login from a non TTY device\n");
		goto out;
	}
	if (!user) {
		if (!(asked_user = ask("Username: ", 0)) || !*asked_user) {
			fprintf(stderr, "Error: Non-null Username Required\n");
			goto out;
		}
		user = asked_user;
	}
	if (!password) {
		if (!(asked_password = ask("Password: ", 1)) || !*asked_password) {
			fprintf(stderr, "Error: Password Required\n");
			goto out;
		}
		password = asked_password;
	}
	s.user = user;
	s.password = password;
	if (verify(&cli, host, &s) < 0) {
		/* docker asks the daemon to log in: its refusal comes back with the daemon's prefix */
		const char *hint = cli_hint();
		fprintf(stderr, "Error response from daemon: %s\n", limg_error_message(limg_error_last()));
		if (hint)
			fprintf(stderr, "%s\n", hint);
		goto out;
	}
	if (keep(host, &s) < 0)
		goto out;
	rc = 0;
done:
	if (rc == 0)
		printf("Login Succeeded\n");
out:
	free(asked_user);
	wipe(asked_password);
	cli_done(&cli);
	return rc;
}
