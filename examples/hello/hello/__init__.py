"""A small application packed by scripts/run-example.sh."""

import argparse
import json
import sys
from importlib import resources


def main() -> int:
    parser = argparse.ArgumentParser(prog="hello")
    parser.add_argument("name", nargs="?", default="world")
    args = parser.parse_args()
    greeting = json.loads(resources.files(__name__).joinpath("greeting.json").read_text())
    print(greeting["text"].format(name=args.name))
    print(f"running from {__file__} on Python {sys.version.split()[0]}")
    return 0
