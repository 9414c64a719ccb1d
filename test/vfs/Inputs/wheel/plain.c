/* A plain shared library a package loads with ctypes. */
int plain_add(int A, int B) { return A + B; }
