"""Reads its own source every way a program can, for sources.test."""
import inspect
import linecache
import os
import sys
import traceback


def explode(value):
    return value["missing"]  # the line a traceback must show


def main():
    what = sys.argv[1]
    if what == "uncaught":
        explode({})
    if what == "handled":
        try:
            explode({})
        except KeyError:
            traceback.print_exc(file=sys.stdout)
        return
    if what == "inspect":
        try:
            print("getsource", inspect.getsource(explode).splitlines()[0])
        except OSError as e:
            print("getsource OSError", e)
        print("linecache", repr(linecache.getline(__file__, 10).strip()))
        return
    if what == "file":
        # The .py under the program: stat's size is the text's, the bytes
        # are the text's, whether or not they were read before the stat.
        path = os.path.join(os.path.dirname(__file__), "main.py")
        try:
            size = os.stat(path).st_size
        except OSError as e:
            print("stat", type(e).__name__)
            return
        with open(path, "rb") as f:
            data = f.read()
        print("stat", size, "read", len(data), "same", size == len(data))
        print("fstat", os.fstat(os.open(path, os.O_RDONLY)).st_size == size)
        print("first", data.splitlines()[0].decode())
        return
