/* A plain shared library shipped as a file of a package (not an extension
 * module): dlopen'ed by path from the tree. */
int libx_value(void) { return 7; }
