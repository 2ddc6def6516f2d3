/* SPDX-License-Identifier: MIT */
/*
 * containers-policy.json(5), read as containers/image reads it: every
 * object with exactly the fields its type allows (unknown and duplicate
 * fields refuse the document), non-empty requirement lists, a `default`.
 * Transports other than docker are read and checked, and not used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base64.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "libimage/reference.h"
#include "reference/grammar.h"
#include "sign_internal.h"

/* Where in the document a problem is, for the message. */
typedef struct {
	const char *label; /* the file, or "the policy" */
	char at[400];      /* "transports.docker[\"x\"][0].signedIdentity" */
} ctx;

static int bad(const ctx *c, const char *fmt, const char *arg)
{
	char q[160] = "", msg[700];

	if (arg)
		limg__quote(q, sizeof q, arg, strlen(arg));
	snprintf(msg, sizeof msg, fmt, q);
	return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_POLICY, c->label, "invalid policy in %s: %s%s%s",
	                             c->label, c->at, c->at[0] ? ": " : "", msg);
}

/* The object has only these members, and the required ones. */
static int fields(const ctx *c, const cJSON *obj, const char *const *names, size_t n, size_t required)
{
	const cJSON *m;

	if (!cJSON_IsObject(obj))
		return bad(c, "not a JSON object%s", NULL);
	cJSON_ArrayForEach(m, obj) {
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known |= !strcmp(m->string, names[i]);
		if (!known)
			return bad(c, "unknown field %s", m->string);
	}
	for (size_t i = 0; i < required; i++)
		if (!cJSON_GetObjectItemCaseSensitive(obj, names[i]))
			return bad(c, "field %s is missing", names[i]);
	return 0;
}

static const char *string_of(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- signedIdentity ------------------------------------------------------- */

/* remapIdentity's prefixes: a host[:port], or a repository name that starts with one. */
static bool valid_prefix(const char *s)
{
	size_t n = strlen(s), dl;
	const char *slash = strchr(s, '/');

	if (limg__ref_match_domain(s, n))
		return true;
	return slash && limg__ref_match_domain(s, (size_t)(slash - s)) && limg__ref_match_name(s, n, &dl);
}

static int read_identity(const ctx *c, limg__identity *id, const cJSON *obj)
{
	static const char *const one[] = { "type" };
	static const char *const ref[] = { "type", "dockerReference" };
	static const char *const repo[] = { "type", "dockerRepository" };
	static const char *const remap[] = { "type", "prefix", "signedPrefix" };
	const char *type = string_of(obj, "type");
	limg_reference *r = NULL;
	int rc;

	if (!cJSON_IsObject(obj))
		return bad(c, "signedIdentity is not a JSON object%s", NULL);
	if (!type)
		return bad(c, "signedIdentity has no type%s", NULL);
	if (!strcmp(type, "matchRepoDigestOrExact") || !strcmp(type, "matchExact") || !strcmp(type, "matchRepository")) {
		id->type = !strcmp(type, "matchExact")        ? LIMG_ID_MATCH_EXACT
		           : !strcmp(type, "matchRepository") ? LIMG_ID_MATCH_REPOSITORY
		                                              : LIMG_ID_MATCH_REPO_DIGEST_OR_EXACT;
		return fields(c, obj, one, 1, 1);
	}
	if (!strcmp(type, "exactReference")) {
		const char *d;
		if ((rc = fields(c, obj, ref, 2, 2)) < 0)
			return rc;
		if (!(d = string_of(obj, "dockerReference")) || limg_reference_parse_normalized(&r, d) < 0) {
			limg_error_clear();
			return bad(c, "exactReference's dockerReference %s is not a valid reference", d ? d : "(not a string)");
		}
		rc = !limg_reference_tag(r) && !limg_reference_digest(r)
		     ? bad(c, "exactReference's dockerReference %s has neither a tag nor a digest", d)
		     : 0;
		limg_reference_free(r);
		id->type = LIMG_ID_EXACT_REFERENCE;
		return rc < 0 ? rc : (id->a = limg__strdup(d)) ? 0 : limg__error_oom();
	}
	if (!strcmp(type, "exactRepository")) {
		const char *d;
		if ((rc = fields(c, obj, repo, 2, 2)) < 0)
			return rc;
		if (!(d = string_of(obj, "dockerRepository")) || limg_reference_parse_normalized(&r, d) < 0) {
			limg_error_clear();
			return bad(c, "exactRepository's dockerRepository %s is not a valid repository", d ? d : "(not a string)");
		}
		limg_reference_free(r);
		id->type = LIMG_ID_EXACT_REPOSITORY;
		return (id->a = limg__strdup(d)) ? 0 : limg__error_oom();
	}
	if (!strcmp(type, "remapIdentity")) {
		const char *p, *sp;
		if ((rc = fields(c, obj, remap, 3, 3)) < 0)
			return rc;
		p = string_of(obj, "prefix");
		sp = string_of(obj, "signedPrefix");
		if (!p || !valid_prefix(p))
			return bad(c, "remapIdentity's prefix %s is not valid", p ? p : "(not a string)");
		if (!sp || !valid_prefix(sp))
			return bad(c, "remapIdentity's signedPrefix %s is not valid", sp ? sp : "(not a string)");
		id->type = LIMG_ID_REMAP_IDENTITY;
		return (id->a = limg__strdup(p)) && (id->b = limg__strdup(sp)) ? 0 : limg__error_oom();
	}
	return bad(c, "unknown signedIdentity type %s", type);
}

/* ---- keys of sigstoreSigned ------------------------------------------------ */

static int defer_key_error(limg__requirement *req)
{
	if (req->key_error)
		return 0;
	return (req->key_error = limg__strdup(limg_error_message(limg_error_last()))) ? 0 : limg__error_oom();
}

static int add_key(limg__requirement *req, limg_key *key)
{
	limg_key **grown = limg__realloc(req->keys, (req->nkeys + 1) * sizeof *req->keys);
	if (!grown) {
		limg_key_free(key);
		return limg__error_oom();
	}
	req->keys = grown;
	req->keys[req->nkeys++] = key;
	return 0;
}

/* A key file: read now; one that cannot be read rejects this scope's images (containers/image reads it then). */
static int key_path(const ctx *c, limg__requirement *req, const cJSON *v)
{
	limg_key *key = NULL;

	if (!cJSON_IsString(v) || !v->valuestring[0])
		return bad(c, "a key path is not a non-empty string%s", NULL);
	if (limg_key_load(&key, v->valuestring) < 0) {
		int rc = defer_key_error(req);
		limg_error_clear();
		return rc;
	}
	return add_key(req, key);
}

/* keyData: base64 of the key file's bytes (Go's []byte in JSON). */
static int key_data(const ctx *c, limg__requirement *req, const cJSON *v, size_t index)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_key *key = NULL;
	char label[40];
	int rc = 0;

	if (!cJSON_IsString(v) || limg__base64_decode(&bytes, v->valuestring, strlen(v->valuestring)) < 0) {
		limg_buf_dispose(&bytes);
		return bad(c, "key data is not base64%s", NULL);
	}
	snprintf(label, sizeof label, "keyData[%zu]", index);
	if (limg_key_parse(&key, bytes.ptr ? bytes.ptr : "", bytes.size) < 0) {
		limg__error_prefix("%s", label);
		rc = defer_key_error(req);
		limg_error_clear();
	} else if ((rc = limg__key_set_label(key, label)) < 0) {
		limg_key_free(key);
	} else {
		rc = add_key(req, key);
	}
	limg_buf_dispose(&bytes);
	return rc;
}

static int key_list(const ctx *c, limg__requirement *req, const cJSON *v, bool data)
{
	const cJSON *item;
	size_t i = 0;
	int rc;

	if (!cJSON_IsArray(v) || !cJSON_GetArraySize(v) || cJSON_GetArraySize(v) > LIMG_SIGN_KEYS_MAX)
		return bad(c, data ? "keyDatas is not a list of 1 to 256 keys%s" : "keyPaths is not a list of 1 to 256 paths%s",
		           NULL);
	cJSON_ArrayForEach(item, v) {
		if ((rc = data ? key_data(c, req, item, i) : key_path(c, req, item)) < 0)
			return rc;
		i++;
	}
	return 0;
}

static int read_sigstore(const ctx *c, limg__requirement *req, const cJSON *obj)
{
	static const char *const names[] = {
		"type", "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki", "rekorPublicKeyPath",
		"rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas", "signedIdentity",
	};
	static const char *const sources[] = { "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki" };
	const char *source = NULL, *rekor = NULL;
	int rc, count = 0;

	if ((rc = fields(c, obj, names, sizeof names / sizeof *names, 1)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof sources / sizeof *sources; i++)
		if (cJSON_GetObjectItemCaseSensitive(obj, sources[i])) {
			source = sources[i];
			count++;
		}
	if (count != 1)
		return bad(c, count ? "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be given, "
		                       "more than one is%s"
		                     : "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be given, "
		                       "none is%s",
		           NULL);
	count = 0;
	for (size_t i = 7; i <= 10; i++)
		if (cJSON_GetObjectItemCaseSensitive(obj, names[i])) {
			rekor = names[i];
			count++;
		}
	if (count > 1)
		return bad(c, "at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData and "
		              "rekorPublicKeyDatas may be given%s", NULL);
	if (cJSON_GetObjectItemCaseSensitive(obj, "signedIdentity") &&
	    (rc = read_identity(c, &req->identity, cJSON_GetObjectItemCaseSensitive(obj, "signedIdentity"))) < 0)
		return rc;
	if (!strcmp(source, "fulcio") || !strcmp(source, "pki")) {
		char msg[200];
		snprintf(msg, sizeof msg, "sigstoreSigned with %s (certificates) is not supported by libimage yet: keys only",
		         source);
		return (req->unsupported = limg__strdup(msg)) ? 0 : limg__error_oom();
	}
	if (rekor) {
		char msg[200];
		snprintf(msg, sizeof msg, "sigstoreSigned with %s (a transparency log) is not supported by libimage yet", rekor);
		if (!(req->unsupported = limg__strdup(msg)))
			return limg__error_oom();
	}
	if (!strcmp(source, "keyPath"))
		return key_path(c, req, cJSON_GetObjectItemCaseSensitive(obj, source));
	if (!strcmp(source, "keyData"))
		return key_data(c, req, cJSON_GetObjectItemCaseSensitive(obj, source), 0);
	return key_list(c, req, cJSON_GetObjectItemCaseSensitive(obj, source), !strcmp(source, "keyDatas"));
}

static int read_signed_by(const ctx *c, limg__requirement *req, const cJSON *obj)
{
	static const char *const names[] = { "type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity" };
	static const char *const types[] = { "GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs" };
	const char *kt = string_of(obj, "keyType");
	int rc, count = 0;
	bool known = false;

	if ((rc = fields(c, obj, names, sizeof names / sizeof *names, 1)) < 0)
		return rc;
	for (size_t i = 0; kt && i < 4; i++)
		known |= !strcmp(kt, types[i]);
	if (!known)
		return bad(c, "invalid keyType %s", kt ? kt : "(none)");
	for (size_t i = 2; i <= 4; i++)
		count += cJSON_GetObjectItemCaseSensitive(obj, names[i]) != NULL;
	if (count != 1)
		return bad(c, "exactly one of keyPath, keyPaths and keyData must be specified%s", NULL);
	if (cJSON_GetObjectItemCaseSensitive(obj, "signedIdentity") &&
	    (rc = read_identity(c, &req->identity, cJSON_GetObjectItemCaseSensitive(obj, "signedIdentity"))) < 0)
		return rc;
	/* never accepted: libimage has no OpenPGP (nor X.509 simple signing) */
	return (req->unsupported = limg__strdup("signedBy (GPG simple signing) is not supported by libimage: images of this "
	                                  "scope are rejected; use sigstoreSigned keys"))
	       ? 0
	       : limg__error_oom();
}

static int read_requirement(const ctx *c, limg__requirement *req, const cJSON *obj)
{
	static const char *const one[] = { "type" };
	static const char *const base[] = { "type", "baseLayerIdentity" };
	const char *type = string_of(obj, "type");
	int rc;

	if (!cJSON_IsObject(obj))
		return bad(c, "a requirement is not a JSON object%s", NULL);
	if (!type)
		return bad(c, "a requirement has no type%s", NULL);
	if (!strcmp(type, "insecureAcceptAnything") || !strcmp(type, "reject")) {
		req->type = type[0] == 'i' ? LIMG_REQ_ACCEPT : LIMG_REQ_REJECT;
		return fields(c, obj, one, 1, 1);
	}
	if (!strcmp(type, "signedBy")) {
		req->type = LIMG_REQ_SIGNED_BY;
		return read_signed_by(c, req, obj);
	}
	if (!strcmp(type, "sigstoreSigned")) {
		req->type = LIMG_REQ_SIGSTORE;
		return read_sigstore(c, req, obj);
	}
	if (!strcmp(type, "signedBaseLayer")) {
		limg__identity ignored = { 0, NULL, NULL };
		req->type = LIMG_REQ_SIGNED_BASE_LAYER;
		if ((rc = fields(c, obj, base, 2, 2)) < 0 ||
		    (rc = read_identity(c, &ignored, cJSON_GetObjectItemCaseSensitive(obj, "baseLayerIdentity"))) < 0) {
			limg__free(ignored.a);
			limg__free(ignored.b);
			return rc;
		}
		limg__free(ignored.a);
		limg__free(ignored.b);
		/* containers/image: "signedBaseLayer not implemented yet!" */
		return (req->unsupported = limg__strdup("signedBaseLayer is not implemented (by containers/image either)"))
		       ? 0
		       : limg__error_oom();
	}
	return bad(c, "unknown policy requirement type %s", type);
}

void limg__requirements_dispose(limg__requirements *r)
{
	for (size_t i = 0; i < r->count; i++) {
		limg__requirement *q = &r->items[i];
		for (size_t k = 0; k < q->nkeys; k++)
			limg_key_free(q->keys[k]);
		limg__free(q->keys);
		limg__free(q->identity.a);
		limg__free(q->identity.b);
		limg__free(q->key_error);
		limg__free(q->unsupported);
	}
	limg__free(r->items);
	memset(r, 0, sizeof *r);
}

static int read_requirements(ctx *c, limg__requirements *out, const cJSON *list)
{
	size_t base = strlen(c->at);
	const cJSON *item;
	int rc = 0;

	if (!cJSON_IsArray(list))
		return bad(c, "not a list of requirements%s", NULL);
	if (!cJSON_GetArraySize(list))
		return bad(c, "the list of requirements must not be empty%s", NULL);
	if (cJSON_GetArraySize(list) > LIMG_SIGN_LIST_MAX)
		return bad(c, "too many requirements%s", NULL);
	if (!(out->items = limg__calloc((size_t)cJSON_GetArraySize(list), sizeof *out->items)))
		return limg__error_oom();
	cJSON_ArrayForEach(item, list) {
		snprintf(c->at + base, sizeof c->at - base, "[%zu]", out->count);
		out->count++;
		if ((rc = read_requirement(c, &out->items[out->count - 1], item)) < 0)
			break;
	}
	c->at[base] = '\0';
	return rc;
}

static int read_transports(ctx *c, limg_policy *p, const cJSON *transports)
{
	const cJSON *t, *scope;
	int rc;

	if (!cJSON_IsObject(transports))
		return bad(c, "transports is not a JSON object%s", NULL);
	cJSON_ArrayForEach(t, transports) {
		bool docker = !strcmp(t->string, "docker");
		if (!cJSON_IsObject(t)) {
			snprintf(c->at, sizeof c->at, "transports");
			return bad(c, "the scopes of transport %s are not a JSON object", t->string);
		}
		if (docker && (size_t)cJSON_GetArraySize(t) > LIMG_SIGN_LIST_MAX)
			return bad(c, "too many docker scopes%s", NULL);
		if (docker && !(p->docker = limg__calloc((size_t)cJSON_GetArraySize(t) + 1, sizeof *p->docker)))
			return limg__error_oom();
		cJSON_ArrayForEach(scope, t) {
			char q[200];
			limg__requirements reqs = { NULL, 0 };
			limg__quote(q, sizeof q, scope->string, strlen(scope->string));
			snprintf(c->at, sizeof c->at, "transports.%.40s[%s]", t->string, q);
			if ((rc = read_requirements(c, &reqs, scope)) < 0) {
				limg__requirements_dispose(&reqs);
				return rc;
			}
			if (!docker) {
				limg__requirements_dispose(&reqs); /* checked, not used: libimage pulls over docker:// only */
				continue;
			}
			p->docker[p->ndocker].reqs = reqs;
			if (!(p->docker[p->ndocker++].scope = limg__strdup(scope->string)))
				return limg__error_oom();
		}
	}
	c->at[0] = '\0';
	return 0;
}

void limg_policy_free(limg_policy *p)
{
	if (!p)
		return;
	limg__requirements_dispose(&p->defaults);
	for (size_t i = 0; i < p->ndocker; i++) {
		limg__free(p->docker[i].scope);
		limg__requirements_dispose(&p->docker[i].reqs);
	}
	limg__free(p->docker);
	for (size_t i = 0; i < p->nns; i++)
		limg__free(p->ns[i].ns);
	limg__free(p->ns);
	limg__free(p->label);
	limg__free(p->registries_d);
	limg__free(p);
}

int limg_policy_opts_init(limg_policy_opts *opts, size_t size)
{
	static const limg_policy_opts defaults = LIMG_POLICY_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* podman's registries.d: the user's when it exists, else the system's. */
static int default_registries_d(limg_buf *out)
{
	const char *home = getenv("HOME");
	struct stat st;

	if (home && *home) {
		if (limg__fs_join(out, home, ".config/containers/registries.d") < 0)
			return LIMG_ENOMEM;
		if (stat(out->ptr, &st) == 0)
			return 0;
	}
	return limg_buf_set(out, "/etc/containers/registries.d", strlen("/etc/containers/registries.d"));
}

static int parse(limg_policy **out, const char *text, size_t len, const limg_policy_opts *opts, const char *label)
{
	static const char *const top[] = { "default", "transports" };
	limg_policy_opts o = LIMG_POLICY_OPTS_INIT;
	limg_buf dir = LIMG_BUF_INIT;
	limg_policy *p = NULL;
	cJSON *root = NULL;
	ctx c;
	char why[200];
	int rc;

	*out = NULL;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_policy_opts")) < 0)
		return rc;
	memset(&c, 0, sizeof c);
	c.label = label;
	if (len > LIMG_SIGN_DOC_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_POLICY, label, "policy %s is over %u bytes", label,
		                             LIMG_SIGN_DOC_MAX);
	if (limg__json_parse(&root, text, len, NULL, why, sizeof why) < 0)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_POLICY, label,
		                             "invalid policy in %s: not valid, unambiguous JSON (%s)", label, why);
	if (!(p = limg__calloc(1, sizeof *p)) || !(p->label = limg__strdup(label))) {
		rc = limg__error_oom();
		goto out;
	}
	p->default_use = -1;
	if ((rc = fields(&c, root, top, 2, 0)) < 0)
		goto out;
	if (!cJSON_GetObjectItemCaseSensitive(root, "default")) {
		rc = bad(&c, "the default policy is missing%s", NULL);
		goto out;
	}
	snprintf(c.at, sizeof c.at, "default");
	if ((rc = read_requirements(&c, &p->defaults, cJSON_GetObjectItemCaseSensitive(root, "default"))) < 0)
		goto out;
	c.at[0] = '\0';
	if (cJSON_GetObjectItemCaseSensitive(root, "transports") &&
	    (rc = read_transports(&c, p, cJSON_GetObjectItemCaseSensitive(root, "transports"))) < 0)
		goto out;
	if (!o.registries_d && (rc = default_registries_d(&dir)) < 0)
		goto out;
	if (o.registries_d ? *o.registries_d != '\0' : dir.size > 0) {
		if ((rc = limg__registries_d_load(p, o.registries_d ? o.registries_d : dir.ptr)) < 0)
			goto out;
	}
	*out = p;
	p = NULL;
out:
	cJSON_Delete(root);
	limg_policy_free(p);
	limg_buf_dispose(&dir);
	return rc;
}

int limg_policy_parse(limg_policy **out, const char *text, size_t len, const limg_policy_opts *opts)
{
	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!text && len)
		return limg__error_invalid("text");
	return parse(out, text ? text : "", len, opts, "the policy");
}

int limg_policy_default_path(limg_buf *out)
{
	const char *home = getenv("HOME");
	struct stat st;
	limg_buf path = LIMG_BUF_INIT;

	if (!out)
		return limg__error_invalid("out");
	if (home && *home) {
		if (limg__fs_join(&path, home, ".config/containers/policy.json") < 0)
			return LIMG_ENOMEM;
		if (stat(path.ptr, &st) == 0) {
			limg_buf_dispose(out);
			*out = path;
			return 0;
		}
		limg_buf_dispose(&path);
	}
	return limg_buf_set(out, "/etc/containers/policy.json", strlen("/etc/containers/policy.json"));
}

int limg_policy_load(limg_policy **out, const char *path, const limg_policy_opts *opts)
{
	limg_buf def = LIMG_BUF_INIT, text = LIMG_BUF_INIT;
	char label[600];
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (path && !*path)
		return limg__error_invalid("path");
	if (!path && (rc = limg_policy_default_path(&def)) < 0)
		return rc;
	if (!path)
		path = def.ptr;
	limg__sanitize(label, sizeof label, path, strlen(path));
	if ((rc = limg__fs_read(&text, path, LIMG_SIGN_DOC_MAX)) < 0) {
		if (rc == LIMG_ENOTFOUND)
			limg__error_set_about(rc, LIMG_SUBJECT_FILE, path, "no policy file %s (podman's and skopeo's "
			                                                   "default is /etc/containers/policy.json)", label);
		else if (rc == LIMG_ETOOBIG)
			limg__error_about(LIMG_SUBJECT_POLICY, path);
	} else {
		rc = parse(out, text.ptr, text.size, opts, label);
	}
	limg_buf_dispose(&def);
	limg_buf_dispose(&text);
	return rc;
}
