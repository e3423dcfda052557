"""One mechanism that turns training reconstruction errors into an error threshold.

A row is an outlier when its reconstruction error exceeds the threshold; the detector's
``offset_`` is minus the threshold, so ``decision_function = score_samples - offset_`` is
negative exactly for outliers. Changing these parameters never needs a new network.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

__all__ = ["THRESHOLD_RULES", "error_threshold"]

#: Rules for ``threshold`` when ``contamination="auto"``; a float is a fixed error threshold.
THRESHOLD_RULES = ("mean_std", "median_mad")

_MAD_TO_STD = 1.482602218505602  # 1 / Phi^-1(3/4): MAD of a normal sample -> its std


def error_threshold(errors: np.ndarray, *, contamination, threshold, n_std: float) -> float:
    """Error threshold for training ``errors`` under the detector's threshold parameters.

    Parameters
    ----------
    errors : ndarray of shape (n_samples,)
        Reconstruction errors of the training rows.
    contamination : "auto" or float in (0, 0.5]
        A float flags that fraction of the training rows (scikit-learn's convention);
        it takes precedence over ``threshold``.
    threshold : {"mean_std", "median_mad"} or float
        With ``contamination="auto"``: ``"mean_std"`` is mean + ``n_std`` x std of the
        errors (the seed recipe); ``"median_mad"`` is median + ``n_std`` x 1.4826 x MAD, a
        robust version that training outliers do not inflate; a float is used as it is.
    n_std : float
        Multiplier of the spread for the two rules.

    Examples
    --------
    >>> import numpy as np
    >>> errors = np.array([1.0, 2.0, 3.0, 4.0])
    >>> float(error_threshold(errors, contamination="auto", threshold="mean_std", n_std=1.0))
    3.618...
    >>> float(error_threshold(errors, contamination=0.25, threshold="mean_std", n_std=1.0))
    3.25
    """
    errors = np.asarray(errors, dtype=np.float64)
    if contamination != "auto":
        return float(np.percentile(errors, 100.0 * (1.0 - contamination)))
    if isinstance(threshold, Real) and not isinstance(threshold, bool):
        return float(threshold)
    if threshold == "mean_std":
        return float(errors.mean() + n_std * errors.std())
    if threshold == "median_mad":
        median = np.median(errors)
        return float(median + n_std * _MAD_TO_STD * np.median(np.abs(errors - median)))
    raise ValueError(  # pragma: no cover - rejected earlier by parameter validation
        f"threshold must be one of {THRESHOLD_RULES} or a float, got {threshold!r}"
    )
