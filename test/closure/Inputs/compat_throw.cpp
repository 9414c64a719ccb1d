// A program linked as pyox-run is (static libstdc++ and libgcc_eh) with its
// glibc compat layer (tools/pyox-run/GlibcCompat.c), for glibc 2.36 and
// older ones (test/closure/old-glibc.test):
// - constructors run: crt1.o of glibc >= 2.34 passes no init function, and
//   the layer's __libc_start_main gives the older glibc one;
// - C++ exceptions, in the main thread and in others: GCC 12's unwinder
//   finds each frame's table through the layer's _dl_find_object;
// - random_device, which libstdc++ implements with arc4random;
// - sem_clockwait on CLOCK_MONOTONIC times out and takes a posted count.
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <random>
#include <semaphore.h>
#include <stdexcept>
#include <thread>
#include <vector>

static int Constructed;
__attribute__((constructor)) static void countConstructor() { ++Constructed; }
static struct Global {
  Global() { ++Constructed; }
} TheGlobal;

static int thrower(int I) {
  try {
    throw std::runtime_error("thrown " + std::to_string(I));
  } catch (const std::exception &E) {
    return int(std::string(E.what()).size());
  }
}

// "ETIMEDOUT 0": an empty semaphore times out after 20 ms, a posted one
// is taken at once.
static const char *clockwait() {
  sem_t Sem;
  sem_init(&Sem, 0, 0);
  timespec Deadline;
  clock_gettime(CLOCK_MONOTONIC, &Deadline);
  Deadline.tv_nsec += 20000000;
  if (Deadline.tv_nsec >= 1000000000) {
    Deadline.tv_nsec -= 1000000000;
    ++Deadline.tv_sec;
  }
  bool TimedOut = sem_clockwait(&Sem, CLOCK_MONOTONIC, &Deadline) == -1 &&
                  errno == ETIMEDOUT;
  sem_post(&Sem);
  bool Taken = sem_clockwait(&Sem, CLOCK_MONOTONIC, &Deadline) == 0;
  sem_destroy(&Sem);
  return TimedOut && Taken ? "ETIMEDOUT 0" : "wrong";
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
  std::printf(
      "constructors %d, caught %d, random_device %s, sem_clockwait %s\n",
      Constructed, Caught, A != B ? "varies" : "constant", clockwait());
  return Caught == 5 ? 0 : 1;
}
