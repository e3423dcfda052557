"""Dask collections in, Dask collections out: skae's estimators on a cluster.

:func:`dask_aware` wraps an estimator class's scoring methods so that, given a Dask array
or a Dask DataFrame, each returns the lazy Dask counterpart of its NumPy result: the rows
are scored block by block (``map_blocks`` / ``map_partitions``, with the output's dtype and
shape declared up front, so building the graph computes nothing), and the fitted estimator
travels as one key of the graph - sent to each worker once, never once per block. As with
any lazy result, compute it before refitting the estimator. Any other input takes the
ordinary in-memory path.

Dask itself is imported only when a Dask collection arrives (see :mod:`._dask_import`).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._dask_import import import_dask, is_dask_collection

__all__ = ["dask_aware", "map_rows"]

#: Methods that map rows to per-row outputs; each is wrapped when the class has it.
SCORING_METHODS = (
    "predict", "score_samples", "decision_function", "transform", "inverse_transform",
    "reconstruction_error", "reconstruct",
)

def dask_aware(cls):
    """Class decorator: the class's scoring methods accept Dask collections.

    Wraps each of :data:`SCORING_METHODS` that the class has as a plain method, so the
    class gains no method it did not have (scikeras's ``predict``, available only when
    the class defines its own, is left alone). A wrapped method given a Dask collection
    returns a lazy Dask collection. Everything else goes to the original method
    unchanged. (``fit``, ``partial_fit`` and ``fit_threshold`` are not wrapped, so that
    their warnings still point at the caller's line: the estimators hand Dask collections
    and chunks to :mod:`skae._out_of_core` and :mod:`skae._chunks` themselves.)
    """
    for name in SCORING_METHODS:
        if inspect.isfunction(inspect.getattr_static(cls, name, None)):
            setattr(cls, name, _lazy_on_dask(name, getattr(cls, name)))
    return cls


def _lazy_on_dask(name: str, method):
    @functools.wraps(method)
    def method_or_lazy(self, X, *args, **kwargs):
        if is_dask_collection(X):
            return map_rows(self, name, X, *args, **kwargs)
        return method(self, X, *args, **kwargs)

    return method_or_lazy


# ---------------------------------------------------------------------------- block mapping
def map_rows(estimator, method: str, X, *args, **kwargs):
    """``estimator.<method>(X, ...)`` for a Dask collection ``X``, as a lazy collection.

    Parameters
    ----------
    estimator : fitted skae estimator
    method : str
        One of :data:`SCORING_METHODS`.
    X : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
        Rows to score (codes for ``inverse_transform``).
    *args, **kwargs
        Further arguments of the method (e.g. ``per_feature=True``).

    Returns
    -------
    out : dask.array.Array, dask.dataframe.Series or dask.dataframe.DataFrame
        Arrays give arrays chunked like ``X``'s rows; DataFrames give a Series (one value
        per row) or a DataFrame (with named columns) on ``X``'s index.
    """
    check_is_fitted(estimator)
    frame = hasattr(X, "map_partitions") and hasattr(X, "columns")
    dask, da, _ = import_dask(dataframe=frame)
    if not frame and not isinstance(X, da.Array):
        raise TypeError(
            f"{method} takes a Dask array or Dask DataFrame of rows, got "
            f"{type(X).__name__}; convert it with .to_dask_array() or .to_frame()."
        )
    # the same checks as in memory, on a stand-in row, before any graph is built
    sample = getattr(estimator, method)(_stand_in(X, frame), *args, **kwargs)
    sample = np.asarray(sample)
    # one key of the graph: pickled once when a cluster receives the graph, then fetched
    # once by each worker that needs it; the threaded scheduler uses it as it is
    frozen = dask.delayed(estimator, pure=False, traverse=False)
    call = (method, args, kwargs, sample.dtype, sample.shape[1:])
    if frame:
        return _map_partitions(estimator, X, frozen, call)
    if X.ndim == 2 and X.numblocks[1] > 1:
        X = X.rechunk({1: -1})  # a block holds whole rows
    if sample.ndim == 1:
        return X.map_blocks(
            _block, frozen, call, drop_axis=1, dtype=sample.dtype,
            meta=np.empty((0,), sample.dtype), chunks=(X.chunks[0],),
        )
    return X.map_blocks(
        _block, frozen, call, dtype=sample.dtype, meta=np.empty((0, 0), sample.dtype),
        chunks=(X.chunks[0], (sample.shape[1],)),
    )


def _stand_in(X, frame: bool):
    """Two rows shaped and typed like ``X``'s: the method's checks run on them."""
    if frame:
        from dask.dataframe.utils import meta_nonempty

        return meta_nonempty(X._meta)
    shape = (2, *X.shape[1:]) if X.ndim >= 2 else (2,)
    return np.ones(shape, dtype=X.dtype)


def _block(block: np.ndarray, estimator, call) -> np.ndarray:
    """Score one block (runs on a worker)."""
    method, args, kwargs, dtype, tail = call
    if block.shape[0] == 0:  # Dask may hand over empty blocks; the estimator refuses them
        return np.empty((0, *tail), dtype=dtype)
    return np.asarray(getattr(estimator, method)(block, *args, **kwargs))


def _output_columns(estimator, method: str, X) -> list:
    """Column names of a 2-D output for DataFrame input."""
    if method == "transform":
        return list(estimator.get_feature_names_out())
    if method == "inverse_transform":
        names = getattr(estimator, "feature_names_in_", None)
        return list(names) if names is not None else list(range(estimator.n_features_in_))
    return list(X.columns)


def _map_partitions(estimator, X, frozen, call):
    import pandas as pd

    method, _, _, dtype, tail = call
    if tail:
        columns = _output_columns(estimator, method, X)
        meta = pd.DataFrame(np.empty((0, len(columns)), dtype=dtype), columns=columns)
    else:
        columns, meta = None, pd.Series(np.empty((0,), dtype=dtype))
    return X.map_partitions(_partition, frozen, call, columns, meta=meta)


def _partition(part, estimator, call, columns):
    """Score one partition (runs on a worker); the result keeps the partition's index."""
    import pandas as pd

    out = _block(part, estimator, call)
    if columns is None:
        return pd.Series(out, index=part.index)
    return pd.DataFrame(out, index=part.index, columns=columns)

