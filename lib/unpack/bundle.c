/* SPDX-License-Identifier: MIT */
/*
 * config.json for runc and crun, as `umoci unpack` writes it (umoci's
 * Example(), MutateRuntimeSpec() and ToRootless()), with what the
 * reference adds for safety: no working directory or volume that leads
 * under /proc or /sys once its symlinks are followed (runc's
 * CVE-2024-21626), volumes that are absolute paths, ids within int32, the
 * user resolved from the rootfs's own files and never through NSS, image labels kept out of the
 * annotations runtimes act on (crun's handlers: CVE-2025-24965), and real
 * directories where the runtime mounts /dev, /proc and /sys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bundle.h"
#include "core/core.h"
#include "core/json.h"
#include "manifest/fields.h"
#include "tar/path.h"
#include "passwd.h"
#include "resolve.h"

#define SPEC_VERSION "1.0.2"
#define CAPS "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"

/* Labels with these prefixes are instructions to runtimes, not facts. */
static const char *const acted_on[] = {
	"run.oci.", "module.wasm.image/", "io.kubernetes.", "io.katacontainers.", "io.containerd.",
	"org.systemd.property.", "io.podman.annotations.", "io.github.containers.",
};

/* Go's encoding/json reads keys case-insensitively, the exact one first. */
static const cJSON *field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return v ? v : cJSON_GetObjectItem(o, name);
}

static const char *str_field(const cJSON *o, const char *name)
{
	const cJSON *v = field(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *strings(const char *const *s, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
	return a;
}

#define STRINGS(...) strings((const char *const[]){ __VA_ARGS__ }, sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

static void add_mount(cJSON *mounts, const char *dest, const char *type, const char *source, cJSON *options)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "destination", dest);
	cJSON_AddStringToObject(m, "type", type);
	cJSON_AddStringToObject(m, "source", source);
	if (options)
		cJSON_AddItemToObject(m, "options", options);
	cJSON_AddItemToArray(mounts, m);
}

/* Sets NAME=value in @env, replacing an existing NAME= only with @clobber. */
static void set_env(cJSON *env, const char *name, size_t nlen, const char *entry, bool clobber)
{
	cJSON *e;
	int i = 0;

	cJSON_ArrayForEach(e, env) {
		if (!strncmp(e->valuestring, name, nlen) && e->valuestring[nlen] == '=') {
			if (clobber)
				cJSON_ReplaceItemInArray(env, i, cJSON_CreateString(entry));
			return;
		}
		i++;
	}
	cJSON_AddItemToArray(env, cJSON_CreateString(entry));
}

/* A list of strings in the config: an array, or (as Docker reads it) one string. */
static int add_strings(cJSON *to, const cJSON *from, const char *what)
{
	const cJSON *s;

	if (!from || cJSON_IsNull(from))
		return 0;
	if (cJSON_IsString(from)) {
		cJSON_AddItemToArray(to, cJSON_CreateString(from->valuestring));
		return 0;
	}
	if (!cJSON_IsArray(from))
		return limg__error_set(LIMG_ECORRUPT, "the image config's %s is not a list of strings", what);
	cJSON_ArrayForEach(s, from) {
		if (!cJSON_IsString(s))
			return limg__error_set(LIMG_ECORRUPT, "the image config's %s is not a list of strings", what);
		cJSON_AddItemToArray(to, cJSON_CreateString(s->valuestring));
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object ({"80/tcp": {}}), sorted, or NULL when there are none. */
static const char **sorted_keys(const cJSON *o, size_t *n)
{
	const cJSON *k;
	const char **keys;
	size_t i = 0;

	*n = cJSON_IsObject(o) ? (size_t)cJSON_GetArraySize(o) : 0;
	if (!*n || !(keys = limg__calloc(*n, sizeof *keys)))
		return NULL;
	cJSON_ArrayForEach(k, o)
		keys[i++] = k->string;
	qsort(keys, *n, sizeof *keys, cmp_str);
	return keys;
}

static bool acted_on_label(const char *key)
{
	for (size_t i = 0; i < sizeof acted_on / sizeof *acted_on; i++)
		if (!strncmp(key, acted_on[i], strlen(acted_on[i])))
			return true;
	return false;
}

static void annotate(cJSON *ann, const char *key, const char *value)
{
	if (value && *value)
		cJSON_AddStringToObject(ann, key, value);
}

static int annotations(cJSON *spec, const cJSON *img, const cJSON *cfg, limg_context *ctx)
{
	cJSON *ann = cJSON_AddObjectToObject(spec, "annotations");
	const char *created = str_field(img, "created");
	const cJSON *label;
	char when[64] = "0001-01-01T00:00:00Z";
	size_t n, skipped = 0;
	const char **ports = sorted_keys(field(cfg, "ExposedPorts"), &n);
	limg_buf joined = LIMG_BUF_INIT;

	annotate(ann, "org.opencontainers.image.os", str_field(img, "os"));
	annotate(ann, "org.opencontainers.image.architecture", str_field(img, "architecture"));
	annotate(ann, "org.opencontainers.image.variant", str_field(img, "variant"));
	annotate(ann, "org.opencontainers.image.author", str_field(img, "author"));
	if (created && strlen(created) >= 19 && strlen(created) < sizeof when) {
		/* umoci's ISO 8601: seconds and the zone, no fraction */
		const char *zone = created + 19;
		if (*zone == '.')
			zone += strspn(zone + 1, "0123456789") + 1;
		snprintf(when, sizeof when, "%.19s%s", created, zone);
	}
	annotate(ann, "org.opencontainers.image.created", when);
	annotate(ann, "org.opencontainers.image.stopSignal", str_field(cfg, "StopSignal"));
	for (size_t i = 0; i < n; i++) {
		if (i)
			limg__buf_put(&joined, ",", 1);
		limg__buf_put(&joined, ports[i], strlen(ports[i]));
	}
	if (n && limg__buf_put(&joined, "", 1) == 0)
		annotate(ann, "org.opencontainers.image.exposedPorts", joined.ptr);
	limg_buf_dispose(&joined);
	limg__free(ports);
	label = field(cfg, "Labels");
	if (cJSON_IsObject(label))
		for (label = label->child; label; label = label->next) {
			if (!cJSON_IsString(label))
				continue;
			if (acted_on_label(label->string)) {
				skipped++;
				continue;
			}
			if (cJSON_GetObjectItemCaseSensitive(ann, label->string))
				continue; /* the image's facts above, not what a label claims */
			cJSON_AddStringToObject(ann, label->string, label->valuestring);
		}
	if (skipped)
		limg__log(ctx, LIMG_LOG_WARN,
		          "%zu image label(s) not made annotations: runtimes act on their names (run.oci.*, ...)", skipped);
	return 0;
}

/* Where runtimes mount their file systems: real directories of the rootfs,
 * never a symlink an image put there (runc's CVE-2026-41579). */
static int real_dirs(int root, limg_context *ctx)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "dev/pts", "dev/shm" };
	struct stat dev, top;
	bool had_dev = fstatat(root, "dev", &dev, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(dev.st_mode);
	bool had_top = fstat(root, &top) == 0;

	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		struct stat st;
		if (fstatat(root, dirs[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(st.st_mode))
				continue;
			limg__log(ctx, LIMG_LOG_WARN, "the image's /%s is not a directory: replaced by an empty one", dirs[i]);
			if (unlinkat(root, dirs[i], 0) < 0)
				return limg__error_set(LIMG_ESYSTEM, "cannot replace the rootfs's /%s: %s", dirs[i], strerror(errno));
		} else if (errno != ENOENT) {
			return limg__error_set(LIMG_ESYSTEM, "cannot look at the rootfs's /%s: %s", dirs[i], strerror(errno));
		}
		/* dev is a real directory by now: "dev/pts" is made beneath it, not elsewhere */
		if (mkdirat(root, dirs[i], 0755) < 0)
			return limg__error_set(LIMG_ESYSTEM, "cannot make the rootfs's /%s: %s", dirs[i], strerror(errno));
	}
	if (had_dev) { /* the image's /dev keeps its times */
		struct timespec t[2] = { dev.st_atim, dev.st_mtim };
		utimensat(root, "dev", t, AT_SYMLINK_NOFOLLOW);
	}
	if (had_top) { /* and the root the times its layer gave it */
		struct timespec t[2] = { top.st_atim, top.st_mtim };
		futimens(root, t);
	}
	return 0;
}

static int process_user(cJSON *process, const cJSON *cfg, const limg__bundle_job *job, cJSON *env)
{
	const char *spec = str_field(cfg, "User");
	limg__exec_user u;
	cJSON *user, *gids;
	int rc;

	if ((rc = limg__exec_user_resolve(&u, job->root, spec ? spec : "")) < 0)
		return rc;
	user = cJSON_AddObjectToObject(process, "user");
	cJSON_AddNumberToObject(user, "uid", u.uid);
	cJSON_AddNumberToObject(user, "gid", u.gid);
	if (!job->rootless && u.nsgids) {
		gids = cJSON_AddArrayToObject(user, "additionalGids");
		for (size_t i = 0; i < u.nsgids; i++)
			cJSON_AddItemToArray(gids, cJSON_CreateNumber(u.sgids[i]));
	}
	if (u.home) {
		char *entry = limg__malloc(strlen(u.home) + 6);
		if (entry) {
			sprintf(entry, "HOME=%s", u.home);
			set_env(env, "HOME", 4, entry, false);
			limg__free(entry);
		}
	}
	limg__exec_user_dispose(&u);
	return 0;
}

static int process_env(cJSON *env, const cJSON *cfg)
{
	const cJSON *list = field(cfg, "Env"), *e;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return limg__error_set(LIMG_ECORRUPT, "the image config's Env is not a list of strings");
	cJSON_ArrayForEach(e, list) {
		const char *eq;
		char q[120];
		if (!cJSON_IsString(e))
			return limg__error_set(LIMG_ECORRUPT, "the image config's Env is not a list of strings");
		eq = strchr(e->valuestring, '=');
		if (!eq || eq == e->valuestring) {
			limg__quote(q, sizeof q, e->valuestring, strlen(e->valuestring));
			return limg__error_set(LIMG_ECORRUPT, "the image config's Env entry %s is not NAME=value", q);
		}
		set_env(env, e->valuestring, (size_t)(eq - e->valuestring), e->valuestring, true);
	}
	return 0;
}

/* A directory of the image's config as the runtime will reach it inside the
 * rootfs, every symlink followed (a "w -> /proc/self/fd/7" is /proc, not
 * /w): refused when it lands where the runtime mounts the host's view of
 * itself (/proc, /sys). @what names it in messages; @abs gets "/path". */
static int inside_path(int root, const char *path, const char *what, char *abs, size_t cap)
{
	char resolved[4096], q[120];
	int rc;

	limg__quote(q, sizeof q, path, strlen(path));
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return limg__error_set(LIMG_ECORRUPT, "the image's %s %s holds control characters", what, q);
	if ((rc = limg__resolve_path(root, path, resolved, sizeof resolved)) < 0)
		return limg__error_set(LIMG_ECORRUPT, "the image's %s %s cannot be resolved in the root filesystem: %s",
		                       what, q, strerror(-rc));
	if (!strcmp(resolved, "proc") || !strncmp(resolved, "proc/", 5) || !strcmp(resolved, "sys") ||
	    !strncmp(resolved, "sys/", 4))
		return limg__error_set(LIMG_ECORRUPT, "the image's %s %s leads to /%.200s, where it could reach the host",
		                       what, q, resolved);
	snprintf(abs, cap, "/%s", resolved);
	return 0;
}

static int process_cwd(cJSON *process, const cJSON *cfg, const limg__bundle_job *job)
{
	const char *wd = str_field(cfg, "WorkingDir");
	char abs[4098];
	int rc;

	if (!wd || !*wd) {
		cJSON_AddStringToObject(process, "cwd", "/");
		return 0;
	}
	/* relative to the root, ".." stopping there, links followed as the runtime will */
	if ((rc = inside_path(job->root, wd, "working directory", abs, sizeof abs)) < 0)
		return rc;
	cJSON_AddStringToObject(process, "cwd", abs);
	return 0;
}

static int make_process(cJSON *spec, const cJSON *cfg, const limg__bundle_job *job)
{
	cJSON *process = cJSON_AddObjectToObject(spec, "process"), *args, *env, *caps, *rl;
	int rc;

	cJSON_AddBoolToObject(process, "terminal", job->terminal);
	env = cJSON_CreateArray();
	cJSON_AddItemToArray(env, cJSON_CreateString("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	cJSON_AddItemToArray(env, cJSON_CreateString("TERM=xterm"));
	if ((rc = process_env(env, cfg)) < 0 || (rc = process_user(process, cfg, job, env)) < 0) {
		cJSON_Delete(env);
		return rc;
	}
	args = cJSON_AddArrayToObject(process, "args");
	if ((rc = add_strings(args, field(cfg, "Entrypoint"), "Entrypoint")) < 0 ||
	    (rc = add_strings(args, field(cfg, "Cmd"), "Cmd")) < 0) {
		cJSON_Delete(env);
		return rc;
	}
	if (!cJSON_GetArraySize(args))
		cJSON_AddItemToArray(args, cJSON_CreateString("sh"));
	cJSON_AddItemToObject(process, "env", env);
	if ((rc = process_cwd(process, cfg, job)) < 0)
		return rc;
	caps = cJSON_AddObjectToObject(process, "capabilities");
	cJSON_AddItemToObject(caps, "bounding", STRINGS(CAPS));
	cJSON_AddItemToObject(caps, "effective", STRINGS(CAPS));
	cJSON_AddItemToObject(caps, "inheritable", STRINGS(CAPS));
	cJSON_AddItemToObject(caps, "permitted", STRINGS(CAPS));
	cJSON_AddItemToObject(caps, "ambient", STRINGS(CAPS));
	rl = cJSON_CreateObject();
	cJSON_AddStringToObject(rl, "type", "RLIMIT_NOFILE");
	cJSON_AddNumberToObject(rl, "hard", 1024);
	cJSON_AddNumberToObject(rl, "soft", 1024);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(process, "rlimits"), rl);
	cJSON_AddBoolToObject(process, "noNewPrivileges", 1);
	return 0;
}

/* The flags a bind mount inside a user namespace cannot drop (they are locked). */
static cJSON *locked_flags(const char *path)
{
	struct statvfs sv;
	cJSON *o = cJSON_CreateArray();

	if (statvfs(path, &sv) == 0) {
		if (sv.f_flag & ST_NOSUID)
			cJSON_AddItemToArray(o, cJSON_CreateString("nosuid"));
		if (sv.f_flag & ST_NODEV)
			cJSON_AddItemToArray(o, cJSON_CreateString("nodev"));
		if (sv.f_flag & ST_NOEXEC)
			cJSON_AddItemToArray(o, cJSON_CreateString("noexec"));
		if (sv.f_flag & ST_NOATIME)
			cJSON_AddItemToArray(o, cJSON_CreateString("noatime"));
		if (sv.f_flag & ST_NODIRATIME)
			cJSON_AddItemToArray(o, cJSON_CreateString("nodiratime"));
		if (sv.f_flag & ST_RELATIME)
			cJSON_AddItemToArray(o, cJSON_CreateString("relatime"));
	}
	cJSON_AddItemToArray(o, cJSON_CreateString("rbind"));
	cJSON_AddItemToArray(o, cJSON_CreateString("ro"));
	return o;
}

/* A volume of the image: an absolute path, without "..", resolved inside
 * the rootfs and kept away from /proc and /sys (and from the root itself). */
static int volume_path(int root, const char *v, char *abs, size_t cap)
{
	char q[120];
	int rc;

	limg__quote(q, sizeof q, v, strlen(v));
	if (v[0] != '/')
		return limg__error_set(LIMG_ECORRUPT, "the image's volume %s is not an absolute path", q);
	for (const char *c = v; *c; c = strchr(c, '/') ? strchr(c, '/') + 1 : c + strlen(c))
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return limg__error_set(LIMG_ECORRUPT, "the image's volume %s climbs with \"..\"", q);
	if ((rc = inside_path(root, v, "volume", abs, cap)) < 0)
		return rc;
	if (!strcmp(abs, "/"))
		return limg__error_set(LIMG_ECORRUPT, "the image's volume %s is the root itself", q);
	return 0;
}

static int make_mounts(cJSON *spec, const cJSON *cfg, const limg__bundle_job *job)
{
	cJSON *m = cJSON_AddArrayToObject(spec, "mounts");
	const cJSON *volumes = field(cfg, "Volumes");
	size_t n;
	const char **vols;
	char (*abs)[4098] = NULL;
	int rc = 0;

	if (volumes && !cJSON_IsNull(volumes) && !cJSON_IsObject(volumes))
		return limg__error_set(LIMG_ECORRUPT, "the image's Volumes is not an object");
	vols = sorted_keys(volumes, &n);
	if (n && (!vols || !(abs = limg__calloc(n, sizeof *abs)))) {
		limg__free(vols);
		return limg__error_oom();
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = volume_path(job->root, vols[i], abs[i], sizeof abs[i]);
	if (rc < 0) {
		limg__free(vols);
		limg__free(abs);
		return rc;
	}

	add_mount(m, "/proc", "proc", "proc", NULL);
	add_mount(m, "/dev", "tmpfs", "tmpfs", STRINGS("nosuid", "strictatime", "mode=755", "size=65536k"));
	if (job->rootless)
		add_mount(m, "/dev/pts", "devpts", "devpts",
		          STRINGS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
	else
		add_mount(m, "/dev/pts", "devpts", "devpts",
		          STRINGS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
	add_mount(m, "/dev/shm", "tmpfs", "shm", STRINGS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
	add_mount(m, "/dev/mqueue", "mqueue", "mqueue", STRINGS("nosuid", "noexec", "nodev"));
	if (job->rootless) {
		/* no sysfs or cgroup of our own in a user namespace: the host's, read-only */
		add_mount(m, "/sys", "bind", "/sys", STRINGS("rbind", "nosuid", "noexec", "nodev", "ro"));
		if (access("/etc/resolv.conf", F_OK) == 0)
			add_mount(m, "/etc/resolv.conf", "bind", "/etc/resolv.conf", locked_flags("/etc/resolv.conf"));
	} else {
		add_mount(m, "/sys", "sysfs", "sysfs", STRINGS("nosuid", "noexec", "nodev", "ro"));
		add_mount(m, "/sys/fs/cgroup", "cgroup", "cgroup", STRINGS("nosuid", "noexec", "nodev", "relatime", "ro"));
	}
	for (size_t i = 0; i < n; i++)
		add_mount(m, abs[i], "tmpfs", "none", STRINGS("rw", "nosuid", "nodev", "noexec", "relatime"));
	limg__free(vols);
	limg__free(abs);
	return 0;
}

static void add_mappings(cJSON *linux_, const char *key, const limg_id_map *map, size_t n, uint32_t self)
{
	cJSON *a = cJSON_AddArrayToObject(linux_, key);
	limg_id_map one = { 0, self, 1 };

	if (!n) {
		map = &one;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "containerID", map[i].container_id);
		cJSON_AddNumberToObject(o, "hostID", map[i].host_id);
		cJSON_AddNumberToObject(o, "size", map[i].size);
		cJSON_AddItemToArray(a, o);
	}
}

static void make_linux(cJSON *spec, const limg__bundle_job *job)
{
	cJSON *l = cJSON_AddObjectToObject(spec, "linux"), *ns, *dev;
	bool userns = job->rootless || job->nuids || job->ngids;
	const char *types[] = { "cgroup", "pid", "network", "ipc", "uts", "mount", "user" };

	if (userns) {
		add_mappings(l, "uidMappings", job->uids, job->nuids, (uint32_t)geteuid());
		add_mappings(l, "gidMappings", job->gids, job->ngids, (uint32_t)getegid());
	}
	if (!job->rootless) {
		dev = cJSON_CreateObject();
		cJSON_AddBoolToObject(dev, "allow", 0);
		cJSON_AddStringToObject(dev, "access", "rwm");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(l, "resources"), "devices"), dev);
	}
	ns = cJSON_AddArrayToObject(l, "namespaces");
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		cJSON *o;
		if ((!strcmp(types[i], "network") && job->rootless) || (!strcmp(types[i], "user") && !userns))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", types[i]);
		cJSON_AddItemToArray(ns, o);
	}
	cJSON_AddItemToObject(l, "maskedPaths",
	                      STRINGS("/proc/kcore", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	                              "/proc/sched_debug", "/sys/firmware", "/proc/scsi"));
	cJSON_AddItemToObject(l, "readonlyPaths",
	                      STRINGS("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	                              "/proc/sysrq-trigger"));
}

static int write_config(int bundle, const char *text)
{
	size_t len = strlen(text), off = 0;
	int fd = openat(bundle, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot create config.json: %s", strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			close(fd);
			return limg__error_set(err == ENOSPC || err == EDQUOT ? LIMG_ENOSPACE : LIMG_ESYSTEM,
			                       "cannot write config.json: %s", strerror(err));
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || close(fd) < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot write config.json: %s", strerror(errno));
	return 0;
}

int limg__bundle_write(const limg__bundle_job *job)
{
	cJSON *img = NULL, *spec = NULL, *root;
	const cJSON *cfg;
	const char *os;
	char *text = NULL, why[200];
	int rc;

	if ((rc = limg__json_parse(&img, job->config, job->config_len, &limg__manifest_fields, why, sizeof why)) < 0 ||
	    !cJSON_IsObject(img)) {
		cJSON_Delete(img);
		return rc == LIMG_ENOMEM ? limg__error_oom() : limg__error_set(LIMG_EMANIFEST, "invalid image config: not a JSON object");
	}
	cfg = field(img, "config");
	os = str_field(img, "os");
	if (!os || strcmp(os, "linux") != 0) {
		char q[64];
		limg__quote(q, sizeof q, os ? os : "", os ? strlen(os) : 0);
		rc = limg__error_set(LIMG_EUNSUPPORTED, "a bundle needs a linux image; this one is for %s", q);
		goto out;
	}
	if ((rc = real_dirs(job->root, job->ctx)) < 0)
		goto out;
	spec = cJSON_CreateObject();
	cJSON_AddStringToObject(spec, "ociVersion", SPEC_VERSION);
	if ((rc = make_process(spec, cfg, job)) < 0)
		goto out;
	root = cJSON_AddObjectToObject(spec, "root");
	cJSON_AddStringToObject(root, "path", "rootfs");
	cJSON_AddStringToObject(spec, "hostname", "libimage");
	if ((rc = make_mounts(spec, cfg, job)) < 0)
		goto out;
	if ((rc = annotations(spec, img, cfg, job->ctx)) < 0)
		goto out;
	make_linux(spec, job);
	if (!(text = limg__json_print(spec, true))) {
		rc = limg__error_oom();
		goto out;
	}
	rc = write_config(job->bundle, text);
out:
	limg__free(text);
	cJSON_Delete(spec);
	cJSON_Delete(img);
	return rc;
}
