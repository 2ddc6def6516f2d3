/* Options, store location and error output shared by the example programs. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char *value_of(const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (!strncmp(a, name, n) && a[n] == '=')
		return a + n + 1;
	if (!strcmp(a, name) && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int cli_option(struct cli *c, int argc, char **argv, int *i)
{
	const char *v;

	if (!c->registry.size) {
		limg_registry_opts_init(&c->registry, sizeof c->registry);
		c->tls_verify = 1;
	}
	if ((v = value_of("--store", argc, argv, i)))
		c->store_dir = v;
	else if ((v = value_of("--platform", argc, argv, i)))
		c->platform = v;
	else if ((v = value_of("--cert-dir", argc, argv, i)))
		c->registry.certs_dir = c->cert_dir = v;
	else if ((v = value_of("--tls-verify", argc, argv, i))) {
		if (strcmp(v, "true") && strcmp(v, "false")) {
			fprintf(stderr, "invalid value for --tls-verify: %s\n", v);
			return -1;
		}
		/* podman's and skopeo's meaning: true is verified HTTPS, even for 127.0.0.1 */
		c->registry.tls_verify = c->tls_verify = !strcmp(v, "true");
		c->registry.insecure = c->tls_verify ? 0 : 1;
	} else if (!strcmp(argv[*i], "--tls-verify")) {
		c->registry.tls_verify = c->tls_verify = 1;
		c->registry.insecure = 0;
	} else {
		return 0;
	}
	return 1;
}

int cli_open_store(struct cli *c, limg_store **out, int create)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	const char *env;

	if (!c->registry.size)
		limg_registry_opts_init(&c->registry, sizeof c->registry);
	if (!c->store_dir) {
		if ((env = getenv("LIBIMAGE_STORE")) && *env)
			c->store_dir = env;
		else if ((env = getenv("XDG_DATA_HOME")) && *env)
			snprintf(c->store_buf, sizeof c->store_buf, "%s/libimage", env), c->store_dir = c->store_buf;
		else
			snprintf(c->store_buf, sizeof c->store_buf, "%s/.local/share/libimage",
			         getenv("HOME") ? getenv("HOME") : "."),
				c->store_dir = c->store_buf;
	}
	so.create = create;
	if (limg_store_open(out, NULL, c->store_dir, &so) < 0) {
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
		return -1;
	}
	return 0;
}

int cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int cli_fail(const char *prefix)
{
	fprintf(stderr, "Error response from daemon: %s%s\n", prefix ? prefix : "",
	        limg_error_message(limg_error_last()));
	return 1;
}

static limg_cancel *on_signal;

static void request_cancel(int sig)
{
	(void)sig;
	limg_cancel_request(on_signal); /* an atomic store: safe in a signal handler */
}

limg_cancel *cli_cancel_on_signals(void)
{
	struct sigaction sa;

	if (limg_cancel_new(&on_signal) < 0)
		return NULL;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = request_cancel;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return on_signal;
}

void cli_cancel_done(limg_cancel *cancel)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	limg_cancel_free(cancel);
}
