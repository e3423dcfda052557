"""Combine two anomaly scores of different units into one, row by row.

Each score is first mapped to its *training rank*: the fraction of the training rows
that score lower, read off a fixed grid of the training scores' quantiles (linear in
between; beyond the highest training score it keeps growing along the line through the
top decile, so that rows more extreme than every training row stay ordered). The ranks
are then averaged with weights, either as they are (``"rank"``) or as tail scores
(``"tail"``, :func:`tail_score`: minus the log of the share of training rows scoring
higher), which lets one score's strong evidence carry the row where the other is
unremarkable. The averaged rank is finally put back on the scale of the
first score (the reconstruction error) through the training rows' quantiles: a row whose
combined rank equals that of a training row's q-quantile gets that row's error. So the
combined score has exactly the training errors' distribution on the training rows, and
threshold rules written for errors (mean + k std, percentiles) flag the same share of
training rows as before.

Everything is fitted on the training rows and stored as small arrays (quantile grids);
a row's combined score depends on that row only.
"""

from __future__ import annotations

import numpy as np

from ._frozen import derived_from_frozen

__all__ = ["TAIL_FLOOR", "fit_rank_grid", "from_rank", "tail_score", "to_rank"]

#: Quantile levels of the grids: 0, 1/1000, ..., 1.
LEVELS = np.linspace(0.0, 1.0, 1001)
_TOP = 900  # index of the 0.9 level: the top decile sets the slope beyond the grid
#: Smallest share of training rows above a row that :func:`tail_score` tells apart: the top
#: 1 % of the training rows all count as strong evidence, so that a few extreme training
#: rows (the anomalies among them) do not decide the combination alone.
TAIL_FLOOR = 0.01


def fit_rank_grid(scores: np.ndarray) -> np.ndarray:
    """The quantiles of ``scores`` at :data:`LEVELS`, the grid of :func:`to_rank`.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Scores of the training rows.

    Returns
    -------
    grid : ndarray of shape (1001,)
        Non-decreasing quantiles.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._hybrid import fit_rank_grid
    >>> fit_rank_grid(np.arange(11.0))[[0, 500, 1000]].tolist()
    [0.0, 5.0, 10.0]
    """
    grid = np.quantile(np.asarray(scores, dtype=np.float64), LEVELS)
    grid.setflags(write=False)  # a fitted grid never changes: its rank table is memoised
    return grid


def _top_slope(grid: np.ndarray) -> float:
    """Change of score per unit of rank in the top decile (a positive number)."""
    spread = float(grid[-1] - grid[_TOP])
    if not spread > 0:
        spread = float(grid[-1] - grid[0])
    return max(spread, 1e-12 * (1.0 + abs(float(grid[-1]))), 1e-300) / (1.0 - LEVELS[_TOP])


def _runs(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(grid, return_index=True, return_counts=True)`` of a non-decreasing grid,
    without its sort (a fifth of a single row's scoring time)."""
    if grid.size < 2 or not bool((grid[1:] >= grid[:-1]).all()):
        return np.unique(grid, return_index=True, return_counts=True)
    first = np.concatenate(([0], np.flatnonzero(grid[1:] != grid[:-1]) + 1))
    return grid[first], first, np.diff(np.append(first, grid.size))


#: Rank tables of read-only grids (``skae._frozen``): their values cannot change under the
#: memo, and an entry leaves with its grid.
_TABLES: dict = {}


def _build_rank_table(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    # np.interp needs increasing abscissae: among equal quantiles keep the middle level
    values, first, counts = _runs(grid)
    levels = LEVELS[first + (counts - 1) // 2] if values.size > 1 else np.array([0.5])
    return values, levels, _top_slope(grid)


def _rank_table(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The increasing abscissae of ``grid``, their rank levels and the slope beyond it."""
    return derived_from_frozen(_TABLES, grid, lambda: _build_rank_table(grid))


def to_rank(grid: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Training rank of each score: in [0, 1] inside the training range, above 1 beyond it.

    Parameters
    ----------
    grid : ndarray of shape (1001,)
        From :func:`fit_rank_grid`.
    scores : ndarray of shape (n_samples,)
        Scores to map.

    Returns
    -------
    ranks : ndarray of shape (n_samples,)
        Non-decreasing in ``scores``.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._hybrid import fit_rank_grid, to_rank
    >>> grid = fit_rank_grid(np.arange(11.0))
    >>> to_rank(grid, np.array([-1.0, 5.0, 10.0, 12.0])).round(3).tolist()
    [0.0, 0.5, 1.0, 1.2]
    """
    scores = np.asarray(scores, dtype=np.float64)
    values, levels, slope = _rank_table(grid)
    ranks = np.interp(scores, values, levels)
    above = scores > values[-1]
    ranks[above] = levels[-1] + (scores[above] - values[-1]) / slope
    return ranks


def from_rank(grid: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The score at each training rank: the inverse of :func:`to_rank` on ``grid``.

    Parameters
    ----------
    grid : ndarray of shape (1001,)
        From :func:`fit_rank_grid`.
    ranks : ndarray of shape (n_samples,)
        Ranks (above 1 beyond the highest training score).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Non-decreasing in ``ranks``.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._hybrid import fit_rank_grid, from_rank
    >>> grid = fit_rank_grid(np.arange(11.0))
    >>> from_rank(grid, np.array([0.0, 0.5, 1.0, 1.2])).round(3).tolist()
    [0.0, 5.0, 10.0, 12.0]
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    scores = np.interp(ranks, LEVELS, grid)
    above = ranks > 1.0
    scores[above] = grid[-1] + (ranks[above] - 1.0) * _top_slope(grid)
    return scores


def tail_score(ranks: np.ndarray, floor: float = TAIL_FLOOR) -> np.ndarray:
    """Tail score of training ranks: ``-log(1 - rank + floor)``, growing on beyond rank 1.

    ``1 - rank`` is the share of training rows that score higher (a tail probability);
    its minus log adds up like evidence (Fisher's way of combining p-values), so a
    weighted average of tail scores is high when either score is in its far tail, where
    an average of ranks stays middling. Beyond the highest training score (rank above 1)
    the tail score continues along its tangent at rank 1 (slope ``1 / floor``), so it is
    continuous, increasing, and unbounded.

    Parameters
    ----------
    ranks : ndarray of shape (n_samples,)
        Training ranks, from :func:`to_rank`.
    floor : float, default=TAIL_FLOOR
        Added to the tail probability: ranks within ``floor`` of the top differ little.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Non-decreasing in ``ranks``.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._hybrid import tail_score
    >>> tail_score(np.array([0.0, 0.5, 0.99, 1.0, 1.01]), floor=0.01).round(2).tolist()
    [-0.01, 0.67, 3.91, 4.61, 5.61]
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    scores = -np.log(np.clip(1.0 - ranks, 0.0, None) + floor)
    above = ranks > 1.0
    scores[above] = -np.log(floor) + (ranks[above] - 1.0) / floor
    return scores
