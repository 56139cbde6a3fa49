"""scikit-learn's side of iforest_vs_sklearn.sh (run with /usr/bin/python3).

  iforest_vs_sklearn.py time FILE.npy REPEATS   IsolationForest(n_estimators=100,
                                                max_samples=256, n_jobs=1) fit + score_samples
                                                on every row; prints the median seconds
  iforest_vs_sklearn.py odds DIR                the scikit-learn means in DIR/reference_auc.csv
"""
import csv
import statistics
import sys
import time


def time_fit_score(path, repeats):
    import numpy as np
    import sklearn
    from sklearn.ensemble import IsolationForest

    x = np.load(path)
    seconds = []
    cpu_seconds = []
    for r in range(repeats):
        cpu_start = time.process_time()
        start = time.perf_counter()
        forest = IsolationForest(n_estimators=100, max_samples=256, n_jobs=1, random_state=r)
        forest.fit(x)
        scores = -forest.score_samples(x)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    print("version", sklearn.__version__)
    print("rows", x.shape[0])
    print("median_seconds", statistics.median(seconds))
    print("median_cpu_seconds", statistics.median(cpu_seconds))
    print("min_seconds", min(seconds))
    print("mean_score", float(scores.mean()))


def odds(directory):
    with open(f"{directory}/reference_auc.csv", newline="") as f:
        for row in csv.DictReader(f):
            print("auc", row["dataset"], row["iforest_auc_mean"], row["iforest_auc_sd"], row["tool"])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "time":
        time_fit_score(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "odds":
        odds(sys.argv[2])
    else:
        sys.exit(__doc__)
