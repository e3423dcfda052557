"""Training and validation loss per epoch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import as_float_array, final_estimator, get_axes, style_kwargs

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

_DEFAULT_KEYS = ("loss", "val_loss")


class TrainingHistoryDisplay:
    """Loss (and other metrics) per training epoch.

    Each history key is drawn as one line against the epoch number, starting
    at 1 as Keras counts epochs. When ``"val_loss"`` is drawn, its best
    (lowest) epoch is marked.

    It is recommended to use :meth:`from_estimator` or :meth:`from_history`
    to create a display. All parameters are stored as attributes.

    Parameters
    ----------
    history : mapping of str to sequence of float
        Values per epoch, e.g. ``{"loss": [...], "val_loss": [...]}`` as in
        the ``history_`` attribute of a fitted autoencoder (or
        ``keras.callbacks.History.history``).

    keys : sequence of str, default=None
        History keys to draw. By default ``"loss"`` and ``"val_loss"``, those
        of them that are present.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        One line per drawn key.

    best_epoch_ : int or None
        Epoch (1-based) with the lowest ``val_loss``; None if ``val_loss`` is
        not drawn.

    best_marker_ : matplotlib Line2D or None
        Marker at the best ``val_loss`` epoch; None if not drawn.

    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the curves.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skae.plotting import TrainingHistoryDisplay
    >>> history = {"loss": [0.9, 0.5, 0.3, 0.2], "val_loss": [1.0, 0.6, 0.5, 0.55]}
    >>> disp = TrainingHistoryDisplay.from_history(history)
    >>> sorted(disp.lines_)
    ['loss', 'val_loss']
    >>> disp.best_epoch_
    3

    From a fitted estimator's ``history_``:

    >>> import numpy as np
    >>> from skae import AutoencoderTransformer
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> ae = AutoencoderTransformer(epochs=3, early_stopping=False, random_state=0).fit(X)
    >>> disp = TrainingHistoryDisplay.from_estimator(ae)
    >>> sorted(disp.lines_), len(disp.lines_["loss"].get_xdata())
    (['loss'], 3)
    """

    def __init__(
        self, *, history: Mapping[str, Sequence[float]], keys: Sequence[str] | None = None
    ) -> None:
        self.history = history
        self.keys = keys

    def _curves(self) -> dict[str, np.ndarray]:
        """Validate the history and return the curves to draw, by key."""
        history = getattr(self.history, "history", self.history)  # keras History object
        if not isinstance(history, Mapping):
            raise ValueError(
                f"history must be a mapping of metric name to values; got {type(history).__name__}."
            )
        if self.keys is None:
            keys = [k for k in _DEFAULT_KEYS if k in history]
            if not keys:
                raise ValueError(
                    f"history has neither 'loss' nor 'val_loss'; available keys: "
                    f"{sorted(history)}. Pass keys= to choose."
                )
        else:
            keys = [self.keys] if isinstance(self.keys, str) else list(self.keys)
            if not keys:
                raise ValueError(f"keys is empty; available keys: {sorted(history)}.")
            unknown = [k for k in keys if k not in history]
            if unknown:
                raise ValueError(
                    f"Unknown history keys {unknown}; available keys: {sorted(history)}."
                )
        curves = {}
        for key in keys:
            values = as_float_array(history[key], f"history[{key!r}]", ndim=(1,))
            if values.size == 0:
                raise ValueError(f"history[{key!r}] is empty.")
            curves[key] = values
        return curves

    def plot(
        self,
        ax: Axes | None = None,
        *,
        log_scale: bool = False,
        mark_best: bool = True,
        line_kwargs: dict[str, Any] | None = None,
    ) -> TrainingHistoryDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. If None, a new figure and axes are created.

        log_scale : bool, default=False
            Whether to use a logarithmic y axis (all values must then be positive).

        mark_best : bool, default=True
            Whether to mark the epoch with the lowest ``val_loss`` (if drawn).

        line_kwargs : dict, default=None
            Keyword arguments for :meth:`~matplotlib.axes.Axes.plot`, applied
            to every curve and overriding the defaults.

        Returns
        -------
        display : TrainingHistoryDisplay
            The display, with the drawn artists stored as attributes.
        """
        curves = self._curves()
        if log_scale and any(np.any(v <= 0) for v in curves.values()):
            raise ValueError("log_scale=True needs positive values; the history has some <= 0.")
        self.ax_, self.figure_ = get_axes(ax, f"{type(self).__name__}.plot")
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        self.lines_ = {}
        for key, values in curves.items():
            epochs = np.arange(1, values.size + 1)
            kwargs = style_kwargs({"label": key}, line_kwargs, Line2D)
            (self.lines_[key],) = self.ax_.plot(epochs, values, **kwargs)

        self.best_epoch_, self.best_marker_ = None, None
        if mark_best and "val_loss" in curves:
            val_loss = curves["val_loss"]
            best = int(np.argmin(val_loss))
            self.best_epoch_ = best + 1
            (self.best_marker_,) = self.ax_.plot(
                [self.best_epoch_],
                [val_loss[best]],
                linestyle="none",
                marker="o",
                markersize=8,
                markerfacecolor="none",
                color=self.lines_["val_loss"].get_color(),
                label=f"best val_loss (epoch {self.best_epoch_})",
            )

        only_losses = set(curves) <= set(_DEFAULT_KEYS)
        self.ax_.set(xlabel="epoch", ylabel="loss" if only_losses else "value")
        if log_scale:
            self.ax_.set_yscale("log")
        self.ax_.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax_.legend()
        return self

    @classmethod
    def from_history(
        cls,
        history: Mapping[str, Sequence[float]],
        *,
        keys: Sequence[str] | None = None,
        ax: Axes | None = None,
        log_scale: bool = False,
        mark_best: bool = True,
        line_kwargs: dict[str, Any] | None = None,
    ) -> TrainingHistoryDisplay:
        """Plot a training history given as a dict.

        Parameters
        ----------
        history : mapping of str to sequence of float
            Values per epoch, e.g. ``{"loss": [...], "val_loss": [...]}``.

        keys : sequence of str, default=None
            Keys to draw; by default those of ``"loss"`` and ``"val_loss"``
            that are present. Unknown keys raise a ValueError.

        ax, log_scale, mark_best, line_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        disp = cls(history=history, keys=keys)
        return disp.plot(ax=ax, log_scale=log_scale, mark_best=mark_best, line_kwargs=line_kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        keys: Sequence[str] | None = None,
        ax: Axes | None = None,
        log_scale: bool = False,
        mark_best: bool = True,
        line_kwargs: dict[str, Any] | None = None,
    ) -> TrainingHistoryDisplay:
        """Plot the training history of a fitted autoencoder.

        Parameters
        ----------
        estimator : fitted autoencoder or Pipeline
            Any object with a ``history_`` attribute, a mapping of metric name
            to values per epoch; or a fitted :class:`~sklearn.pipeline.Pipeline`
            whose last step is one.

        keys, ax, log_scale, mark_best, line_kwargs
            See :meth:`from_history`.

        Returns
        -------
        display : TrainingHistoryDisplay

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator has no ``history_`` (it is not fitted).
        """
        final = final_estimator(estimator)
        history = getattr(final, "history_", None)
        if history is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"This {type(final).__name__} instance has no history_; fit it first."
            )
        return cls.from_history(
            history,
            keys=keys,
            ax=ax,
            log_scale=log_scale,
            mark_best=mark_best,
            line_kwargs=line_kwargs,
        )
