"""Rows that arrive in chunks: Dask collections and iterators of arrays or DataFrames.

The detector's threshold needs one reconstruction error per row over all the rows (an
exact quantile of one float per row), never the rows themselves at once:
:func:`scores_of_chunks` computes the scores chunk by chunk and keeps only them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ._dask_import import import_dask, is_dask_collection

__all__ = ["as_rows", "scores_of_chunks"]


def as_rows(chunk):
    """A chunk as something the estimators validate: pyarrow tables/batches to pandas."""
    to_pandas = getattr(chunk, "to_pandas", None)
    return to_pandas() if callable(to_pandas) and not hasattr(chunk, "iloc") else chunk


def _errors_of_chunks(estimator, chunks: Iterator, y) -> tuple[np.ndarray, np.ndarray | None]:
    if y is not None:
        raise ValueError(
            "With an iterator of chunks, pass the labels inside it, as (X_chunk, y_chunk) "
            "pairs, not as y."
        )
    errors, labels = [], []
    for chunk in chunks:
        if isinstance(chunk, tuple):
            if len(chunk) != 2:
                raise ValueError(
                    f"A chunk given as a tuple must be (X_chunk, y_chunk); got {len(chunk)} items."
                )
            chunk, chunk_y = chunk
            labels.append(np.asarray(as_rows(chunk_y)).ravel())
        errors.append(-estimator.score_samples(as_rows(chunk)))
    if not errors:
        raise ValueError("The iterator of chunks gave no rows; no threshold can be set.")
    if labels and len(labels) != len(errors):
        raise ValueError(
            "Either every chunk comes with its labels, as (X_chunk, y_chunk), or none."
        )
    return np.concatenate(errors), (np.concatenate(labels) if labels else None)


def _errors_of_collection(estimator, X, y, sample_weight):
    """The anomaly scores of a Dask collection's rows, its labels and weights, computed."""
    dask, _, _ = import_dask()
    errors = -estimator.score_samples(X)  # the anomaly score the threshold is set on
    errors, y, sample_weight = dask.compute(errors, y, sample_weight)
    labels = None if y is None else np.asarray(y).ravel()
    return np.asarray(errors), labels, sample_weight


def scores_of_chunks(estimator, X, y=None, *, sample_weight=None):
    """The anomaly scores of rows that arrive in chunks, with their labels and weights.

    Parameters
    ----------
    estimator : ReconstructionOutlierDetector
        A fitted detector.
    X : Dask array, Dask DataFrame or iterator of chunks
        The chunks of an iterator are arrays or DataFrames (pyarrow record batches and
        tables are converted to pandas), or ``(X_chunk, y_chunk)`` pairs when
        ``normal_label`` is set.
    y : Dask or NumPy array, or None
        Labels of a Dask ``X`` (with ``normal_label``); must be None for an iterator.
    sample_weight : Dask or NumPy array of shape (n_samples,), or None
        Row weights of a Dask ``X`` in the threshold's statistics; an iterator of chunks
        takes none.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        ``-estimator.score_samples`` of every row, computed chunk by chunk.
    labels, sample_weight : ndarray of shape (n_samples,) or None
        Computed, in the rows' order.
    """
    if is_dask_collection(X):
        return _errors_of_collection(estimator, X, y, sample_weight)
    if sample_weight is not None:
        raise ValueError(
            "fit_threshold takes no sample_weight with an iterator of chunks; pass the rows "
            "as a Dask collection or an array to weight them."
        )
    return (*_errors_of_chunks(estimator, X, y), None)
