"""Build outlier-detection tables the 33 ADBench tables do not contain, for ``adbench.py``.

A check that a detector's design was not fitted to the 33 tables it was designed on: every
table here is made, the way ADBench makes its tables (the rows of some classes are normal,
a small random share of another class are the anomalies), from data that ships with
scikit-learn or skae, so it needs no download. Each is written as an ADBench-style
``.npz`` file (``X``, ``y``; ``y == 1`` is an anomaly) into one folder, which
``adbench.py --data`` then runs with its usual protocol::

    python benchmarks/other_tables.py /tmp/other_tables
    python benchmarks/adbench.py --data /tmp/other_tables --markdown other.md

The tables (each with a fixed seed):

- ``wdbc-s``: breast-cancer data, every benign tumour and 10 malignant ones (as ADBench's
  WDBC), seeds 0-2;
- ``wine-d``: wine recognition, classes 0 and 1 normal, 10 rows of class 2 anomalous;
- ``digits-k``: 8x8 handwritten digits, every digit but ``k`` normal and 3 % of the rows
  digit ``k``, for k = 0, 3, 6, 9;
- ``mnist-k``: the 10,000 MNIST test images bundled with skae (784 pixels), every digit but
  ``k`` normal and 3 % digit ``k``, for k = 1, 5, 7;
- ``ecg``: the ECG5000 heartbeats bundled with skae (140 time steps), the normal beats and
  5 % abnormal ones.

These are images and signals as well as tables; in ADBench's terms they are small and
mid-sized "classical" sets. With 12 tables the means move by about a point when one table
changes a lot: read the per-table figures too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine


def _with_anomalies(X, normal, anomalous, share, seed, count=None):
    """All ``normal`` rows and a random ``share`` (or ``count``) of ``anomalous`` ones."""
    rng = np.random.default_rng(seed)
    normal, anomalous = np.flatnonzero(normal), np.flatnonzero(anomalous)
    if count is None:
        count = max(1, round(share * len(normal) / (1 - share)))
    picked = rng.choice(anomalous, min(count, len(anomalous)), replace=False)
    rows = np.r_[normal, picked]
    return X[rows].astype(np.float64), np.r_[np.zeros(len(normal)), np.ones(len(picked))]


def build_tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every table, by name: ``(X, y)`` with ``y == 1`` for the anomalies."""
    from skae.datasets import load_ecg5000, load_mnist_test

    tables = {}
    X, benign = load_breast_cancer(return_X_y=True)
    for seed in range(3):
        tables[f"wdbc-{seed}"] = _with_anomalies(X, benign == 1, benign == 0, 0, seed,
                                                 count=10)
    X, y = load_wine(return_X_y=True)
    tables["wine-2"] = _with_anomalies(X, y != 2, y == 2, 0, 0, count=10)
    X, y = load_digits(return_X_y=True)
    for k in (0, 3, 6, 9):
        tables[f"digits-{k}"] = _with_anomalies(X, y != k, y == k, 0.03, k)
    mnist = load_mnist_test()
    for k in (1, 5, 7):
        tables[f"mnist-{k}"] = _with_anomalies(mnist.data, mnist.target != k,
                                               mnist.target == k, 0.03, k)
    ecg = load_ecg5000()
    tables["ecg"] = _with_anomalies(ecg.data, ecg.target == 1, ecg.target == 0, 0.05, 0)
    return tables


def write_tables(build, argv: list[str] | None, usage: str) -> int:
    """Write every table ``build()`` makes as ``<folder>/<name>.npz`` (``argv``: the
    folder; otherwise print ``usage``)."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(usage)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, (X, y) in build().items():
        np.savez(folder / f"{name}.npz", X=X, y=y)
        print(f"{name:<11} rows {len(y):>6}  features {X.shape[1]:>4}  "
              f"anomalies {int(y.sum()):>4}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Write every table as ``<folder>/<name>.npz``."""
    return write_tables(build_tables, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
