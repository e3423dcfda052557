"""Checks that turn a fit gone silently wrong into an error or a warning a user can act on.

- :func:`check_enough_rows`: too few training rows for the estimator (a threshold from one
  row's error flags every later row), refused before any training with scikit-learn's
  ``ensure_min_samples`` wording;
- :func:`warn_if_normal_minority`: ``normal_label`` keeps a minority of the labelled rows,
  the sign of labels the wrong way round (PyOD's 1 = anomaly read as 1 = normal);
- :func:`reconstruction_verdict`: a network that reconstructs its own training rows worse
  than predicting each column's mean has failed: far worse is an error, worse a warning;
- :func:`clip_output`: the denoiser's restored rows bounded by its ``clip``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import is_outlier_detector

from ._collapse import collapse_message
from ._training import TrainingDiverged

__all__ = [
    "check_enough_rows", "clip_output", "min_fit_rows", "reconstruction_verdict",
    "warn_if_normal_minority",
]

#: A detector's threshold is a statistic (quantile, mean + k std) of its training rows'
#: scores: below 10 rows it is that of a handful of values, and ``contamination=0.1`` flags
#: no row at all. The other estimators need 2 rows for a column's mean and spread.
_DETECTOR_MIN_ROWS = 10
_MIN_ROWS = 2

#: Training MSE above this multiple of both the mean predictor's and the all-zero
#: predictor's (an untrained network's): not a short run, a diverged one.
_DIVERGED_RATIO = 1000.0


def min_fit_rows(estimator) -> int:
    """The fewest training rows ``estimator`` accepts."""
    return _DETECTOR_MIN_ROWS if is_outlier_detector(estimator) else _MIN_ROWS


def check_enough_rows(estimator, n_rows: int, *, selected_by: str | None = None) -> None:
    """Raise ``ValueError`` when ``n_rows`` training rows are too few for ``estimator``.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted; its kind sets the minimum (see :func:`min_fit_rows`).
    n_rows : int
        The rows it would train on.
    selected_by : str or None, default=None
        How the rows were selected (e.g. ``"normal_label=1"``), named in the message.

    Examples
    --------
    >>> from skae import AutoencoderTransformer
    >>> check_enough_rows(AutoencoderTransformer(), 2)
    >>> check_enough_rows(AutoencoderTransformer(), 1)
    Traceback (most recent call last):
    ...
    ValueError: Found array with 1 sample(s) while a minimum of 2 is required by ...
    """
    minimum = min_fit_rows(estimator)
    if n_rows >= minimum:
        return
    name = type(estimator).__name__
    where = f" (the rows with {selected_by})" if selected_by else ""
    why = ("its threshold is a statistic of the training rows' scores"
           if minimum == _DETECTOR_MIN_ROWS else "a column's mean and spread need 2 rows")
    raise ValueError(
        f"Found array with {n_rows} sample(s){where} while a minimum of {minimum} is required "
        f"by {name}: {why}. Fit on more rows."
    )


def warn_if_normal_minority(y: np.ndarray, normal_label, warn) -> None:
    """Warn when the rows labelled ``normal_label`` are a minority of the labelled rows.

    Detectors train on the normal rows, which are the majority of any data set worth a
    detector; a minority usually means the labels' convention is the other one (PyOD and
    ADBench: 1 = anomaly, 0 = normal).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_normal_minority(np.array([0, 0, 0, 1]), 1, warnings.warn)
    >>> "minority" in str(caught[0].message)
    True
    """
    kept = int(np.sum(y == normal_label))
    if 2 * kept >= y.shape[0]:
        return
    warn(
        f"normal_label={normal_label!r} keeps {kept} of the {y.shape[0]} labelled rows "
        f"({kept / y.shape[0]:.0%}) as normal: a minority, so the detector learns what is "
        "rare. Are the labels the other way round? PyOD and ADBench label anomalies 1 and "
        "normal rows 0: pass normal_label=0 for them.",
        UserWarning,
    )


def _mean_predictor_mse(X: np.ndarray) -> float:
    return float(np.mean(np.var(X, axis=0)))


def _typical_row_beats_the_means(recon: np.ndarray, X: np.ndarray) -> bool:
    """Whether the median row is reconstructed better than by the column means: then a few
    far-out rows, not the network, make the mean error exceed the mean predictor's."""
    row_mse = np.mean((recon - X) ** 2, axis=1)
    typical_baseline = np.median(np.mean((X - X.mean(axis=0)) ** 2, axis=1))
    return bool(np.median(row_mse) < typical_baseline)


def reconstruction_verdict(recon, X, *, history, activations, name: str) -> str | None:
    """Raise for a fit far worse than the column means; else the warning to give, or None.

    Parameters
    ----------
    recon, X : ndarray of shape (n_samples, n_features)
        The network's reconstruction of its training targets, and the targets.
    history, activations, name
        As for :func:`skae._collapse.collapse_message`, whose diagnosis comes first.

    Returns
    -------
    str or None
        A ``ConvergenceWarning``'s text: a collapsed network, or one that reconstructs its
        training rows worse than each column's mean does.

    Raises
    ------
    TrainingDiverged
        When the training MSE exceeds 1000 times both that of predicting the column means
        and that of predicting 0 everywhere (what an untrained network about does).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> print(reconstruction_verdict(0.5 * X, X, history={}, activations=set(), name="Est"))
    None
    >>> reconstruction_verdict(X + 1.5, X, history={}, activations=set(), name="Est")[:40]
    'Est: the network reconstructs its traini'
    """
    recon, X = np.asarray(recon, dtype=np.float64), np.asarray(X, dtype=np.float64)
    baseline = _mean_predictor_mse(X)
    if X.shape[0] < 2 or baseline <= 1e-12:
        return None
    mse = float(np.mean((recon - X) ** 2))
    # A barely trained network's MSE is about mean(X**2) (large for data far from 0), a few
    # times more for a small random one: a short run. Far beyond, training blew the weights up.
    if mse > _DIVERGED_RATIO * max(baseline, float(np.mean(X**2))):
        raise TrainingDiverged(
            f"Training diverged: {name} reconstructs its own training rows with MSE "
            f"{mse:.4g}, {mse / baseline:.3g} times that of predicting each column's mean "
            f"({baseline:.4g}) and worse than predicting 0 everywhere. Lower `learning_rate` "
            "(e.g. by 10x) or scale the input (e.g. StandardScaler); the estimator was left "
            "as it was before this fit."
        )
    collapsed = collapse_message(recon, X, history=history, activations=activations,
                                 name=name)
    if collapsed or mse <= baseline or _typical_row_beats_the_means(recon, X):
        return collapsed
    return (
        f"{name}: the network reconstructs its training rows worse than predicting each "
        f"column's mean (training MSE {mse:.4g} against {baseline:.4g}), so its outputs and "
        "scores carry little information. Train longer (`epochs`), lower `learning_rate`, "
        "or scale the input (e.g. StandardScaler)."
    )


def clip_output(X_restored: np.ndarray, clip) -> np.ndarray:
    """``X_restored`` bounded in place by ``clip=(low, high)``; unchanged for ``None``.

    Examples
    --------
    >>> clip_output(np.array([-0.2, 0.5, 1.3]), (0, 1))
    array([0. , 0.5, 1. ])
    """
    if clip is None:
        return X_restored
    return np.clip(X_restored, clip[0], clip[1], out=X_restored)
