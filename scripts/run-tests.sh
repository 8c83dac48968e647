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
# The sanitizer builds compile at -O1 (half the time of -O2, and the sanitizers see the same
# code paths) and skip what they cannot add to: benchmarks, and the package tests that
# rebuild the library without sanitizers.
sanitized=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
           -DJOBLET_BENCHMARKS=OFF -DJOBLET_PACKAGE_TESTS=OFF)
configure_build_test asan "${sanitized[@]}" "-DJOBLET_SANITIZE=address;undefined"
# ThreadSanitizer runs the tests where threads meet: sequential, threads and kernels. Worker
# processes and MPI ranks share no memory with the caller (their protocol is checked by the
# release and ASan runs and the frame fuzzer), and the examples run the same code paths.
# It sleeps a second at every exit, for threads still running to report: the pool's threads
# are idle by then, and hundreds of test processes would sleep minutes on 2 cores.
not_threading='[Pp]rocess|^(Frames|Kinds|RoundTrip|Functions|NotSerializable|UnknownFunction)'
not_threading+='|^(CrashUnderTryRun|WorkerTimeout|WorkerPool|Stress|BinaryIdentity|Mpi|mpi)'
not_threading+='|^(fuzz|example|package|compile_error|style)'
TSAN_OPTIONS=${TSAN_OPTIONS:-atexit_sleep_ms=0} \
  configure_build_test tsan "${sanitized[@]}" -DJOBLET_SANITIZE=thread -DJOBLET_EXAMPLES=OFF \
  -- -E "$not_threading"

echo "All tests passed in $SECONDS s."
