"""Fitted per-feature scaling of the input, and the per-feature scale of reconstruction errors.

:class:`FeatureScaling` is the detector's input scaling as one fitted object,
``z = (x - center) / scale``: :meth:`FeatureScaling.robust` learns it from training rows,
:meth:`~FeatureScaling.transform` and :meth:`~FeatureScaling.inverse_transform` apply it in
the rows' own precision, and the forward passes of :mod:`skae._inference` take its
``center`` and ``scale`` vectors into the same function as the network, so that large
chunks are scaled, passed through the network and scored in one TensorFlow graph.

:func:`error_scale` is the error normalisation: one vector of per-feature divisors learnt
from the training rows' per-feature errors.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FeatureScaling", "error_scale"]


class FeatureScaling:
    """The per-feature scaling ``z = (x - center) / scale``, fitted once and then fixed.

    Parameters
    ----------
    center : array-like of shape (n_features,)
        Subtracted from each feature.
    scale : array-like of shape (n_features,)
        Positive divisors of each feature.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._scaling import FeatureScaling
    >>> X = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0], [3.0, 40.0]])
    >>> scaling = FeatureScaling.robust(X)
    >>> bool(np.allclose(scaling.inverse_transform(scaling.transform(X)), X))
    True
    """

    def __init__(self, center, scale):
        self.center = np.asarray(center, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)

    @classmethod
    def robust(cls, X) -> FeatureScaling:
        """Median and IQR / 1.349 of each feature (the standard deviation when the IQR is
        below 1e-3 of it, as for mostly constant or binary features; 1 for constant ones)."""
        X = np.asarray(X, dtype=np.float64)
        center = np.median(X, axis=0)
        q75, q25 = np.percentile(X, [75, 25], axis=0)
        iqr = (q75 - q25) / 1.349
        std = X.std(axis=0)
        scale = np.where(iqr > 1e-3 * std, iqr, std)
        # constant features (and spreads lost in rounding) are left unscaled
        scale[~(scale > 1e-12 * (1.0 + np.abs(center)))] = 1.0
        return cls(center, scale)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``(X - center) / scale`` in X's precision (float32 rows stay float32)."""
        out = np.subtract(X, self.center.astype(X.dtype, copy=False))
        out /= self.scale.astype(X.dtype, copy=False)
        return out

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """``Z * scale + center`` in Z's precision."""
        return (Z * self.scale + self.center).astype(Z.dtype, copy=False)


def error_scale(feature_errors: np.ndarray) -> np.ndarray:
    """Per-feature divisors of the errors: each feature's median training error plus a floor.

    The median, not the mean: the anomalies among unlabelled training rows must not set
    the scale. The floor, a fraction of the typical feature's median, bounds the weight of
    a feature that almost every row reconstructs exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._scaling import error_scale
    >>> errors = np.array([[1.0, 4.0], [3.0, 4.0], [2.0, 400.0]])
    >>> error_scale(errors).round(3).tolist()
    [2.003, 4.003]
    """
    typical = np.median(feature_errors, axis=0)
    floor = (1e-3 * float(np.median(typical)) + 1e-6 * float(feature_errors.mean())
             + np.finfo(np.float64).tiny)
    return typical + floor
