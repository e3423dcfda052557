"""DenoisingAutoencoder: trained on corrupted inputs to restore clean ones."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import _BaseAutoencoder, _CodeMixin, _store_params
from ._dask import dask_aware
from ._docs import fill_doc
from ._fit_checks import clip_output
from ._noise import NOISE_KINDS, make_corruption
from ._persistence import register

__all__ = ["DenoisingAutoencoder"]


@register  # skae.save / skae.load (skae/_persistence.py)
@dask_aware  # Dask collections in, lazy Dask collections out (skae/_dask.py)
@fill_doc
class DenoisingAutoencoder(_CodeMixin, _BaseAutoencoder):
    """Autoencoder trained to restore clean rows from corrupted ones.

    ``fit(X)`` corrupts the clean rows of X itself, afresh for every training batch, with
    the estimator's own seeded generator; ``fit(X_noisy, X_clean)`` trains on given pairs
    instead. ``predict`` returns the restored rows, ``transform`` the codes.

    As in :class:`AutoencoderTransformer`, the dense network starts as the PCA projection
    of the clean rows (a frozen linear path; linear ``output_activation`` only) and its
    non-linear layers learn the rest.

    Parameters
    ----------
    noise : {"gaussian", "masking", "salt_and_pepper"}, default="gaussian"
        Corruption used by ``fit(X)``: additive Gaussian noise of standard deviation
        ``noise_level``; zeroing each value with probability ``noise_level``; or setting
        each value to the low or high bound (``clip``, else the data's minimum and maximum)
        with probability ``noise_level``.
    noise_level : float, default=0.2
        Strength of the corruption.
    clip : tuple (low, high) or None, default=None
        Clip corrupted values, e.g. ``(0, 1)`` for pixels as image recipes usually do.
    {shared_parameters}

    Attributes
    ----------
    {shared_attributes}

    See Also
    --------
    AutoencoderTransformer : The plain autoencoder.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import DenoisingAutoencoder
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(200, 2)) @ rng.uniform(size=(2, 16)) / 2  # 2 factors, in [0, 1]
    >>> dae = DenoisingAutoencoder(noise_level=0.1, clip=(0, 1), epochs=5, random_state=0).fit(X)
    >>> X_noisy = np.clip(X + 0.1 * rng.normal(size=X.shape), 0, 1)
    >>> X_restored = dae.predict(X_noisy)
    >>> X_restored.shape
    (200, 16)
    >>> bool(np.mean((X_restored - X) ** 2) < np.mean((X_noisy - X) ** 2) / 2)
    True
    """

    #: the dense network carries a linear path set to PCA before training (skae/_pca_floor.py)
    _pca_floor = True

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "noise": [StrOptions(set(NOISE_KINDS))],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "clip": [None, tuple, list],
    }

    def __init__(
        self,
        *,
        noise: str = "gaussian",
        noise_level: float = 0.2,
        clip: tuple[float, float] | None = None,
        model=None,
        architecture: str = "dense",
        hidden_layer_sizes=None,
        n_components: int | None = None,
        activation: str = "relu",
        output_activation: str = "linear",
        dropout: float = 0.0,
        input_shape: tuple | None = None,
        loss="mse",
        optimizer="adam",
        learning_rate: float = 1e-3,
        epochs: int = 100,
        batch_size="auto",
        validation_fraction: float = 0.1,
        early_stopping: bool = True,
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
        """Train the denoiser.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Clean rows (corrupted on the fly), or the noisy rows when ``y`` is given.
        y : array-like of shape (n_samples, n_features) or None
            Clean targets for the noisy X. A 1-D ``y`` (class labels passed along a
            ``Pipeline``) is ignored, as by any unsupervised transformer.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the training loss.

        Returns
        -------
        self : DenoisingAutoencoder
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight)

    def _clean_targets(self, X: np.ndarray, y):
        if y is None:
            return None
        y_arr = np.asarray(y) if not hasattr(y, "iloc") else y
        if getattr(y_arr, "ndim", 1) == 1 or (y_arr.ndim == 2 and y_arr.shape[1] == 1
                                               and X.shape[1] != 1):
            return None  # labels travelling through a Pipeline, not targets
        y_arr = check_array(y_arr, dtype=(np.float64, np.float32), ensure_all_finite=True,
                            input_name="y")
        if y_arr.shape != X.shape:
            raise ValueError(
                f"y must hold the clean rows for X, with X's shape {X.shape}; got "
                f"{y_arr.shape}."
            )
        return y_arr

    def _training_data(self, X, y):
        clean = self._clean_targets(X, y)
        return (X, X) if clean is None else (X, clean)

    def _corruption(self, X_in, X_target):
        if X_in is not X_target:  # given (noisy, clean) pairs: nothing to corrupt
            return None
        if self.clip is not None and (len(self.clip) != 2 or self.clip[0] >= self.clip[1]):
            raise ValueError(f"clip must be (low, high) with low < high, got {self.clip!r}.")
        return make_corruption(
            self.noise, float(self.noise_level), self.clip,
            low=float(np.min(X_target)), high=float(np.max(X_target)),
        )

    def predict(self, X) -> np.ndarray:
        """Restore X: the denoised rows, with X's shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Noisy rows.

        Returns
        -------
        X_restored : ndarray of shape (n_samples, n_features)
            Within ``clip``'s bounds when it is set.
        """
        return clip_output(self.reconstruct(X), self.clip)
