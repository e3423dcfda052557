"""One combiner over N views: a weighted average of the views' training ranks.

Each view's score is turned into its rank among the training rows' scores (or into the tail
score of that rank, ``combination="tail"``), the ranks are averaged with the views'
weights, and the average is put back on the first view's scale (the reconstruction error's)
through the training quantiles of the average. A row's combined score depends on that row
only, and is non-decreasing in every view's score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._hybrid import fit_rank_grid, from_rank, tail_score, to_rank

__all__ = ["combine", "fit_combination"]


def _average_rank(view_scores, grids, weights, combination: str) -> np.ndarray:
    ranks = [to_rank(grid, scores) for grid, scores in zip(grids, view_scores, strict=True)]
    if combination == "tail":
        ranks = [tail_score(rank) for rank in ranks]
    return sum(weight * rank for weight, rank in zip(weights, ranks, strict=True))


def fit_combination(view_scores: Sequence[np.ndarray], weights: Sequence[float],
                    combination: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Training quantiles of each view and of their average rank, and the training scores.

    Parameters
    ----------
    view_scores : sequence of ndarray of shape (n_samples,)
        The training rows' score under each view; the first view gives the scale.
    weights : sequence of float
        One weight per view.
    combination : {"tail", "rank"}
        Average the ranks' tail scores (``-log(1 - rank)``) or the ranks themselves.

    Returns
    -------
    grids : list of ndarray of shape (1001,)
        Each view's training quantiles.
    combined_grid : ndarray of shape (1001,)
        The training quantiles of the weighted average.
    scores : ndarray of shape (n_samples,)
        The training rows' combined scores, on the first view's scale.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._combiner import fit_combination
    >>> a, b = np.arange(10.0), np.arange(10.0)[::-1]
    >>> grids, combined_grid, scores = fit_combination([a, a], [0.5, 0.5], "rank")
    >>> bool(np.allclose(scores, a))
    True
    """
    grids = [fit_rank_grid(scores) for scores in view_scores]
    combined_grid = fit_rank_grid(_average_rank(view_scores, grids, weights, combination))
    return grids, combined_grid, combine(view_scores, grids, combined_grid, weights,
                                         combination)


def combine(view_scores: Sequence[np.ndarray], grids: Sequence[np.ndarray],
            combined_grid: np.ndarray, weights: Sequence[float],
            combination: str) -> np.ndarray:
    """The views' weighted average rank, on the first view's scale.

    Parameters
    ----------
    view_scores : sequence of ndarray of shape (n_samples,)
        The rows' score under each view.
    grids, combined_grid : ndarray
        From :func:`fit_combination`.
    weights : sequence of float
        One weight per view, as at fit.
    combination : {"tail", "rank"}
        As at fit.

    Returns
    -------
    scores : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skae._combiner import combine, fit_combination
    >>> train = [np.arange(10.0), np.arange(10.0) ** 2]
    >>> grids, combined_grid, _ = fit_combination(train, [0.3, 0.7], "tail")
    >>> combine([np.array([20.0]), np.array([400.0])], grids, combined_grid,
    ...         [0.3, 0.7], "tail") > 9
    array([ True])
    """
    average = _average_rank(view_scores, grids, weights, combination)
    return from_rank(grids[0], to_rank(combined_grid, average))
