"""A bounded uniform sample of the rows of a stream, for statistics over all rows seen.

``partial_fit`` sees its rows one chunk at a time. The statistics a fit computes over its
training rows (the detector's error normalisation, isolation forest, rank grids and
threshold) must come from all the rows of the stream, not from the last chunk, without
holding the stream: :class:`RowReservoir` keeps a uniform random sample of at most
:data:`RESERVOIR_ROWS` rows of everything it was given (each row draws a random key; the
rows with the smallest keys are kept, a "bottom-k" sample), with their weights. Up to that
many rows it holds every row, so the statistics are those of all the rows; beyond, an
unbiased estimate from the sample. Memory: at most ``RESERVOIR_ROWS * (n_features + 2)``
float64 values (about 80 MB for 100 columns).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RESERVOIR_ROWS", "RowReservoir"]

#: Most rows a reservoir keeps.
RESERVOIR_ROWS = 100_000


class RowReservoir:
    """A uniform random sample of at most ``size`` rows, with their weights.

    Immutable: :meth:`add` returns a new reservoir, so a snapshot taken before a fit
    stays as it was if the fit fails.

    Parameters
    ----------
    size : int, default=RESERVOIR_ROWS
        Most rows kept.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._reservoir import RowReservoir
    >>> pool = RowReservoir(size=5).add(np.ones((3, 2)), seed=0).add(np.zeros((4, 2)), seed=0)
    >>> pool.rows.shape, pool.n_seen
    ((5, 2), 7)
    """

    def __init__(self, size: int = RESERVOIR_ROWS):
        self.size, self.n_seen = int(size), 0
        self.rows = self.weights = self._keys = None

    def add(self, rows: np.ndarray, weights: np.ndarray | None = None, *,
            seed: int) -> RowReservoir:
        """A new reservoir holding a uniform sample of these rows and the ones before.

        ``seed`` and the number of rows seen so far seed the rows' keys, so that a
        repeated stream gives the same sample and each chunk draws keys of its own.
        """
        rows = np.asarray(rows, dtype=np.float64)
        weights = (np.ones(len(rows)) if weights is None
                   else np.asarray(weights, dtype=np.float64))
        n_added = len(rows)
        keys = np.random.default_rng([int(seed), self.n_seen]).random(n_added)
        if self.rows is not None:
            rows = np.concatenate([self.rows, rows])
            weights = np.concatenate([self.weights, weights])
            keys = np.concatenate([self._keys, keys])
        if len(keys) > self.size:
            keep = np.sort(np.argpartition(keys, self.size - 1)[: self.size])
            rows, weights, keys = rows[keep], weights[keep], keys[keep]
        new = RowReservoir(self.size)
        new.n_seen = self.n_seen + n_added
        new.rows, new.weights, new._keys = rows, weights, keys
        return new
