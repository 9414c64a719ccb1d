int dep2_answer(void);
int dep_answer(void) { return dep2_answer() + 1; }
