"""Benchmark skae's outlier detector on the ADBench "Classical" datasets.

Follows the protocol of ``BENCHMARKS.md`` section 3 (ADBench's unsupervised
setting) and runs, side by side in one run:

- ``skae``: :class:`skae.ReconstructionOutlierDetector` with library defaults
  (``random_state=0``), anomaly score ``-score_samples``;
- ``iforest``: :class:`sklearn.ensemble.IsolationForest` (``random_state=0``);
- ``pca``: PCA reconstruction error (sum of squared errors) with
  ``n_components`` = half the number of features, rounded up;
- ``pyod_ae``: PyOD's ``AutoEncoder`` with its defaults (torch; ``verbose=0``
  only hides its progress bar), only when both ``pyod`` and ``torch`` are
  installed; otherwise it is skipped with a note. It runs in a separate worker
  process, because torch and TensorFlow thread pools slow each other down badly
  in one process; its time is measured inside the worker (fit + score only).

Protocol, for every ``*.npz`` file (keys ``X``, ``y``; ``y == 1`` is an anomaly):

1. if the dataset has more than 10,000 rows, keep a stratified subsample of
   10,000 (``train_test_split(..., train_size=10000, stratify=y,
   random_state=0)``);
2. 70/30 stratified train/test split with ``random_state=0``;
3. ``StandardScaler`` fit on the train part, then ``np.nan_to_num``;
4. each detector is fit on the train part **without labels** (it contains
   anomalies) and scores the test part;
5. ROC-AUC and average precision of the anomaly score on the test part; the
   time reported is fit + score.

Usage
-----
From the repository root::

    python benchmarks/adbench.py
    python benchmarks/adbench.py --datasets 6_cardio 14_glass --detectors skae iforest
    python benchmarks/adbench.py --csv /tmp/adbench.csv

Options: ``--data-dir`` (default ``../shared/data/adbench`` relative to the
repository root), ``--datasets`` (subset by name, with or without ``.npz``),
``--detectors`` (subset of ``skae iforest pca pyod_ae``), ``--csv PATH`` (save
one row per dataset and detector). The script exits with a message when the
data folder is absent. The skae detector is imported lazily: if it cannot be
imported, it is skipped with a note and the peers still run.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import importlib.util
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "adbench"
MAX_ROWS = 10_000
ALL_DETECTORS = ("skae", "iforest", "pca", "pyod_ae")

# A scorer takes (X_train, X_test) and returns (anomaly scores for X_test, higher = more
# anomalous; seconds spent in fit + score).
Scorer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]


def load_dataset(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load one ``.npz`` file and apply the protocol's sampling and scaling.

    Parameters
    ----------
    path : Path
        ``.npz`` file with keys ``X`` and ``y``.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Scaled (``StandardScaler`` fit on the train part, then
        ``np.nan_to_num``) train and test parts and their labels.
    """
    with np.load(path) as data:
        X = np.asarray(data["X"], dtype=np.float64)
        y = np.asarray(data["y"]).astype(int).ravel()
    if len(X) > MAX_ROWS:
        X, _, y, _ = train_test_split(
            X, y, train_size=MAX_ROWS, stratify=y, random_state=0
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train = np.nan_to_num(scaler.transform(X_train))
    X_test = np.nan_to_num(scaler.transform(X_test))
    return X_train, X_test, y_train, y_test


def _timed(fit_score: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Scorer:
    def score(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, float]:
        start = time.perf_counter()
        scores = fit_score(X_train, X_test)
        return scores, time.perf_counter() - start

    return score


def _skae_scorer() -> Scorer:
    from skae import ReconstructionOutlierDetector  # lazy: may not exist yet

    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        det = ReconstructionOutlierDetector(random_state=0).fit(X_train)
        return -np.asarray(det.score_samples(X_test), dtype=np.float64)

    return _timed(fit_score)


def _iforest_scorer() -> Scorer:
    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        det = IsolationForest(random_state=0).fit(X_train)
        return -det.score_samples(X_test)

    return _timed(fit_score)


def _pca_scorer() -> Scorer:
    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        # half the features, rounded up (as in the BENCHMARKS.md reference figures)
        n_components = max(1, (X_train.shape[1] + 1) // 2)
        pca = PCA(n_components=n_components, random_state=0).fit(X_train)
        recon = pca.inverse_transform(pca.transform(X_test))
        return np.sum((X_test - recon) ** 2, axis=1)

    return _timed(fit_score)


def _pyod_worker_init() -> None:
    import torch  # noqa: F401
    from pyod.models.auto_encoder import AutoEncoder  # noqa: F401


def _pyod_fit_score(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, float]:
    """Fit PyOD's AutoEncoder (defaults) and score; runs in the worker process."""
    from pyod.models.auto_encoder import AutoEncoder

    start = time.perf_counter()
    det = AutoEncoder(verbose=0)  # verbose=0 only silences the progress bar
    det.fit(X_train)
    scores = np.asarray(det.decision_function(X_test), dtype=np.float64)
    return scores, time.perf_counter() - start


def _pyod_ae_scorer() -> Scorer:
    # torch's and TensorFlow's thread pools slow each other down badly when they share a
    # process (observed: 50x on 2 cores), so PyOD runs in its own worker process; the time
    # reported is measured inside the worker, around fit + score only.
    for module in ("torch", "pyod"):
        if importlib.util.find_spec(module) is None:
            raise ImportError(f"{module} is not installed")
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_pyod_worker_init)
    atexit.register(pool.shutdown)
    pool.submit(_pyod_worker_init).result()  # fail early if the imports fail

    def score(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, float]:
        return pool.submit(_pyod_fit_score, X_train, X_test).result()

    return score


FACTORIES: dict[str, Callable[[], Scorer]] = {
    "skae": _skae_scorer,
    "iforest": _iforest_scorer,
    "pca": _pca_scorer,
    "pyod_ae": _pyod_ae_scorer,
}


def build_scorers(names: list[str]) -> dict[str, Scorer]:
    """Import the requested detectors, skipping (with a note) those that fail.

    Parameters
    ----------
    names : list of str
        Detector names, a subset of ``ALL_DETECTORS``.

    Returns
    -------
    dict
        Detector name -> scorer, in the requested order.
    """
    scorers: dict[str, Scorer] = {}
    for name in names:
        try:
            scorers[name] = FACTORIES[name]()
        except Exception as exc:  # ImportError, or a broken optional install
            print(f"note: skipping {name!r}: cannot import it ({type(exc).__name__}: {exc})")
    return scorers


def _dataset_key(path: Path) -> tuple[int, str]:
    prefix = path.stem.split("_", 1)[0]
    return (int(prefix) if prefix.isdigit() else 10**9, path.stem)


def find_datasets(data_dir: Path, names: list[str] | None) -> list[Path]:
    """List the ``.npz`` files to run, in ADBench order.

    Parameters
    ----------
    data_dir : Path
        Folder holding the ``.npz`` files.
    names : list of str or None
        Dataset names (with or without ``.npz``); ``None`` means all.

    Returns
    -------
    list of Path
    """
    paths = sorted(data_dir.glob("*.npz"), key=_dataset_key)
    if names is None:
        return paths
    wanted = {n.removesuffix(".npz") for n in names}
    missing = wanted - {p.stem for p in paths}
    if missing:
        print(f"note: datasets not found in {data_dir}: {', '.join(sorted(missing))}")
    return [p for p in paths if p.stem in wanted]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"folder of ADBench .npz files (default: {DEFAULT_DATA_DIR})")
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="subset of datasets by name, e.g. 6_cardio 14_glass")
    parser.add_argument("--detectors", nargs="+", default=list(ALL_DETECTORS),
                        choices=ALL_DETECTORS, help="subset of detectors")
    parser.add_argument("--csv", type=Path, default=None, help="save per-dataset rows here")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir
    if not data_dir.is_dir():
        print(f"ADBench data folder not found: {data_dir}\n"
              "Pass --data-dir pointing to a folder of ADBench 'Classical' .npz files.")
        return 0
    paths = find_datasets(data_dir, args.datasets)
    if not paths:
        print(f"No .npz datasets to run in {data_dir}.")
        return 0

    scorers = build_scorers(list(dict.fromkeys(args.detectors)))
    if not scorers:
        print("No detector could be imported; nothing to run.")
        return 1
    names = list(scorers)

    rows: list[dict[str, object]] = []
    header = f"{'dataset':<22}{'rows':>6}{'d':>6}"
    for name in names:
        header += f" | {name + ' AUC':>12}{'AP':>7}{'time':>8}"
    print(header)
    print("-" * len(header))
    for path in paths:
        X_train, X_test, y_train, y_test = load_dataset(path)
        n_rows = len(X_train) + len(X_test)
        line = f"{path.stem:<22}{n_rows:>6}{X_train.shape[1]:>6}"
        for name in names:
            scores, elapsed = scorers[name](X_train, X_test)
            scores = np.nan_to_num(np.asarray(scores, dtype=np.float64).ravel())
            auc = roc_auc_score(y_test, scores)
            ap = average_precision_score(y_test, scores)
            rows.append({"dataset": path.stem, "rows": n_rows, "features": X_train.shape[1],
                         "detector": name, "roc_auc": auc, "ap": ap, "time_s": elapsed})
            line += f" | {auc:>12.4f}{ap:>7.4f}{elapsed:>7.1f}s"
        print(line, flush=True)

    print("-" * len(header))
    print(f"means over {len(paths)} datasets:")
    totals: dict[str, float] = {}
    for name in names:
        mine = [r for r in rows if r["detector"] == name]
        totals[name] = float(sum(r["time_s"] for r in mine))
        print(f"  {name:<10} mean ROC-AUC {np.mean([r['roc_auc'] for r in mine]):.4f}"
              f"  mean AP {np.mean([r['ap'] for r in mine]):.4f}"
              f"  total time {totals[name]:.1f} s")
    if "skae" in totals and "pyod_ae" in totals and totals["pyod_ae"] > 0:
        print(f"  time ratio skae / pyod_ae: {totals['skae'] / totals['pyod_ae']:.3f}")
    if len(names) > 1:
        # not a detector: the best of this run's detectors picked per dataset *with the
        # labels*, a ceiling for any one default choosing among them
        best = {}
        for r in rows:
            best[r["dataset"]] = max(best.get(r["dataset"], 0.0), r["roc_auc"])
        print(f"  (best of these {len(names)} per dataset, chosen with the test labels: "
              f"mean ROC-AUC {np.mean(list(best.values())):.4f})")

    if args.csv is not None:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"rows saved to {args.csv}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
