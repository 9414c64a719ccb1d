/* The vendored library (its own dependency next to it, through RUNPATH
 * $ORIGIN). */
int dep_value(void);
int helper_value(void) { return dep_value() * 10 + 2; }
