"""Dump each candidate view's scores on every table, to study label-free view weighting.

For every table of one folder and one protocol of ``adbench.py`` (same loading, split and
scaling), this fits the default :class:`skae.ReconstructionOutlierDetector` once and
saves, for the training rows and the test rows, the score of each candidate view:

- ``error``: the default ensemble's normalised reconstruction error;
- ``isolation``: the default isolation forest's score;
- ``knn``: distance to the 5th nearest training row in the detector's scaled space,
  each column then divided by its standard deviation (a training row's own distance
  left out);
- ``lof``: ``LocalOutlierFactor(n_neighbors=20)``'s outlier factor in the same space;

with the test labels, into ``<out>/<table>.npz``. The weighting rules are then studied on
these files without refitting (``benchmarks/view_weighting.py``)::

    python benchmarks/view_study.py --data ../shared/data/adbench --out /tmp/views/ad-c
    python benchmarks/view_study.py --protocol novelty --out /tmp/views/ad-n
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adbench import DEFAULT_DATA_DIR, PROTOCOLS, find_datasets, load_dataset  # noqa: E402

K_NEIGHBOURS = 5


def view_scores(X_train: np.ndarray, X_test: np.ndarray) -> dict[str, np.ndarray]:
    """Every candidate view's scores, ``<view>_train`` and ``<view>_test``."""
    from skae import ReconstructionOutlierDetector
    from skae._isolation import isolation_scores

    det = ReconstructionOutlierDetector(random_state=0).fit(X_train)
    scaling = det._pass_options()["scaling"]
    scaled_train, scaled_test = scaling.transform(X_train), scaling.transform(X_test)
    out = {"error_train": det._passes.row_errors(X_train),
           "error_test": det._passes.row_errors(X_test),
           "isolation_train": isolation_scores(det.isolation_forest_, scaled_train),
           "isolation_test": isolation_scores(det.isolation_forest_, scaled_test)}
    spread = scaled_train.std(axis=0)
    spread[spread == 0] = 1.0
    Z_train, Z_test = scaled_train / spread, scaled_test / spread
    nn = NearestNeighbors(n_neighbors=K_NEIGHBOURS + 1).fit(Z_train)
    out["knn_train"] = nn.kneighbors(Z_train)[0][:, -1]
    out["knn_test"] = nn.kneighbors(Z_test, n_neighbors=K_NEIGHBOURS)[0][:, -1]
    lof = LocalOutlierFactor(n_neighbors=min(20, len(Z_train) - 1), novelty=True).fit(Z_train)
    out["lof_train"] = -lof.negative_outlier_factor_
    out["lof_test"] = -lof.score_samples(Z_test)
    return out


def main(argv: list[str] | None = None) -> int:
    """Dump the views of every table of ``--data`` under ``--protocol`` into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--protocol", choices=PROTOCOLS, default="contaminated")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in find_datasets(args.data, None):
        X_train, X_test, _, y_test = load_dataset(path, args.protocol)
        np.savez(args.out / f"{path.stem}.npz", y_test=y_test,
                 **view_scores(X_train, X_test))
        print(path.stem, flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
