/*
 * Unpacking layers to learn what they unpack to: the uncompressed digest
 * (the config's diff_id) and size. Gzip is inflated with zlib; plain tar is
 * hashed as it is; other compressions (zstd) are not unpacked.
 */
#ifndef LIMG_IMAGES_UNPACK_H
#define LIMG_IMAGES_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include <zlib.h>

#include "libimage/digest.h"
#include "libimage/store.h"

enum limg__compression { LIMG_PLAIN, LIMG_GZIP, LIMG_UNKNOWN };

typedef struct {
	enum limg__compression kind;
	z_stream z;
	bool z_ready, z_done;
	limg_hasher *hasher;
	int64_t size;
	int64_t limit;           /* more uncompressed bytes than this: LIMG_ETOOBIG (a gzip bomb) */
	unsigned char out[64 * 1024];
} limg__unpack;

enum limg__compression limg__compression_of(const char *media_type);
int limg__unpack_init(limg__unpack *u, enum limg__compression kind, int64_t limit);
void limg__unpack_free(limg__unpack *u);
/* Feeds compressed bytes; LIMG_ECORRUPT (raised, naming @digest) for bad gzip. */
int limg__unpack_feed(limg__unpack *u, const void *data, size_t len, const char *digest);
/* Finishes; *@got is the uncompressed digest (borrowed from @u). With
 * @expect, it must match (LIMG_EDIGEST_MISMATCH). */
int limg__unpack_finish(limg__unpack *u, const char *digest, const char *expect, const char **got);
/* Unpacks a stored blob; *@size and @got (a buffer of 160) receive the facts. */
int limg__unpack_stored(limg_store *store, const char *digest, enum limg__compression kind, const char *expect,
                        int64_t limit, char got[160], int64_t *size);

#endif
