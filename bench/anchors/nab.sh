#!/usr/bin/env bash
# Runs `augur detect` (the default detector) on every CSV of a NAB-layout data folder and
# writes a results folder of the same layout, ready for a NAB scorer.
#
#   bench/anchors/nab.sh DATA_DIR OUT_DIR [augur detect options...]
#
# DATA_DIR holds <category>/<name>.csv files with timestamp,value columns; OUT_DIR gets
# <category>/<name>.csv with timestamp,value,anomaly_score,is_anomaly,type,severity.
# The augur binary is $AUGUR if set, else build/bin/augur under the repository.
# When the scorer ../shared/tools/nab_score.py (beside the repository) is found, it scores
# OUT_DIR against DATA_DIR/combined_windows.json (standard, reward_low_FP_rate and
# reward_low_FN_rate profiles); otherwise the command to score is printed.
# Single-threaded; installs nothing.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 DATA_DIR OUT_DIR [augur detect options...]" >&2
    exit 2
fi
data_dir=$1
out_dir=$2
shift 2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
augur=${AUGUR:-$repo/build/bin/augur}
if [[ ! -x $augur ]]; then
    echo "nab.sh: no augur binary at $augur (build it, or set AUGUR=/path/to/augur)" >&2
    exit 2
fi
if [[ ! -d $data_dir ]]; then
    echo "nab.sh: no data folder $data_dir" >&2
    exit 2
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

files=0
rows=0
start=$(date +%s%N)
while IFS= read -r -d '' csv; do
    rel=${csv#"$data_dir"/}
    mkdir -p "$out_dir/$(dirname "$rel")"
    "$augur" detect "$@" "$csv" -o "$out_dir/$rel"
    files=$((files + 1))
    rows=$((rows + $(wc -l <"$csv") - 1))
done < <(find "$data_dir" -mindepth 2 -name '*.csv' -print0 | sort -z)
end=$(date +%s%N)
echo "nab.sh: scored $files files, $rows rows in $(((end - start) / 1000000)) ms (augur detect $*)"

scorer=$repo/../shared/tools/nab_score.py
labels=$data_dir/combined_windows.json
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3 || true)
if [[ -f $scorer && -f $labels && -n $python ]]; then
    echo "nab.sh: NAB scores (profile, normalized score, threshold optimised over the corpus):"
    "$python" "$scorer" --data "$data_dir" --labels "$labels" --results "$out_dir"
    threshold=0.997
    for ((i = 1; i <= $#; i++)); do
        if [[ ${!i} == --threshold ]]; then
            j=$((i + 1))
            threshold=${!j}
        fi
    done
    echo "nab.sh: at the detector's own threshold $threshold:"
    "$python" "$scorer" --data "$data_dir" --labels "$labels" --results "$out_dir" \
        --threshold "$threshold"
else
    echo "nab.sh: to score, run a NAB scorer on $out_dir, e.g."
    echo "  python3 shared/tools/nab_score.py --data $data_dir --labels $labels --results $out_dir"
fi
