"""An application that does, depending on its first argument, what test
runners, installers and plugin hosts do with sys.executable."""
import os
import sys

DEPTH = int(os.environ.get("PYOX_TEST_DEPTH", "0"))


def show_args():
    print("argv", sys.argv[1:])


def restart():
    # The self-restart idiom: once.
    print("run", os.environ.get("PYOX_TEST_RESTARTED", "0"), sys.argv[1:],
          sys.argv[0] == sys.meta_path[0].root)
    sys.stdout.flush()
    if "PYOX_TEST_RESTARTED" not in os.environ:
        os.environ["PYOX_TEST_RESTARTED"] = "1"
        os.execv(sys.executable, [sys.executable] + sys.argv)


def square(x):
    return x * x


def pools():
    import concurrent.futures
    import multiprocessing
    for method in ("spawn", "forkserver", "fork"):
        with multiprocessing.get_context(method).Pool(2) as p:
            print("pool", method, p.map(square, range(5)))
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        print("executor", list(ex.map(square, range(4))))


def environment():
    import faulthandler
    import tracemalloc
    print("unbuffered", sys.stdout.write_through)
    print("ioencoding", sys.stdout.encoding, sys.stdout.errors)
    print("faulthandler", faulthandler.is_enabled())
    print("warnings", sys.warnoptions)
    print("devmode", sys.flags.dev_mode)
    print("tracemalloc", tracemalloc.is_tracing() and tracemalloc.get_traceback_limit())
    print("hashseed", sys.flags.hash_randomization, hash("pyox"))
    print("utf8", sys.flags.utf8_mode)


def ignored():
    import site
    print("ignored", [p for p in sys.path if "pyox-test" in p],
          sys.flags.ignore_environment, sys.flags.no_user_site,
          sys.flags.safe_path, site.ENABLE_USER_SITE)


def main():
    if DEPTH > 3:
        print("too deep")
        sys.exit(3)
    os.environ["PYOX_TEST_DEPTH"] = str(DEPTH + 1)
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "idioms":
        import idioms
        idioms.main()
    elif what == "restart":
        restart()
    elif what == "pools":
        pools()
    elif what == "env":
        environment()
    elif what == "env-ignored":
        ignored()
    else:
        show_args()
    return 0
