/* Test stand-in for the macOS SDK header (see ../dlfcn.h). */
#pragma once
#include <mach-o/loader.h>
#ifdef __cplusplus
extern "C" {
#endif
uint8_t *getsectiondata(const struct mach_header_64 *mhp, const char *segname,
                        const char *sectname, unsigned long *size);
#ifdef __cplusplus
}
#endif
