//===- LocateMachO.cpp - Find a payload in the running Mach-O image -------===//
//
// A Mach-O image carries its payloads in section __PYOX,__pyox
// (pyox/section.h), which dyld maps read-only with the __PYOX segment. Which
// image? The one containing the caller's address: dladdr reports its
// mach_header (dli_fbase), and getsectiondata (mach-o/getsect.h) finds the
// section from that header's load commands and adds the image's slide. A
// NULL address means the main executable, image 0 of dyld's list.
//
// The load commands are dyld's, but the section contents are only as good
// as the file: pyox_section_find checks the directory and every payload
// range against the section size before reading them. No allocation, no
// I/O.
//
//===----------------------------------------------------------------------===//

#include "pyox/runtime.h"

#include "pyox/section.h"

#include <dlfcn.h>
#include <mach-o/dyld.h>
#include <mach-o/getsect.h>
#include <mach-o/loader.h>

#include <string.h>

extern "C" int pyox_find_payload(const char *name, const void *caller_address,
                                 const void **data, size_t *size,
                                 const char **error) {
  const char *Name = name ? name : PYOX_DEFAULT_PAYLOAD_NAME;
  const struct mach_header *Header = nullptr;
  if (!caller_address) {
    Header = _dyld_get_image_header(0);
  } else {
    Dl_info Info;
    if (dladdr(caller_address, &Info) != 0)
      Header = static_cast<const struct mach_header *>(Info.dli_fbase);
  }
  if (!Header) {
    if (error)
      *error = "pyox: the address is in no loaded image";
    return PYOX_FIND_NOT_FOUND;
  }
  if (Header->magic != MH_MAGIC_64) {
    if (error)
      *error = "pyox: the image is not a 64-bit Mach-O image";
    return PYOX_FIND_NOT_FOUND;
  }
  unsigned long SectionSize = 0;
  const uint8_t *Section =
      getsectiondata(reinterpret_cast<const struct mach_header_64 *>(Header),
                     PYOX_MACHO_SEGMENT, PYOX_MACHO_SECTION, &SectionSize);
  if (!Section) {
    if (error)
      *error = "pyox: no embedded payload of that name in this image";
    return PYOX_FIND_NOT_FOUND;
  }
  return pyox_section_find(Section, SectionSize, Name, strlen(Name), data, size,
                           error);
}
