import hello
