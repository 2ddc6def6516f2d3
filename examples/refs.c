/* SPDX-License-Identifier: MIT */
/*
 * limg-refs: show how image references are read, as `docker pull` reads them.
 *
 *   limg-refs REFERENCE...
 *
 * For each argument prints the registry, repository, tag, digest, and the
 * canonical and familiar forms. Exits 1 if any reference is invalid.
 */
#include <stdio.h>
#include <string.h>

#include <libimage/libimage.h>

#include "common.h"

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "Usage: limg-refs REFERENCE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("Usage: limg-refs REFERENCE...\n\nShow how image references are read, as docker pull reads them\n");
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1]) { /* no reference starts so: a flag, and this program has none */
			struct cli cli = { .name = "limg-refs" };

			return cli_unknown_flag(&cli, argv[i]);
		}
	}
	for (int i = 1; i < argc; i++) {
		limg_reference *ref;

		if (limg_reference_parse_docker(&ref, argv[i]) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], limg_error_message(limg_error_last()));
			status = 1;
			continue;
		}
		printf("%s\n", argv[i]);
		printf("  registry:   %s\n", or_dash(limg_reference_domain(ref)));
		printf("  repository: %s\n", or_dash(limg_reference_path(ref)));
		printf("  tag:        %s\n", or_dash(limg_reference_tag(ref)));
		printf("  digest:     %s\n", or_dash(limg_reference_digest(ref)));
		printf("  canonical:  %s\n", limg_reference_string(ref));
		printf("  familiar:   %s\n", limg_reference_familiar_string(ref));
		limg_reference_free(ref);
	}
	return status;
}
