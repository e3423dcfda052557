"""ReconstructionOutlierDetector: flag rows whose reconstruction error is unusually high."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import OutlierMixin
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseAutoencoder, _store_params
from ._docs import fill_doc
from ._scaling import FeatureScaling, error_scale
from ._thresholds import THRESHOLD_PARAMS, THRESHOLD_RULES, check_threshold_params, error_threshold

__all__ = ["ReconstructionOutlierDetector"]

_DOC_OVERRIDES = {
    "hidden_layer_sizes": """\
    hidden_layer_sizes : sequence of int or None, default=None
        Encoder widths (filters for ``"conv2d"``); the decoder mirrors them. ``None``: one
        hidden layer of ``clip(n_features, 8, 128)`` units (``(32, 16)`` filters for
        ``"conv2d"``).""",
    "n_components": """\
    n_components : int or None, default=None
        Width of the code. ``None``: ``clip(n_features // 4, 2, 32)`` (for ``"conv2d"``,
        the flattened last feature map).""",
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


@fill_doc
class ReconstructionOutlierDetector(OutlierMixin, _BaseAutoencoder):
    """Outlier detection by autoencoder reconstruction error.

    Follows scikit-learn's outlier-detector contract, as ``IsolationForest`` does:
    ``score_samples`` is minus the reconstruction error (higher is more normal),
    ``decision_function = score_samples - offset_`` is negative for outliers, and
    ``predict`` returns +1 for inliers and -1 for outliers.

    The threshold is an error level computed from the training rows' errors. Threshold
    parameters (``contamination``, ``threshold``, ``n_std``) only move ``offset_``: with
    ``memory`` set, a refit that changes only them loads the cached network instead of
    training one, and :meth:`fit_threshold` applies them to a fitted network directly.

    Parameters
    ----------
    contamination : "auto" or float in (0, 0.5], default="auto"
        ``"auto"`` uses the ``threshold`` rule. A float flags that fraction of the
        training rows (the threshold is the ``100 * (1 - contamination)``-th percentile
        of their errors) and takes precedence over ``threshold``.
    threshold : {"mean_std", "median_mad"} or float, default="mean_std"
        With ``contamination="auto"``: ``"mean_std"`` flags errors above mean + ``n_std``
        standard deviations of the training errors (the ECG5000 recipe);
        ``"median_mad"`` uses median + ``n_std`` x 1.4826 x MAD, robust to outliers among
        the training rows; a float is a fixed error threshold.
    n_std : float, default=1.0
        Multiplier of the spread in the two threshold rules.
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
    {shared_parameters}

    Attributes
    ----------
    threshold_ : float
        Reconstruction error above which a row is an outlier (in the units of
        :meth:`reconstruction_error`).
    offset_ : float
        ``-threshold_``, so that ``decision_function = score_samples - offset_``.
    center_ : ndarray of shape (n_features_in_,) or None
        Per-feature medians subtracted by ``scaling="robust"``; None without scaling.
    scale_ : ndarray of shape (n_features_in_,) or None
        Per-feature divisors of ``scaling="robust"``; None without scaling.
    feature_error_scale_ : ndarray of shape (n_features_in_,) or None
        Median training error of each feature plus a floor (1e-3 of the median feature's),
        the divisors of ``error_normalization``; None when it is off.
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
    }
    _saved_attributes = (
        *_BaseAutoencoder._saved_attributes,
        "threshold_", "offset_", "center_", "scale_", "feature_error_scale_",
    )
    _auto_batch = (8, 16, 256)  # min(256, max(16, n_samples // 8))
    #: ``epochs="auto"``: a budget of about 150 gradient steps learns the bulk of the data,
    #: not the outliers among the training rows.
    _auto_steps = 150

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "epochs": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "scaling": [StrOptions({"robust"}), None],
        "error_normalization": ["boolean"],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "threshold": [StrOptions(set(THRESHOLD_RULES)), Interval(Real, 0, None, closed="left")],
        "n_std": [Interval(Real, 0, None, closed="left")],
        "normal_label": [None, "array-like", int, str, Real],
    }

    def __init__(
        self,
        *,
        contamination="auto",
        threshold="mean_std",
        n_std: float = 1.0,
        normal_label=None,
        scaling: str | None = "robust",
        error_normalization: bool = True,
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
        **kwargs,
    ):
        _store_params(self, locals())

    def fit(self, X, y=None):
        """Train the autoencoder and set the threshold from the training errors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,) or None
            Ignored unless ``normal_label`` is set; then only the rows with
            ``y == normal_label`` are used.

        Returns
        -------
        self : ReconstructionOutlierDetector
            The fitted detector.
        """
        return super().fit(X, y)

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
        normal = X[y == self.normal_label]
        if normal.shape[0] == 0:
            raise ValueError(
                f"No row of y equals normal_label={self.normal_label!r} (labels present: "
                f"{np.unique(y)[:10].tolist()}); nothing to train on."
            )
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

    def _after_training(self, recon: np.ndarray, Z_target: np.ndarray) -> None:
        errors = self._element_errors(recon, Z_target)
        self._fit_error_scale(errors)
        if self.feature_error_scale_ is not None:
            errors /= self.feature_error_scale_
        self._set_threshold(errors.mean(axis=1))

    def _fit_error_scale(self, feature_errors: np.ndarray) -> None:
        """Error normalisation from the training rows' per-feature errors (unnormalised,
        in the network's space); the forward passes divide by it from now on."""
        scale = error_scale(feature_errors) if self.error_normalization else None
        self.feature_error_scale_ = scale
        self._passes = self._passes.with_error_scale(scale)

    def _validate_params(self):
        super()._validate_params()
        check_threshold_params(
            contamination=self.contamination, threshold=self.threshold, n_std=self.n_std
        )

    def fit_threshold(self, X, y=None):
        """Set the threshold from the errors of X, keeping the trained network.

        Applies the current threshold parameters to the reconstruction errors of X, as
        ``fit`` does with the training rows, without training. After
        ``set_params(contamination=0.05)``, ``fit_threshold(X_train)`` gives the
        threshold that a refit on ``X_train`` would give, at the cost of one forward
        pass; with held-out normal rows it calibrates the threshold on errors the
        network was not trained to make small.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows whose errors set the threshold.
        y : array-like of shape (n_samples,) or None
            With ``normal_label`` set, only the rows with ``y == normal_label`` are used,
            as in ``fit``; ignored otherwise.

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
        check_is_fitted(self, "model_")
        self._validate_params()
        errors = self.reconstruction_error(X)
        # The rows fit would use: the normal ones when normal_label is set.
        errors, _ = self._training_data(errors[:, np.newaxis], y)
        self._set_threshold(errors[:, 0])
        return self

    def _set_threshold(self, errors: np.ndarray) -> None:
        self.threshold_ = error_threshold(
            errors, contamination=self.contamination, threshold=self.threshold,
            n_std=self.n_std,
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
        return self.score_samples(X) - self.offset_

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
        check_is_fitted(self, "offset_")
        decision = self.decision_function(X)
        return np.where(decision < 0, -1, 1)
