/* A Mach-O host for the pyox tests. It cannot run here; it gives the linker
 * something to bind and rebase (calls into libSystem, a table of pointers),
 * so that the injected output has real chained fixups, symbols, function
 * starts and a code signature to keep intact. */
int printf(const char *, ...);
int puts(const char *);
unsigned long strlen(const char *);

static const char *messages[] = {"one", "two", "three"};
int (*volatile print)(const char *, ...) = printf;

int answer(int x) { return x * 6 + (int)strlen(messages[x % 3]); }

int main(int argc, char **argv) {
  (void)argv;
  print("%d\n", answer(argc));
  puts(messages[argc % 3]);
  return 0;
}
