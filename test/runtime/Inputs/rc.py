"""Runs a command and prints its exit status as `rc=N` (after its output),
so that lit tests can FileCheck exit statuses; stderr is merged into stdout
when the first argument is --merge."""
import subprocess
import sys

args = sys.argv[1:]
merge = args[:1] == ["--merge"]
if merge:
    args = args[1:]
sys.stdout.flush()
r = subprocess.run(args, stderr=subprocess.STDOUT if merge else None, timeout=120)
print(f"rc={r.returncode}")
