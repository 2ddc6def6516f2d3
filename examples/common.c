/* SPDX-License-Identifier: MIT */
/* Options, the store, registry sessions and error output shared by the example programs. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "format.h"

int cli_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (!strncmp(a, name, n) && a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (strcmp(a, name) != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "flag needs an argument: %s\n", name);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

int cli_number(int argc, char **argv, int *i, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v;
	char *end;
	long long x;
	int r = cli_value(argc, argv, i, name, &v);

	if (r <= 0)
		return r;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (end == v || *end || errno || x < min || x > max) {
		if (max == INT64_MAX)
			fprintf(stderr, "invalid value for %s: %s (want a whole number, at least %lld)\n", name, v,
			        (long long)min);
		else
			fprintf(stderr, "invalid value for %s: %s (want a whole number from %lld to %lld)\n", name, v,
			        (long long)min, (long long)max);
		return -1;
	}
	*out = x;
	return 1;
}

int cli_int(int argc, char **argv, int *i, const char *name, int min, int max, int *out)
{
	int64_t x;
	int r = cli_number(argc, argv, i, name, min, max, &x);

	if (r > 0)
		*out = (int)x;
	return r;
}

int cli_option(struct cli *c, int argc, char **argv, int *i)
{
	const char *v;
	int r;

	if ((c->uses & CLI_STORE) && (r = cli_value(argc, argv, i, "--store", &c->store_dir)) != 0)
		return r;
	if ((c->uses & CLI_PLATFORM) && (r = cli_value(argc, argv, i, "--platform", &c->platform)) != 0)
		return r;
	if (!(c->uses & CLI_REGISTRY))
		return 0;
	if ((r = cli_value(argc, argv, i, "--cert-dir", &c->cert_dir)) != 0)
		return r;
	if (!strcmp(argv[*i], "--tls-verify")) {
		/* a bare boolean flag means true */
		c->tls = LIMG_TLS_VERIFY;
		return 1;
	}
	if ((r = cli_value(argc, argv, i, "--tls-verify", &v)) <= 0)
		return r;
	/* podman's and skopeo's meaning: true is verified HTTPS, even for 127.0.0.1 */
	if (!strcmp(v, "true")) {
		c->tls = LIMG_TLS_VERIFY;
	} else if (!strcmp(v, "false")) {
		c->tls = LIMG_TLS_INSECURE;
	} else {
		fprintf(stderr, "invalid argument \"%s\" for \"--tls-verify\" flag: use true or false\n", v);
		return -1;
	}
	return 1;
}

/* The argv cli_split_shorts() made, and its flags: the program's until it
 * exits (kept reachable here, so that leak checkers see nothing is lost). */
static char **split_argv;
static char *split_flags;

static bool is_cluster(const char *a, const char *booleans)
{
	return a[0] == '-' && a[1] && a[1] != '-' && a[2] && strspn(a + 1, booleans) == strlen(a + 1);
}

void cli_split_shorts(int *argc, char ***argv, const char *booleans)
{
	char **in = *argv, **out, *flag;
	size_t letters = 0;
	int n = 0, operands = 0;

	for (int i = 1; i < *argc && strcmp(in[i], "--"); i++)
		if (is_cluster(in[i], booleans))
			letters += strlen(in[i] + 1);
	if (!letters || split_argv)
		return;
	out = calloc((size_t)*argc + letters + 1, sizeof *out);
	flag = malloc(letters * 3);
	if (!out || !flag) {
		free(out);
		free(flag);
		return; /* out of memory: the clusters stay, and read as unknown flags */
	}
	split_argv = out;
	split_flags = flag;
	out[n++] = in[0];
	for (int i = 1; i < *argc; i++) {
		if (!operands && is_cluster(in[i], booleans)) {
			for (const char *p = in[i] + 1; *p; p++, flag += 3) {
				flag[0] = '-', flag[1] = *p, flag[2] = '\0';
				out[n++] = flag;
			}
			continue;
		}
		operands |= !strcmp(in[i], "--");
		out[n++] = in[i];
	}
	out[n] = NULL;
	*argc = n;
	*argv = out;
}

void cli_help(const struct cli *c, FILE *out, const char *options)
{
	fprintf(out, "Usage:  %s %s\n\n%s\n", c->name, c->usage, c->about);
	if ((options && *options) || c->uses)
		fprintf(out, "\nOptions:\n%s", options ? options : "");
	if (c->uses & CLI_STORE)
		fputs("      --store DIR          the image store (default $LIBIMAGE_STORE, $XDG_DATA_HOME/libimage\n"
		      "                           or ~/.local/share/libimage)\n",
		      out);
	if (c->uses & CLI_PLATFORM)
		fputs("      --platform OS/ARCH   the platform (default: this machine's)\n", out);
	if (c->uses & CLI_REGISTRY)
		fputs("      --tls-verify=BOOL    true: verified HTTPS only, also for localhost; false: plain HTTP\n"
		      "                           and unverified TLS allowed (default: Docker's, loopback insecure)\n"
		      "      --cert-dir DIR       per-registry certificates (DIR/<host:port>/ca.crt) and mirrors\n"
		      "                           (DIR/<host:port>/hosts.toml, DIR/_default/hosts.toml, as containerd's)\n"
		      "                           (default /etc/docker/certs.d)\n",
		      out);
}

int cli_unknown_flag(const struct cli *c, const char *arg)
{
	char shown[256];
	size_t n = strcspn(arg, "=");

	/* the flag as given, made safe to print (it came from the command line) */
	snprintf(shown, sizeof shown, "%.*s", (int)(n < 200 ? n : 200), arg);
	for (char *p = shown; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (arg[1] == '-')
		fprintf(stderr, "unknown flag: %s\n", shown);
	else
		fprintf(stderr, "unknown shorthand flag: '%c' in %s\n", shown[1] ? shown[1] : '-', shown);
	fprintf(stderr, "See '%s --help'.\n", c->name);
	return 125;
}

int cli_bad_args(const struct cli *c, const char *what)
{
	fprintf(stderr, "\"%s\" %s.\nSee '%s --help'.\n\nUsage:  %s %s\n\n%s\n", c->name, what, c->name, c->name,
	        c->usage, c->about);
	return 1;
}

int cli_open_store(struct cli *c, limg_store **out, int mode, int missing_ok)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	int named = c->store_dir != NULL; /* --store: the user means a store that is there */

	*out = NULL;
	if (!c->store_dir) {
		if (limg_store_default_path(&c->store_path) < 0) {
			fprintf(stderr, "Error: %s (use --store DIR)\n", limg_error_message(limg_error_last()));
			return -1;
		}
		c->store_dir = c->store_path.ptr;
	}
	so.mode = mode;
	if (mode == CLI_STORE_READ_LEASED) {
		/* our own store that this user may write: leased, so gc beside us takes nothing we read;
		 * another tool's layout (no .libimage) or one we may only read is left untouched */
		char meta[4096];
		snprintf(meta, sizeof meta, "%s/.libimage", c->store_dir);
		so.mode = access(meta, W_OK) == 0 ? LIMG_STORE_EXISTING : LIMG_STORE_READ_ONLY;
	}
	if (limg_store_open(out, c->context, c->store_dir, &so) < 0) {
		if (missing_ok && !named && cli_not_found(LIMG_SUBJECT_STORE))
			return 0; /* nothing pulled yet: an empty store */
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
		return -1;
	}
	return 0;
}

int cli_store_to_change(struct cli *c, limg_store **rw)
{
	if (*rw)
		return 0;
	return cli_open_store(c, rw, LIMG_STORE_EXISTING, 0);
}

int cli_store_is_ours(const struct cli *c)
{
	char meta[4096];

	snprintf(meta, sizeof meta, "%s/.libimage", c->store_dir ? c->store_dir : "");
	return c->store_dir && access(meta, F_OK) == 0;
}

int cli_session(struct cli *c, limg_session **out)
{
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	limg_endpoint mirror = LIMG_ENDPOINT_INIT;
	const limg_endpoint *mirrors[1] = { &mirror };

	ro.tls = c->tls;
	ro.certs_dir = c->cert_dir;
	if (limg_session_new(out, c->context, &ro, NULL) < 0)
		goto fail;
	if (c->mirror && *c->mirror) {
		/* Docker's registry-mirrors: docker.io's mirror first, Docker Hub when it fails */
		mirror.url = c->mirror;
		ro.mirrors = mirrors;
		ro.mirrors_len = 1;
		if (limg_session_set_registry_opts(*out, "docker.io", &ro) < 0) {
			limg_session_free(*out);
			*out = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	return -1;
}

const char *cli_registry_host(char *out, size_t cap, const char *server)
{
	const char *s = server ? server : "";

	if (!strncmp(s, "http://", 7))
		s += 7;
	else if (!strncmp(s, "https://", 8))
		s += 8;
	snprintf(out, cap, "%.*s", (int)strcspn(s, "/"), s);
	if (!*out || !strcmp(out, "index.docker.io") || !strcmp(out, "registry-1.docker.io") || !strcmp(out, "docker.io"))
		snprintf(out, cap, "docker.io");
	return out;
}

static void log_line(int level, const char *message, void *payload)
{
	(void)payload;
	fprintf(stderr, "%s: %s\n", level <= LIMG_LOG_ERROR ? "error" : level == LIMG_LOG_WARN ? "warning" : "info",
	        message);
}

void cli_log_to_stderr(struct cli *c, int level)
{
	if (!c->own_context && limg_context_new(&c->own_context, NULL) < 0)
		return; /* no log then; the program works the same */
	limg_context_set_log(c->own_context, log_line, level, NULL);
	c->context = c->own_context;
}

void cli_done(struct cli *c)
{
	limg_buf_dispose(&c->store_path);
	limg_context_free(c->own_context);
	c->own_context = c->context = NULL;
}

int cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int cli_one_argument(const struct cli *c, const char *word, const char **arg, const char *options,
                     const char *epilogue)
{
	if (cli_is_help(word)) {
		cli_help(c, stdout, options);
		if (epilogue)
			puts(epilogue);
		return 0;
	}
	if (word[0] == '-' && word[1])
		return cli_unknown_flag(c, word);
	if (*arg)
		return cli_bad_args(c, "requires exactly 1 argument");
	*arg = word;
	return -1;
}

int cli_not_found(int subject)
{
	const limg_error *e = limg_error_last();

	return limg_error_code(e) == LIMG_ENOTFOUND && limg_error_subject(e) == subject;
}

const char *cli_hint(void)
{
	static char hint[512];
	const limg_error *e = limg_error_last();

	if (limg_error_subject(e) != LIMG_SUBJECT_CERTIFICATE)
		return NULL;
	snprintf(hint, sizeof hint,
	         "hint: to trust the registry's certificate, put its CA in DIR/%s/ca.crt and pass --cert-dir DIR "
	         "(default /etc/docker/certs.d), or use --tls-verify=false",
	         limg_error_object(e));
	return hint;
}

int cli_fail(void)
{
	const char *hint = cli_hint();

	fprintf(stderr, "Error response from daemon: %s\n", limg_error_message(limg_error_last()));
	if (hint)
		fprintf(stderr, "%s\n", hint);
	return 1;
}

int cli_no_such_image(const char *given)
{
	limg_reference *ref = NULL, *tagged = NULL;
	char shown[300];

	/* the daemon names a reference without tag or digest with ":latest" (moby's TagNameOnly),
	 * in its familiar form; what is no reference (an ID, a digest) as given */
	if (limg_reference_parse_normalized(&ref, given) == 0 && !limg_reference_tag(ref) && !limg_reference_digest(ref) &&
	    limg_reference_with_default_tag(&tagged, ref) == 0)
		given = limg_reference_familiar_string(tagged);
	fprintf(stderr, "Error response from daemon: No such image: %s\n", format_printable(shown, sizeof shown, given));
	limg_reference_free(tagged);
	limg_reference_free(ref);
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
	on_signal = NULL;
}

int cli_trust_option(struct cli_trust *t, const char *which, int argc, char **argv, int *i)
{
	const char *v;
	int r;

	if (strchr(which, 'p')) {
		if ((r = cli_value(argc, argv, i, "--policy", &t->policy_path)) != 0 ||
		    (r = cli_value(argc, argv, i, "--registries.d", &t->registries_d)) != 0)
			return r;
		if (!strcmp(argv[*i], "--default-policy"))
			return t->default_policy = 1;
	}
	if (strchr(which, 's')) {
		if ((r = cli_value(argc, argv, i, "--sign-key", &t->sign_key)) != 0 ||
		    (r = cli_value(argc, argv, i, "--sign-by-sigstore-private-key", &t->sign_key)) != 0 ||
		    (r = cli_value(argc, argv, i, "--sign-passphrase-file", &t->passphrase_file)) != 0 ||
		    (r = cli_value(argc, argv, i, "--sign-identity", &t->sign_identity)) != 0)
			return r;
		if ((r = cli_value(argc, argv, i, "--sign-format", &v)) != 0) {
			if (r < 0)
				return r;
			if (strcmp(v, "simple") && strcmp(v, "bundle")) {
				fprintf(stderr, "invalid argument \"%s\" for \"--sign-format\" flag: use simple or bundle\n", v);
				return -1;
			}
			t->sign_format = !strcmp(v, "bundle") ? LIMG_SIGNATURE_BUNDLE : LIMG_SIGNATURE_SIMPLE;
			return 1;
		}
		if (!strcmp(argv[*i], "--sign-recursive"))
			return t->sign_recursive = 1;
	}
	if (strchr(which, 'r') && !strcmp(argv[*i], "--referrers"))
		return t->referrers = 1;
	return 0;
}

/* The first line of a file (a passphrase), or NULL after printing why. */
static char *first_line(const char *path)
{
	char line[4096];
	FILE *f = fopen(path, "r");

	if (!f || !fgets(line, sizeof line, f)) {
		fprintf(stderr, "Error: cannot read %s: %s\n", path, f ? "empty" : strerror(errno));
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return strdup(line);
}

int cli_trust_load(struct cli_trust *t)
{
	limg_policy_opts po = LIMG_POLICY_OPTS_INIT;
	limg_signer_opts so = LIMG_SIGNER_OPTS_INIT;
	char *passphrase = NULL;
	int rc = 0;

	po.registries_d = t->registries_d;
	if ((t->policy_path || t->default_policy) &&
	    limg_policy_load(&t->policy, t->default_policy ? NULL : t->policy_path, &po) < 0)
		goto fail;
	if (t->sign_key) {
		if (t->passphrase_file && !(passphrase = first_line(t->passphrase_file)))
			return -1;
		so.passphrase = passphrase;
		rc = limg_signer_load(&t->signer, t->sign_key, &so);
		if (passphrase) {
			memset(passphrase, 0, strlen(passphrase));
			free(passphrase);
		}
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	return -1;
}

void cli_trust_done(struct cli_trust *t)
{
	limg_policy_free(t->policy);
	limg_signer_free(t->signer);
	t->policy = NULL;
	t->signer = NULL;
}
