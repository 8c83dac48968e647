#!/usr/bin/env bash
# Installs what is missing, builds, and runs the flagship example (examples/orbit_grid) on all
# cores. Arguments are passed to orbit_grid, e.g. scripts/run-example.sh --grid 800,40,32.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJOBLET_WERROR=ON
cmake --build build/release --target orbit_grid
build/release/examples/orbit_grid/orbit_grid --n-jobs -1 --out build/orbit_grid.svg "$@"
