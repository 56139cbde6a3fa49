#!/usr/bin/env bash
# Builds augur (library tests, tool, examples, benchmarks) and runs every test with CTest.
# Installs missing Debian packages first. Warnings are errors.
#   scripts/test.sh              optimized build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UBSan build in build-sanitize/
# Environment: AUGUR_BUILD_DIR overrides the build folder, JOBS the parallelism (default: cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=${JOBS:-$(nproc)}
if [ "${1:-}" = "--sanitize" ]; then
    build=${AUGUR_BUILD_DIR:-build-sanitize}
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" \
        -DAUGUR_WERROR=ON -DAUGUR_SANITIZE=ON -DAUGUR_BUILD_BENCH=OFF
    cmake --build "$build" -j "$jobs"
    # The packaging tests build consumers without sanitizers; the optimized run covers them.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$build" --output-on-failure -j "$jobs" -E '^packaging:'
else
    build=${AUGUR_BUILD_DIR:-build}
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUGUR_WERROR=ON
    cmake --build "$build" -j "$jobs"
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
fi
