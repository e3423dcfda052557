"""The detector's views: per-row anomaly scores, each with what it learns from the training rows.

A view maps the scaled rows (and their normalised reconstruction errors) to one anomaly
score per row, higher for more anomalous rows. The detector's score combines the views that
carry weight (:mod:`skae._combiner`). A view that learns something at fit keeps it in one
fitted attribute of the detector (:attr:`View.state_attribute`), plain data saved with it;
its training quantiles go in another (:attr:`View.grid_attribute`).

Adding a view is one class here and one entry in the detector's ``_views`` (with its
weight in ``_view_weights``); persistence, loading checks and plotting ask the views.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._isolation import fit_isolation_forest, isolation_scores
from ._loaded_checks import check_forest, check_neighbours
from ._neighbours import fit_neighbours, knn_distances, local_outlier_factors

__all__ = ["IsolationView", "KNNView", "LocalOutlierView", "ReconstructionErrorView", "View"]


class View:
    """One per-row anomaly score of the detector (the base of the views).

    Attributes
    ----------
    name : str
        What the score is, in the detector's ``views_`` and in plots.
    grid_attribute : str
        The detector's attribute that holds the training quantiles of this view's score.
    state_attribute : str or None
        The detector's attribute that holds what the view learned at fit; None for a view
        that learns nothing beyond the network. Views naming the same attribute share one
        state, fitted once (by the first of them).

    Examples
    --------
    >>> import numpy as np
    >>> from skae._views import ReconstructionErrorView
    >>> view = ReconstructionErrorView()
    >>> view.scores(None, np.zeros((2, 3)), np.array([0.5, 2.0])).tolist()
    [0.5, 2.0]
    """

    name: str = ""
    grid_attribute: str = ""
    state_attribute: str | None = None

    def fit(self, features: np.ndarray, errors: np.ndarray, *,
            draw_seed: Callable[[], int]) -> object:
        """Learn from the training rows; return the view's state (plain data) or None.

        ``draw_seed`` gives the next seed of the detector's ``random_state``; a view calls
        it only when it needs randomness, so views without randomness move no seeds.
        """
        return None

    def scores(self, state: object, features: np.ndarray, errors: np.ndarray) -> np.ndarray:
        """Anomaly score of each row (higher is more anomalous)."""
        raise NotImplementedError

    def check_loaded(self, state: object, n_features: int) -> None:
        """Refuse a loaded state this version cannot use (``ValueError``)."""

    def freeze(self, state: object) -> None:
        """Make the arrays of a state whose derived values are memoised read-only again
        (a loaded or unpickled state comes back writable)."""


class ReconstructionErrorView(View):
    """The row's reconstruction error (normalised per feature): the autoencoder's view."""

    name = "reconstruction error"
    grid_attribute = "error_grid_"

    def scores(self, state, features, errors):
        return errors


class IsolationView(View):
    """The isolation forest's score of the scaled row (``skae._isolation``)."""

    name = "isolation"
    grid_attribute = "isolation_grid_"
    state_attribute = "isolation_forest_"

    def __init__(self, n_trees: int = 300):
        self.n_trees = n_trees

    def fit(self, features, errors, *, draw_seed):
        return fit_isolation_forest(features, n_estimators=self.n_trees, seed=draw_seed())

    def scores(self, state, features, errors):
        return isolation_scores(state, features)

    def check_loaded(self, state, n_features):
        check_forest(state, n_features)


class _NeighbourView(View):
    """A view scored against a sample of the training rows (``skae._neighbours``)."""

    state_attribute = "neighbours_"

    def fit(self, features, errors, *, draw_seed):
        return fit_neighbours(features, seed=draw_seed())

    def check_loaded(self, state, n_features):
        check_neighbours(state, n_features)

    def freeze(self, state):
        if isinstance(state, dict) and isinstance(state.get("rows"), np.ndarray):
            state["rows"].setflags(write=False)  # its fitted search is memoised


class KNNView(_NeighbourView):
    """Distance to the 5th nearest training row: the view for clean training rows."""

    name = "kNN distance"
    grid_attribute = "knn_grid_"

    def scores(self, state, features, errors):
        return knn_distances(state, features)


class LocalOutlierView(_NeighbourView):
    """The local outlier factor: a row less dense than its neighbours' neighbourhoods."""

    name = "local outlier factor"
    grid_attribute = "lof_grid_"

    def scores(self, state, features, errors):
        return local_outlier_factors(state, features)
