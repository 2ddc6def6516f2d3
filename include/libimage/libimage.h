/* SPDX-License-Identifier: MIT */
/**
 * @file libimage.h
 * @brief The umbrella header. Include this, or only the headers you need.
 */
#ifndef LIBIMAGE_H
#define LIBIMAGE_H

#include "common.h"
#include "version.h"
#include "errors.h"
#include "bounds.h"
#include "context.h"
#include "cancel.h"
#include "digest.h"
#include "compress.h"
#include "reference.h"
#include "platform.h"
#include "manifest.h"
#include "sign.h"
#include "credentials.h"
#include "endpoint.h"
#include "registry.h"
#include "store.h"
#include "tags.h"
#include "images.h"
#include "unpack.h"
#include "snapshot.h"
#include "build.h"
#include "archive.h"
#include "trust.h"
#include "pull.h"
#include "push.h"
#include "copy.h"
#include "sync.h"

#endif /* LIBIMAGE_H */
