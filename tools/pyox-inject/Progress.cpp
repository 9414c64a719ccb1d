//===- Progress.cpp - One progress line on a terminal ---------------------===//

#include "Progress.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <chrono>

using namespace llvm;

namespace pyox {

namespace {

struct ProgressLine {
  bool Enabled = false;
  bool Drawn = false;
  std::string Phase;
  std::chrono::steady_clock::time_point Last;
};

ProgressLine Line;

std::string byteCount(uint64_t Bytes) {
  if (Bytes < 1024)
    return fmt::format("{} bytes", Bytes);
  if (Bytes < (1 << 20))
    return fmt::format("{:.1f} KiB", double(Bytes) / 1024);
  return fmt::format("{:.1f} MiB", double(Bytes) / (1 << 20));
}

} // namespace

void enableProgress() { Line.Enabled = sys::Process::StandardErrIsDisplayed(); }

void showProgress(const PackProgress &P) {
  if (!Line.Enabled)
    return;
  auto Now = std::chrono::steady_clock::now();
  // The first and last count of a pass are always drawn.
  bool Ends = P.Total && P.Done == P.Total;
  if (P.Phase == Line.Phase && !Ends &&
      Now - Line.Last < std::chrono::milliseconds(100))
    return;
  Line.Phase = P.Phase;
  Line.Last = Now;
  std::vector<std::string> Parts;
  if (P.Total)
    Parts.push_back(fmt::format("{}/{} files", P.Done, P.Total));
  else if (P.Done)
    Parts.push_back(fmt::format("{} file{}", P.Done, P.Done == 1 ? "" : "s"));
  if (P.Bytes)
    Parts.push_back(byteCount(P.Bytes));
  std::string Text = fmt::format("pyox-inject: {}", P.Phase);
  if (!Parts.empty())
    Text += ": " + join(Parts, ", ");
  // "\r" to the line's start, the text, then erase what an older, longer
  // line left (ECMA-48 EL, "\e[K").
  errs() << "\r" << Text << "\x1b[K";
  errs().flush();
  Line.Drawn = true;
}

void clearProgress() {
  if (!Line.Drawn)
    return;
  errs() << "\r\x1b[K";
  errs().flush();
  Line.Drawn = false;
  Line.Phase.clear();
}

} // namespace pyox
