/*===- FormatRecord.c - The payload formats this program reads -*- C -*-===*
 *
 * The range of payload format versions the reader (Payload.cpp) accepts,
 * recorded in the binary for pyox-inject to check before it writes a
 * payload the program could not read (pyox/format_record.h). ELF only, as
 * is the check.
 *
 * `used` keeps the definition in the object, `retain` (SHF_GNU_RETAIN) in
 * the linked file under --gc-sections. A static archive member is linked
 * only when something refers to it: LocateElf.cpp does, so every program
 * that finds its own payload has the record.
 *
 *===----------------------------------------------------------------------===*/

#include "pyox/format.h"
#include "pyox/format_record.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the record's fields are little-endian, written as native integers"
#endif

__attribute__((used, retain, section(PYOX_FORMATS_SECTION), aligned(4),
               visibility("hidden")))
const pyox_format_record pyox_readable_formats = {
    PYOX_FORMATS_MAGIC,
    PYOX_FORMAT_RECORD_SIZE,
    PYOX_FORMAT_VERSION_MIN,
    PYOX_FORMAT_VERSION,
};
