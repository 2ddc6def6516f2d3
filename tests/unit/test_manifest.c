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
	assert_int_equal(limg_manifest_kind_of(m), LIMG_MANIFEST_IMAGE);
	assert_string_equal(limg_manifest_media_type(m), LIMG_MEDIA_OCI_MANIFEST);
	d = limg_manifest_config(m);
	assert_string_equal(limg_descriptor_digest(d), D("1"));
	assert_int_equal(limg_descriptor_size(d), 100);
	assert_int_equal(limg_manifest_count(m), 2);
	d = limg_manifest_get(m, 1);
	assert_true(limg_descriptor_is_foreign(d));
	assert_int_equal(limg_descriptor_url_count(d), 1);
	assert_false(limg_descriptor_is_foreign(limg_manifest_get(m, 0)));
	assert_null(limg_manifest_get(m, 2));
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
	assert_int_equal(limg_manifest_kind_of(m), LIMG_MANIFEST_INDEX);
	assert_null(limg_manifest_config(m));
	assert_int_equal(limg_manifest_count(m), 6);
	assert_string_equal(limg_descriptor_architecture(limg_manifest_get(m, 1)), "arm64");
	assert_string_equal(limg_descriptor_variant(limg_manifest_get(m, 1)), "v8");
	assert_string_equal(limg_descriptor_os_version(limg_manifest_get(m, 3)), "10.0.17763.1000");
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
	limg_image_config *c;

	(void)state;
	assert_int_equal(limg_image_config_parse(&c, text, strlen(text)), 0);
	assert_string_equal(limg_image_config_created(c), "2024-01-15T10:00:00.123456789Z");
	assert_int_equal(limg_image_config_created_unix(c), 1705312800);
	assert_string_equal(limg_image_config_architecture(c), "arm64");
	assert_string_equal(limg_image_config_os(c), "linux");
	assert_string_equal(limg_image_config_variant(c), "v8");
	assert_null(limg_image_config_os_version(c));
	assert_int_equal(limg_image_config_diff_id_count(c), 2);
	assert_string_equal(limg_image_config_diff_id(c, 1), D("2"));
	assert_null(limg_image_config_diff_id(c, 2));
	assert_int_equal(limg_image_config_history_count(c), 3);
	assert_string_equal(limg_image_config_label(c, "maintainer"), "me");
	assert_null(limg_image_config_label(c, "nope"));
	assert_string_equal(limg_image_config_settings_json(c), "{\"Env\":[\"A=1\"],\"Labels\":{\"maintainer\":\"me\"}}");
	limg_image_config_free(c);

	text = "{\"created\":\"2024-01-15T12:00:00+02:00\"}";
	assert_int_equal(limg_image_config_parse(&c, text, strlen(text)), 0);
	assert_int_equal(limg_image_config_created_unix(c), 1705312800);
	assert_string_equal(limg_image_config_settings_json(c), "{}");
	assert_string_equal(limg_image_config_architecture(c), "");
	limg_image_config_free(c);

	text = "{\"rootfs\":{\"diff_ids\":[\"sha256:nope\"]}}";
	assert_int_equal(limg_image_config_parse(&c, text, strlen(text)), LIMG_EMANIFEST);
	assert_int_equal(limg_image_config_parse(&c, "[]", 2), LIMG_EMANIFEST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci_manifest),
		cmocka_unit_test(test_docker_list_and_select),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
