#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole suite with warnings as
# errors, again under AddressSanitizer + UndefinedBehaviorSanitizer, again under
# ThreadSanitizer. Each build has its own directory under build/. clang-tidy is
# scripts/lint.sh: over the whole tree it takes longer on two cores than all of this.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=$(nproc)

# configure_build_test DIR [CMAKE_ARGS...] [-- CTEST_ARGS...]
configure_build_test() {
  local dir=$1
  shift
  local cmake_args=()
  while (($# > 0)) && [[ $1 != -- ]]; do
    cmake_args+=("$1")
    shift
  done
  (($# > 0)) && shift
  local started=$SECONDS
  echo "=== $dir"
  cmake -S . -B "build/$dir" -G Ninja -DJOBLET_WERROR=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    "${cmake_args[@]}"
  cmake --build "build/$dir"
  ctest --test-dir "build/$dir" --output-on-failure -j "$jobs" "$@"
  echo "=== $dir: $((SECONDS - started)) s"
}

configure_build_test release -DCMAKE_BUILD_TYPE=Release
# The sanitizer builds compile at -O0 (a third of the time of -O1 for these templates; the
# sanitizers check the same code paths) and skip what they cannot add to: benchmarks, the
# package tests that rebuild the library without sanitizers, and the checks that do not depend
# on how the library was built (compile errors, formatting).
sanitized=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1"
           -DJOBLET_BENCHMARKS=OFF -DJOBLET_PACKAGE_TESTS=OFF)
built_once='^(compile_error|style)\.'
configure_build_test asan "${sanitized[@]}" "-DJOBLET_SANITIZE=address;undefined" \
  -- -E "$built_once"
# ThreadSanitizer runs the tests where threads meet: sequential, threads and kernels. Worker
# processes and MPI ranks share no memory with the caller (their protocol is checked by the
# release and ASan runs and the frame fuzzer), so their own tests are not built and the
# processes cases of the tests shared by every backend are filtered out; the examples run the
# same code paths as the tests. TSan sleeps a second at every exit, for threads still running
# to report: the pool's threads are idle by then.
TSAN_OPTIONS=${TSAN_OPTIONS:-atexit_sleep_ms=0} \
  GTEST_FILTER='-*rocesses*:BinaryIdentity.*:MpiOutsideMpirun.*' \
  configure_build_test tsan "${sanitized[@]}" -DJOBLET_SANITIZE=thread -DJOBLET_EXAMPLES=OFF \
  -DJOBLET_PROCESS_TESTS=OFF -- -E "$built_once"

echo "All tests passed in $SECONDS s."
