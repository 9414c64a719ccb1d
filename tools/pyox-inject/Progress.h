//===- Progress.h - One progress line on a terminal -----------------------===//
//
// A long build (the whole standard library, a large app) says where it is
// on one line of stderr, rewritten in place: the pass, files compiled of
// the total, bytes produced. Only when stderr is a terminal: a log or a pipe
// gets nothing extra, nor does --quiet. The line is erased before any other
// message (the next update draws it again) and at the end, so what remains
// on the screen is what a non-terminal run prints.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_TOOLS_PROGRESS_H
#define PYOX_TOOLS_PROGRESS_H

#include "Pack/Pack.h"

#include "llvm/ADT/StringRef.h"

namespace pyox {

// Turns the line on if stderr is a terminal.
void enableProgress();

// Draws P: at most every 100 ms, but always a new pass and a pass's
// last count.
void showProgress(const PackProgress &P);

// Erases the line, if one is drawn.
void clearProgress();

} // namespace pyox

#endif
