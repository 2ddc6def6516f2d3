/* SPDX-License-Identifier: MIT */
/*
 * limg-logout: docker logout, on libimage.
 *
 *   limg-logout [SERVER]
 *
 * Removes the credentials of a registry (Docker Hub when none is named)
 * from the credential helper Docker's config.json names and from the file.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-logout", .usage = "[SERVER]",
		           .about = "Log out from a registry.\nIf no server is specified, the default is Docker Hub." };
	const char *server = NULL;
	char host[512];

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, "");
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return cli_unknown_flag(&cli, argv[i]);
		if (server)
			return cli_bad_args(&cli, "requires at most 1 argument");
		server = argv[i];
	}
	cli_registry_host(host, sizeof host, server);
	/* docker names Docker Hub by its key, and any other registry by its host */
	printf("Removing login credentials for %s\n", strcmp(host, "docker.io") ? host : "https://index.docker.io/v1/");
	if (limg_credentials_erase(host, NULL) < 0) {
		/* as docker logout: said, and no failure */
		fprintf(stderr, "WARNING: could not erase credentials:\n%s: %s\n", host,
		        limg_error_message(limg_error_last()));
	}
	cli_done(&cli);
	return 0;
}
