"""Which default threshold rule flags a small, stable share of clean training rows?

For every table, the detector (library defaults, ``random_state=0``) is fit once and every
candidate rule is applied to the same training errors (a rule only reads errors, never the
network). Printed per table and summarised over tables (mean, median, min, max):

- ``clean``: the detector is fit on the table's inlier rows only (``y == 0`` of the train
  part of the ADBench protocol, ``BENCHMARKS.md`` section 3); the figure is the share of those
  training rows the rule flags, then (``held-out``) the share of the test part's inliers, rows
  the network never saw, it flags;
- ``contaminated``: the protocol itself - fit on the whole train part, anomalies included;
  the share of its inliers flagged and (``recall``) of its anomalies flagged;
- scikit-learn's toy tables (``load_iris``, ``load_wine``, ...; standardised, all rows): the
  share of the training rows flagged.

Rules (``e``: the training rows' reconstruction errors; ``MAD``: median absolute deviation):

- ``mean+1sd``: mean(e) + 1 std(e), the ECG5000 recipe (``threshold="mean_std"``);
- ``mean+3sd``: mean(e) + 3 std(e);
- ``mad3``: median(e) + 3 x 1.4826 x MAD(e) (``threshold="median_mad", n_std=3``);
- ``logmad2`` / ``logmad3``: exp(median(log e) + k x 1.4826 x MAD(log e)), k = 2, 3;
- ``logiqr``: exp(Q3(log e) + 1.5 x IQR(log e)), Tukey's fence on log errors;
- ``logsd2`` / ``logsd2.5`` / ``logsd3``: exp(mean(log e) + k x std(log e)), k = 2, 2.5, 3
  (``threshold="log_mean_std"``; k = 2 is the detector's default);
- ``q99``: the 99th percentile (``contamination=0.01``), for reference.

Usage::

    python benchmarks/threshold_rules.py [--data ../shared/data/adbench] [--datasets 6_cardio]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from sklearn import datasets as toy  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adbench import DEFAULT_DATA_DIR, find_datasets, load_dataset  # noqa: E402

from skae._thresholds import _MAD_TO_STD, error_threshold  # noqa: E402


def _log(e: np.ndarray) -> np.ndarray:
    e = np.asarray(e, dtype=np.float64)
    return np.log(np.maximum(e, 1e-12 * max(float(e.max()), np.finfo(float).tiny)))


def _log_mad(k: float):
    def rule(e):
        z = _log(e)
        med = np.median(z)
        return float(np.exp(med + k * _MAD_TO_STD * np.median(np.abs(z - med))))
    return rule


def _log_iqr(e):
    q1, q3 = np.percentile(_log(e), [25, 75])
    return float(np.exp(q3 + 1.5 * (q3 - q1)))


def _skae(threshold, n_std=None, contamination="auto"):
    def rule(e):
        return error_threshold(e, contamination=contamination, threshold=threshold, n_std=n_std)
    return rule


RULES = {
    "mean+1sd": _skae("mean_std", 1.0),
    "mean+3sd": _skae("mean_std", 3.0),
    "mad3": _skae("median_mad", 3.0),
    "logmad2": _log_mad(2.0),
    "logmad3": _log_mad(3.0),
    "logiqr": _log_iqr,
    "logsd2": _skae("log_mean_std", 2.0),
    "logsd2.5": _skae("log_mean_std", 2.5),
    "logsd3": _skae("log_mean_std", 3.0),
    "q99": _skae("mean_std", contamination=0.01),
}

TOY = ("iris", "wine", "breast_cancer", "diabetes", "digits", "linnerud")


def _fit_errors(X_train, *others):
    from skae import ReconstructionOutlierDetector

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = ReconstructionOutlierDetector(random_state=0).fit(X_train)
    return [det.reconstruction_error(X) for X in (X_train, *others)]


def _shares(threshold_from, *error_sets):
    """Per rule: the share of each error set above the rule's threshold on threshold_from."""
    return {
        name: [float(np.mean(e > rule(threshold_from))) if e.size else np.nan
               for e in error_sets]
        for name, rule in RULES.items()
    }


def _print_table(title, rows):
    print(f"\n{title}")
    names = list(RULES)
    print(f"{'table':<22}" + "".join(f"{n:>10}" for n in names))
    for table, values in rows:
        print(f"{table:<22}" + "".join(f"{values[n]:>10.3f}" for n in names))
    matrix = np.array([[values[n] for n in names] for _, values in rows])
    for stat in ("mean", "median", "min", "max", "std"):
        figures = getattr(np, f"nan{stat}")(matrix, axis=0)
        print(f"{stat:<22}" + "".join(f"{v:>10.3f}" for v in figures))


def _adbench_errors(path, cache):
    """Training and held-out errors of the two protocols, from ``cache`` when present."""
    if cache is not None and (cache / f"{path.stem}.npz").exists():
        with np.load(cache / f"{path.stem}.npz") as saved:
            return {k: saved[k] for k in saved.files}
    X_train, X_test, y_train, y_test = load_dataset(path)
    e_fit, e_test = _fit_errors(X_train[y_train == 0], X_test[y_test == 0])
    (e_all,) = _fit_errors(X_train)
    errors = {"e_fit": e_fit, "e_test": e_test, "e_all": e_all, "y_train": y_train}
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(cache / f"{path.stem}.npz", **errors)
    return errors


def run_adbench(paths, cache=None):
    clean, held_out, contaminated, recall = [], [], [], []
    for path in paths:
        e = _adbench_errors(path, cache)
        e_fit, e_test, e_all, y_train = e["e_fit"], e["e_test"], e["e_all"], e["y_train"]
        shares = _shares(e_fit, e_fit, e_test)
        clean.append((path.stem, {n: s[0] for n, s in shares.items()}))
        held_out.append((path.stem, {n: s[1] for n, s in shares.items()}))
        shares = _shares(e_all, e_all[y_train == 0], e_all[y_train == 1])
        contaminated.append((path.stem, {n: s[0] for n, s in shares.items()}))
        recall.append((path.stem, {n: s[1] for n, s in shares.items()}))
        print(f"done {path.stem}", file=sys.stderr, flush=True)
    _print_table("ADBench, clean: share of the (inlier) training rows flagged", clean)
    _print_table("ADBench, clean: share of held-out inliers flagged", held_out)
    _print_table("ADBench, contaminated: share of the training inliers flagged", contaminated)
    _print_table("ADBench, contaminated: share of the training anomalies flagged", recall)


def run_toy():
    rows = []
    for name in TOY:
        X = getattr(toy, f"load_{name}")().data
        X = np.nan_to_num(StandardScaler().fit_transform(X))
        (e,) = _fit_errors(X)
        rows.append((name, {n: s[0] for n, s in _shares(e, e).items()}))
    _print_table("scikit-learn toy tables: share of the training rows flagged", rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--no-adbench", action="store_true", help="only the toy tables")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder keeping each table's errors, to try rules without refits")
    args = parser.parse_args(argv)
    run_toy()
    if not args.no_adbench:
        if not args.data.is_dir():
            print(f"no data folder {args.data}; pass --data", file=sys.stderr)
            return 1
        run_adbench(find_datasets(args.data, args.datasets), args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
