"""Histogram of reconstruction errors, normal vs abnormal rows, with the threshold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import (
    as_float_array,
    error_values,
    final_estimator,
    get_axes,
    style_kwargs,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike


class ErrorHistogramDisplay:
    """Histogram of per-row reconstruction errors, split into normal and abnormal rows.

    With labels ``y``, rows equal to ``normal_label`` and the other rows are
    drawn as two overlaid, semi-transparent histograms on shared bins; without
    ``y`` a single histogram is drawn. A known error threshold (a row is an
    outlier when its error is above it) is drawn as a vertical dashed line.

    It is recommended to use :meth:`from_estimator` or :meth:`from_predictions`
    to create a display. All parameters are stored as attributes.

    Parameters
    ----------
    errors : ndarray of shape (n_samples,)
        Reconstruction error of each row.

    y : ndarray of shape (n_samples,), default=None
        Labels of the rows; rows equal to ``normal_label`` are normal, all
        others abnormal. If None, all rows form one histogram.

    threshold : float, default=None
        Error threshold, drawn as a vertical line. Not drawn if None.

    normal_label : int, float, bool or str, default=1
        The label of normal rows in ``y``. The default, 1, fits both 0/1 "is
        normal" labels and scikit-learn's 1 (inlier) / -1 (outlier) convention.

    error_label : str, default="reconstruction error"
        Label of the horizontal axis: what the errors are, in their units.
        :meth:`from_estimator` names the estimator's method, e.g.
        ``"ReconstructionOutlierDetector.reconstruction_error"``.

    Attributes
    ----------
    bars_ : dict of str to matplotlib BarContainer
        The drawn histograms, keyed ``"normal"`` and ``"abnormal"``, or
        ``"all"`` when ``y`` is None.

    bin_edges_ : ndarray of shape (n_bins + 1,)
        The bin edges shared by the histograms.

    threshold_line_ : matplotlib Line2D or None
        The threshold line, None when no threshold is known.

    ax_ : matplotlib Axes
        Axes with the histograms.

    figure_ : matplotlib Figure
        Figure containing the histograms.

    See Also
    --------
    SignalReconstructionDisplay : One signal and its reconstruction.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skae.plotting import ErrorHistogramDisplay
    >>> errors = np.array([0.1, 0.2, 0.15, 0.9, 1.1])
    >>> y = np.array([1, 1, 1, 0, 0])
    >>> disp = ErrorHistogramDisplay.from_predictions(errors, y, threshold=0.5, bins=5)
    >>> disp.threshold_line_.get_xdata()[0]
    0.5
    >>> [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    ['normal (n=3)', 'abnormal (n=2)', 'threshold = 0.5']

    From a fitted outlier detector, whose threshold is drawn:

    >>> from skae import ReconstructionOutlierDetector
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> detector = ReconstructionOutlierDetector(epochs=2, random_state=0).fit(X)
    >>> disp = ErrorHistogramDisplay.from_estimator(detector, X, bins=10)
    >>> bool(disp.threshold_line_.get_xdata()[0] == detector.threshold_)
    True
    """

    def __init__(
        self,
        *,
        errors: ArrayLike,
        y: ArrayLike | None = None,
        threshold: float | None = None,
        normal_label: Any = 1,
        error_label: str = "reconstruction error",
    ) -> None:
        self.errors = errors
        self.y = y
        self.threshold = threshold
        self.normal_label = normal_label
        self.error_label = error_label

    def _groups(self) -> dict[str, np.ndarray]:
        """Validate the data and split the errors into the groups to draw."""
        errors = as_float_array(self.errors, "errors", ndim=(1,))
        if errors.size == 0:
            raise ValueError("errors is empty.")
        if self.threshold is not None and not np.isfinite(self.threshold):
            raise ValueError(f"threshold must be a finite number; got {self.threshold!r}.")
        if self.y is None:
            return {"all": errors}
        y = np.asarray(self.y)
        if y.shape != errors.shape:
            raise ValueError(
                f"y must have one label per error; got shapes {y.shape} and {errors.shape}."
            )
        normal = y == self.normal_label
        if not normal.any():
            raise ValueError(
                f"normal_label={self.normal_label!r} does not occur in y "
                f"(labels: {np.unique(y).tolist()})."
            )
        return {"normal": errors[normal], "abnormal": errors[~normal]}

    def plot(
        self,
        ax: Axes | None = None,
        *,
        bins: int | ArrayLike = 50,
        alpha: float = 0.5,
        hist_kwargs: dict[str, Any] | None = None,
        threshold_kwargs: dict[str, Any] | None = None,
    ) -> ErrorHistogramDisplay:
        """Draw the histogram(s) and the threshold line.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. If None, a new figure and axes are created.

        bins : int or array-like, default=50
            Number of bins, or bin edges, shared by all histograms (computed
            over all errors, see :func:`numpy.histogram_bin_edges`).

        alpha : float, default=0.5
            Opacity of the histograms, so that overlapping bars stay visible.

        hist_kwargs : dict, default=None
            Keyword arguments for :meth:`~matplotlib.axes.Axes.hist`, applied
            to every histogram and overriding the defaults.

        threshold_kwargs : dict, default=None
            Keyword arguments for :meth:`~matplotlib.axes.Axes.axvline`.

        Returns
        -------
        display : ErrorHistogramDisplay
            The display, with the drawn artists stored as attributes.
        """
        groups = self._groups()
        bin_edges = np.histogram_bin_edges(np.concatenate(list(groups.values())), bins=bins)
        self.ax_, self.figure_ = get_axes(ax, f"{type(self).__name__}.plot")
        from matplotlib.lines import Line2D
        from matplotlib.patches import Rectangle

        colors = {"all": "tab:blue", "normal": "tab:blue", "abnormal": "tab:orange"}
        self.bars_ = {}
        for name, values in groups.items():
            label = f"{name} (n={values.size})"
            kwargs = style_kwargs(
                {"color": colors[name], "alpha": alpha, "label": label}, hist_kwargs, Rectangle
            )
            *_, self.bars_[name] = self.ax_.hist(values, bins=bin_edges, **kwargs)
        self.bin_edges_ = bin_edges

        self.threshold_line_ = None
        if self.threshold is not None:
            line_kw = style_kwargs(
                {
                    "color": "black",
                    "linestyle": "--",
                    "label": f"threshold = {float(self.threshold):.4g}",
                },
                threshold_kwargs,
                Line2D,
            )
            self.threshold_line_ = self.ax_.axvline(float(self.threshold), **line_kw)
        self.ax_.set(xlabel=self.error_label, ylabel="number of samples")
        self.ax_.legend()
        return self

    @classmethod
    def from_predictions(
        cls,
        errors: ArrayLike,
        y: ArrayLike | None = None,
        *,
        threshold: float | None = None,
        normal_label: Any = 1,
        error_label: str = "reconstruction error",
        bins: int | ArrayLike = 50,
        alpha: float = 0.5,
        ax: Axes | None = None,
        hist_kwargs: dict[str, Any] | None = None,
        threshold_kwargs: dict[str, Any] | None = None,
    ) -> ErrorHistogramDisplay:
        """Plot the histogram of given reconstruction errors.

        Parameters
        ----------
        errors : array-like of shape (n_samples,)
            Reconstruction error of each row.

        y : array-like of shape (n_samples,), default=None
            Labels; rows equal to ``normal_label`` are normal, the others abnormal.

        threshold : float, default=None
            Error threshold to draw as a vertical line.

        normal_label : int, float, bool or str, default=1
            Label of the normal rows in ``y``.

        error_label : str, default="reconstruction error"
            Label of the horizontal axis: what the errors are, in their units.

        bins, alpha, ax, hist_kwargs, threshold_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ErrorHistogramDisplay
        """
        disp = cls(
            errors=errors, y=y, threshold=threshold, normal_label=normal_label,
            error_label=error_label,
        )
        return disp.plot(
            ax=ax,
            bins=bins,
            alpha=alpha,
            hist_kwargs=hist_kwargs,
            threshold_kwargs=threshold_kwargs,
        )
        return disp

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        y: ArrayLike | None = None,
        *,
        threshold: float | None = None,
        normal_label: Any = 1,
        bins: int | ArrayLike = 50,
        alpha: float = 0.5,
        ax: Axes | None = None,
        hist_kwargs: dict[str, Any] | None = None,
        threshold_kwargs: dict[str, Any] | None = None,
    ) -> ErrorHistogramDisplay:
        """Plot the histogram of a fitted autoencoder's reconstruction errors on ``X``.

        Parameters
        ----------
        estimator : fitted autoencoder, outlier detector or Pipeline
            Any object with a ``reconstruction_error(X)`` method returning one
            error per row, e.g. :class:`skae.ReconstructionOutlierDetector`; or a
            fitted :class:`~sklearn.pipeline.Pipeline` whose last step is one (X
            then goes through the steps before it, as in ``pipeline.score_samples``).
            A detector whose score combines the error with an isolation forest's
            (``isolation_weight > 0``, the default) is drawn by its anomaly score,
            ``-score_samples``, on the error's scale: the values its ``threshold_``
            applies to, so the rows beyond the line are exactly those it flags.

        X : array-like of shape (n_samples, n_features)
            Data whose reconstruction errors (or anomaly scores) are plotted.

        y : array-like of shape (n_samples,), default=None
            Labels; rows equal to ``normal_label`` are normal, the others abnormal.

        threshold : float, default=None
            Error threshold to draw. Defaults to ``estimator.threshold_`` when
            the estimator (a Pipeline's last step) has one, as a fitted outlier
            detector does.

        normal_label : int, float, bool or str, default=1
            Label of the normal rows in ``y``.

        bins, alpha, ax, hist_kwargs, threshold_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ErrorHistogramDisplay
        """
        if y is not None and len(y) != np.shape(X)[0]:
            raise ValueError(f"X has {np.shape(X)[0]} rows but y has {len(y)} labels.")
        errors, error_label = error_values(estimator, X, f"{cls.__name__}.from_estimator")
        final = final_estimator(estimator)
        if threshold is None:
            threshold = getattr(final, "threshold_", None)
        disp = cls.from_predictions(
            errors,
            y,
            threshold=threshold,
            normal_label=normal_label,
            # the units drawn: the estimator's own error (a detector's is per-feature scaled)
            error_label=error_label,
            bins=bins,
            alpha=alpha,
            ax=ax,
            hist_kwargs=hist_kwargs,
            threshold_kwargs=threshold_kwargs,
        )
        return disp
