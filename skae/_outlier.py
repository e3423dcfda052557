"""ReconstructionOutlierDetector: flag rows an autoencoder ensemble reconstructs badly or an
isolation forest isolates easily."""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral, Real

import numpy as np
from sklearn.base import OutlierMixin, _fit_context
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseAutoencoder, _store_params
from ._chunks import scores_of_chunks
from ._combiner import combine, fit_combination
from ._dask import dask_aware
from ._dask_import import is_dask_collection
from ._docs import fill_doc
from ._ensemble import build_bagged_autoencoder, feature_subsets
from ._fit_checks import check_enough_rows, warn_if_normal_minority
from ._inference import apply_batched
from ._loaded_checks import check_grid
from ._persistence import register
from ._scaling import FeatureScaling, error_scale
from ._thresholds import THRESHOLD_PARAMS, THRESHOLD_RULES, check_threshold_params, error_threshold
from ._views import IsolationView, KNNView, LocalOutlierView, ReconstructionErrorView
from ._warnings import warn

__all__ = ["ReconstructionOutlierDetector"]

#: Trees of the isolation forest of ``isolation_weight``.
_ISOLATION_TREES = 300
#: ``"auto"`` weights: (isolation, neighbours) for training rows that may hold anomalies
#: (no ``normal_label``) and for rows known to be normal (``normal_label`` set).
_AUTO_WEIGHTS = {"contaminated": (0.7, 0.0), "clean": (0.0, 0.9)}
#: Share of the neighbour weight on the kNN distance; the rest goes to the local outlier
#: factor.
_KNN_SHARE = 8 / 9



def _saved_attributes(views) -> tuple[str, ...]:
    """The fitted attributes a detector's file stores: its own and its views'."""
    return (
        *_BaseAutoencoder._saved_attributes,
        "threshold_", "offset_", "center_", "scale_", "feature_error_scale_",
        *dict.fromkeys(view.state_attribute for view in views if view.state_attribute),
        *(view.grid_attribute for view in views), "combined_grid_",
        "isolation_weight_", "neighbour_weight_", "score_combination_",
    )


_DOC_OVERRIDES = {
    "hidden_layer_sizes": """\
    hidden_layer_sizes : sequence of int or None, default=None
        Encoder widths (filters for ``"conv1d"`` and ``"conv2d"``); the decoder mirrors
        them. ``None``: one hidden layer of ``clip(n_features, 8, 128)`` units for
        ``"dense"``, ``(32, 16)`` filters for the convolutional architectures.""",
    "n_components": """\
    n_components : int or None, default=None
        Width of the code. ``None``: ``clip(n_features // 4, 2, 32)`` for ``"dense"``;
        a dense code of ``clip(ceil(sqrt(n_features)), 2, 32)`` for ``"conv1d"``; the
        flattened last feature map for ``"conv2d"``.""",
    "activation": """\
    activation : str, default="tanh"
        Activation of the hidden layers and, in this detector, of the dense code layer too
        (``"tanh"`` bounds the code, so far-out rows cannot be reconstructed well).""",
    "epochs": """\
    epochs : int or "auto", default="auto"
        Number of passes over the training data (the maximum with ``early_stopping``).
        ``"auto"`` gives a budget of about 150 gradient steps:
        ``clip(ceil(150 / ceil(n_samples / batch_size)), 5, 500)`` epochs. The small budget
        regularises: the network learns the bulk of the rows, not the outliers among them.""",
    "batch_size": """\
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(256, max(16, n_samples // 8))``, capped
        at ``n_samples``.""",
    "validation_fraction": """\
    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping; unused unless
        ``early_stopping=True``.""",
    "early_stopping": """\
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``n_iter_no_change`` epochs and
        restore the best weights. Off by default: the ``epochs="auto"`` budget is the
        regulariser.""",
}


@register  # skae.save / skae.load (skae/_persistence.py)
@dask_aware  # Dask collections in, lazy Dask collections out (skae/_dask.py)
@fill_doc
class ReconstructionOutlierDetector(OutlierMixin, _BaseAutoencoder):
    """Outlier detection by autoencoder reconstruction error, combined with isolation.

    Follows scikit-learn's outlier-detector contract, as ``IsolationForest`` does:
    ``score_samples`` is minus the anomaly score (higher is more normal),
    ``decision_function = score_samples - offset_`` is negative for outliers, and
    ``predict`` returns +1 for inliers and -1 for outliers.

    By default the model is a feature-bagged ensemble of 8 small autoencoders, each on a
    random subset of the columns, trained together as one network (``n_estimators``,
    ``max_features``), and the anomaly score combines two views of a row: how badly the
    ensemble reconstructs it (a row off the data's structure) and how easily an isolation
    forest grown on the scaled training rows isolates it (a row in a sparse region, which
    reconstruction cannot see). The two are combined through their training ranks as tail
    scores (``isolation_weight``, ``score_combination``), so strong evidence from either
    view flags the row, and the result is put on the scale of the reconstruction error.
    ``n_estimators=1, isolation_weight=0`` gives the plain design: one autoencoder scored
    by its reconstruction error.

    On 33 ADBench tables (train on unlabelled rows with their anomalies, score held-out
    rows; ``benchmarks/adbench.py``) the default design ranks outliers better than
    scikit-learn's ``IsolationForest`` on average and better than either of its two views
    alone, though not on every table, nor on every collection of tables; the User Guide's
    estimators page gives the figures and what each ingredient buys.

    The threshold is a score level computed from the training rows' scores. Threshold
    parameters (``contamination``, ``threshold``, ``n_std``) only move ``offset_``: with
    ``memory`` set, a refit that changes only them loads the cached network instead of
    training one, and :meth:`fit_threshold` applies them to a fitted network directly.

    Parameters
    ----------
    contamination : "auto" or float in (0, 0.5], default="auto"
        ``"auto"`` uses the ``threshold`` rule. A float flags that fraction of the
        training rows (the threshold is the ``100 * (1 - contamination)``-th percentile
        of their anomaly scores) and takes precedence over ``threshold``. The anomaly
        score is on the scale of the reconstruction error; the rules below call it the
        error.
    threshold : {"log_mean_std", "mean_std", "median_mad"} or float, default="log_mean_std"
        With ``contamination="auto"``: ``"log_mean_std"`` flags errors above
        exp(mean + ``n_std`` standard deviations of the log training errors), which flags
        a small, steady share of ordinary rows (4.9 % of clean training rows on average,
        1.9 % to 8.7 %, over 33 ADBench tables; never more than 1 / (1 + n_std^2));
        ``"mean_std"`` flags errors above mean + ``n_std`` standard deviations of the
        training errors (the ECG5000 recipe; 0.1 % to 15 % on the same tables);
        ``"median_mad"`` uses median + ``n_std`` x 1.4826 x MAD, robust to outliers among
        the training rows; a float is a fixed error threshold. See ``docs/thresholds.md``.
    n_std : float or None, default=None
        Multiplier of the spread in the three threshold rules; None is the rule's own: 2
        for ``"log_mean_std"``, 1 for ``"mean_std"`` and ``"median_mad"``.
    normal_label : int, str or None, default=None
        ``None``: ``fit`` ignores y (scikit-learn's convention). Otherwise ``fit(X, y)``
        trains on the rows whose label equals ``normal_label`` only, as the ECG5000 recipe
        trains on normal beats; this lets a labelled ``GridSearchCV`` train on normal rows
        and score on all.
    scaling : {"robust"} or None, default="robust"
        Scaling of the input inside the detector, learnt from the training rows:
        ``"robust"`` subtracts each feature's median and divides by its IQR / 1.349 (by
        its standard deviation when the IQR is below 1e-3 standard deviations, e.g. for
        mostly constant or binary features; by 1 for constant features). The network
        works, and errors are measured, in the scaled space; :meth:`reconstruct` returns
        rows in the input's units. ``None`` feeds X to the network as it is.
    error_normalization : bool, default=True
        Divide each feature's squared (or absolute) error by that feature's typical error
        on the training rows (its median, plus a small floor) before averaging over
        features, so that no single hard-to-reconstruct feature dominates the score. The
        median is robust to the anomalies among unlabelled training rows. Applies to
        :meth:`score_samples`, :meth:`reconstruction_error` (also with
        ``per_feature=True``) and the threshold.
    n_estimators : int, default=8
        Number of small autoencoders in the ensemble (``architecture="dense"`` without a
        ``model``). They sit side by side in one network (block-masked ``Dense`` layers),
        each with the widths of ``hidden_layer_sizes`` and ``n_components``, each seeing
        its own random subset of the columns (``max_features``); a column is
        reconstructed by the sum of the members that see it. They train together in one
        ``fit`` and score in one forward pass. Randomised members disagree on the rows
        that do not fit the data's structure, which makes the errors generalise across
        tables better than one network's. At 8 members on a 2-core CPU, fit + score
        take about 1.5x one network's on ADBench's tables (2 to 4x on tables of hundreds
        of columns); ``1``: one network on all the columns.
    max_features : float in (0, 1], default=0.5
        Each member sees a random number of columns between ``ceil(max_features *
        n_features)`` and all of them (feature bagging; every column is seen by at least
        one member). ``1.0``: every member sees every column (members differ only by
        their initial weights).
    isolation_weight : "auto" or float in [0, 1], default="auto"
        Weight of the isolation view in the anomaly score (of the share that
        ``neighbour_weight`` leaves). ``"auto"``: 0.7 when the training rows may hold
        anomalies (``normal_label`` unset), 0 when they are known to be normal
        (``normal_label`` set, see ``neighbour_weight``). An isolation forest (300
        trees, grown as scikit-learn's ``IsolationForest`` grows them) is grown on the
        scaled training rows: a row is easy to isolate when its values lie in a sparse
        region of the data, which reconstruction error cannot see, while the
        reconstruction error sees rows that break the relations between columns, which
        isolation by values misses. Each score is mapped to its training rank (the
        fraction of training rows scoring lower, extended linearly beyond the highest);
        the anomaly score is the weighted average of the two (``score_combination``),
        this weight on the isolation view, put back on the scale of the training errors
        (a row whose combination equals the training rows' q-quantile scores the
        q-quantile of the training errors), so thresholds keep their meaning and rows far
        beyond every training row stay far. On ADBench's tables the combination beats
        either view alone; weights from 0.67 to 0.75 did equally well there, and below
        about 2/3 the average precision drops. The forest (grown directly as arrays,
        in scikit-learn's distribution of trees) costs about 0.05 s of fitting and
        about 0.1-0.2 ms per single-row call; in bulk the detector then scores about a
        tenth as fast as with the error alone (about 50,000 against 600,000 rows per
        second with 20 columns on 2 cores). ``0``: the score is the reconstruction error alone,
        ``1``: the isolation score alone.
    neighbour_weight : "auto" or float in [0, 1], default="auto"
        Weight of the neighbour views: the distance to the 5th nearest training row
        (8/9 of this weight) and the local outlier factor over 20 neighbours (1/9), both
        in the scaled space with every column standardised, against at most 10,000
        training rows (a random sample beyond). When the training rows are clean, the
        distance to the nearest ones is the strongest simple detector: on 33 ADBench
        tables trained on half of their normal rows (``benchmarks/adbench.py --protocol
        novelty``) it beats reconstruction and isolation, and the local outlier factor
        adds rows just outside a tight cluster. When the training rows hold anomalies,
        their neighbours hide them, and the weight is better left at 0. ``"auto"``: 0.9
        when ``normal_label`` is set (the rows ``fit`` trains on are known to be normal),
        0 otherwise. The views keep the sampled rows (memory: rows x columns x 8 bytes,
        saved with the detector) and add about 0.1-1 ms per single-row call.
    score_combination : {"tail", "rank"}, default="tail"
        How the two training ranks are averaged when ``0 < isolation_weight < 1``.
        ``"tail"`` averages their tail scores, ``-log(1 - rank + 0.01)`` (Fisher's way of
        combining tail probabilities): a row in the far tail of either view scores high
        even when the other finds it ordinary, which keeps the precision among the
        top-ranked rows of the better view. ``"rank"`` averages the ranks themselves: a
        row needs both views to agree (measured on ADBench: about the same ROC-AUC,
        lower average precision). Both cost the same.
    {shared_parameters}

    Attributes
    ----------
    threshold_ : float
        Anomaly score (``-score_samples``, on the scale of
        :meth:`reconstruction_error`) above which a row is an outlier.
    offset_ : float
        ``-threshold_``, so that ``decision_function = score_samples - offset_``.
    center_ : ndarray of shape (n_features_in_,) or None
        Per-feature medians subtracted by ``scaling="robust"``; None without scaling.
    scale_ : ndarray of shape (n_features_in_,) or None
        Per-feature divisors of ``scaling="robust"``; None without scaling.
    feature_error_scale_ : ndarray of shape (n_features_in_,) or None
        Median training error of each feature plus a floor (1e-3 of the median feature's,
        plus the error of missing by 1e-3 of the feature's spread), the divisors of
        ``error_normalization``; None when it is off.
    isolation_forest_ : dict or None
        The isolation forest of ``isolation_weight``, grown on the scaled training rows,
        as arrays (see ``skae._isolation``); None when ``isolation_weight=0``.
    isolation_weight_ : float
        ``isolation_weight`` at the last fit: the weight the grids below were fitted for.
        Scoring uses it, so ``set_params(isolation_weight=...)`` takes effect at the next
        ``fit`` (which, with ``memory``, loads the cached network and grows only the
        forest).
    score_combination_ : str
        ``score_combination`` at the last fit, likewise.
    error_grid_, isolation_grid_, combined_grid_ : ndarray of shape (1001,) or None
        Quantiles of the training rows' reconstruction errors, isolation scores and
        combined ranks (``score_combination``), which rank a row and put its score on
        the error's scale; None when ``isolation_weight=0``.
    views_ : tuple of str
        The views the anomaly score combines, the first giving its scale:
        ``("reconstruction error", "isolation")`` by default, ``("reconstruction error",)``
        with ``isolation_weight=0``.
    {shared_attributes}

    See Also
    --------
    sklearn.ensemble.IsolationForest : A tree-based detector with the same contract.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ReconstructionOutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 8))
    >>> det = ReconstructionOutlierDetector(epochs=5, random_state=0).fit(X)
    >>> det.predict(10 * np.ones((1, 8))).tolist()
    [-1]
    >>> bool((det.predict(X) == 1).mean() > 0.7)
    True
    """

    _doc_overrides = _DOC_OVERRIDES

    _non_network_params = _BaseAutoencoder._non_network_params | {
        *THRESHOLD_PARAMS, "normal_label",  # the rows normal_label selects are in the key
        # the isolation forest and the combination are fitted after training, not cached
        "isolation_weight", "neighbour_weight", "score_combination",
    }
    #: The views the anomaly score combines, the first giving its scale; their weights
    #: come from ``_view_weights``. A new view is one class in ``skae._views`` and one
    #: entry here.
    _views = (ReconstructionErrorView(), IsolationView(n_trees=_ISOLATION_TREES),
              KNNView(), LocalOutlierView())
    _saved_attributes = _saved_attributes(_views)
    #: Files saved before the combination was a fitted attribute lack them.
    _optional_attributes = (
        *_BaseAutoencoder._optional_attributes, "isolation_weight_", "neighbour_weight_",
        "score_combination_", "neighbours_", "knn_grid_", "lof_grid_")
    _auto_batch = (8, 16, 256)  # min(256, max(16, n_samples // 8))
    #: ``epochs="auto"``: a budget of about 150 gradient steps learns the bulk of the data,
    #: not the outliers among the training rows.
    _auto_steps = 150
    #: The detector's network (feature-bagged members, error normalisation) runs about 370
    #: operations per step: eagerly 27 ms a step against 1.3 ms traced (2-core CPU), so
    #: tracing pays from about 9 steps.
    _eager_max_steps = 8

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "epochs": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "scaling": [StrOptions({"robust"}), None],
        "error_normalization": ["boolean"],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_features": [Interval(Real, 0, 1, closed="right")],
        "isolation_weight": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both")],
        "neighbour_weight": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both")],
        "score_combination": [StrOptions({"tail", "rank"})],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "threshold": [StrOptions(set(THRESHOLD_RULES)), Interval(Real, 0, None, closed="left")],
        "n_std": [Interval(Real, 0, None, closed="left"), None],
        "normal_label": [None, "array-like", int, str, Real],
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._saved_attributes = _saved_attributes(cls._views)  # a subclass's views saved too

    def __init__(
        self,
        *,
        contamination="auto",
        threshold="log_mean_std",
        n_std: float | None = None,
        normal_label=None,
        scaling: str | None = "robust",
        error_normalization: bool = True,
        n_estimators: int = 8,
        max_features: float = 0.5,
        isolation_weight: float | str = "auto",
        neighbour_weight: float | str = "auto",
        score_combination: str = "tail",
        model=None,
        architecture: str = "dense",
        hidden_layer_sizes=None,
        n_components: int | None = None,
        activation: str = "tanh",
        output_activation: str = "linear",
        dropout: float = 0.0,
        input_shape: tuple | None = None,
        loss="mse",
        optimizer="adam",
        learning_rate: float = 1e-3,
        epochs="auto",
        batch_size="auto",
        validation_fraction: float = 0.1,
        early_stopping: bool = False,
        n_iter_no_change: int = 10,
        random_state=None,
        verbose: int = 0,
        warm_start: bool = False,
        callbacks=None,
        metrics=None,
        memory=None,
        distribute_strategy=None,
        **kwargs,
    ):
        _store_params(self, locals())

    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoders, grow the isolation forest, set the threshold.

        The threshold comes from the training rows' anomaly scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,) or None
            Ignored unless ``normal_label`` is set; then only the rows with
            ``y == normal_label`` are used.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights in the training loss and in the threshold's
            statistics (means, deviations, quantiles); the input scaling, the error
            normalisation, the isolation forest and its rank grids use every row alike.

        Returns
        -------
        self : ReconstructionOutlierDetector
            The fitted detector.
        """
        return super().fit(X, y, sample_weight=sample_weight)

    _calibrates_on_stream = True

    def _training_weights(self, sample_weight, y):
        if sample_weight is None or self.normal_label is None:
            return sample_weight
        return sample_weight[column_or_1d(y) == self.normal_label]

    def _training_data(self, X, y):
        if self.normal_label is None:
            return X, X
        if y is None:
            raise ValueError(
                f"normal_label={self.normal_label!r} needs labels: call fit(X, y)."
            )
        y = column_or_1d(y, warn=True)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels.")
        warn_if_normal_minority(y, self.normal_label, warn)
        normal = X[y == self.normal_label]
        if normal.shape[0] == 0:
            raise ValueError(
                f"No row of y equals normal_label={self.normal_label!r} (labels present: "
                f"{np.unique(y)[:10].tolist()}); nothing to train on."
            )
        check_enough_rows(self, normal.shape[0], selected_by=f"y == {self.normal_label!r}")
        return normal, normal

    # ------------------------------------------------------------------ defaults of the detector
    def _architecture_sizes(self, n_features: int):
        hidden, n_components = super()._architecture_sizes(n_features)
        if self.architecture == "dense":
            if self.hidden_layer_sizes is None:
                hidden = (int(min(128, max(8, n_features))),)
            if self.n_components is None:
                n_components = int(min(32, max(2, n_features // 4)))
        return hidden, n_components

    def _code_activation(self):
        return self.activation

    def _make_network(self, n_features: int, seed: int):
        if self.model is not None or self.architecture != "dense" or self.n_estimators == 1:
            return super()._make_network(n_features, seed)
        hidden, n_components = self._architecture_sizes(n_features)
        subsets = feature_subsets(n_features, self.n_estimators, self.max_features, seed)
        network = build_bagged_autoencoder(
            n_features, subsets, hidden_layer_sizes=hidden, n_components=n_components,
            activation=self.activation, code_activation=self._code_activation(),
            output_activation=self.output_activation, dropout=self.dropout, seed=seed,
        )
        network.compile(**self._compile_kwargs())
        return network

    def _fit_input_scaling(self, X: np.ndarray) -> None:
        scaling = FeatureScaling.robust(X) if self.scaling == "robust" else None
        self.center_ = None if scaling is None else scaling.center
        self.scale_ = None if scaling is None else scaling.scale

    def _pass_options(self) -> dict:
        scale = getattr(self, "scale_", None)
        return {
            "scaling": None if scale is None else FeatureScaling(self.center_, scale),
            "error_scale": getattr(self, "feature_error_scale_", None),
        }

    def _after_training(self, recon: np.ndarray, Z_target: np.ndarray,
                        sample_weight=None) -> None:
        errors = self._element_errors(recon, Z_target)
        self._fit_error_scale(errors, Z_target)
        if self.feature_error_scale_ is not None:
            errors /= self.feature_error_scale_
        errors = errors.mean(axis=1)
        for view in self._views:
            if view.state_attribute:
                setattr(self, view.state_attribute, None)
            setattr(self, view.grid_attribute, None)
        self.combined_grid_ = None
        # the combination the grids are fitted for: set_params changes it only at the next fit
        self.isolation_weight_, self.neighbour_weight_ = self._resolved_weights()
        self.score_combination_ = str(self.score_combination)
        if len(self._active_views()) > 1:
            errors = self._fit_views(Z_target, errors)
        self._set_threshold(errors, sample_weight)

    def _resolved_weights(self) -> tuple[float, float]:
        """``isolation_weight`` and ``neighbour_weight``, their ``"auto"`` resolved by
        whether the training rows are known to be normal (``normal_label``)."""
        auto = _AUTO_WEIGHTS["contaminated" if self.normal_label is None else "clean"]
        return tuple(float(value if value != "auto" else default) for value, default
                     in zip((self.isolation_weight, self.neighbour_weight), auto, strict=True))

    def _view_weights(self) -> tuple[float, ...]:
        """The weight of each of ``_views`` in the fitted combination: the neighbour
        views share ``neighbour_weight_``, the error and the forest split the rest."""
        isolation, neighbours = self.isolation_weight_, getattr(self, "neighbour_weight_", 0.0)
        rest = 1.0 - neighbours
        return ((1.0 - isolation) * rest, isolation * rest,
                neighbours * _KNN_SHARE, neighbours * (1.0 - _KNN_SHARE))

    def _active_views(self) -> list[tuple]:
        """``(view, weight)`` of the views with weight; the first view always takes part."""
        pairs = list(zip(self._views, self._view_weights(), strict=True))
        return [pairs[0], *(pair for pair in pairs[1:] if pair[1] > 0)]

    def _view_scores(self, active, features: np.ndarray, errors: np.ndarray) -> list:
        return [view.scores(None if view.state_attribute is None
                            else getattr(self, view.state_attribute), features, errors)
                for view, _ in active]

    def _fit_views(self, features: np.ndarray, errors: np.ndarray) -> np.ndarray:
        """Fit the active views and their combination on the scaled training rows; return
        the training rows' combined scores."""
        active = self._active_views()
        fitted = set()  # views naming one state attribute share it, fitted once
        for view, _ in active:
            if view.state_attribute in fitted:
                continue
            state = view.fit(features, errors, draw_seed=self._draw_seed)
            if view.state_attribute:
                setattr(self, view.state_attribute, state)
                fitted.add(view.state_attribute)
        grids, self.combined_grid_, combined = fit_combination(
            self._view_scores(active, features, errors), [w for _, w in active],
            self.score_combination_)
        for (view, _), grid in zip(active, grids, strict=True):
            setattr(self, view.grid_attribute, grid)
        return combined

    @property
    def views_(self) -> tuple[str, ...]:
        """Names of the views the fitted anomaly score combines, the first giving its
        scale: ``("reconstruction error",)`` when it is the reconstruction error alone."""
        check_is_fitted(self, "threshold_")
        if getattr(self, "combined_grid_", None) is None:
            return (self._views[0].name,)
        return tuple(view.name for view, _ in self._active_views())

    def _check_loaded(self) -> None:
        """Refuse a loaded file whose threshold, views or grids this version cannot use."""
        if not np.isfinite(self.threshold_) or self.offset_ != -self.threshold_:
            raise ValueError("corrupt or tampered detector: threshold_ and offset_ disagree")
        if all(getattr(self, view.state_attribute, None) is None
               for view in self._views if view.state_attribute):
            return
        if not hasattr(self, "score_combination_") or not hasattr(self, "isolation_weight_"):
            raise ValueError(
                "This detector was saved by an earlier version of skae, whose isolation "
                "forest grew on other columns (the rows and their residuals) and whose "
                "scores were combined by rank: refit it and save it again."
            )
        for name in ("isolation_weight_", "neighbour_weight_"):
            weight = getattr(self, name, 0.0)
            if not (isinstance(weight, float) and 0.0 <= weight <= 1.0):
                raise ValueError(f"corrupt or tampered detector: {name}={weight!r}")
        if len(self._active_views()) < 2:
            raise ValueError("corrupt or tampered detector: fitted views without weights")
        if self.score_combination_ not in ("tail", "rank"):
            raise ValueError("corrupt or tampered detector: score_combination_="
                             f"{self.score_combination_!r}")
        checked = set()  # a state shared by views is checked once
        for view, _ in self._active_views():
            if view.state_attribute and view.state_attribute not in checked:
                view.check_loaded(getattr(self, view.state_attribute), self.n_features_in_)
                checked.add(view.state_attribute)
            check_grid(getattr(self, view.grid_attribute), view.grid_attribute)
        check_grid(self.combined_grid_, "combined_grid_")
        self._freeze_grids()

    def _freeze_grids(self) -> None:
        """Make the fitted rank grids and the views' memoised arrays read-only, so that
        what is derived from them is memoised (``skae._frozen``) without a change in place
        making a memo stale."""
        for name in (*(view.grid_attribute for view in self._views), "combined_grid_"):
            grid = getattr(self, name, None)
            if isinstance(grid, np.ndarray):
                grid.setflags(write=False)
        for view in self._views:
            if view.state_attribute:
                view.freeze(getattr(self, view.state_attribute, None))

    def __setstate__(self, state):
        super().__setstate__(state)
        self._freeze_grids()  # pickle gives writable arrays back

    def _anomaly_scores(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score of validated rows: the reconstruction error or, with
        ``isolation_weight``, the views' combined score on the error's scale."""
        if getattr(self, "combined_grid_", None) is None:
            return self._passes.row_errors(X)
        scaling = self._pass_options()["scaling"]
        active = self._active_views()
        grids = [getattr(self, view.grid_attribute) for view, _ in active]
        weights = [weight for _, weight in active]

        def scores(rows):
            Z = rows if scaling is None else scaling.transform(rows)  # the views' space
            view_scores = self._view_scores(active, Z, self._passes.row_errors(rows))
            return combine(view_scores, grids, self.combined_grid_, weights,
                           self.score_combination_)

        row_bytes = self._passes.row_bytes + 40 * self.n_features_in_
        return apply_batched(scores, X, row_bytes, check_finite=True, dtype=np.float64)

    def score_samples(self, X) -> np.ndarray:
        """Minus the anomaly score of each row: higher is more normal.

        The anomaly score combines the training ranks of the row's reconstruction error
        and of its isolation score (``isolation_weight``, ``score_combination``), put on
        the scale of the training rows' errors; with ``isolation_weight=0`` it is the
        reconstruction error itself.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        fitted = self._published()  # one fit's state throughout, even during a refit
        X, _ = fitted._validated(X)
        return -fitted._anomaly_scores(X)

    def _fit_error_scale(self, feature_errors: np.ndarray, Z_target: np.ndarray) -> None:
        """Error normalisation from the training rows' per-feature errors (unnormalised,
        in the network's space); the forward passes divide by it from now on."""
        scale = None
        if self.error_normalization:
            scale = error_scale(feature_errors) + self._error_floor(Z_target)
        self.feature_error_scale_ = scale
        self._passes = self._passes.with_error_scale(scale)

    def _error_floor(self, Z_target: np.ndarray) -> np.ndarray:
        """Each feature's smallest error scale, tied to the data: the error of missing by a
        thousandth of the feature's spread (of its magnitude, at least 1, for a constant
        feature), so that training rows reconstructed exactly still give a finite scale."""
        Z_target = np.asarray(Z_target, dtype=np.float64)
        spread = Z_target.std(axis=0)
        unit = np.where(spread > 0, spread, np.maximum(np.abs(Z_target.mean(axis=0)), 1.0))
        return 1e-3 * unit if self._error_kind() == "mae" else (1e-3 * unit) ** 2

    def _validate_params(self):
        super()._validate_params()
        check_threshold_params(
            contamination=self.contamination, threshold=self.threshold, n_std=self.n_std
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_threshold(self, X, y=None, sample_weight=None):
        """Set the threshold from the anomaly scores of X, keeping the trained network.

        Applies the current threshold parameters to the anomaly scores of X, as ``fit``
        does with the training rows, without training. The isolation forest, the rank
        grids and the error normalisation stay as the last fit left them (after
        ``partial_fit``, fitted on a sample of all the chunks). After
        ``set_params(contamination=0.05)``, ``fit_threshold(X_train)`` gives the
        threshold that a refit on ``X_train`` would give, at the cost of one forward
        pass; with held-out normal rows it calibrates the threshold on errors the
        network was not trained to make small.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), Dask collection or iterator
            Rows whose errors set the threshold. A Dask array or DataFrame, or an iterator
            of chunks (arrays, DataFrames, pyarrow batches, or ``(X_chunk, y_chunk)``
            pairs), is scored chunk by chunk, keeping one float per row.
        y : array-like of shape (n_samples,) or None
            With ``normal_label`` set, only the rows with ``y == normal_label`` are used,
            as in ``fit``; ignored otherwise (and None for an iterator of chunks).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights in the threshold's statistics, as in ``fit`` (not with an iterator
            of chunks).

        Returns
        -------
        self : ReconstructionOutlierDetector
            The detector, with new ``threshold_`` and ``offset_``.

        Examples
        --------
        >>> import numpy as np
        >>> from skae import ReconstructionOutlierDetector
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 6))
        >>> det = ReconstructionOutlierDetector(epochs=5, random_state=0).fit(X)
        >>> det = det.set_params(contamination=0.1).fit_threshold(X)
        >>> float((det.predict(X) == -1).mean())
        0.1
        """
        staged = self._staging_copy()  # published at once, as by fit
        if is_dask_collection(X) or isinstance(X, Iterator):  # one score per row kept
            check_is_fitted(staged, "model_")
            scores, y, sample_weight = scores_of_chunks(staged, X, y,
                                                        sample_weight=sample_weight)
        else:
            X, _ = staged._validated(X)
            scores = staged._anomaly_scores(X)
        staged._threshold_from_scores(scores, y, sample_weight)
        self._publish(staged.__dict__)
        return self

    def _threshold_from_scores(self, errors: np.ndarray, y, sample_weight):
        """Set the threshold from the anomaly scores of rows, their labels and weights."""
        sample_weight = self._check_weights(sample_weight, errors[:, np.newaxis])
        # The rows fit would use: the normal ones when normal_label is set.
        errors, _ = self._training_data(errors[:, np.newaxis], y)
        check_enough_rows(self, errors.shape[0])  # a threshold from a handful of scores
        self._set_threshold(errors[:, 0], self._training_weights(sample_weight, y))
        return self

    def _set_threshold(self, errors: np.ndarray, sample_weight=None) -> None:
        self.threshold_ = error_threshold(
            errors, contamination=self.contamination, threshold=self.threshold,
            n_std=self.n_std, sample_weight=sample_weight,
        )
        self.offset_ = -self.threshold_

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to the threshold: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        fitted = self._published()
        return fitted.score_samples(X) - fitted.offset_

    def predict(self, X) -> np.ndarray:
        """+1 for inliers, -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        fitted = self._published()
        check_is_fitted(fitted, "offset_")
        decision = fitted.decision_function(X)
        return np.where(decision < 0, -1, 1)

