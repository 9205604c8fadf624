/*
 * web_assets — the files of engine/web/, embedded in the binary by make
 * (build/gen/web_assets.c, generated from the folder): the daemon serves its
 * pages without reading the disk or anything from outside.
 */
#ifndef TSUNAGU_WEB_ASSETS_H
#define TSUNAGU_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;            /* relative to engine/web/, e.g. "assets/app.js" */
	const unsigned char *data;
	size_t size;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

#endif
