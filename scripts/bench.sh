#!/usr/bin/env bash
# Builds the Google Benchmark programs in Release and runs them (all, or those named).
#   scripts/bench.sh                 every bench/<area>_bench program
#   scripts/bench.sh core_bench      one program; further arguments go to Google Benchmark
# Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${AUGUR_BUILD_DIR:-build-release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUGUR_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}"
if [ $# -gt 0 ] && [ -x "$build/bin/$1" ]; then
    program=$1; shift
    exec "$build/bin/$program" "$@"
fi
for program in "$build"/bin/*_bench; do
    echo "== $(basename "$program")"
    "$program" "$@"
done
