/* A freestanding program for links without a C library: enough code for a
 * linker to lay out an executable for any target. */
int value = 42;
int _start(void) { return value; }
