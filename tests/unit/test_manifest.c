/* SPDX-License-Identifier: MIT */
/* manifest: parsing OCI and Docker manifests, indexes and configs; refusals; platform choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libimage/libimage.h"
#include "helpers.h"

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define DESC(type, c, size) "{\"mediaType\":\"" type "\",\"digest\":\"" D(c) "\",\"size\":" #size "}"

static const char oci_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\","
	"\"config\":" DESC(LIMG_MEDIA_OCI_CONFIG, "1", 100) ","
	"\"layers\":[" DESC("application/vnd.oci.image.layer.v1.tar+gzip", "2", 2000) ","
	"{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\",\"digest\":\"" D("3") "\","
	"\"size\":3000,\"urls\":[\"https://example.com/l\"]}]}";

static const char docker_list[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_DOCKER_LIST "\",\"manifests\":["
	"{\"mediaType\":\"" LIMG_MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D("a") "\",\"size\":1,"
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	"{\"mediaType\":\"" LIMG_MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D("b") "\",\"size\":1,"
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"" LIMG_MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D("c") "\",\"size\":1,"
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}},"
	"{\"mediaType\":\"" LIMG_MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D("d") "\",\"size\":1,"
	"\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.17763.1000\"}},"
	"{\"mediaType\":\"" LIMG_MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D("e") "\",\"size\":1,"
	"\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.17763.2000\"}},"
	"{\"mediaType\":\"" LIMG_MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D("f") "\",\"size\":1,"
	"\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.20348.500\"}}]}";

static limg_manifest *parse_ok(const char *text, const char *ct)
{
	limg_manifest *m = NULL;
	if (limg_manifest_parse(&m, text, strlen(text), ct) != 0)
		fail_msg("parse: %s", limg_error_message(limg_error_last()));
	return m;
}

static void test_oci_manifest(void **state)
{
	limg_manifest *m = parse_ok(oci_manifest, LIMG_MEDIA_OCI_MANIFEST "; charset=utf-8");
	const limg_descriptor *d;

	(void)state;
	assert_int_equal(limg_manifest_kind(m), LIMG_MANIFEST_IMAGE);
	assert_string_equal(limg_manifest_media_type(m), LIMG_MEDIA_OCI_MANIFEST);
	d = limg_manifest_config(m);
	assert_string_equal(limg_descriptor_digest(d), D("1"));
	assert_int_equal(limg_descriptor_size(d), 100);
	assert_int_equal(limg_manifest_count(m), 2);
	d = limg_manifest_entry(m, 1);
	assert_true(limg_descriptor_is_foreign(d));
	assert_int_equal(limg_descriptor_url_count(d), 1);
	assert_false(limg_descriptor_is_foreign(limg_manifest_entry(m, 0)));
	assert_null(limg_manifest_entry(m, 2));
	limg_manifest_free(m);
	/* no Content-Type, and a generic one, are fine */
	limg_manifest_free(parse_ok(oci_manifest, NULL));
	limg_manifest_free(parse_ok(oci_manifest, "application/json"));
}

static void test_docker_list_and_select(void **state)
{
	limg_manifest *m = parse_ok(docker_list, LIMG_MEDIA_DOCKER_LIST);
	static const struct {
		const char *platform, *digest;
	} cases[] = {
		{ "linux/amd64", D("a") },
		{ "linux/x86_64", D("a") },
		{ "linux/arm64", D("b") },
		{ "linux/arm64/v8", D("b") },
		{ "linux/aarch64", D("b") },
		{ "linux/arm/v7", D("c") }, /* v7 runs the v6 image */
		{ "linux/arm", D("c") },
		{ "windows(10.0.17763.5000)/amd64", D("e") }, /* same build, highest revision */
		{ "windows(10.0.20348)/amd64", D("f") },
		{ "windows/amd64", D("d") },
	};
	const limg_descriptor *d;

	(void)state;
	assert_int_equal(limg_manifest_kind(m), LIMG_MANIFEST_INDEX);
	assert_null(limg_manifest_config(m));
	assert_int_equal(limg_manifest_count(m), 6);
	assert_string_equal(limg_descriptor_os(limg_manifest_entry(m, 1)), "linux");
	assert_string_equal(limg_descriptor_os(limg_manifest_entry(m, 3)), "windows");
	assert_string_equal(limg_descriptor_architecture(limg_manifest_entry(m, 1)), "arm64");
	assert_string_equal(limg_descriptor_variant(limg_manifest_entry(m, 1)), "v8");
	assert_string_equal(limg_descriptor_os_version(limg_manifest_entry(m, 3)), "10.0.17763.1000");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (limg_manifest_select(&d, m, cases[i].platform) != 0)
			fail_msg("%s: %s", cases[i].platform, limg_error_message(limg_error_last()));
		if (strcmp(limg_descriptor_digest(d), cases[i].digest) != 0)
			fail_msg("%s: chose %s", cases[i].platform, limg_descriptor_digest(d));
	}
	assert_int_equal(limg_manifest_select(&d, m, "linux/arm/v5"), LIMG_EPLATFORM);
	assert_int_equal(limg_manifest_select(&d, m, "linux/s390x"), LIMG_EPLATFORM);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "linux/arm64/v8"));
	assert_int_equal(limg_manifest_select(&d, m, "windows(10.0.14393)/amd64"), LIMG_EPLATFORM);
	assert_int_equal(limg_manifest_select(&d, m, "linux"), LIMG_EINVALID);
	assert_int_equal(limg_manifest_select(&d, m, "linux/arm/v7/x"), LIMG_EINVALID);
	/* the host's own platform: this index has amd64 and arm64 */
	assert_int_equal(limg_manifest_select(&d, m, NULL), 0);
	limg_manifest_free(m);
}

static void expect(const char *text, const char *ct, int code, const char *words)
{
	limg_manifest *m = (limg_manifest *)&m;
	int rc = limg_manifest_parse(&m, text, strlen(text), ct);
	if (rc != code)
		fail_msg("%.60s: expected %s, got %s (%s)", text, limg_error_name(code), limg_error_name(rc),
		         limg_error_message(limg_error_last()));
	assert_null(m);
	if (words && !strstr(limg_error_message(limg_error_last()), words))
		fail_msg("message \"%s\" lacks \"%s\"", limg_error_message(limg_error_last()), words);
}

static void test_refusals(void **state)
{
	char *big;

	(void)state;
	expect("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", NULL, LIMG_EUNSUPPORTED, "schema 1");
	expect("{}", "application/vnd.docker.distribution.manifest.v1+prettyjws", LIMG_EUNSUPPORTED, "schema 1");
	expect(oci_manifest, LIMG_MEDIA_DOCKER_MANIFEST, LIMG_EMANIFEST, "Content-Type");
	/* Docker's formats say what they are (skopeo: "unsupported docker v2s2 media type") */
	expect("{\"schemaVersion\":2,\"config\":" DESC("x", "1", 1) ",\"layers\":[]}", LIMG_MEDIA_DOCKER_MANIFEST,
	       LIMG_EMANIFEST, "without mediaType");
	expect("{\"schemaVersion\":2,\"manifests\":[]}", LIMG_MEDIA_DOCKER_LIST, LIMG_EMANIFEST, "without mediaType");
	/* ambiguous documents (CVE-2021-41190) */
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"config\":" DESC("x", "1", 1)
	       ",\"layers\":[],\"manifests\":[]}",
	       NULL, LIMG_EMANIFEST, "ambiguous");
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":[],\"layers\":[]}", NULL,
	       LIMG_EMANIFEST, "ambiguous");
	expect("{\"schemaVersion\":2,\"manifests\":[],\"config\":" DESC("x", "1", 1) "}", NULL, LIMG_EMANIFEST,
	       "ambiguous");
	expect("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example+json\"}", NULL, LIMG_EUNSUPPORTED,
	       "application/vnd.example+json");
	expect("not json", NULL, LIMG_EMANIFEST, "JSON");
	expect("[1,2]", NULL, LIMG_EMANIFEST, NULL);
	expect("{\"schemaVersion\":3,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":[]}", NULL, LIMG_EMANIFEST,
	       "schemaVersion");
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"layers\":[]}", NULL, LIMG_EMANIFEST,
	       "config");
	/* bad descriptors: digest that could be a path, negative or fractional size */
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":[{\"mediaType\":\"x\","
	       "\"digest\":\"sha256:../../etc/passwd\",\"size\":1}]}",
	       NULL, LIMG_EMANIFEST, "manifests[0]");
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":[{\"mediaType\":\"x\","
	       "\"digest\":\"" D("1") "\",\"size\":-1}]}",
	       NULL, LIMG_EMANIFEST, "size");
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":[{\"mediaType\":\"x\","
	       "\"digest\":\"" D("1") "\",\"size\":1.5}]}",
	       NULL, LIMG_EMANIFEST, "size");
	/* over 4 MiB */
	big = malloc(LIMG_MANIFEST_SIZE_MAX + 2);
	memset(big, ' ', LIMG_MANIFEST_SIZE_MAX + 1);
	big[LIMG_MANIFEST_SIZE_MAX + 1] = 0;
	expect(big, NULL, LIMG_ETOOBIG, "limit");
	free(big);
}

static void test_config(void **state)
{
	const char *text = "{\"created\":\"2024-01-15T10:00:00.123456789Z\",\"architecture\":\"arm64\",\"os\":\"linux\","
	                   "\"variant\":\"v8\",\"config\":{\"Env\":[\"A=1\"],\"Labels\":{\"maintainer\":\"me\"}},"
	                   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D("1") "\",\"" D("2") "\"]},"
	                   "\"history\":[{},{},{}]}";
	limg_config *c;

	(void)state;
	ASSERT_OK(limg_config_parse(&c, text, strlen(text)));
	assert_string_equal(limg_config_created(c), "2024-01-15T10:00:00.123456789Z");
	assert_int_equal(limg_config_created_unix(c), 1705312800);
	assert_string_equal(limg_config_architecture(c), "arm64");
	assert_string_equal(limg_config_os(c), "linux");
	assert_string_equal(limg_config_variant(c), "v8");
	assert_null(limg_config_os_version(c));
	assert_int_equal(limg_config_diff_id_count(c), 2);
	assert_string_equal(limg_config_diff_id(c, 1), D("2"));
	assert_null(limg_config_diff_id(c, 2));
	assert_int_equal(limg_config_history_count(c), 3);
	assert_string_equal(limg_config_label(c, "maintainer"), "me");
	assert_null(limg_config_label(c, "nope"));
	assert_string_equal(limg_config_container_json(c), "{\"Env\":[\"A=1\"],\"Labels\":{\"maintainer\":\"me\"}}");
	limg_config_free(c);

	text = "{\"created\":\"2024-01-15T12:00:00+02:00\"}";
	ASSERT_OK(limg_config_parse(&c, text, strlen(text)));
	assert_int_equal(limg_config_created_unix(c), 1705312800);
	assert_string_equal(limg_config_container_json(c), "{}");
	assert_string_equal(limg_config_architecture(c), "");
	limg_config_free(c);

	text = "{\"rootfs\":{\"diff_ids\":[\"sha256:nope\"]}}";
	assert_int_equal(limg_config_parse(&c, text, strlen(text)), LIMG_EMANIFEST);
	assert_int_equal(limg_config_parse(&c, "[]", 2), LIMG_EMANIFEST);
}

/* A config as `docker build` writes it: every accessor of the container settings and the history. */
static const char real_config[] =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"author\":\"Jane Doe <jane@example.com>\","
	"\"created\":\"2024-03-01T12:30:45Z\","
	"\"config\":{\"User\":\"redis:redis\",\"WorkingDir\":\"/data\",\"StopSignal\":\"SIGTERM\","
	"\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"REDIS_VERSION=7.2.4\","
	"\"EMPTY=\"],"
	"\"Entrypoint\":[\"docker-entrypoint.sh\"],\"Cmd\":[\"redis-server\",\"--appendonly\",\"yes\"],"
	"\"ExposedPorts\":{\"6379/tcp\":{},\"6380/udp\":{}},\"Volumes\":{\"/data\":{},\"/logs\":{}},"
	"\"Labels\":{\"org.opencontainers.image.version\":\"7.2.4\",\"maintainer\":\"me\",\"empty\":\"\"},"
	"\"Healthcheck\":{\"Test\":[\"CMD\",\"redis-cli\",\"ping\"]}},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D("1") "\",\"" D("2") "\"]},"
	"\"history\":["
	"{\"created\":\"2024-02-01T00:00:00Z\",\"created_by\":\"/bin/sh -c #(nop) ADD file:abc in / \"},"
	"{\"created\":\"2024-02-01T00:00:01Z\",\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"bash\\\"]\","
	"\"empty_layer\":true},"
	"{\"created\":\"2024-03-01T12:30:45Z\",\"created_by\":\"RUN /bin/sh -c apt-get install redis\","
	"\"author\":\"Jane Doe\",\"comment\":\"buildkit.dockerfile.v0\",\"empty_layer\":false}]}";

static void test_config_accessors(void **state)
{
	limg_config *c = NULL;

	(void)state;
	ASSERT_OK(limg_config_parse(&c, real_config, strlen(real_config)));
	assert_string_equal(limg_config_author(c), "Jane Doe <jane@example.com>");
	assert_string_equal(limg_config_created(c), "2024-03-01T12:30:45Z");
	assert_int_equal(limg_config_created_unix(c), 1709296245);
	assert_string_equal(limg_config_user(c), "redis:redis");
	assert_string_equal(limg_config_working_dir(c), "/data");
	assert_string_equal(limg_config_stop_signal(c), "SIGTERM");
	/* Env, in order; NULL past the end */
	assert_int_equal(limg_config_env_count(c), 3);
	assert_string_equal(limg_config_env(c, 0), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(limg_config_env(c, 1), "REDIS_VERSION=7.2.4");
	assert_string_equal(limg_config_env(c, 2), "EMPTY=");
	assert_null(limg_config_env(c, 3));
	/* Entrypoint and Cmd */
	assert_int_equal(limg_config_entrypoint_count(c), 1);
	assert_string_equal(limg_config_entrypoint(c, 0), "docker-entrypoint.sh");
	assert_null(limg_config_entrypoint(c, 1));
	assert_int_equal(limg_config_cmd_count(c), 3);
	assert_string_equal(limg_config_cmd(c, 0), "redis-server");
	assert_string_equal(limg_config_cmd(c, 2), "yes");
	assert_null(limg_config_cmd(c, 3));
	/* Labels: keys in the document's order, values by key */
	assert_int_equal(limg_config_label_count(c), 3);
	assert_string_equal(limg_config_label_key(c, 0), "org.opencontainers.image.version");
	assert_string_equal(limg_config_label_key(c, 1), "maintainer");
	assert_string_equal(limg_config_label_key(c, 2), "empty");
	assert_null(limg_config_label_key(c, 3));
	assert_string_equal(limg_config_label(c, "org.opencontainers.image.version"), "7.2.4");
	assert_string_equal(limg_config_label(c, "maintainer"), "me");
	assert_string_equal(limg_config_label(c, "empty"), "");
	assert_null(limg_config_label(c, "Maintainer")); /* keys are case-sensitive */
	assert_null(limg_config_label(c, NULL));
	/* ExposedPorts and Volumes: their keys */
	assert_int_equal(limg_config_exposed_port_count(c), 2);
	assert_string_equal(limg_config_exposed_port(c, 0), "6379/tcp");
	assert_string_equal(limg_config_exposed_port(c, 1), "6380/udp");
	assert_null(limg_config_exposed_port(c, 2));
	assert_int_equal(limg_config_volume_count(c), 2);
	assert_string_equal(limg_config_volume(c, 0), "/data");
	assert_string_equal(limg_config_volume(c, 1), "/logs");
	assert_null(limg_config_volume(c, 2));
	/* history, with empty_layer and author */
	assert_int_equal(limg_config_history_count(c), 3);
	assert_string_equal(limg_config_history_created(c, 0), "2024-02-01T00:00:00Z");
	assert_string_equal(limg_config_history_created_by(c, 0), "/bin/sh -c #(nop) ADD file:abc in / ");
	assert_false(limg_config_history_empty_layer(c, 0));
	assert_null(limg_config_history_author(c, 0));
	assert_null(limg_config_history_comment(c, 0));
	assert_string_equal(limg_config_history_created_by(c, 1), "/bin/sh -c #(nop)  CMD [\"bash\"]");
	assert_true(limg_config_history_empty_layer(c, 1));
	assert_false(limg_config_history_empty_layer(c, 2));
	assert_string_equal(limg_config_history_author(c, 2), "Jane Doe");
	assert_string_equal(limg_config_history_comment(c, 2), "buildkit.dockerfile.v0");
	assert_null(limg_config_history_created(c, 3));
	assert_null(limg_config_history_created_by(c, 3));
	assert_null(limg_config_history_author(c, 3));
	assert_null(limg_config_history_comment(c, 3));
	assert_false(limg_config_history_empty_layer(c, 3));
	/* the layers of the image: history entries that are not empty */
	assert_int_equal(limg_config_diff_id_count(c), 2);
	/* the settings as JSON, Healthcheck included */
	assert_non_null(strstr(limg_config_container_json(c), "\"Healthcheck\":{\"Test\":[\"CMD\",\"redis-cli\",\"ping\"]}"));
	assert_non_null(strstr(limg_config_container_json(c), "\"User\":\"redis:redis\""));
	limg_config_free(c);

	/* absent settings: counts 0, strings NULL */
	const char *bare = "{\"architecture\":\"arm64\",\"os\":\"linux\"}";
	ASSERT_OK(limg_config_parse(&c, bare, strlen(bare)));
	assert_null(limg_config_author(c));
	assert_null(limg_config_created(c));
	assert_int_equal(limg_config_created_unix(c), -1);
	assert_null(limg_config_user(c));
	assert_null(limg_config_working_dir(c));
	assert_null(limg_config_stop_signal(c));
	assert_int_equal(limg_config_env_count(c), 0);
	assert_null(limg_config_env(c, 0));
	assert_int_equal(limg_config_entrypoint_count(c), 0);
	assert_int_equal(limg_config_cmd_count(c), 0);
	assert_int_equal(limg_config_label_count(c), 0);
	assert_null(limg_config_label(c, "maintainer"));
	assert_int_equal(limg_config_exposed_port_count(c), 0);
	assert_int_equal(limg_config_volume_count(c), 0);
	assert_int_equal(limg_config_history_count(c), 0);
	assert_string_equal(limg_config_container_json(c), "{}");
	limg_config_free(c);

	/* null is what Go's decoder reads as absent */
	const char *nulls = "{\"config\":{\"Env\":null,\"Cmd\":null,\"Entrypoint\":null,\"Labels\":null,\"User\":null}}";
	ASSERT_OK(limg_config_parse(&c, nulls, strlen(nulls)));
	assert_int_equal(limg_config_env_count(c), 0);
	assert_int_equal(limg_config_cmd_count(c), 0);
	assert_int_equal(limg_config_label_count(c), 0);
	assert_null(limg_config_user(c));
	limg_config_free(c);

	/* NULL configs answer like empty ones */
	assert_int_equal(limg_config_env_count(NULL), 0);
	assert_null(limg_config_env(NULL, 0));
	assert_null(limg_config_label(NULL, "x"));
	assert_int_equal(limg_config_history_count(NULL), 0);
	limg_config_free(NULL);
}

/* What Docker cannot read is refused: wrongly typed fields. */
static void test_config_wrong_types(void **state)
{
	static const struct {
		const char *text, *words;
	} bad[] = {
		{ "{\"config\":{\"Env\":\"PATH=/bin\"}}", "config.Env" },
		{ "{\"config\":{\"Env\":[\"A=1\",2]}}", "config.Env" },
		{ "{\"config\":{\"Cmd\":\"redis-server\"}}", "config.Cmd" },
		{ "{\"config\":{\"Entrypoint\":{\"sh\":1}}}", "config.Entrypoint" },
		{ "{\"config\":{\"Labels\":{\"version\":7}}}", "config.Labels" },
		{ "{\"config\":{\"Labels\":[\"a=b\"]}}", "config.Labels" },
		{ "{\"config\":{\"ExposedPorts\":[\"80/tcp\"]}}", "config.ExposedPorts" },
		{ "{\"config\":{\"Volumes\":\"/data\"}}", "config.Volumes" },
		{ "{\"config\":{\"User\":0}}", "config.User" },
		{ "{\"config\":{\"WorkingDir\":[\"/\"]}}", "config.WorkingDir" },
		{ "{\"config\":{\"StopSignal\":15}}", "config.StopSignal" },
		{ "{\"config\":\"settings\"}", "config is not an object" },
		{ "{\"author\":{\"name\":\"x\"}}", "author" },
		{ "{\"created\":1709296245}", "created" },
		{ "{\"history\":{}}", "history" },
		{ "{\"history\":[\"RUN x\"]}", "history" },
		{ "{\"history\":[{\"empty_layer\":\"true\"}]}", "empty_layer" },
		{ "{\"history\":[{\"created_by\":5}]}", "created_by" },
		{ "{\"rootfs\":{\"diff_ids\":\"" D("1") "\"}}", "diff_ids" },
		{ "{\"config\":{\"Env\":[]},\"config\":{}}", "JSON" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		limg_config *c = (limg_config *)&c;
		int rc = limg_config_parse(&c, bad[i].text, strlen(bad[i].text));
		if (rc != LIMG_EMANIFEST)
			fail_msg("%s: expected LIMG_EMANIFEST, got %s", bad[i].text, limg_error_name(rc));
		assert_null(c);
		assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_CONFIG);
		if (!strstr(limg_error_message(limg_error_last()), bad[i].words))
			fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].text, limg_error_message(limg_error_last()),
			         bad[i].words);
	}
}

/* OCI 1.1 artifacts and referrers: artifactType, subject, annotations, urls. */
static void test_artifact_fields(void **state)
{
	static const char artifact[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\","
		"\"artifactType\":\"application/vnd.example.sbom.v1+json\","
		"\"config\":{\"mediaType\":\"" LIMG_MEDIA_OCI_EMPTY "\",\"digest\":\"" D("4") "\",\"size\":2},"
		"\"layers\":[{\"mediaType\":\"application/spdx+json\",\"digest\":\"" D("5") "\",\"size\":1234,"
		"\"artifactType\":\"application/vnd.example.part\","
		"\"annotations\":{\"org.opencontainers.image.title\":\"sbom.spdx.json\"},"
		"\"urls\":[\"https://a.example.com/sbom\",\"https://b.example.com/sbom\"]}],"
		"\"subject\":{\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"" D("6") "\",\"size\":527},"
		"\"annotations\":{\"org.opencontainers.image.created\":\"2024-03-01T12:30:45Z\",\"x\":\"\"}}";
	limg_manifest *m = parse_ok(artifact, NULL);
	const limg_descriptor *sub, *d;

	(void)state;
	assert_string_equal(limg_manifest_artifact_type(m), "application/vnd.example.sbom.v1+json");
	sub = limg_manifest_subject(m);
	assert_non_null(sub);
	assert_string_equal(limg_descriptor_digest(sub), D("6"));
	assert_string_equal(limg_descriptor_media_type(sub), LIMG_MEDIA_OCI_MANIFEST);
	assert_int_equal(limg_descriptor_size(sub), 527);
	assert_null(limg_descriptor_artifact_type(sub));
	assert_string_equal(limg_manifest_annotation(m, "org.opencontainers.image.created"), "2024-03-01T12:30:45Z");
	assert_string_equal(limg_manifest_annotation(m, "x"), "");
	assert_null(limg_manifest_annotation(m, "missing"));
	assert_null(limg_manifest_annotation(m, NULL));
	d = limg_manifest_entry(m, 0);
	assert_string_equal(limg_descriptor_artifact_type(d), "application/vnd.example.part");
	assert_string_equal(limg_descriptor_annotation(d, "org.opencontainers.image.title"), "sbom.spdx.json");
	assert_int_equal(limg_descriptor_url_count(d), 2);
	assert_string_equal(limg_descriptor_url(d, 0), "https://a.example.com/sbom");
	assert_string_equal(limg_descriptor_url(d, 1), "https://b.example.com/sbom");
	assert_null(limg_descriptor_url(d, 2));
	assert_string_equal(limg_descriptor_media_type(limg_manifest_config(m)), LIMG_MEDIA_OCI_EMPTY);
	limg_manifest_free(m);

	/* an image has none of them */
	m = parse_ok(oci_manifest, NULL);
	assert_null(limg_manifest_artifact_type(m));
	assert_null(limg_manifest_subject(m));
	assert_null(limg_manifest_annotation(m, "org.opencontainers.image.created"));
	assert_null(limg_descriptor_artifact_type(limg_manifest_entry(m, 0)));
	assert_int_equal(limg_descriptor_url_count(limg_manifest_entry(m, 0)), 0);
	assert_null(limg_descriptor_url(limg_manifest_entry(m, 0), 0));
	assert_string_equal(limg_descriptor_url(limg_manifest_entry(m, 1), 0), "https://example.com/l");
	limg_manifest_free(m);
	assert_null(limg_manifest_artifact_type(NULL));
	assert_null(limg_manifest_subject(NULL));
	assert_null(limg_descriptor_url(NULL, 0));

	/* an index may carry them too */
	static const char index[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"artifactType\":\"application/x.bundle\","
		"\"manifests\":[{\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"" D("7") "\",\"size\":9,"
		"\"artifactType\":\"application/vnd.example.sig\"}],"
		"\"subject\":{\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"digest\":\"" D("8") "\",\"size\":10},"
		"\"annotations\":{\"k\":\"v\"}}";
	m = parse_ok(index, NULL);
	assert_string_equal(limg_manifest_artifact_type(m), "application/x.bundle");
	assert_string_equal(limg_descriptor_digest(limg_manifest_subject(m)), D("8"));
	assert_string_equal(limg_manifest_annotation(m, "k"), "v");
	assert_string_equal(limg_descriptor_artifact_type(limg_manifest_entry(m, 0)), "application/vnd.example.sig");
	limg_manifest_free(m);

	/* a subject that is no descriptor, urls that are no list of strings, annotations that are no strings */
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"config\":" DESC("x", "1", 1)
	       ",\"layers\":[],\"subject\":{\"mediaType\":\"x\",\"digest\":\"sha256:nope\",\"size\":1}}",
	       NULL, LIMG_EMANIFEST, "subject");
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"config\":" DESC("x", "1", 1)
	       ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D("2") "\",\"size\":1,\"urls\":\"https://x\"}]}",
	       NULL, LIMG_EMANIFEST, "urls");
	expect("{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"config\":" DESC("x", "1", 1)
	       ",\"layers\":[],\"annotations\":{\"k\":1}}",
	       NULL, LIMG_EMANIFEST, "annotation");
}

static void test_platform_normalize(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "linux/amd64", "linux/amd64" },
		{ "linux/x86_64", "linux/amd64" },
		{ "Linux/X86_64", "linux/amd64" },
		{ "linux/x86-64", "linux/amd64" },
		{ "linux/amd64/v1", "linux/amd64" },
		{ "linux/amd64/v3", "linux/amd64/v3" },
		{ "linux/aarch64", "linux/arm64/v8" },
		{ "linux/arm64", "linux/arm64/v8" },
		{ "linux/arm64/8", "linux/arm64/v8" },
		{ "linux/arm", "linux/arm/v7" },
		{ "linux/armhf", "linux/arm/v7" },
		{ "linux/armel", "linux/arm/v6" },
		{ "linux/arm/6", "linux/arm/v6" },
		{ "linux/arm/v5", "linux/arm/v5" },
		{ "linux/i386", "linux/386" },
		{ "linux/i686", "linux/386" },
		{ "linux/s390x", "linux/s390x" },
		{ "windows(10.0.20348.2113)/amd64", "windows(10.0.20348.2113)/amd64" },
		{ "windows/AMD64", "windows/amd64" },
	};
	static const char *const bad[] = { "linux", "/amd64", "linux/", "linux/arm/v7/x", "windows(10.0/amd64", "" };
	limg_buf out = LIMG_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ASSERT_OK(limg_platform_normalize(&out, cases[i].in));
		if (strcmp(out.ptr, cases[i].out) != 0)
			fail_msg("%s: got %s, expected %s", cases[i].in, out.ptr, cases[i].out);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (limg_platform_normalize(&out, bad[i]) != LIMG_EINVALID)
			fail_msg("\"%s\" accepted", bad[i]);
	assert_int_equal(limg_platform_normalize(NULL, "linux/amd64"), LIMG_EINVALID);
	assert_int_equal(limg_platform_normalize(&out, NULL), LIMG_EINVALID);
	/* this machine's platform is already normal */
	ASSERT_OK(limg_platform_normalize(&out, limg_platform_native()));
	assert_string_equal(out.ptr, limg_platform_native());
	limg_buf_dispose(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci_manifest),
		cmocka_unit_test(test_docker_list_and_select),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_accessors),
		cmocka_unit_test(test_config_wrong_types),
		cmocka_unit_test(test_artifact_fields),
		cmocka_unit_test(test_platform_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
