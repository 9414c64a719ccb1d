"""Prints what a --report file says about some modules, and checks every
entry has a reason and a size. usage: check_report.py REPORT MODULE..."""
import json
import sys

report = json.load(open(sys.argv[1]))
print("entry", report["entry"])
why = {m["name"]: m["why"] for m in report["modules"]}
for name in sys.argv[2:]:
    print(f"{name}: {why.get(name, 'MISSING')}")
for u in report["unresolved"]:
    if u["module"] in ("simplejson", "dummy_threading"):
        print(f"unresolved {u['module']} from {u['importer']} inside_try={u['inside_try']}")
entries = report["modules"] + report["files"]
ok = all(e["why"] and isinstance(e["size"], int) for e in entries)
ok = ok and report["total_size"] == sum(e["size"] for e in entries)
print("sizes ok" if ok else "sizes BAD")
