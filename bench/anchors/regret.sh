#!/usr/bin/env bash
# The routing regret table (docs/routing.md): augur's Thompson sampling against the baselines
# (UCB1, KL-UCB, epsilon-greedy), theory (Lai-Robbins rate, the reference Beta(1,1) sampler of
# the issue) and the forgetting policies on the swap scenario. 1000 runs (--runs N), horizons
# 1e4 and 1e5. There is no external peer to install: the baselines run in the same framework.
#
# Usage: bench/anchors/regret.sh [BUILD_DIR] [anchor_regret options: --runs N --threads N --quick]
# BUILD_DIR defaults to build-rel; it must be a Release build (cmake -DCMAKE_BUILD_TYPE=Release).
# Takes about 5 minutes on 2 cores (the simulation uses 2 threads; results do not depend on it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build-rel}"
if [[ $# -gt 0 ]]; then shift; fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
    echo "regret.sh: no CMake build in $build; configure one with" >&2
    echo "  cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release" >&2
    exit 2
fi
if ! grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$build/CMakeCache.txt"; then
    echo "regret.sh: warning: $build is not a Release build; timings and run time suffer" >&2
fi
cmake --build "$build" --target anchor_regret >&2
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
exec "$build/bin/anchor_regret" "$@"
