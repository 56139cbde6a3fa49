#!/usr/bin/env bash
# Isolation Forest: augur vs scikit-learn on the same data, single-threaded.
#   bench/anchors/iforest_vs_sklearn.sh [SHARED_DATA_DIR]
# Times fit + score of every row (100 trees, max_samples 256, one thread) on n = 100k and 1M
# rows x 10 columns of the same generated .npy file, median of repeats, and prints the ratio;
# then the ODDS ROC AUC table (ours vs scikit-learn's reference mean) when the shared data
# exists (argument, else $AUGUR_SHARED_DATA, else <repo>/../shared/data).
# Environment: AUGUR_BUILD_DIR (default build-release; anchor_iforest is built there if
# missing), SIZES (default "100000 1000000"), OURS_REPEATS (5), SKLEARN_REPEATS (3).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/bench/anchors"
data_dir=${1:-${AUGUR_SHARED_DATA:-$repo/../shared/data}}
build=${AUGUR_BUILD_DIR:-$repo/build-release}
sizes=${SIZES:-"100000 1000000"}
ours_repeats=${OURS_REPEATS:-5}
sklearn_repeats=${SKLEARN_REPEATS:-3}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

if ! /usr/bin/python3 -c 'import numpy, sklearn' 2>/dev/null; then
    echo "iforest_vs_sklearn: scikit-learn is not installed; install the peer with"
    echo "  apt-get install -y python3-sklearn python3-numpy"
    echo "and run again. Nothing compared."
    exit 0
fi

anchor="$build/bin/anchor_iforest"
if [ ! -x "$anchor" ]; then
    echo "building anchor_iforest in $build (Release)..."
    cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUGUR_BUILD_TESTS=OFF \
        >/dev/null
    cmake --build "$build" --target anchor_iforest >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { awk -v k="$1" '$1 == k { print $2 }'; }

echo "Isolation Forest fit + score, 100 trees, max_samples 256, 10 columns, 1 thread"
echo "(median of $ours_repeats runs for augur, $sklearn_repeats for scikit-learn; wall-clock"
echo " and process CPU seconds: on a busy machine the CPU-time ratio is the steadier one)"
printf '%9s %9s %9s %11s %11s %9s %9s\n' rows augur_s augur_cpu sklearn_s sklearn_cpu ratio \
    cpu_ratio
for n in $sizes; do
    "$anchor" generate "$n" 10 42 "$tmp/x.npy" >/dev/null
    "$anchor" time "$tmp/x.npy" "$ours_repeats" 1 >"$tmp/ours"
    /usr/bin/python3 "$here/iforest_vs_sklearn.py" time "$tmp/x.npy" "$sklearn_repeats" \
        >"$tmp/theirs"
    ours=$(field median_seconds <"$tmp/ours")
    ours_cpu=$(field median_cpu_seconds <"$tmp/ours")
    theirs=$(field median_seconds <"$tmp/theirs")
    theirs_cpu=$(field median_cpu_seconds <"$tmp/theirs")
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1fx", b / a }')
    cpu_ratio=$(awk -v a="$ours_cpu" -v b="$theirs_cpu" 'BEGIN { printf "%.1fx", b / a }')
    printf '%9s %9.3f %9.3f %11.3f %11.3f %9s %9s\n' "$n" "$ours" "$ours_cpu" "$theirs" \
        "$theirs_cpu" "$ratio" "$cpu_ratio"
    rm -f "$tmp/x.npy"
done
echo "scikit-learn $(/usr/bin/python3 -c 'import sklearn; print(sklearn.__version__)')," \
    "numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"

odds="$data_dir/odds"
if [ -f "$odds/reference_auc.csv" ]; then
    echo
    echo "ODDS ROC AUC, IsolationForest(100 trees, max_samples 256), whole set fitted and scored"
    "$anchor" odds "$odds" 10 >"$tmp/ours10"
    "$anchor" odds "$odds" 50 >"$tmp/ours50"
    /usr/bin/python3 "$here/iforest_vs_sklearn.py" odds "$odds" >"$tmp/theirs"
    printf '%-9s %18s %18s   %s\n' dataset "augur seeds 0-9" "augur seeds 0-49" \
        "scikit-learn seeds 0-9 (reference_auc.csv)"
    while read -r _ name mean sd tool; do
        o10=$(awk -v n="$name" '$2 == n { printf "%s +- %s", $3, $4 }' "$tmp/ours10")
        o50=$(awk -v n="$name" '$2 == n { printf "%s +- %s", $3, $4 }' "$tmp/ours50")
        printf '%-9s %18s %18s   %s\n' "$name" "$o10" "$o50" "$mean +- $sd ($tool)"
    done <"$tmp/theirs"
else
    echo
    echo "ODDS data not found at $odds: AUC table skipped"
fi
