#!/bin/sh
# SPDX-License-Identifier: MIT
# The destination registry's intake, the floor of a copy: every file POSTed
# and PUT (monolithic) by curl, 4 at a time, as a blob of the repository
# "floor". Each file is named by its sha256 hex, as in an OCI layout.
#     sh upload_floor.sh HOST FILE...
host=$1
shift
printf '%s\n' "$@" | xargs -P 4 -I{} sh -c '
	loc=$(curl -sf -D - -o /dev/null -X POST "http://$0/v2/floor/blobs/uploads/" | tr -d "\r" |
		sed -n "s/^[Ll]ocation: //p")
	[ -n "$loc" ] || exit 1
	case $loc in /*) loc="http://$0$loc" ;; esac
	case $loc in *\?*) sep="&" ;; *) sep="?" ;; esac
	curl -sf -o /dev/null -H "Expect:" -T "$1" "$loc${sep}digest=sha256:$(basename "$1")"' "$host" {}
