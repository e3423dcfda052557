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
- ``mcd``: the squared Mahalanobis distance under ``MinCovDet``'s robust covariance, in the
  same space; and ``r2``, the network's explained variance of the training rows there;

with the test labels, into ``<out>/<table>.npz``. The weighting rules are then studied on
these files without refitting (``benchmarks/view_weighting.py``)::

    python benchmarks/view_study.py --data ../shared/data/adbench --out /tmp/views/ad-c
    python benchmarks/view_study.py --protocol novelty --out /tmp/views/ad-n
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.covariance import MinCovDet
from sklearn.decomposition import PCA
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
    # the network's explained variance of the training rows, every column standardised
    residual = (scaled_train - det._passes.network(scaled_train)) / spread
    out["r2"] = np.array(1.0 - np.mean(residual ** 2) / np.mean(Z_train.var(axis=0)))
    M_train, M_test = Z_train, Z_test
    if Z_train.shape[1] > 50:  # as adbench.py's mcd baseline
        pca = PCA(n_components=50, random_state=0).fit(Z_train)
        M_train, M_test = pca.transform(Z_train), pca.transform(Z_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular covariance warnings on binary tables
        mcd = MinCovDet(random_state=0).fit(M_train)
    out["mcd_train"], out["mcd_test"] = mcd.mahalanobis(M_train), mcd.mahalanobis(M_test)
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
