/* index.json: the OCI layout's list of root descriptors (tags live here). */
#include <string.h>

#include "core/core.h"
#include "core/fs.h"
#include "store_internal.h"

int limg__index_load(cJSON **out, const limg_store *s)
{
	limg_buf buf = LIMG_BUF_INIT;
	cJSON *doc;
	const cJSON *m;
	int rc;

	*out = NULL;
	if ((rc = limg__fs_read(&buf, s->index_path, LIMG_INDEX_MAX)) < 0) {
		if (rc == LIMG_ENOTFOUND)
			rc = limg__error_set(LIMG_ECORRUPT, "%s is missing", s->index_path);
		limg_buf_dispose(&buf);
		return rc;
	}
	doc = cJSON_ParseWithLength(buf.ptr, buf.size);
	limg_buf_dispose(&buf);
	m = cJSON_GetObjectItemCaseSensitive(doc, "manifests");
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(m)) {
		cJSON_Delete(doc);
		return limg__error_set(LIMG_ECORRUPT, "%s is corrupt: not an OCI image index", s->index_path);
	}
	*out = doc;
	return 0;
}

int limg__index_save(const limg_store *s, const cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	int rc;

	if (!text)
		return limg__error_oom();
	rc = limg__fs_write_atomic(s->index_path, text, strlen(text));
	cJSON_free(text);
	return rc;
}

int limg__index_lock(int *fd, const limg_store *s)
{
	return limg__fs_lock(fd, s->lock_path, true);
}

void limg__index_unlock(int fd)
{
	limg__fs_unlock(fd);
}
