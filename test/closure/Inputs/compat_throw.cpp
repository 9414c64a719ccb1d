// C++ exceptions, in the main thread and in others, in a program linked as
// pyox-run is (static libstdc++ and libgcc_eh) with its glibc compat layer:
// GCC 12's unwinder finds each frame's table through _dl_find_object, the
// layer's own (tools/pyox-run/GlibcCompat.c). Also random_device, which
// libstdc++ implements with arc4random.
#include <cstdio>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

static int thrower(int I) {
  try {
    throw std::runtime_error("thrown " + std::to_string(I));
  } catch (const std::exception &E) {
    return int(std::string(E.what()).size());
  }
}

int main() {
  int Caught = thrower(0) > 0;
  std::vector<std::thread> Threads;
  std::vector<int> Results(4);
  for (int I = 0; I < 4; ++I)
    Threads.emplace_back([&Results, I] { Results[I] = thrower(I) > 0; });
  for (std::thread &T : Threads)
    T.join();
  for (int R : Results)
    Caught += R;
  std::random_device Device;
  unsigned A = Device(), B = Device();
  std::printf("caught %d, random_device %s\n", Caught,
              A != B ? "varies" : "constant");
  return Caught == 5 ? 0 : 1;
}
