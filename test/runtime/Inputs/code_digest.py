"""Prints one line per module of the payload: its name and a digest of
everything its code object holds, recursively: every co_* field, the line
and position tables, the type and value of each constant, which strings are
interned, and which objects are shared. Two programs whose code objects are
the same (one with mapped code, one unmarshalling) print the same lines.

  PROGRAM code_digest.py NAMES   NAMES: a file of module names, one a line
"""
import hashlib
import sys

FIELDS = ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount",
          "co_nlocals", "co_stacksize", "co_flags", "co_firstlineno",
          "co_code", "co_names", "co_varnames", "co_cellvars",
          "co_freevars", "co_filename", "co_name", "co_qualname",
          "co_linetable", "co_exceptiontable", "_co_code_adaptive")


def interned(s):
    # sys.intern of an equal copy returns S itself only if S is interned.
    return sys.intern("".join(list(s))) is s if s else True


def describe(obj, out, seen):
    if id(obj) in seen:  # shared: say with what
        out.append(("shared", seen[id(obj)]))
        return
    seen[id(obj)] = len(seen)
    kind = type(obj).__name__
    if kind == "code":
        out.append(("code",))
        for f in FIELDS:
            v = getattr(obj, f, None)
            if isinstance(v, tuple):  # names: values and interning
                out.append((f, v, tuple(interned(s) for s in v)))
            elif f != "_co_code_adaptive":
                out.append((f, v))
        out.append(("lines", tuple(obj.co_lines())))
        out.append(("positions", tuple(obj.co_positions())))
        out.append(("name interned", interned(obj.co_name)))
        for c in obj.co_consts:
            describe(c, out, seen)
    elif kind == "tuple":
        out.append(("tuple", len(obj)))
        for c in obj:
            describe(c, out, seen)
    elif kind == "frozenset":
        out.append(("frozenset", tuple(sorted(repr(x) for x in obj))))
    elif kind == "str":
        out.append(("str", obj, interned(obj)))
    elif kind == "float" or kind == "complex":
        out.append((kind, repr(obj), obj.hex() if kind == "float" else None))
    else:
        out.append((kind, repr(obj)))


def main():
    finder = sys.meta_path[0]
    for name in open(sys.argv[1]).read().split():
        code = finder.get_code(name)
        out = []
        describe(code, out, {})
        print(name, hashlib.sha256(repr(out).encode()).hexdigest()[:16])
    print("loaded", finder.code_load_stats()[0], "mapped",
          finder.code_load_stats()[2], file=sys.stderr)


main()
