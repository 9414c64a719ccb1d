#!/usr/bin/env bash
# Installs the Debian 12 packages pyox builds and tests with. A no-op when
# everything is present; otherwise one `apt-get update` and one install.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  llvm-19-dev liblld-19-dev llvm-19-tools clang-19 lld-19 libclang-rt-19-dev bolt-19
  # Which functions the template's training run executes (callgrind), for
  # their layout (cmake/BoltTemplate.cmake).
  valgrind
  python3.11 libpython3.11-dev
  libfmt-dev libgtest-dev libzstd-dev
  # pyproject.toml's [tool.pyox] (lib/Config), used header-only.
  libtomlplusplus-dev
  # Linked statically into pyox-run, which then needs only glibc.
  libexpat1-dev zlib1g-dev
  mingw-w64 wine wine64
  binutils binutils-dev elfutils file mold strace util-linux python3-yaml python3-wadllib
  # lit's per-test time limit (test/lit.cfg.py) kills a test's process tree.
  python3-psutil
  clang-format-19
  # What the virtual filesystem's tests run from memory and compare with
  # python3.11: applications that treat their own directory as a directory,
  # CPython's own test suite, and a bundled SQLite database.
  python3-flask python3-jinja2 python3-babel python3-pkg-resources python3-setuptools
  libpython3.11-testsuite sqlite3 openssl
  # Carried libraries (test/closure): numpy's BLAS, LAPACK and gfortran.
  python3-numpy
  # Import analysis (test/imports): real packages named only by the app.
  python3-requests python3-rich python3-click
  # bench/peers: the peers' venv (python3.11-venv), and Nuitka's onefile
  # build (a C compiler, from build-essential, and patchelf).
  python3.11-venv patchelf
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
