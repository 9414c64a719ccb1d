/* Test stand-in for the macOS SDK header: the declarations
 * runtime/lib/LocateMachO.cpp uses, with the SDK's signatures, so that it
 * can be compiled for *-apple-macos here without an SDK. */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
typedef struct dl_info {
  const char *dli_fname;
  void *dli_fbase;
  const char *dli_sname;
  void *dli_saddr;
} Dl_info;
int dladdr(const void *, Dl_info *);
#ifdef __cplusplus
}
#endif
