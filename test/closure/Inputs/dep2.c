int dep2_answer(void) { return 41; }
