/* Test stand-in for the macOS SDK header (see dlfcn.h). */
#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
int memcmp(const void *, const void *, size_t);
void *memcpy(void *, const void *, size_t);
size_t strlen(const char *);
#ifdef __cplusplus
}
#endif
