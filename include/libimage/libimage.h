/*
 * libimage: the umbrella header. Include this, or only the headers you need.
 */
#ifndef LIBIMAGE_H
#define LIBIMAGE_H

#include "common.h"
#include "version.h"
#include "errors.h"
#include "context.h"
#include "cancel.h"
#include "auth.h"
#include "digest.h"
#include "reference.h"
#include "manifest.h"
#include "store.h"
#include "tags.h"
#include "registry.h"
#include "pull.h"
#include "images.h"
#include "compress.h"
#include "unpack.h"
#include "push.h"
#include "copy.h"
#include "archive.h"

#endif /* LIBIMAGE_H */
