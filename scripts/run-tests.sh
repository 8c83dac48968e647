#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole suite with warnings as
# errors, again under AddressSanitizer + UndefinedBehaviorSanitizer, again under
# ThreadSanitizer, then clang-tidy over the tree. Each build has its own directory under build/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=$(nproc)

configure_build_test() {
  local dir=$1
  shift
  echo "=== $dir"
  cmake -S . -B "build/$dir" -G Ninja -DJOBLET_WERROR=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@"
  cmake --build "build/$dir"
  ctest --test-dir "build/$dir" --output-on-failure -j "$jobs"
}

configure_build_test release -DCMAKE_BUILD_TYPE=Release
# The sanitizer builds skip what they cannot add to: benchmarks, and the package tests that
# rebuild the library without sanitizers.
sanitized=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOBLET_BENCHMARKS=OFF -DJOBLET_PACKAGE_TESTS=OFF)
configure_build_test asan "${sanitized[@]}" "-DJOBLET_SANITIZE=address;undefined"
configure_build_test tsan "${sanitized[@]}" -DJOBLET_SANITIZE=thread

echo "=== clang-tidy"
scripts/lint.sh build/release
echo "All tests passed."
