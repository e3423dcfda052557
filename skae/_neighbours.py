"""Nearest-neighbour scores of rows against (a sample of) the training rows, as plain arrays.

Two scores share one fitted state: the distance to the ``k``-th nearest training row
(kNN distance, the strongest simple detector when the training rows are clean) and the
local outlier factor (a row's local density against its neighbours', scikit-learn's
``LocalOutlierFactor``), which catches a row just outside a tight cluster that a global
distance misses. Distances are Euclidean in the detector's scaled space with every column
divided by its training standard deviation (as a user would standardise before kNN).

The state keeps at most :data:`MAX_ROWS` training rows (a random sample beyond that), so
memory and scoring cost stay bounded on large tables. A training row scored against the
state leaves itself out (its own zero distance), as scikit-learn's ``kneighbors()`` and
``LocalOutlierFactor`` do for the rows they were fitted on.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ._frozen import derived_from_frozen

__all__ = ["MAX_ROWS", "fit_neighbours", "knn_distances", "local_outlier_factors"]

#: Training rows the neighbour views keep at most (a random sample beyond).
MAX_ROWS = 10_000
#: Neighbours of the kNN distance (the distance to the 5th nearest row).
KNN_NEIGHBOURS = 5
#: Neighbours of the local outlier factor (scikit-learn's default).
LOF_NEIGHBOURS = 20

#: Fitted searches of read-only sample arrays (``skae._frozen``), dropped with their array.
_SEARCHES: dict = {}


def _search(rows: np.ndarray) -> NearestNeighbors:
    return derived_from_frozen(_SEARCHES, rows, lambda: NearestNeighbors().fit(rows))


def _neighbours(state: dict, X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of each row's ``k`` nearest sampled rows, itself left out."""
    Z = np.asarray(X, dtype=np.float64) / state["spread"]
    rows = state["rows"]
    k = min(k, len(rows) - 1)
    distances, indices = _search(rows).kneighbors(Z, n_neighbors=k + 1)
    itself = distances[:, 0] == 0.0  # the row is in the sample (or an exact duplicate)
    keep = np.where(itself[:, None], np.arange(1, k + 1), np.arange(k))
    return (np.take_along_axis(distances, keep, axis=1),
            np.take_along_axis(indices, keep, axis=1))


def _densities(state: dict, distances: np.ndarray, indices: np.ndarray) -> np.ndarray:
    reach = np.maximum(distances, state["k_distance"][indices])
    return 1.0 / (reach.mean(axis=1) + 1e-10)


def fit_neighbours(X: np.ndarray, *, seed: int, max_rows: int = MAX_ROWS) -> dict:
    """The neighbour views' state: a sample of the standardised rows and their densities.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows (the detector's scaled space).
    seed : int
        Seed of the sample when there are more than ``max_rows`` rows.
    max_rows : int, default=MAX_ROWS
        Rows kept at most.

    Returns
    -------
    state : dict
        Plain arrays: ``spread`` (each column's standard deviation, 1 where constant),
        ``rows`` (the sampled rows divided by it, read-only), ``k_distance`` (each sampled
        row's distance to its 20th nearest other sampled row) and ``lrd`` (its local
        reachability density).

    Examples
    --------
    >>> import numpy as np
    >>> from skae._neighbours import fit_neighbours, knn_distances
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> state = fit_neighbours(X, seed=0)
    >>> far, near = knn_distances(state, np.array([[8.0, 8.0, 8.0], [0.0, 0.0, 0.0]]))
    >>> bool(far > 5 * near)
    True
    """
    X = np.asarray(X, dtype=np.float64)
    if len(X) > max_rows:
        X = X[np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))]
    spread = X.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    rows = X / spread
    rows.setflags(write=False)
    state = {"spread": spread, "rows": rows}  # all _neighbours reads
    distances, indices = _neighbours(state, X, LOF_NEIGHBOURS)
    state["k_distance"] = distances[:, -1].copy()
    state["lrd"] = _densities(state, distances, indices)
    return state


def knn_distances(state: dict, X: np.ndarray) -> np.ndarray:
    """Each row's distance to its 5th nearest sampled training row (itself left out).

    Parameters
    ----------
    state : dict
        From :func:`fit_neighbours`.
    X : ndarray of shape (n_samples, n_features)
        Rows in the detector's scaled space.

    Returns
    -------
    distances : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skae._neighbours import fit_neighbours, knn_distances
    >>> state = fit_neighbours(np.arange(20.0)[:, None], seed=0)
    >>> knn_distances(state, np.array([[30.0]])).shape
    (1,)
    """
    distances, _ = _neighbours(state, X, KNN_NEIGHBOURS)
    return distances[:, -1]


def local_outlier_factors(state: dict, X: np.ndarray) -> np.ndarray:
    """Each row's local outlier factor (about 1 inside the data, larger outside).

    Parameters
    ----------
    state : dict
        From :func:`fit_neighbours`.
    X : ndarray of shape (n_samples, n_features)
        Rows in the detector's scaled space.

    Returns
    -------
    factors : ndarray of shape (n_samples,)
        scikit-learn's ``-LocalOutlierFactor(novelty=True).score_samples`` for new rows,
        and its ``-negative_outlier_factor_`` for the sampled training rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._neighbours import fit_neighbours, local_outlier_factors
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> state = fit_neighbours(X, seed=0)
    >>> bool(local_outlier_factors(state, np.array([[6.0, 6.0]]))[0] > 2)
    True
    """
    distances, indices = _neighbours(state, X, LOF_NEIGHBOURS)
    return state["lrd"][indices].mean(axis=1) / _densities(state, distances, indices)
