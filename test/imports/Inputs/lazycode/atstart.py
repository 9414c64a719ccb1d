NAME = "atstart"
