import os
import sys

from greet import GREETING


def main():
    name = " ".join(sys.argv[1:]) or "world"
    print(f"{GREETING}, {name}! (python3: {os.path.basename(sys.executable)})")
    return 0
