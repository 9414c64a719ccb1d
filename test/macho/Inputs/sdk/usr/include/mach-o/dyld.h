/* Test stand-in for the macOS SDK header (see ../dlfcn.h). */
#pragma once
#include <mach-o/loader.h>
#ifdef __cplusplus
extern "C" {
#endif
const struct mach_header *_dyld_get_image_header(uint32_t image_index);
#ifdef __cplusplus
}
#endif
