#!/usr/bin/env bash
# Installs the Debian packages joblet needs that are not installed yet; installs nothing when
# all are there. Usage: scripts/install-deps.sh [package...]   (extra packages to ensure)
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libboost-dev libboost-serialization-dev libcereal-dev  # Asio, Boost.Serialization, cereal
  libgtest-dev libgmock-dev libbenchmark-dev libtbb-dev  # tests and benchmarks
  openmpi-bin libopenmpi-dev                             # Backend::mpi
  clang-format clang-tidy-16                             # style checks
  "$@"
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0

echo "Installing: ${missing[*]}"
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
