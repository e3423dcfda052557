"""Checks of the detector's fitted internals as read from a file, before any is used.

A skae file is data, but data can still be hostile: an isolation forest whose ``depth``
is huge makes every prediction hang, child indices out of range read other trees' nodes,
a grid out of order breaks the rank mapping. Every array and number is checked here
against the shape, dtype and bounds that :func:`skae._isolation.fit_isolation_forest` and
:func:`skae._hybrid.fit_rank_grid` produce; anything else raises ``ValueError``.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

__all__ = ["check_forest", "check_grid", "check_neighbours"]

_FOREST_KEYS = {"feature", "threshold", "child", "path", "starts", "depth", "denominator"}
_GRID_SIZE = 1001
_NEIGHBOUR_KEYS = {"spread", "rows", "k_distance", "lrd"}


def _bad(what: str, problem: str) -> ValueError:
    return ValueError(f"corrupt or tampered detector: {what} {problem}")


def _vector(forest: dict, key: str, kind: str) -> np.ndarray:
    value = forest[key]
    if not (isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == kind):
        raise _bad(f"isolation_forest_[{key!r}]", f"is not a 1-D array of kind {kind!r}")
    return value


def check_forest(forest, n_columns: int) -> None:
    """Refuse a flattened isolation forest that :func:`fit_isolation_forest` cannot make.

    Parameters
    ----------
    forest : dict
        As read from a file.
    n_columns : int
        Columns of the rows the forest scores.

    Raises
    ------
    ValueError
        Naming the first key that is out of shape, dtype or bounds.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._isolation import fit_isolation_forest
    >>> from skae._loaded_checks import check_forest
    >>> forest = fit_isolation_forest(np.random.default_rng(0).normal(size=(50, 3)))
    >>> check_forest(forest, 3)
    >>> forest["depth"] = 10**9
    >>> check_forest(forest, 3)
    Traceback (most recent call last):
    ...
    ValueError: corrupt or tampered detector: isolation_forest_['depth'] is ...
    """
    if not isinstance(forest, dict) or set(forest) != _FOREST_KEYS:
        raise _bad("isolation_forest_", f"does not have the keys {sorted(_FOREST_KEYS)}")
    feature, child = _vector(forest, "feature", "i"), _vector(forest, "child", "i")
    threshold, path = _vector(forest, "threshold", "f"), _vector(forest, "path", "f")
    starts = _vector(forest, "starts", "i")
    size = feature.size
    if not (size and starts.size and size % starts.size == 0
            and child.size == threshold.size == path.size == size):
        raise _bad("isolation_forest_", "arrays of unequal or zero lengths")
    width = size // starts.size
    if not np.array_equal(starts, np.arange(starts.size) * width):
        raise _bad("isolation_forest_['starts']", "are not the trees' roots")
    if not (np.isfinite(path).all() and (path >= 0).all()):
        raise _bad("isolation_forest_['path']", "holds negative or non-finite lengths")
    _check_nodes(feature, threshold, child, width, n_columns)
    _check_depth(forest, child, threshold, starts, width)
    denominator = forest["denominator"]
    if not (isinstance(denominator, Real) and np.isfinite(denominator) and denominator >= 0):
        raise _bad("isolation_forest_['denominator']", f"is {denominator!r}")


def _check_nodes(feature, threshold, child, width: int, n_columns: int) -> None:
    """Inner nodes split on a real column and point forward inside their own tree; leaves
    (threshold +inf) point to themselves."""
    node = np.arange(feature.size)
    leaf = threshold == np.inf
    inner = ~leaf
    if np.isnan(threshold).any() or (threshold == -np.inf).any():
        raise _bad("isolation_forest_['threshold']", "holds NaN or -inf")
    if not np.array_equal(child[leaf], node[leaf]):
        raise _bad("isolation_forest_['child']", "of a leaf does not point to itself")
    tree_end = (node // width + 1) * width
    left = child[inner].astype(np.int64)
    if not ((left > node[inner]).all() and (left + 1 < tree_end[inner]).all()):
        raise _bad("isolation_forest_['child']", "points outside its tree or backwards")
    columns = feature[inner]
    if columns.size and not (0 <= int(columns.min()) and int(columns.max()) < n_columns):
        raise _bad("isolation_forest_['feature']",
                   f"splits on a column outside the detector's {n_columns}")


def _check_depth(forest, child, threshold, starts, width: int) -> None:
    """``depth`` is an int equal to the levels the trees really have."""
    depth = forest["depth"]
    if not (isinstance(depth, Integral) and not isinstance(depth, bool) and 0 <= depth <= width):
        raise _bad("isolation_forest_['depth']", f"is {depth!r}, not a level count of trees "
                                                 f"of {width} nodes")
    frontier, levels = starts.astype(np.int64), 0
    while True:
        inner = frontier[np.isfinite(threshold[frontier])]
        if not inner.size:
            break
        levels += 1
        left = child[inner].astype(np.int64)
        frontier = np.unique(np.concatenate([left, left + 1]))  # at most `width` nodes
    if levels != depth:
        raise _bad("isolation_forest_['depth']", f"is {depth}, but the trees have {levels} "
                                                 "levels")


def check_grid(grid, name: str) -> None:
    """Refuse a rank grid that is not 1001 finite, non-decreasing floats.

    Parameters
    ----------
    grid : object
        As read from a file.
    name : str
        The attribute's name, for the message.

    Raises
    ------
    ValueError
    """
    if not (isinstance(grid, np.ndarray) and grid.dtype.kind == "f"
            and grid.shape == (_GRID_SIZE,) and np.isfinite(grid).all()
            and (np.diff(grid) >= 0).all()):
        raise _bad(name, f"is not {_GRID_SIZE} finite non-decreasing floats")


def check_neighbours(state, n_columns: int) -> None:
    """Refuse a neighbour views' state that :func:`~skae._neighbours.fit_neighbours`
    cannot make: wrong keys, shapes or dtypes, non-finite values, non-positive spreads or
    densities.

    Parameters
    ----------
    state : dict
        As read from a file.
    n_columns : int
        Columns of the rows the state scores.

    Raises
    ------
    ValueError
        Naming the first key that is out of shape, dtype or bounds.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._loaded_checks import check_neighbours
    >>> from skae._neighbours import fit_neighbours
    >>> state = fit_neighbours(np.random.default_rng(0).normal(size=(50, 3)), seed=0)
    >>> check_neighbours(state, 3)
    >>> check_neighbours({**state, "lrd": -state["lrd"]}, 3)
    Traceback (most recent call last):
    ...
    ValueError: corrupt or tampered detector: neighbours_['lrd'] is not ...
    """
    if not isinstance(state, dict) or set(state) != _NEIGHBOUR_KEYS:
        raise _bad("neighbours_", f"does not have the keys {sorted(_NEIGHBOUR_KEYS)}")
    rows = state["rows"]
    if not (isinstance(rows, np.ndarray) and rows.dtype.kind == "f" and rows.ndim == 2
            and rows.shape[0] >= 2 and rows.shape[1] == n_columns
            and np.isfinite(rows).all()):
        raise _bad("neighbours_['rows']", f"is not finite floats of shape (>= 2, {n_columns})")
    shapes = {"spread": (n_columns,), "k_distance": (rows.shape[0],), "lrd": (rows.shape[0],)}
    for key, shape in shapes.items():
        value = state[key]
        if not (isinstance(value, np.ndarray) and value.dtype.kind == "f"
                and value.shape == shape and np.isfinite(value).all()
                and (value >= 0).all() and (key == "k_distance" or (value > 0).all())):
            raise _bad(f"neighbours_[{key!r}]", f"is not {shape[0]} finite positive floats")
