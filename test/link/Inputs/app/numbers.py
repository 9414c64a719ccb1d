TABLE = [n * n for n in range(64)]
