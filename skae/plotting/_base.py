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


def split_pipeline(estimator: Any) -> tuple[Any, Any]:
    """``(head, final)``: a Pipeline's steps before its last one and its last step.

    ``head`` is None when ``estimator`` is not a :class:`~sklearn.pipeline.Pipeline`; then
    ``final`` is the estimator itself. As scikit-learn's displays do, a Pipeline is read
    through its last step, X having gone through the steps before it.
    """
    from sklearn.pipeline import Pipeline

    if not isinstance(estimator, Pipeline):
        return None, estimator
    final = estimator.steps[-1][1]
    if final is None or final == "passthrough":
        raise TypeError("The Pipeline's last step is 'passthrough'; it must be an autoencoder.")
    return estimator[:-1], final


def final_estimator(estimator: Any) -> Any:
    """The estimator a display reads: a Pipeline's last step, else ``estimator`` itself."""
    return split_pipeline(estimator)[1]


def _step_names(head: Any) -> str:
    return " + ".join(name for name, step in head.steps if step not in (None, "passthrough"))


def _invertible(head: Any) -> bool:
    """Whether the steps map back exactly: a FunctionTransformer without ``inverse_func``
    has an identity ``inverse_transform`` that would draw transformed values as X's."""
    from sklearn.preprocessing import FunctionTransformer

    return hasattr(head, "inverse_transform") and not any(
        isinstance(step, FunctionTransformer) and step.func is not None
        and step.inverse_func is None
        for _, step in head.steps
    )


def reconstruct(estimator: Any, X: Any, caller_name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """``(x, x_rec, units)``: rows of X and their reconstruction, in the units to draw.

    For a Pipeline, X goes through the steps before the autoencoder; the reconstruction is
    mapped back to X's units when those steps have ``inverse_transform``; otherwise both are
    drawn in the transformed units, which ``units`` then names (" after StandardScaler").
    """
    head, final = split_pipeline(estimator)
    _require_method(final, "reconstruct", caller_name)
    X_in = X if head is None else head.transform(X)
    X_rec = np.asarray(final.reconstruct(X_in), dtype=float)
    if X_rec.shape != np.shape(X_in):
        raise ValueError(
            f"{type(final).__name__}.reconstruct returned shape {X_rec.shape}, "
            f"expected the shape of X, {np.shape(X_in)}."
        )
    if head is None:
        return np.asarray(X, dtype=float), X_rec, ""
    if _invertible(head):
        X_rec = np.asarray(head.inverse_transform(X_rec), dtype=float)
        return np.asarray(X, dtype=float), X_rec, ""
    return np.asarray(X_in, dtype=float), X_rec, f" after {_step_names(head)}"


def reconstruction_error(estimator: Any, X: Any, caller_name: str) -> np.ndarray:
    """Call ``reconstruction_error(X)`` of the estimator (of a Pipeline's last step, on X
    transformed by the steps before it) and check it gives one value per row."""
    head, final = split_pipeline(estimator)
    _require_method(final, "reconstruction_error", caller_name)
    errors = np.asarray(
        final.reconstruction_error(X if head is None else head.transform(X)), dtype=float
    )
    n_samples = np.shape(X)[0]
    if errors.shape != (n_samples,):
        raise ValueError(
            f"{type(final).__name__}.reconstruction_error returned shape {errors.shape}, "
            f"expected ({n_samples},)."
        )
    return errors


def error_values(estimator: Any, X: Any, caller_name: str) -> tuple[np.ndarray, str]:
    """The per-row values a detector's threshold applies to, and what they are called.

    A fitted detector whose score combines the reconstruction error with other views
    (``views_`` names more than one) is thresholded on its anomaly score, ``-score_samples``
    (on the reconstruction error's scale): that is what is drawn against ``threshold_``,
    so that the rows beyond the line are exactly those ``predict`` flags. Any other
    estimator gives its ``reconstruction_error``.
    """
    final = final_estimator(estimator)
    if len(getattr(final, "views_", ())) <= 1:
        return (reconstruction_error(estimator, X, caller_name),
                f"{type(final).__name__}.reconstruction_error")
    scores = -np.asarray(estimator.score_samples(X), dtype=float)
    return scores, f"{type(final).__name__} anomaly score (-score_samples)"
