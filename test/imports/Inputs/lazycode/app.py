"""What the program imports when it starts is stored raw; what it imports
later (in a function), compressed (lazy-code.test)."""
import json
import random

import atstart
import fallbacks


class Settings:
    import string  # a class body runs on import


def later():
    import difflib  # a stdlib module imported only here

    import inlater

    return inlater.VALUE + len(difflib.get_close_matches("appel", ["apple"]))


def main():
    import sys

    started = sorted(m for m in sys.modules if m in ("atstart", "json", "inlater", "difflib", "string"))
    print("at start:", " ".join(started))
    print("later:", later())
    import inspect

    import inlater

    print(inspect.getsource(inlater.fail).splitlines()[0])
    try:
        inlater.fail()
    except ZeroDivisionError:
        import traceback

        lines = traceback.format_exc().splitlines()
        print("traceback:", [line.strip() for line in lines if "VALUE" in line][0])
    print(json.dumps({"ok": atstart.NAME}))
    print("fallbacks:", fallbacks.USED, random.Random("seed").random() < 1)
