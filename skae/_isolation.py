"""An isolation forest flattened into arrays, scored in a few vectorised numpy steps.

scikit-learn's ``IsolationForest.score_samples`` walks its trees one at a time in Python,
which costs milliseconds for a single row. :func:`fit_isolation_forest` trains the same
forest and copies every tree into padded, flattened arrays; scoring then descends all
trees at once, one level per numpy step (at most ``ceil(log2(max_samples))`` levels), and
gives exactly scikit-learn's scores (the same float32 comparisons, the same path lengths).
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.ensemble._iforest import _average_path_length

__all__ = ["fit_isolation_forest", "isolation_scores"]

#: Rows per vectorised step: bounds the temporary ``(rows, n_trees)`` index arrays.
_CHUNK_ROWS = 2048


def fit_isolation_forest(X: np.ndarray, *, n_estimators: int = 100, seed: int = 0) -> dict:
    """Train scikit-learn's ``IsolationForest`` on X and flatten it into arrays.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows.
    n_estimators : int, default=100
        Number of trees.
    seed : int, default=0
        ``random_state`` of the forest.

    Returns
    -------
    forest : dict
        Plain arrays and numbers (so that an estimator holding it saves as data):
        ``feature``, ``threshold``, ``left``, ``right``, ``path`` (all trees' nodes,
        padded to one width and flattened: split column, split threshold, children - a
        leaf points to itself - and, at leaves, scikit-learn's path length: depth plus
        the expected depth of the training rows left there), ``starts`` (each tree's
        root), ``depth`` (levels to descend) and ``denominator`` (``n_trees *
        c(max_samples)``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from skae._isolation import fit_isolation_forest, isolation_scores
    >>> X = np.random.default_rng(0).normal(size=(300, 4))
    >>> forest = fit_isolation_forest(X, seed=0)
    >>> reference = -IsolationForest(random_state=0).fit(X).score_samples(X)
    >>> bool(np.allclose(isolation_scores(forest, X), reference))
    True
    """
    model = IsolationForest(n_estimators=n_estimators, random_state=seed)
    model.fit(np.asarray(X, dtype=np.float32))
    trees = [est.tree_ for est in model.estimators_]
    width = max(tree.node_count for tree in trees)
    size = len(trees) * width
    feature = np.zeros(size, dtype=np.int64)
    threshold = np.full(size, np.inf)
    index = np.arange(size, dtype=np.int64)
    left, right, path = index.copy(), index.copy(), np.zeros(size)
    for t, (tree, columns) in enumerate(zip(trees, model.estimators_features_, strict=True)):
        start = t * width
        inner = tree.children_left >= 0
        nodes = start + np.flatnonzero(inner)
        feature[nodes] = np.asarray(columns)[tree.feature[inner]]
        threshold[nodes] = tree.threshold[inner]
        left[nodes] = start + tree.children_left[inner]
        right[nodes] = start + tree.children_right[inner]
        path[start:start + tree.node_count] = (
            tree.compute_node_depths() + _average_path_length(tree.n_node_samples) - 1.0)
    return {
        "feature": feature, "threshold": threshold, "left": left, "right": right,
        "path": path, "starts": np.arange(len(trees), dtype=np.int64) * width,
        "depth": int(max(tree.max_depth for tree in trees)),
        "denominator": float(len(trees) * _average_path_length([model._max_samples])[0]),
    }


def isolation_scores(forest: dict, X: np.ndarray) -> np.ndarray:
    """Anomaly score of each row of X under a flattened forest.

    Equal to ``-IsolationForest.score_samples(X)`` of the forest
    :func:`fit_isolation_forest` trained.

    Parameters
    ----------
    forest : dict
        As returned by :func:`fit_isolation_forest`.
    X : ndarray of shape (n_samples, n_features)
        Rows to score.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In (0, 1]; higher is more anomalous. Each row's score depends on that row only.
    """
    X = np.asarray(X, dtype=np.float32)  # the trees compare float32 values
    feature, threshold = forest["feature"], forest["threshold"]
    left, right, starts = forest["left"], forest["right"], forest["starts"]
    out = np.empty(X.shape[0])
    for lo in range(0, X.shape[0], _CHUNK_ROWS):
        rows = X[lo:lo + _CHUNK_ROWS]
        node = np.broadcast_to(starts, (rows.shape[0], starts.size))
        row_index = np.arange(rows.shape[0])[:, np.newaxis]
        for _ in range(forest["depth"]):
            go_left = rows[row_index, feature[node]] <= threshold[node]
            node = np.where(go_left, left[node], right[node])
        out[lo:lo + _CHUNK_ROWS] = forest["path"][node].sum(axis=1)
    if forest["denominator"] <= 0:  # one training row: scikit-learn's score is 2 ** -1
        return np.full(X.shape[0], 0.5)
    return 2.0 ** (-out / forest["denominator"])
