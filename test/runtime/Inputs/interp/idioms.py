"""The ways libraries run Python in a child, through sys.executable, and
what each prints. Run by python3.11 as a script and, in a pyox program, as
the application (test/runtime/interpreter.test): the output must be the
same. Bounded: a child deeper than 3 levels prints "too deep" and stops."""
import os
import subprocess
import sys

DEPTH = int(os.environ.get("PYOX_TEST_DEPTH", "0"))
if DEPTH > 3:
    print("too deep")
    sys.exit(3)
os.environ["PYOX_TEST_DEPTH"] = str(DEPTH + 1)


def run(args, stdin=None):
    r = subprocess.run([sys.executable] + args, input=stdin,
                       capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr


def main():
    print(run(["-c", "import sys; print('c', sys.argv)", "a"]), end="")
    print(run(["-m", "json.tool"], '{"k": [1, 2]}'), end="")
    script = os.path.join(os.environ["PYOX_TEST_TMP"], "child.py")
    with open(script, "w") as f:
        f.write("import sys; print('script', sys.argv[1:], __name__)\n")
    print(run([script, "x", "-c", "y"]), end="")
    print(run(["-"], "print('stdin', 40 + 2)"), end="")
    print(run(["-I", "-S", "-E", "-u", "-B", "-O", "-W", "ignore", "-X", "utf8",
               "-c", "import sys; print('flags', sys.flags.isolated, "
               "sys.flags.no_site, sys.flags.optimize, sys.flags.utf8_mode)"]),
          end="")
    # A child of a child.
    print(run(["-c", "import subprocess, sys; print('level 2:', subprocess.run("
               "[sys.executable, '-c', 'print(6 * 7)'], capture_output=True, "
               "text=True).stdout.strip())"]), end="")
    # os.exec* and posix_spawn, in a forked child.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        os.execv(sys.executable, [sys.executable, "-c", "print('execv ok')"])
    os.close(w)
    os.waitpid(pid, 0)
    print(os.read(r, 100).decode(), end="")
    os.close(r)
    pid = os.posix_spawn(sys.executable,
                         [sys.executable, "-c", "import sys; sys.exit(5)"],
                         os.environ)
    print("posix_spawn exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    print("exists", os.path.exists(sys.executable),
          os.access(sys.executable, os.X_OK), os.path.isfile(sys.executable))


if __name__ == "__main__":
    main()
