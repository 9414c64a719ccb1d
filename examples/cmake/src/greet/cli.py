import sys

from greet import GREETING


def main():
    name = " ".join(sys.argv[1:]) or "world"
    print(f"{GREETING}, {name}! (frozen: {getattr(sys, 'frozen', False)})")
    return 0
