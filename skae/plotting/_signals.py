"""A 1-D signal (e.g. one ECG heartbeat) and its reconstruction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import (
    as_float_array,
    check_same_shape,
    error_values,
    final_estimator,
    get_axes,
    reconstruct,
    style_kwargs,
    take_rows,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike


def _check_index(index: int | Sequence[int], n_samples: int) -> tuple[np.ndarray, bool]:
    """Return ``(rows, single)``: the row numbers as a 1-D int array, and whether
    ``index`` was a scalar."""
    idx = np.asarray(index)
    single = idx.ndim == 0
    idx = idx.reshape(-1)
    if idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"index must be an integer or a sequence of integers; got {index!r}.")
    if idx.min() < -n_samples or idx.max() >= n_samples:
        raise ValueError(f"index {index!r} is out of range for X with {n_samples} rows.")
    return idx % n_samples, single


class SignalReconstructionDisplay:
    """A 1-D signal, its reconstruction, and the error area between them.

    The input is drawn as a line, the reconstruction as a second line, and the
    gap between the two is filled: the larger the shaded area, the larger the
    reconstruction error. This is the classic "ECG heartbeat" plot of
    autoencoder-based anomaly detection. Several signals can be drawn on the
    same axes; each then gets its own colour (input solid, reconstruction dashed).

    It is recommended to use :meth:`from_estimator` or :meth:`from_predictions`
    to create a display. All parameters are stored as attributes.

    Parameters
    ----------
    signal : ndarray of shape (n_timesteps,) or (n_signals, n_timesteps)
        Input signal(s).

    reconstructed_signal : ndarray of the same shape as ``signal``
        Reconstruction(s) of ``signal``.

    time : ndarray of shape (n_timesteps,), default=None
        Horizontal coordinates of the samples; ``0, 1, ..., n_timesteps - 1``
        if None.

    errors : ndarray of shape (n_signals,), default=None
        Mean squared difference between each signal and its reconstruction, in
        the units drawn; computed from the curves if None. With a single signal
        it is shown in the axes title (with its row number when ``indices`` is
        given), so the title measures the shaded area it sits above.

    indices : ndarray of shape (n_signals,), default=None
        Row numbers of the signals in the original data, used to tell several
        signals apart in the legend.

    estimator_errors : ndarray of shape (n_signals,), default=None
        The estimator's own error of each signal (e.g. a detector's
        ``reconstruction_error``, which can be measured in other units than the
        curves, such as per-feature scaled ones). With a single signal it is
        shown on a second title line, named by ``error_name``, beside
        ``threshold``.

    threshold : float, default=None
        The estimator's threshold on ``estimator_errors`` (a detector's
        ``threshold_``), shown beside it.

    error_name : str, default="estimator error"
        What ``estimator_errors`` are, e.g.
        ``"ReconstructionOutlierDetector.reconstruction_error"``.

    value_label : str, default="value"
        Label of the vertical axis: the units of the curves.

    Attributes
    ----------
    input_lines_ : list of matplotlib Line2D
        One line per input signal.

    reconstruction_lines_ : list of matplotlib Line2D
        One line per reconstruction.

    error_fills_ : list of matplotlib PolyCollection
        The filled area between each signal and its reconstruction.

    ax_ : matplotlib Axes
        Axes with the plot.

    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    ImageReconstructionDisplay : Images over their reconstructions.
    ErrorHistogramDisplay : Histogram of reconstruction errors.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skae.plotting import SignalReconstructionDisplay
    >>> x = np.sin(np.linspace(0, 2 * np.pi, 50))
    >>> disp = SignalReconstructionDisplay.from_predictions(x, 0.8 * x)
    >>> [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    ['input', 'reconstruction', 'error']

    From a fitted autoencoder, for one row of ``X``:

    >>> from skae import AutoencoderTransformer
    >>> X = np.sin(np.linspace(0, 2 * np.pi, 50) + np.arange(40)[:, None] / 10)
    >>> ae = AutoencoderTransformer(n_components=2, epochs=2, random_state=0).fit(X)
    >>> disp = SignalReconstructionDisplay.from_estimator(ae, X, index=3)
    >>> disp.ax_.get_lines()[0].get_ydata().shape
    (50,)
    """

    def __init__(
        self,
        *,
        signal: ArrayLike,
        reconstructed_signal: ArrayLike,
        time: ArrayLike | None = None,
        errors: ArrayLike | None = None,
        indices: ArrayLike | None = None,
        estimator_errors: ArrayLike | None = None,
        threshold: float | None = None,
        error_name: str = "estimator error",
        value_label: str = "value",
    ) -> None:
        self.signal = signal
        self.reconstructed_signal = reconstructed_signal
        self.time = time
        self.errors = errors
        self.indices = indices
        self.estimator_errors = estimator_errors
        self.threshold = threshold
        self.error_name = error_name
        self.value_label = value_label

    def _validated(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        signal = as_float_array(self.signal, "signal", ndim=(1, 2))
        reconstructed = as_float_array(self.reconstructed_signal, "reconstructed_signal", (1, 2))
        check_same_shape(signal, reconstructed, "signal", "reconstructed_signal")
        signal, reconstructed = np.atleast_2d(signal), np.atleast_2d(reconstructed)
        n_signals, n_timesteps = signal.shape
        if n_timesteps < 2:
            raise ValueError(f"A signal needs at least 2 time steps; got {n_timesteps}.")
        if self.time is None:
            time = np.arange(n_timesteps)
        else:
            time = as_float_array(self.time, "time", ndim=(1,))
            if time.shape != (n_timesteps,):
                raise ValueError(
                    f"time has shape {time.shape}; expected ({n_timesteps},) to match the signal."
                )
        errors = np.mean((signal - reconstructed) ** 2, axis=1)
        if self.errors is not None:
            errors = as_float_array(self.errors, "errors", ndim=(0, 1)).reshape(-1)
            if errors.shape != (n_signals,):
                raise ValueError(f"errors has {errors.size} values for {n_signals} signal(s).")
        if self.estimator_errors is not None:
            n_given = np.size(self.estimator_errors)
            if n_given != n_signals:
                raise ValueError(f"estimator_errors has {n_given} values for {n_signals} "
                                 "signal(s).")
        if self.indices is not None and len(self.indices) != n_signals:
            raise ValueError(f"indices has {len(self.indices)} values for {n_signals} signal(s).")
        return signal, reconstructed, time, errors

    def plot(
        self,
        ax: Axes | None = None,
        *,
        input_kwargs: dict[str, Any] | None = None,
        reconstruction_kwargs: dict[str, Any] | None = None,
        fill_kwargs: dict[str, Any] | None = None,
    ) -> SignalReconstructionDisplay:
        """Draw the signal(s), reconstruction(s) and error area(s).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. If None, a new figure and axes are created.

        input_kwargs : dict, default=None
            Keyword arguments for :meth:`~matplotlib.axes.Axes.plot` of the
            input line(s), overriding the defaults.

        reconstruction_kwargs : dict, default=None
            Keyword arguments for :meth:`~matplotlib.axes.Axes.plot` of the
            reconstruction line(s).

        fill_kwargs : dict, default=None
            Keyword arguments for :meth:`~matplotlib.axes.Axes.fill_between`
            of the error area(s).

        Returns
        -------
        display : SignalReconstructionDisplay
            The display, with the drawn artists stored as attributes.
        """
        signal, reconstructed, time, errors = self._validated()
        self.ax_, self.figure_ = get_axes(ax, f"{type(self).__name__}.plot")
        from matplotlib.collections import PolyCollection
        from matplotlib.lines import Line2D

        single = signal.shape[0] == 1
        self.input_lines_, self.reconstruction_lines_, self.error_fills_ = [], [], []
        for j in range(signal.shape[0]):
            if single:
                suffix, colors = "", ("tab:blue", "tab:red", "lightcoral")
                recon_style = "-"
            else:
                row = j if self.indices is None else self.indices[j]
                suffix, colors = f" [{row}]", (f"C{j}",) * 3
                recon_style = "--"
            input_kw = style_kwargs(
                {"color": colors[0], "label": "input" + suffix}, input_kwargs, Line2D
            )
            recon_kw = style_kwargs(
                {"color": colors[1], "linestyle": recon_style, "label": "reconstruction" + suffix},
                reconstruction_kwargs,
                Line2D,
            )
            fill_kw = style_kwargs(
                {"color": colors[2], "alpha": 0.5 if single else 0.2, "label": "error" + suffix},
                fill_kwargs,
                PolyCollection,
            )
            self.input_lines_.extend(self.ax_.plot(time, signal[j], **input_kw))
            self.reconstruction_lines_.extend(self.ax_.plot(time, reconstructed[j], **recon_kw))
            self.error_fills_.append(
                self.ax_.fill_between(time, reconstructed[j], signal[j], **fill_kw)
            )
        self.ax_.set(xlabel="time", ylabel=self.value_label)
        if single:
            self.ax_.set_title(self._title(errors[0]))
        self.ax_.legend()
        return self

    def _title(self, error: float) -> str:
        """The drawn curves' mean squared difference, then the estimator's own error."""
        prefix = "" if self.indices is None else f"row {self.indices[0]}, "
        title = f"{prefix}mean squared difference: {error:.4g}"
        if self.estimator_errors is not None:
            value = float(np.reshape(self.estimator_errors, -1)[0])
            title += f"\n{self.error_name}: {value:.4g}"
            if self.threshold is not None:
                side = "above" if value > self.threshold else "not above"
                title += f" ({side} threshold {float(self.threshold):.4g})"
        return title

    @classmethod
    def from_predictions(
        cls,
        x: ArrayLike,
        x_reconstructed: ArrayLike,
        *,
        time: ArrayLike | None = None,
        ax: Axes | None = None,
        input_kwargs: dict[str, Any] | None = None,
        reconstruction_kwargs: dict[str, Any] | None = None,
        fill_kwargs: dict[str, Any] | None = None,
    ) -> SignalReconstructionDisplay:
        """Plot signal(s) and their reconstructions, given both.

        The title shows the mean squared difference of the drawn curves.

        Parameters
        ----------
        x : array-like of shape (n_timesteps,) or (n_signals, n_timesteps)
            Input signal(s).

        x_reconstructed : array-like of the same shape as ``x``
            Reconstruction(s).

        time : array-like of shape (n_timesteps,), default=None
            Horizontal coordinates; ``0, 1, ...`` by default.

        ax, input_kwargs, reconstruction_kwargs, fill_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : SignalReconstructionDisplay
        """
        x = as_float_array(x, "x", ndim=(1, 2))
        x_reconstructed = as_float_array(x_reconstructed, "x_reconstructed", ndim=(1, 2))
        check_same_shape(x, x_reconstructed, "x", "x_reconstructed")
        disp = cls(signal=x, reconstructed_signal=x_reconstructed, time=time)
        return disp.plot(
            ax=ax,
            input_kwargs=input_kwargs,
            reconstruction_kwargs=reconstruction_kwargs,
            fill_kwargs=fill_kwargs,
        )

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        *,
        index: int | Sequence[int] = 0,
        time: ArrayLike | None = None,
        ax: Axes | None = None,
        input_kwargs: dict[str, Any] | None = None,
        reconstruction_kwargs: dict[str, Any] | None = None,
        fill_kwargs: dict[str, Any] | None = None,
    ) -> SignalReconstructionDisplay:
        """Plot row(s) of ``X`` and the fitted autoencoder's reconstruction.

        Parameters
        ----------
        estimator : fitted autoencoder or Pipeline
            Any object with a ``reconstruct(X)`` method returning an array of
            the shape of ``X``, or a fitted :class:`~sklearn.pipeline.Pipeline`
            whose last step is one: X then goes through the steps before it, and
            the reconstruction is drawn in X's units when those steps have
            ``inverse_transform`` (else both curves in the transformed units,
            which the vertical axis names). The title gives the mean squared
            difference of the drawn curves and, below it, the estimator's own
            ``reconstruction_error`` (for a detector, the anomaly score its
            ``threshold_`` applies to, and the threshold).

        X : array-like of shape (n_samples, n_timesteps)
            Signals, one per row.

        index : int or sequence of int, default=0
            Row(s) of ``X`` to plot. Only these rows are reconstructed.

        time : array-like of shape (n_timesteps,), default=None
            Horizontal coordinates; ``0, 1, ...`` by default.

        ax, input_kwargs, reconstruction_kwargs, fill_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : SignalReconstructionDisplay
        """
        caller = f"{cls.__name__}.from_estimator"
        if len(np.shape(X)) != 2:
            raise ValueError(f"X must be 2-D (one signal per row); got shape {np.shape(X)}.")
        rows, single = _check_index(index, np.shape(X)[0])
        X_sel = take_rows(X, rows)
        x, x_rec, units = reconstruct(estimator, X_sel, caller)
        x = as_float_array(x, "X", ndim=(2,))
        final = final_estimator(estimator)
        estimator_errors, error_name = None, f"{type(final).__name__}.reconstruction_error"
        if callable(getattr(final, "reconstruction_error", None)):
            estimator_errors, error_name = error_values(estimator, X_sel, caller)
        disp = cls(
            signal=x[0] if single else x,
            reconstructed_signal=x_rec[0] if single else x_rec,
            time=time,
            indices=rows,
            estimator_errors=estimator_errors,
            threshold=getattr(final, "threshold_", None),
            error_name=error_name,
            value_label=f"value{units}",
        )
        return disp.plot(
            ax=ax,
            input_kwargs=input_kwargs,
            reconstruction_kwargs=reconstruction_kwargs,
            fill_kwargs=fill_kwargs,
        )
