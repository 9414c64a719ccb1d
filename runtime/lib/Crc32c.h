//===- Crc32c.h - The two ways pyox_crc32c computes (internal) ------------===//
//
// pyox_crc32c (pyox/payload.h) asks the CPU once and then takes one of these
// for good; they are here so that tests and benchmarks can hold each against
// the other and against a reference on the same machine.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_RUNTIME_CRC32C_H
#define PYOX_RUNTIME_CRC32C_H

#include <stddef.h>
#include <stdint.h>

namespace pyox {

// CRC32C by a slicing-by-8 table walk, on any CPU. Same arguments and
// result as pyox_crc32c.
uint32_t crc32cSoftware(uint32_t Crc, const void *Data, size_t Size);

// True when this CPU has the CRC32C instruction (x86-64 SSE4.2, the ARMv8
// CRC extension) that crc32cHardware uses.
bool crc32cHaveHardware();

// CRC32C by that instruction, three blocks at a time on long buffers. Only
// when crc32cHaveHardware(); elsewhere it may stop on an illegal
// instruction. Same arguments and result as pyox_crc32c.
uint32_t crc32cHardware(uint32_t Crc, const void *Data, size_t Size);

} // namespace pyox

#endif
