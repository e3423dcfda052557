"""One mechanism that turns reconstruction errors into an error threshold.

A row is an outlier when its reconstruction error exceeds the threshold; the detector's
``offset_`` is minus the threshold, so ``decision_function = score_samples - offset_`` is
negative exactly for outliers. Every strategy - a contamination fraction, the
``"mean_std"`` and ``"median_mad"`` rules, a fixed error level - goes through
:func:`error_threshold`, and none of them needs a new network: they only read errors.

There is no separate "percentile" rule: flagging the errors above the q-th percentile is
``contamination = 1 - q / 100``.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

__all__ = ["THRESHOLD_PARAMS", "THRESHOLD_RULES", "check_threshold_params", "error_threshold"]

#: Rules for ``threshold`` when ``contamination="auto"``; a float is a fixed error threshold.
THRESHOLD_RULES = ("mean_std", "median_mad")

#: The detector's parameters that only move the threshold, never the network.
THRESHOLD_PARAMS = ("contamination", "threshold", "n_std")

_MAD_TO_STD = 1.482602218505602  # 1 / Phi^-1(3/4): MAD of a normal sample -> its std


def check_threshold_params(*, contamination, threshold, n_std) -> None:
    """Reject the values that scikit-learn's interval constraints let through.

    ``_parameter_constraints`` already checks types and ranges; booleans pass there as
    the numbers 0 and 1, which is never what ``threshold=True`` or ``n_std=False`` means.

    Raises
    ------
    ValueError
        If ``contamination``, ``threshold`` or ``n_std`` is a boolean.
    """
    for name, value in (("contamination", contamination), ("threshold", threshold),
                        ("n_std", n_std)):
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(
                f"{name} must be a number or one of the documented strings, not the boolean "
                f"{value!r}."
            )


def error_threshold(errors, *, contamination, threshold, n_std: float) -> float:
    """Error threshold for ``errors`` under the detector's threshold parameters.

    Parameters
    ----------
    errors : array-like of shape (n_samples,)
        Reconstruction errors of the rows the threshold is calibrated on (the training
        rows in ``fit``).
    contamination : "auto" or float in (0, 0.5]
        A float flags that fraction of the rows: the threshold is the
        ``100 * (1 - contamination)``-th percentile of the errors (linear interpolation,
        as ``IsolationForest`` places ``offset_``). It takes precedence over
        ``threshold``.
    threshold : {"mean_std", "median_mad"} or float
        Used when ``contamination="auto"``. ``"mean_std"``: mean + ``n_std`` x standard
        deviation (population, ``ddof=0``) of the errors, the ECG5000 recipe.
        ``"median_mad"``: median + ``n_std`` x 1.4826 x median absolute deviation, which a
        few large errors among the rows do not inflate. A float is the threshold itself.
    n_std : float
        Multiplier of the spread in the two rules; ignored otherwise.

    Returns
    -------
    threshold : float
        Rows with an error strictly above it are outliers.

    Raises
    ------
    ValueError
        If ``errors`` is empty, not 1-D, or holds NaN or infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> errors = np.array([1.0, 2.0, 3.0, 4.0])
    >>> round(error_threshold(errors, contamination="auto", threshold="mean_std", n_std=1.0), 3)
    3.618
    >>> round(error_threshold(errors, contamination="auto", threshold="median_mad", n_std=2), 3)
    5.465
    >>> error_threshold(errors, contamination=0.25, threshold="mean_std", n_std=1.0)
    3.25
    >>> error_threshold(errors, contamination="auto", threshold=2.5, n_std=1.0)
    2.5
    """
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 1 or errors.size == 0:
        raise ValueError(
            f"Reconstruction errors must be a non-empty 1-D array, got shape {errors.shape}."
        )
    n_bad = int(np.count_nonzero(~np.isfinite(errors)))
    if n_bad:
        raise ValueError(
            f"{n_bad} of {errors.size} reconstruction errors are NaN or infinite; no "
            "threshold can be set from them. The network's output overflowed: scale the "
            "input (e.g. StandardScaler) or lower learning_rate."
        )
    if contamination != "auto":
        return float(np.percentile(errors, 100.0 * (1.0 - float(contamination))))
    if isinstance(threshold, Real):
        return float(threshold)
    if threshold == "mean_std":
        return float(errors.mean() + n_std * errors.std())
    if threshold == "median_mad":
        median = np.median(errors)
        return float(median + n_std * _MAD_TO_STD * np.median(np.abs(errors - median)))
    raise ValueError(
        f"threshold must be one of {list(THRESHOLD_RULES)} or a non-negative float, got "
        f"{threshold!r}."
    )
