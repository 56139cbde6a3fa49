"""Helper of ocsvm_vs_sklearn.sh: times scikit-learn's OneClassSVM and augur's anchor_ocsvm on
the same files and compares their decision values. Run with /usr/bin/python3.

    ocsvm_vs_sklearn.py ANCHOR_BINARY WORK_DIR [ODDS_DIR]
"""
import os
import subprocess
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

REPEAT = int(os.environ.get("REPEAT", "5"))


def run_anchor(anchor, path, extra):
    out = subprocess.run([anchor, path, "--repeat", str(REPEAT)] + extra, check=True,
                         capture_output=True, text=True).stdout
    return dict(kv.split("=") for kv in out.split())


def time_sklearn(X, nu):
    """Median wall-clock and CPU seconds of REPEAT fits, and the last model."""
    seconds, cpu = [], []
    for _ in range(REPEAT):
        start, cpu_start = time.perf_counter(), time.process_time()
        model = OneClassSVM(nu=nu, gamma="scale").fit(X)
        cpu.append(time.process_time() - cpu_start)
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds)), float(np.median(cpu)), model


def timing(anchor, work):
    print("== fit time, RBF, gamma scale, 10 features, single thread "
          f"(median of {REPEAT} fits each; wall clock, and CPU time of the process)")
    print(f"{'n':>6} {'nu':>4} {'sklearn s':>10} {'augur s':>10} {'ratio':>6} "
          f"{'sk cpu s':>9} {'augur cpu':>9} {'ratio':>6} "
          f"{'it sk':>6} {'it us':>6} {'nSV sk':>6} {'nSV us':>6} {'max|dec diff|':>14}")
    rng = np.random.default_rng(7)
    for n in (2000, 5000, 10000):
        # A mixture: a main cloud plus 5% spread-out points.
        X = rng.standard_normal((n, 10))
        wide = rng.random(n) < 0.05
        X[wide] *= 4.0
        path = os.path.join(work, f"ocsvm_{n}.csv")
        np.savetxt(path, X, delimiter=",", header=",".join(f"x{i}" for i in range(10)),
                   comments="", fmt="%.17g")
        for nu in (0.1, 0.5):
            sk_seconds, sk_cpu, model = time_sklearn(X, nu)
            out_path = os.path.join(work, f"ocsvm_{n}_{nu}.dec")
            ours = run_anchor(anchor, path, ["--nu", str(nu), "--decision-out", out_path])
            ours_dec = np.loadtxt(out_path)
            diff = np.max(np.abs(ours_dec - model.decision_function(X)))
            us, us_cpu = float(ours["fit_seconds"]), float(ours["fit_cpu_seconds"])
            print(f"{n:>6} {nu:>4} {sk_seconds:>10.4f} {us:>10.4f} {sk_seconds / us:>6.2f} "
                  f"{sk_cpu:>9.4f} {us_cpu:>9.4f} {sk_cpu / us_cpu:>6.2f} "
                  f"{model.n_iter_[0] if np.ndim(model.n_iter_) else model.n_iter_:>6} "
                  f"{ours['iterations']:>6} {len(model.support_):>6} {ours['n_sv']:>6} "
                  f"{diff:>14.3g}")
    print("ratio = sklearn time / augur time (> 1: augur faster)")


def odds(anchor, work, odds_dir):
    print("== ODDS, StandardScaler features, nu 0.1, gamma scale")
    print(f"{'set':>8} {'n':>5} {'d':>3} {'max|dec diff|':>14} {'AUC sklearn':>11} "
          f"{'AUC augur':>10} {'sklearn s':>10} {'augur s':>10}")
    for name in ("breastw", "cardio", "thyroid"):
        path = os.path.join(odds_dir, name + ".csv")
        if not os.path.exists(path):
            print(f"{name:>8}: {path} not found, skipped")
            continue
        data = np.loadtxt(path, delimiter=",", skiprows=1)
        X, y = StandardScaler().fit_transform(data[:, :-1]), data[:, -1]
        sk_seconds, _, model = time_sklearn(X, 0.1)
        sk_dec = model.decision_function(X)
        out_path = os.path.join(work, name + ".dec")
        ours = run_anchor(anchor, path, ["--nu", "0.1", "--label-last", "--scale",
                                         "--decision-out", out_path])
        ours_dec = np.loadtxt(out_path)
        print(f"{name:>8} {X.shape[0]:>5} {X.shape[1]:>3} "
              f"{np.max(np.abs(ours_dec - sk_dec)):>14.3g} {roc_auc_score(y, -sk_dec):>11.4f} "
              f"{roc_auc_score(y, -ours_dec):>10.4f} {sk_seconds:>10.4f} "
              f"{float(ours['fit_seconds']):>10.4f}")


def main():
    anchor, work = sys.argv[1], sys.argv[2]
    odds_dir = sys.argv[3] if len(sys.argv) > 3 else ""
    import sklearn
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    timing(anchor, work)
    if odds_dir and os.path.isdir(odds_dir):
        odds(anchor, work, odds_dir)
    else:
        print(f"== ODDS: {odds_dir or '(no folder)'} not found, skipped")


if __name__ == "__main__":
    main()
