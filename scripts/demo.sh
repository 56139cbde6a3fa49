#!/usr/bin/env bash
# Builds the augur command-line tool and runs its demo on the embedded agent-fleet data set.
# Installs missing Debian packages first. Extra arguments go to `augur demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${AUGUR_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target augur_tool >/dev/null
exec "$build/bin/augur" demo "$@"
