import sys

MODULES = sorted(sys.modules)


def main():
    print(" ".join(MODULES))
