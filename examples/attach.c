/* SPDX-License-Identifier: MIT */
/*
 * limg-attach: oras attach, on libimage.
 *
 *   limg-attach [OPTIONS] --artifact-type TYPE IMAGE [FILE[:MEDIATYPE]]...
 *
 * Attaches files (an SBOM, a report, anything) to an image in its registry
 * as an OCI 1.1 artifact that refers to it; where the registry has no
 * referrers API, the referrers tag is kept up to date.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char options[] =
	"      --artifact-type TYPE  the artifact's type (required)\n"
	"  -a, --annotation KEY=VALUE  an annotation of the artifact (repeatable)\n"
	"      --referrers-mode auto|api|tag  the referrers API, the referrers tag, or the API and\n"
	"                        the tag where the registry lacks it (default auto)\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-attach", .usage = "[OPTIONS] --artifact-type TYPE IMAGE [FILE[:MEDIATYPE]]...",
		           .about = "Attach files to an image as an artifact that refers to it, as oras attach does",
		           .uses = CLI_REGISTRY };
	limg_registry_attach_opts opts = LIMG_REGISTRY_ATTACH_OPTS_INIT;
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_session *session = NULL;
	limg_registry *registry = NULL;
	limg_reference *ref = NULL;
	limg_remote_manifest *m = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	const char *image = NULL, *mode = "auto", *artifact_type = NULL, *v;
	const char **paths = calloc((size_t)argc, sizeof *paths), **types = calloc((size_t)argc, sizeof *types);
	const char **annotations = calloc((size_t)argc, sizeof *annotations);
	size_t npaths = 0;
	int r, rc = 1;

	if (!paths || !types || !annotations) {
		fprintf(stderr, "Error: out of memory\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--artifact-type", &artifact_type)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--referrers-mode", &mode)) != 0) {
			if (r < 0)
				goto out;
		} else if ((r = cli_value(argc, argv, &i, "--annotation", &v)) != 0 ||
		           (r = cli_value(argc, argv, &i, "-a", &v)) != 0) {
			if (r < 0)
				goto out;
			annotations[opts.annotations_len++] = v;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			rc = 0;
			goto out;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = cli_unknown_flag(&cli, argv[i]);
			goto out;
		} else if (!image) {
			image = argv[i];
		} else {
			/* FILE:MEDIATYPE when what follows the last colon is a media type */
			char *colon = strrchr(argv[i], ':');
			if (colon && strchr(colon, '/')) {
				*colon = '\0';
				types[npaths] = colon + 1;
			}
			paths[npaths++] = argv[i];
		}
	}
	if (!image) {
		rc = cli_bad_args(&cli, "requires at least 1 argument");
		goto out;
	}
	if (!artifact_type) {
		fprintf(stderr, "required flag(s) \"artifact-type\" not set\nSee 'limg-attach --help'.\n");
		goto out;
	}
	if (!strcmp(mode, "api"))
		opts.mode = LIMG_REFERRERS_API;
	else if (!strcmp(mode, "tag"))
		opts.mode = LIMG_REFERRERS_TAG;
	else if (strcmp(mode, "auto")) {
		fprintf(stderr, "invalid argument \"%s\" for \"--referrers-mode\" flag: use auto, api or tag\n", mode);
		goto out;
	}
	opts.media_types = types;
	opts.annotations = annotations;
	if (limg_reference_parse_docker(&ref, image) < 0 || cli_session(&cli, &session) < 0 ||
	    limg_session_registry(&registry, session, limg_reference_domain(ref)) < 0) {
		if (ref)
			fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
		goto out;
	}
	co.cancel = opts.cancel = cli_cancel_on_signals();
	if (limg_registry_manifest_head(&m, registry, limg_reference_path(ref),
	                                limg_reference_digest(ref) ? limg_reference_digest(ref) : limg_reference_tag(ref),
	                                &co) < 0 ||
	    limg_registry_attach(&digest, registry, limg_reference_path(ref), limg_remote_manifest_digest(m), artifact_type,
	                         paths, npaths, &opts) < 0) {
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	} else {
		printf("Attached to [registry] %s@%s\nDigest: %s\n", limg_reference_name(ref), limg_remote_manifest_digest(m),
		       digest.ptr);
		rc = 0;
	}
	cli_cancel_done(opts.cancel);
out:
	free(paths);
	free(types);
	free(annotations);
	limg_buf_dispose(&digest);
	limg_remote_manifest_free(m);
	limg_registry_close(registry);
	limg_session_free(session);
	limg_reference_free(ref);
	cli_done(&cli);
	return rc;
}
