#!/usr/bin/env bash
# Checks the tree with clang-format and clang-tidy (16: clang-tidy 14 cannot parse the
# <ranges> of GCC 12's standard library). Usage: scripts/lint.sh [build directory with
# compile_commands.json]; run scripts/run-tests.sh first, or configure one yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}

mapfile -t sources < <(git ls-files -- '*.hpp' '*.cpp')
clang-format --dry-run --Werror "${sources[@]}"
run-clang-tidy-16 -quiet -p "$build" -j "$(nproc)" \
  "$PWD/(src|tests|examples|bench|workers)/" > "$build/clang-tidy.log" 2>&1 || {
  grep -E "(warning|error):" "$build/clang-tidy.log" | sort -u
  echo "clang-tidy found problems; full log: $build/clang-tidy.log"
  exit 1
}
echo "clang-format and clang-tidy: clean"
