/* A Mach-O host for the link tests: linked here, never run (there is no
 * macOS to run it on); the tests check the payload the linker put in. */
int puts(const char *);
int main(void) { return puts("hello"); }
