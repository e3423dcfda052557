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

#: Rows per vectorised step: bounds the temporary ``(rows, n_trees)`` index arrays. Small
#: enough for them to stay in the CPU's cache (at 300 trees, 512 rows scored 100,000 rows
#: twice as fast as 4096 on a 2-core machine).
_CHUNK_ROWS = 512


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
        ``feature``, ``threshold``, ``child``, ``path`` (all trees' nodes in
        breadth-first order, padded to one width and flattened: split column, split
        threshold, left child - the right child is the next node; a leaf points to
        itself and never goes right - and, at leaves, scikit-learn's path length: depth
        plus the expected depth of the training rows left there), ``starts`` (each
        tree's root), ``depth`` (levels to descend) and ``denominator`` (``n_trees *
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
    feature = np.zeros(size, dtype=np.int32)
    threshold = np.full(size, np.inf)  # leaves: never go right
    child = np.arange(size, dtype=np.int32)  # leaves point to themselves
    path = np.zeros(size)
    for t, (tree, columns) in enumerate(zip(trees, model.estimators_features_, strict=True)):
        order = _breadth_first(tree.children_left, tree.children_right)
        new = np.empty(tree.node_count, dtype=np.int64)
        new[order] = t * width + np.arange(tree.node_count)
        inner = tree.children_left >= 0
        feature[new[inner]] = np.asarray(columns)[tree.feature[inner]]
        threshold[new[inner]] = tree.threshold[inner]
        child[new[inner]] = new[tree.children_left[inner]]  # the right child follows it
        path[new] = (tree.compute_node_depths()
                     + _average_path_length(tree.n_node_samples) - 1.0)
    return {
        "feature": feature, "threshold": threshold, "child": child, "path": path,
        "starts": np.arange(len(trees), dtype=np.int32) * width,
        "depth": int(max(tree.max_depth for tree in trees)),
        "denominator": float(len(trees) * _average_path_length([model._max_samples])[0]),
    }


def _breadth_first(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Node ids in an order where every right child directly follows its left sibling."""
    order, queue = [0], [0]
    while queue:
        node = queue.pop(0)
        if left[node] >= 0:
            order += [left[node], right[node]]
            queue += [left[node], right[node]]
    return np.asarray(order, dtype=np.int64)


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
    X = np.ascontiguousarray(X, dtype=np.float32)  # the trees compare float32 values
    feature, threshold = forest["feature"], forest["threshold"]
    child, starts = forest["child"], forest["starts"]
    out = np.empty(X.shape[0])
    n_features = X.shape[1]
    for lo in range(0, X.shape[0], _CHUNK_ROWS):
        rows = X[lo:lo + _CHUNK_ROWS].ravel()
        base = (np.arange(rows.size // n_features, dtype=np.int64) * n_features)[:, np.newaxis]
        node = np.broadcast_to(starts, (base.shape[0], starts.size))
        for _ in range(forest["depth"]):
            go_right = rows.take(base + feature.take(node)) > threshold.take(node)
            node = child.take(node) + go_right
        out[lo:lo + _CHUNK_ROWS] = forest["path"].take(node).sum(axis=1)
    if forest["denominator"] <= 0:  # one training row: scikit-learn's score is 2 ** -1
        return np.full(X.shape[0], 0.5)
    return 2.0 ** (-out / forest["denominator"])
