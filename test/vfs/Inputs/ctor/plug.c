// A library that needs two others of the tree (DT_NEEDED libdep.so.1 and
// libdep2.so.1, found by its $ORIGIN RUNPATH).
int dep_answer(void);
int dep2_answer(void);
int plug_answer(void) { return dep_answer() + dep2_answer(); }
