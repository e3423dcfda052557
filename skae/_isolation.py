"""An isolation forest grown and scored as flat arrays, in a few vectorised numpy steps.

scikit-learn's ``IsolationForest`` grows its trees one at a time (about a millisecond per
tree) and walks them one at a time in Python to score, which costs milliseconds for a
single row. :func:`fit_isolation_forest` grows all trees of the same distribution at once,
straight into padded, flattened arrays; :func:`isolation_scores` descends all trees at
once, one level per numpy step (at most ``ceil(log2(max_samples))`` levels), with
scikit-learn's float32 comparisons and path lengths, so a forest copied from
scikit-learn (:func:`flatten_isolation_forest`) scores exactly as scikit-learn does.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

__all__ = ["fit_isolation_forest", "flatten_isolation_forest", "isolation_scores"]

#: Rows per vectorised step: bounds the temporary ``(rows, n_trees)`` index arrays. Small
#: enough for them to stay in the CPU's cache (at 300 trees, 512 rows scored 100,000 rows
#: twice as fast as 4096 on a 2-core machine).
_CHUNK_ROWS = 512


def fit_isolation_forest(X: np.ndarray, *, n_estimators: int = 100, seed: int = 0) -> dict:
    """Grow an isolation forest on X directly as flattened arrays.

    The trees are scikit-learn's ``IsolationForest(n_estimators=n_estimators)`` in
    distribution: each is grown on ``min(256, n_samples)`` rows drawn without replacement,
    to a depth of ``ceil(log2(max_samples))``; a node of two or more rows splits on a
    column drawn uniformly from those not constant in it (range above ``1e-7``), at a
    threshold drawn uniformly between the column's smallest and largest value there; a
    node whose columns are all constant is a leaf. Values are compared as float32, as
    scikit-learn does. All trees grow at once, one level per vectorised step, which is
    about ten times faster than scikit-learn's loop over trees; the random draws differ,
    so a forest equals scikit-learn's in distribution, not tree for tree
    (:func:`flatten_isolation_forest` copies a fitted scikit-learn forest exactly).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows.
    n_estimators : int, default=100
        Number of trees.
    seed : int, default=0
        Seed of the forest's own random generator (no global state is used).

    Returns
    -------
    forest : dict
        Plain arrays and numbers (so that an estimator holding it saves as data):
        ``feature``, ``threshold``, ``child``, ``path`` (all trees' nodes, each tree in a
        block of one width, flattened: split column, split threshold, left child - the
        right child is the next node; a leaf points to itself and never goes right - and,
        at leaves, scikit-learn's path length: depth plus the expected depth of the
        training rows left there), ``starts`` (each tree's root), ``depth`` (levels to
        descend) and ``denominator`` (``n_trees * c(max_samples)``).

    Examples
    --------
    >>> import numpy as np
    >>> from skae._isolation import fit_isolation_forest, isolation_scores
    >>> X = np.random.default_rng(0).normal(size=(300, 4))
    >>> forest = fit_isolation_forest(X, seed=0)
    >>> scores = isolation_scores(forest, np.array([[0.0, 0.0, 0.0, 0.0], [6.0, 6.0, 6.0, 6.0]]))
    >>> bool(scores[1] > scores[0])
    True
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    n_rows = X.shape[0]
    rng = np.random.default_rng(seed)
    max_samples = min(256, n_rows)
    max_depth = int(np.ceil(np.log2(max(max_samples, 2))))
    width = 2 ** (max_depth + 1) - 1  # a complete binary tree: node i's children 2i+1, 2i+2
    feature, threshold, child, path = _blank_nodes(n_estimators * width)
    rows = np.concatenate([rng.choice(n_rows, max_samples, replace=False)
                           for _ in range(n_estimators)])
    node = np.repeat(np.arange(n_estimators, dtype=np.int64) * width, max_samples)
    levels = 0
    for depth in range(max_depth + 1):
        if not node.size:
            break
        # the rows are grouped by node, nodes in increasing order (children keep it)
        starts = np.r_[0, np.flatnonzero(np.diff(node)) + 1]
        counts = np.diff(np.r_[starts, node.size])
        ids = node[starts]
        column = np.full(ids.size, -1, dtype=np.int64)
        low, high = np.zeros(ids.size), np.zeros(ids.size)
        if depth < max_depth:
            _draw_split_columns(X, rows, starts, counts, counts >= 2, rng, column, low, high)
        inner = column >= 0
        leaves = ids[~inner]
        path[leaves] = depth + _expected_depth(counts[~inner])
        if not inner.any():
            break
        levels = depth + 1
        cut = low[inner] + rng.random(int(inner.sum())) * (high[inner] - low[inner])
        cut = np.where(cut == high[inner], low[inner], cut)  # as scikit-learn: never the top
        split = ids[inner]
        tree_base = split - split % width
        feature[split] = column[inner]
        threshold[split] = cut
        child[split] = tree_base + 2 * (split - tree_base) + 1
        # move each row of a split node to its child; drop the rows that reached a leaf
        node_of_row = np.repeat(ids, counts)
        keep = inner.repeat(counts)
        rows, node_of_row = rows[keep], node_of_row[keep]
        go_right = X[rows, feature[node_of_row]] > threshold[node_of_row]
        node = child[node_of_row].astype(np.int64) + go_right
        order = np.argsort(node, kind="stable")
        rows, node = rows[order], node[order]
    forest = _compact(feature, threshold, child, path, n_estimators, width)
    forest["depth"] = levels
    forest["denominator"] = float(n_estimators * _expected_depth(np.array([max_samples]))[0])
    return forest


def _blank_nodes(size: int) -> tuple[np.ndarray, ...]:
    """``feature``, ``threshold``, ``child`` and ``path`` of ``size`` nodes that are all
    leaves: they never go right (threshold +inf) and point to themselves."""
    return (np.zeros(size, dtype=np.int32), np.full(size, np.inf),
            np.arange(size, dtype=np.int32), np.zeros(size))


def _compact(feature, threshold, child, path, n_trees: int, width: int) -> dict:
    """Keep only the nodes the trees grew, each tree in one block of the largest tree's
    size: in a complete tree's numbering the nodes grown, in order, are breadth-first and
    every right child still follows its left sibling (scoring reads fewer, closer nodes)."""
    grown = np.zeros(n_trees * width, dtype=bool)
    grown[np.arange(n_trees) * width] = True  # roots
    inner = np.flatnonzero(np.isfinite(threshold))
    grown[child[inner]] = grown[child[inner] + 1] = True
    per_tree = grown.reshape(n_trees, width).sum(axis=1)
    size = int(per_tree.max())
    old = np.flatnonzero(grown)
    tree = old // width
    rank = np.arange(old.size) - np.repeat(np.cumsum(per_tree) - per_tree, per_tree)
    new = np.full(n_trees * width, -1, dtype=np.int64)
    new[old] = tree * size + rank
    out_feature, out_threshold, out_child, out_path = _blank_nodes(n_trees * size)
    out_feature[new[old]], out_threshold[new[old]] = feature[old], threshold[old]
    out_path[new[old]] = path[old]
    out_child[new[inner]] = new[child[inner]]
    return {"feature": out_feature, "threshold": out_threshold, "child": out_child,
            "path": out_path, "starts": np.arange(n_trees, dtype=np.int32) * size}


#: scikit-learn's ``FEATURE_THRESHOLD``: a column whose range in a node is at most this is
#: constant there and is not split on.
_CONSTANT_RANGE = 1e-7
#: Rounds of drawing a column at random before the columns of a node still without one are
#: examined all at once (rows with many constant columns).
_REDRAWS = 4


def _draw_split_columns(X, rows, starts, counts, splittable, rng, column, low, high) -> None:
    """For each ``splittable`` node, a column drawn uniformly from those not constant in it,
    and its smallest and largest value there (written into ``column``, ``low``, ``high``;
    a node whose columns are all constant keeps ``column == -1``).

    Rejection sampling (draw a column, redraw where it is constant) is exact; nodes left
    after ``_REDRAWS`` rounds draw from their non-constant columns directly.
    """
    n_columns = X.shape[1]
    pending = np.flatnonzero(splittable)
    for _ in range(_REDRAWS):
        if not pending.size:
            return
        drawn = rng.integers(n_columns, size=pending.size)
        lengths = counts[pending]
        node_rows = rows[np.repeat(starts[pending], lengths)
                         + _ranges(lengths)]
        values = X[node_rows, np.repeat(drawn, lengths)].astype(np.float64)
        bounds = np.r_[0, np.cumsum(lengths)[:-1]]
        lo, hi = np.minimum.reduceat(values, bounds), np.maximum.reduceat(values, bounds)
        found = hi > lo + _CONSTANT_RANGE
        done = pending[found]
        column[done], low[done], high[done] = drawn[found], lo[found], hi[found]
        pending = pending[~found]
    for i in pending:
        values = X[rows[starts[i]:starts[i] + counts[i]]].astype(np.float64)
        lo, hi = values.min(axis=0), values.max(axis=0)
        candidates = np.flatnonzero(hi > lo + _CONSTANT_RANGE)
        if candidates.size:
            pick = candidates[rng.integers(candidates.size)]
            column[i], low[i], high[i] = pick, lo[pick], hi[pick]


def _expected_depth(n_rows: np.ndarray) -> np.ndarray:
    """scikit-learn's ``_average_path_length``: the expected depth at which ``n_rows``
    rows would be isolated (0 for one row, 1 for two)."""
    n = np.asarray(n_rows, dtype=np.float64)
    bulk = np.maximum(n, 3.0)
    depth = 2.0 * (np.log(bulk - 1.0) + np.euler_gamma) - 2.0 * (bulk - 1.0) / bulk
    return np.where(n <= 1, 0.0, np.where(n == 2, 1.0, depth))


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """``0 .. length - 1`` for each length, concatenated."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1]) - np.repeat(ends - lengths, lengths)


def flatten_isolation_forest(model: IsolationForest) -> dict:
    """Copy a fitted scikit-learn ``IsolationForest`` into the arrays of
    :func:`fit_isolation_forest` (nodes in breadth-first order), so that
    :func:`isolation_scores` gives exactly ``-model.score_samples``.

    Parameters
    ----------
    model : IsolationForest
        A fitted forest.

    Returns
    -------
    forest : dict
        As :func:`fit_isolation_forest` returns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from skae._isolation import flatten_isolation_forest, isolation_scores
    >>> X = np.random.default_rng(0).normal(size=(300, 4))
    >>> model = IsolationForest(random_state=0).fit(X)
    >>> bool(np.allclose(isolation_scores(flatten_isolation_forest(model), X),
    ...                  -model.score_samples(X)))
    True
    """
    trees = [est.tree_ for est in model.estimators_]
    width = max(tree.node_count for tree in trees)
    feature, threshold, child, path = _blank_nodes(len(trees) * width)
    for t, (tree, columns) in enumerate(zip(trees, model.estimators_features_, strict=True)):
        order = _breadth_first(tree.children_left, tree.children_right)
        new = np.empty(tree.node_count, dtype=np.int64)
        new[order] = t * width + np.arange(tree.node_count)
        inner = tree.children_left >= 0
        feature[new[inner]] = np.asarray(columns)[tree.feature[inner]]
        threshold[new[inner]] = tree.threshold[inner]
        child[new[inner]] = new[tree.children_left[inner]]  # the right child follows it
        path[new] = (tree.compute_node_depths()
                     + _expected_depth(tree.n_node_samples) - 1.0)
    return {
        "feature": feature, "threshold": threshold, "child": child, "path": path,
        "starts": np.arange(len(trees), dtype=np.int32) * width,
        "depth": int(max(tree.max_depth for tree in trees)),
        "denominator": float(len(trees) * _expected_depth(np.array([model._max_samples]))[0]),
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

    For a forest copied from scikit-learn (:func:`flatten_isolation_forest`), equal to
    ``-IsolationForest.score_samples(X)``; :func:`fit_isolation_forest`'s forests score
    the same way.

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
