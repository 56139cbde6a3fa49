#!/usr/bin/env bash
# Anchor: augur::OneClassSvm against scikit-learn's OneClassSVM (LIBSVM) on the same data, both
# single-threaded. Fit times at n = 2k, 5k, 10k x 10 features (RBF, gamma scale, nu 0.1 and
# 0.5) with their ratio, and on the ODDS sets (when present) the largest decision-value
# difference on StandardScaler features (nu 0.1, gamma scale) and both AUCs.
#   bench/anchors/ocsvm_vs_sklearn.sh
# Environment: AUGUR_BUILD_DIR (Release build folder, default build-release; anchor_ocsvm is
# built there if missing), AUGUR_SHARED_DATA (default ../shared/data), REPEAT (fits per
# measurement, default 5; medians are reported).
set -euo pipefail
cd "$(dirname "$0")/../.."

python=/usr/bin/python3
if ! "$python" -c 'import sklearn, numpy' 2>/dev/null; then
    echo "ocsvm_vs_sklearn: scikit-learn is not installed; install it with:"
    echo "    sudo apt-get install -y python3-sklearn"
    exit 0
fi

build=${AUGUR_BUILD_DIR:-build-release}
anchor=$build/bin/anchor_ocsvm
if [ ! -x "$anchor" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUGUR_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" --target anchor_ocsvm >/dev/null
fi

shared=${AUGUR_SHARED_DATA:-../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$python" bench/anchors/ocsvm_vs_sklearn.py "$anchor" "$work" "$shared/odds"
