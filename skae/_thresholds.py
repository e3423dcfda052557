"""One mechanism that turns reconstruction errors into an error threshold.

The detector applies it to its anomaly scores, which are on the scale of the reconstruction
error ("errors" below). A row is an outlier when its score exceeds the threshold; the detector's
``offset_`` is minus the threshold, so ``decision_function = score_samples - offset_`` is
negative exactly for outliers. Every strategy - a contamination fraction, the
``"log_mean_std"``, ``"mean_std"`` and ``"median_mad"`` rules, a fixed error level - goes
through :func:`error_threshold`, and none of them needs a new network: they only read errors
(and, when ``fit`` was given ``sample_weight``, the rows' weights).

The default rule, ``"log_mean_std"``, works on the logarithms of the errors: reconstruction
errors are skewed (a long right tail), their logarithms much less, so mean + 2 standard
deviations of the log errors (those below the first quartile counted as the first quartile)
flags a small and steady share of ordinary rows - 4.9 % of the clean training rows on
average over 33 ADBench tables (1.9 % to 8.7 %), where mean + 1 standard deviation of the
errors themselves flags 0.1 % to 15 % (``benchmarks/threshold_rules.py``). Whatever the errors'
distribution, the rule never flags more than 1 / (1 + n_std^2) of the rows it is
calibrated on (Cantelli's inequality: 20 % at n_std=2). It does not depend on the errors'
unit, nor on a power applied to them.

There is no separate "percentile" rule: flagging the errors above the q-th percentile is
``contamination = 1 - q / 100``.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

__all__ = [
    "DEFAULT_N_STD", "THRESHOLD_PARAMS", "THRESHOLD_RULES", "check_threshold_params",
    "error_threshold",
]

#: Rules for ``threshold`` when ``contamination="auto"``; a float is a fixed error threshold.
THRESHOLD_RULES = ("log_mean_std", "mean_std", "median_mad")

#: ``n_std`` of each rule when ``n_std=None``.
DEFAULT_N_STD = {"log_mean_std": 2.0, "mean_std": 1.0, "median_mad": 1.0}

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
                        ("n_std", n_std)):  # None (n_std's rule default) is no boolean
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(
                f"{name} must be a number or one of the documented strings, not the boolean "
                f"{value!r}."
            )


def error_threshold(errors, *, contamination, threshold, n_std, sample_weight=None) -> float:
    """Error threshold for ``errors`` under the detector's threshold parameters.

    Parameters
    ----------
    errors : array-like of shape (n_samples,)
        Reconstruction errors of the rows the threshold is calibrated on (the training
        rows in ``fit``).
    contamination : "auto" or float in (0, 0.5]
        A float flags that fraction of the rows: the threshold is the
        ``100 * (1 - contamination)``-th percentile of the errors (linear interpolation,
        as ``IsolationForest`` places ``offset_``; with integer ``sample_weight`` a row of
        weight ``w`` counts as ``w`` copies of it, other weights by their ratios). It
        takes precedence over ``threshold``.
    threshold : {"log_mean_std", "mean_std", "median_mad"} or float
        Used when ``contamination="auto"``. ``"log_mean_std"``: exp(mean + ``n_std`` x
        standard deviation of the log errors), errors below their first quartile counted
        as the first quartile. ``"mean_std"``: mean + ``n_std`` x
        standard deviation (population, ``ddof=0``) of the errors, the ECG5000 recipe.
        ``"median_mad"``: median + ``n_std`` x 1.4826 x median absolute deviation, which a
        few large errors among the rows do not inflate. A float is the threshold itself.
    n_std : float or None
        Multiplier of the spread in the three rules; None takes the rule's own: 2 for
        ``"log_mean_std"``, 1 for the others. Ignored otherwise.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows in the statistics (means, deviations, medians, percentiles).
        Rows of weight 0 do not count; equal weights give the unweighted threshold.

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
    >>> round(error_threshold(errors, contamination="auto", threshold="log_mean_std",
    ...                       n_std=None), 3)
    4.904
    >>> error_threshold(errors, contamination=0.25, threshold="mean_std", n_std=1.0)
    3.25
    >>> error_threshold(errors, contamination="auto", threshold=2.5, n_std=1.0)
    2.5
    """
    errors, weights = _checked(errors, sample_weight)
    if contamination != "auto":
        return _quantile(errors, weights, 1.0 - float(contamination))
    if isinstance(threshold, Real):
        return float(threshold)
    if threshold not in THRESHOLD_RULES:
        raise ValueError(
            f"threshold must be one of {list(THRESHOLD_RULES)} or a non-negative float, got "
            f"{threshold!r}."
        )
    k = DEFAULT_N_STD[threshold] if n_std is None else float(n_std)
    if threshold == "median_mad":
        median = _quantile(errors, weights, 0.5)
        return median + k * _MAD_TO_STD * _quantile(np.abs(errors - median), weights, 0.5)
    if threshold == "mean_std":
        return _mean_plus_std(errors, weights, k)
    floor = _log_floor(errors, weights)
    if floor == 0.0:  # every row reconstructed exactly: any error is an outlier's
        return 0.0
    return float(np.exp(_mean_plus_std(np.log(np.maximum(errors, floor)), weights, k)))


def _log_floor(errors: np.ndarray, weights) -> float:
    """The level below which errors count as that level in the log rule: their first
    quartile (the smallest positive error when more than a quarter are 0; 0 when all are).

    How much better than typical the best-reconstructed rows are says nothing about how far
    out an outlier is, yet on the log scale such rows (an exact reconstruction: minus
    infinity) would widen the spread and lift the threshold above every row. Built from a
    quantile, the level is in the errors' unit and follows a power applied to them.
    """
    positive = errors > 0
    if not positive.any():
        return 0.0
    first_quartile = _quantile(errors, weights, 0.25)
    return first_quartile if first_quartile > 0 else float(errors[positive].min())


def _checked(errors, sample_weight) -> tuple[np.ndarray, np.ndarray | None]:
    """Finite 1-D errors and their weights (None when unweighted or all equal)."""
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
    if sample_weight is None:
        return errors, None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != errors.shape:
        raise ValueError(f"sample_weight has shape {weights.shape}; expected {errors.shape}.")
    kept = weights > 0
    if not kept.any():
        raise ValueError("sample_weight is 0 for every row; no threshold can be set.")
    errors, weights = errors[kept], weights[kept]
    return errors, None if np.all(weights == weights[0]) else weights


def _mean_plus_std(values: np.ndarray, weights, k: float) -> float:
    mean = float(np.average(values, weights=weights))
    std = float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))
    return mean + k * std


def _quantile(values: np.ndarray, weights, q: float) -> float:
    """numpy's linear-interpolation quantile (as IsolationForest's), where a row of weight
    ``w`` counts as ``w`` copies of it: integer weights give exactly the quantile of the
    repeated rows, unit weights numpy's. Other weights are first rescaled to a mean of 1
    over the rows they do not drop, so only their ratios matter."""
    if weights is None:
        return float(np.quantile(values, q))
    weights = np.asarray(weights, dtype=np.float64)
    if not np.array_equal(weights, np.round(weights)):
        weights = weights * (np.count_nonzero(weights) / weights.sum())
    order = np.argsort(values, kind="stable")
    ranked, copies = np.asarray(values)[order], np.cumsum(weights[order])
    position = max(q * (copies[-1] - 1.0), 0.0)  # in the repeated rows, counted from 0
    below = np.floor(position)
    last = len(ranked) - 1
    low = ranked[min(int(np.searchsorted(copies, below, side="right")), last)]
    high = ranked[min(int(np.searchsorted(copies, below + 1.0, side="right")), last)]
    return float(low + (position - below) * (high - low))
