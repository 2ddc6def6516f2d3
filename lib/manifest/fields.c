/* SPDX-License-Identifier: MIT */
/* The field names of the OCI and Docker documents (sorted, lowercase). */
#include "fields.h"

static const char *const names[] = {
	"annotations", "architecture", "argsescaped", "artifacttype", "author", "cmd", "comment", "config",
	"container", "container_config", "created", "created_by", "data", "diff_ids", "digest", "docker_version",
	"empty_layer", "entrypoint", "env", "exposedports", "features", "healthcheck", "history", "labels", "layers",
	"manifests", "mediatype", "onbuild", "os", "os.features", "os.version", "platform", "rootfs", "schemaversion",
	"shell", "size", "stopsignal", "subject", "type", "urls", "user", "variant", "volumes", "workingdir",
};

const limg__json_fields limg__manifest_fields = { names, sizeof names / sizeof names[0] };
