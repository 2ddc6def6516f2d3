/* SPDX-License-Identifier: MIT */
/* docker login's check: does the registry take the credentials we have? */
#include <string.h>

#include "core/core.h"
#include "registry_internal.h"

/* GET /v2/ at the registry itself; with @scope (non-NULL), answering a 401 challenge. */
static int get_base(limg_registry *r, const char *scope, const limg_cancel *cancel, limg__http_resp *resp)
{
	limg__call call = { 0 };

	call.url = "/v2/";
	call.what = "login";
	call.scope = scope;
	call.origin_only = true;
	call.max_body = 64 * 1024;
	call.cancel = cancel;
	return limg__registry_call(r, &call, resp);
}

static int no_credentials(limg_registry *r)
{
	return limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, r->domain,
	                             "%s requires credentials, and none were given", r->domain);
}

int limg_registry_login(limg_registry *r, const limg_registry_call_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_call_opts o = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg__http_resp resp;
	limg__auth *auth;
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_call_opts")) < 0)
		return rc;
	auth = LIMG_ORIGIN(r)->auth;
	limg__http_resp_init(&resp);
	/* a registry that asks for nothing takes anyone, as docker login finds */
	if ((rc = get_base(r, NULL, o.cancel, &resp)) < 0 || resp.status == 200)
		goto out;
	if (resp.status != 401) {
		rc = limg__registry_error(&resp, r->domain);
		goto out;
	}
	limg__http_resp_dispose(&resp);
	limg__http_resp_init(&resp);
	/* no scope: the token server vouches for the account alone */
	rc = get_base(r, "", o.cancel, &resp);
	if (rc == LIMG_EAUTH && !limg__auth_has_credentials(auth) &&
	    limg_error_subject(limg_error_last()) == LIMG_SUBJECT_NONE) {
		rc = no_credentials(r);
		goto out;
	}
	if (rc < 0)
		goto out;
	if (resp.status == 200 && !limg__auth_has_credentials(auth))
		rc = no_credentials(r); /* an anonymous token is no login */
	else if (resp.status == 401)
		rc = limg__auth_has_credentials(auth)
		         ? limg__error_set_about(LIMG_EAUTH, LIMG_SUBJECT_CREDENTIALS, r->domain,
		                                 "login: the credentials for %s were refused", r->domain)
		         : no_credentials(r);
	else if (resp.status != 200)
		rc = limg__registry_error(&resp, r->domain);
out:
	limg__http_resp_dispose(&resp);
	return rc;
}
