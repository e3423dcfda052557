"""Helpers shared by the displays of :mod:`skae.plotting`.

Importing :mod:`skae.plotting` only imports numpy: matplotlib is imported inside
the functions that draw, and scikit-learn inside the ones that need it, so that
the import is cheap and never pulls in :mod:`matplotlib.pyplot` or TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def check_matplotlib_support(caller_name: str) -> None:
    """Raise an informative ImportError when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            f"{caller_name} requires matplotlib. Install it with `pip install matplotlib`."
        ) from exc


def get_axes(ax: Axes | None, caller_name: str) -> tuple[Axes, Figure]:
    """Return ``(ax, figure)``, creating a new figure and axes when ``ax`` is None."""
    check_matplotlib_support(caller_name)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax, ax.figure


def style_kwargs(
    defaults: Mapping[str, Any], user: Mapping[str, Any] | None, artist_cls: type
) -> dict[str, Any]:
    """Merge user style keywords over defaults, resolving matplotlib aliases.

    ``user`` keywords win; aliases such as ``c``/``ls`` are normalised to their
    canonical names (``color``/``linestyle``) so they override the defaults
    instead of clashing with them.
    """
    from matplotlib.cbook import normalize_kwargs

    return {**defaults, **normalize_kwargs(dict(user or {}), artist_cls)}


def as_float_array(X: Any, name: str, ndim: tuple[int, ...]) -> np.ndarray:
    """Convert ``X`` to a finite float ndarray whose number of dimensions is in ``ndim``."""
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array-like; got {type(X).__name__}.") from exc
    if arr.ndim not in ndim:
        allowed = " or ".join(f"{n}-D" for n in ndim)
        raise ValueError(f"{name} must be {allowed}; got an array of shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ValueError when two arrays do not have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}."
        )


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows ``rows`` of ``X`` (ndarray, list, DataFrame or sparse), keeping its type."""
    from sklearn.utils import _safe_indexing

    return _safe_indexing(X, rows)


def _require_method(estimator: Any, method: str, caller_name: str) -> None:
    if not callable(getattr(estimator, method, None)):
        raise TypeError(
            f"{caller_name} needs an estimator with a `{method}` method; "
            f"{type(estimator).__name__} has none."
        )


def reconstruct(estimator: Any, X: Any, caller_name: str) -> np.ndarray:
    """Call ``estimator.reconstruct(X)`` and check the result has the shape of ``X``."""
    _require_method(estimator, "reconstruct", caller_name)
    X_rec = np.asarray(estimator.reconstruct(X), dtype=float)
    if X_rec.shape != np.shape(X):
        raise ValueError(
            f"{type(estimator).__name__}.reconstruct returned shape {X_rec.shape}, "
            f"expected the shape of X, {np.shape(X)}."
        )
    return X_rec


def reconstruction_error(estimator: Any, X: Any, caller_name: str) -> np.ndarray:
    """Call ``estimator.reconstruction_error(X)`` and check it gives one value per row."""
    _require_method(estimator, "reconstruction_error", caller_name)
    errors = np.asarray(estimator.reconstruction_error(X), dtype=float)
    n_samples = np.shape(X)[0]
    if errors.shape != (n_samples,):
        raise ValueError(
            f"{type(estimator).__name__}.reconstruction_error returned shape {errors.shape}, "
            f"expected ({n_samples},)."
        )
    return errors
