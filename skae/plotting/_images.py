"""Grid of original images over their reconstructions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import (
    as_float_array,
    check_matplotlib_support,
    check_same_shape,
    reconstruct,
    split_pipeline,
    style_kwargs,
    take_rows,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike

_AUTOENCODER_LABELS = ("original", "reconstruction")
_DENOISING_LABELS = ("noisy", "restored", "clean")


def _as_images(images: Any, name: str) -> np.ndarray:
    """Validate a stack of images: (n, h, w), (n, h, w, 1) -> squeezed, or (n, h, w, 3|4)."""
    arr = as_float_array(images, name, ndim=(3, 4))
    if arr.ndim == 4:
        if arr.shape[-1] == 1:
            arr = arr[..., 0]
        elif arr.shape[-1] not in (3, 4):
            raise ValueError(
                f"{name} must have 1, 3 or 4 channels in its last axis; got shape {arr.shape}."
            )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} contains no image.")
    return arr


def _resolve_image_shape(image_shape: Any, n_features: int) -> tuple[int, ...]:
    """Return the per-row image shape, checking it matches ``n_features`` columns.

    A leading ``None`` (Keras batch dimension) is dropped. A flat shape such as
    ``(784,)`` is treated as "unknown". When unknown, a square image is assumed
    if ``n_features`` is a perfect square.
    """
    if image_shape is not None:
        image_shape = tuple(image_shape)
        if image_shape and image_shape[0] is None:
            image_shape = image_shape[1:]
        if len(image_shape) <= 1:
            image_shape = None
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"Cannot infer the image shape of rows with {n_features} columns "
                "(not a square number); pass image_shape=(height, width)."
            )
        return (side, side)
    if len(image_shape) not in (2, 3) or not all(
        isinstance(d, int | np.integer) and d > 0 for d in image_shape
    ):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, channels) with "
            f"positive integers; got {image_shape}."
        )
    if math.prod(image_shape) != n_features:
        raise ValueError(
            f"image_shape={image_shape} holds {math.prod(image_shape)} values per image "
            f"but the rows of X have {n_features} columns."
        )
    return tuple(int(d) for d in image_shape)


def _image_shape_for(X_shape: tuple[int, ...], image_shape: Any) -> tuple[int, ...]:
    """Image shape of the rows of an array of shape ``X_shape`` (see ``_resolve_image_shape``).

    When ``image_shape`` is None and ``X`` is already a stack of images, its own
    per-row shape is used.
    """
    if len(X_shape) < 2:
        raise ValueError(f"X must be 2-D (one flattened image per row); got shape {X_shape}.")
    if image_shape is None and len(X_shape) > 2:
        image_shape = X_shape[1:]
    return _resolve_image_shape(image_shape, math.prod(X_shape[1:]))


def _grid_axes(ax, n_rows: int, n_cols: int, show_indices: bool):
    """The ``(n_rows, n_cols)`` Axes to draw into, and the bounding Axes (or None)."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        axes = np.asarray(ax, dtype=object)
        if axes.size != n_rows * n_cols:
            raise ValueError(
                f"Expected {n_rows * n_cols} Axes ({n_rows} rows x {n_cols} images); "
                f"got {axes.size}."
            )
        return axes.reshape(n_rows, n_cols), None
    if ax is None:
        ax = _new_grid_figure(n_rows, n_cols, show_indices).add_subplot()
    subplotspec = ax.get_subplotspec()
    if subplotspec is None:
        raise ValueError(
            "ax must be an Axes created with add_subplot/subplots, or an "
            f"array of {n_rows * n_cols} Axes."
        )
    ax.set_axis_off()
    grid = subplotspec.subgridspec(n_rows, n_cols, wspace=0.05, hspace=0.05)
    axes = np.empty((n_rows, n_cols), dtype=object)
    for i in range(n_rows):
        for j in range(n_cols):
            axes[i, j] = ax.figure.add_subplot(grid[i, j])
    return axes, ax


def _new_grid_figure(n_rows: int, n_cols: int, titled: bool) -> Any:
    """A figure sized so that a grid of 1-inch square cells fits with room for labels."""
    import matplotlib.pyplot as plt

    cell, gap = 1.0, 0.05  # inches; the gap matches the subgridspec's wspace/hspace
    left, right, bottom, top = 0.35, 0.1, 0.1, (0.35 if titled else 0.1)
    width = left + right + n_cols * cell + (n_cols - 1) * gap * cell
    height = bottom + top + n_rows * cell + (n_rows - 1) * gap * cell
    fig = plt.figure(figsize=(width, height))
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height
    )
    return fig


def _select_rows(
    n_samples: int, n_images: int, indices: ArrayLike | None, random_state: Any
) -> np.ndarray:
    """Row indices to show: ``indices`` if given, else the first or a random ``n_images``."""
    if indices is not None:
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(
                f"indices must be a non-empty 1-D sequence of integers; got {indices}."
            )
        if idx.min() < 0 or idx.max() >= n_samples:
            raise ValueError(f"indices must be in [0, {n_samples}); got {idx.tolist()}.")
        return idx
    if isinstance(n_images, bool) or not isinstance(n_images, int | np.integer) or n_images < 1:
        raise ValueError(f"n_images must be a positive integer; got {n_images!r}.")
    n_images = min(int(n_images), n_samples)
    if random_state is None:
        return np.arange(n_images)
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_samples, size=n_images, replace=False))


class ImageReconstructionDisplay:
    """Grid of images over their reconstructions by an autoencoder.

    The first row shows the inputs, the second their reconstructions. For a
    denoising autoencoder, pass ``clean_images``: the grid then has three rows,
    "noisy" input, "restored" output and "clean" target. All grayscale images
    share one colour scale, the value range of the input (and clean) images,
    so a washed-out reconstruction looks washed out and values outside the
    data's range saturate.

    It is recommended to use :meth:`from_estimator` or :meth:`from_predictions`
    to create a display. All parameters are stored as attributes.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width) or \
            (n_images, height, width, channels)
        Input images (noisy ones for a denoiser). A trailing channel axis of
        size 1 is dropped; 3 or 4 channels are shown as RGB(A), clipped to [0, 1].

    reconstructed_images : ndarray of the same shape as ``images``
        The network's output for ``images``.

    clean_images : ndarray of the same shape as ``images``, default=None
        Clean targets of a denoising autoencoder. When given, a third row is drawn.

    indices : array-like of shape (n_images,), default=None
        Row numbers of the images in the original data; shown as column titles.

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage, shape (n_rows, n_images)
        The drawn images; ``n_rows`` is 2, or 3 with ``clean_images``.

    axes_ : ndarray of matplotlib Axes, shape (n_rows, n_images)
        One axes per image.

    ax_ : matplotlib Axes
        ``axes_[0, 0]``, the top-left axes (kept for consistency with the
        single-axes displays).

    bounding_ax_ : matplotlib Axes or None
        The axes whose area the grid was drawn into (its own axis is turned
        off). ``None`` when an array of axes was passed. For a global title, use
        ``figure_.suptitle``.

    figure_ : matplotlib Figure
        Figure containing the grid.

    See Also
    --------
    SignalReconstructionDisplay : Plot a 1-D signal and its reconstruction.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skae.plotting import ImageReconstructionDisplay
    >>> X = np.random.RandomState(0).uniform(size=(5, 16))  # five 4x4 images
    >>> disp = ImageReconstructionDisplay.from_predictions(X, 0.9 * X, n_images=3)
    >>> disp.images_.shape
    (2, 3)
    >>> [ax.get_ylabel() for ax in disp.axes_[:, 0]]
    ['original', 'reconstruction']

    From a fitted autoencoder, which reconstructs the images itself:

    >>> from skae import AutoencoderTransformer
    >>> ae = AutoencoderTransformer(n_components=2, epochs=2, random_state=0).fit(X)
    >>> disp = ImageReconstructionDisplay.from_estimator(ae, X, n_images=2, image_shape=(4, 4))
    >>> disp.images_.shape
    (2, 2)
    """

    def __init__(
        self,
        *,
        images: ArrayLike,
        reconstructed_images: ArrayLike,
        clean_images: ArrayLike | None = None,
        indices: ArrayLike | None = None,
    ) -> None:
        self.images = images
        self.reconstructed_images = reconstructed_images
        self.clean_images = clean_images
        self.indices = indices

    def _validated_rows(self) -> list[np.ndarray]:
        rows = [
            _as_images(self.images, "images"),
            _as_images(self.reconstructed_images, "reconstructed_images"),
        ]
        check_same_shape(rows[0], rows[1], "images", "reconstructed_images")
        if self.clean_images is not None:
            rows.append(_as_images(self.clean_images, "clean_images"))
            check_same_shape(rows[0], rows[2], "images", "clean_images")
        if self.indices is not None and len(self.indices) != rows[0].shape[0]:
            raise ValueError(
                f"indices has {len(self.indices)} entries for {rows[0].shape[0]} images."
            )
        return rows

    def plot(
        self,
        ax: Axes | ArrayLike | None = None,
        *,
        row_labels: Sequence[str] | None = None,
        show_indices: bool = True,
        cmap: str = "gray",
        imshow_kwargs: dict[str, Any] | None = None,
    ) -> ImageReconstructionDisplay:
        """Draw the grid.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            - ``None``: a new figure, sized for the grid, is created.
            - a single Axes: treated as a bounding box; its axis is turned off
              and the grid is drawn inside its area (it must have been created
              with ``add_subplot``/``subplots``).
            - an array-like of ``n_rows * n_images`` Axes: one image is drawn
              per axes, row by row.

        row_labels : sequence of str, default=None
            Labels of the rows, shown left of the first column. Defaults to
            ``("original", "reconstruction")``, or ``("noisy", "restored",
            "clean")`` when ``clean_images`` is set.

        show_indices : bool, default=True
            Whether to title each column with its row number ``indices[j]``.

        cmap : str or Colormap, default="gray"
            Colormap of grayscale images.

        imshow_kwargs : dict, default=None
            Extra keyword arguments for :meth:`matplotlib.axes.Axes.imshow`;
            they override the defaults (``cmap``, and ``vmin``/``vmax`` set to
            the range of the input and clean images).

        Returns
        -------
        display : ImageReconstructionDisplay
            The display, with the drawn artists stored as attributes.
        """
        rows = self._validated_rows()
        n_rows, n_cols = len(rows), rows[0].shape[0]
        if row_labels is None:
            row_labels = _AUTOENCODER_LABELS if n_rows == 2 else _DENOISING_LABELS
        if len(row_labels) != n_rows:
            raise ValueError(f"row_labels must have {n_rows} entries; got {len(row_labels)}.")

        check_matplotlib_support(f"{type(self).__name__}.plot")
        from matplotlib.image import AxesImage

        axes, self.bounding_ax_ = _grid_axes(ax, n_rows, n_cols, show_indices)

        defaults: dict[str, Any] = {"interpolation": "nearest"}
        if rows[0].ndim == 3:  # grayscale: one scale, the range of the data (not the outputs)
            data = rows[:1] + rows[2:]
            defaults.update(
                cmap=cmap,
                vmin=min(r.min() for r in data),
                vmax=max(r.max() for r in data),
            )
        kwargs = style_kwargs(defaults, imshow_kwargs, AxesImage)

        self.images_ = np.empty((n_rows, n_cols), dtype=object)
        for i, (row, label) in enumerate(zip(rows, row_labels, strict=True)):
            for j in range(n_cols):
                cell = axes[i, j]
                image = row[j] if row.ndim == 3 else np.clip(row[j], 0.0, 1.0)
                self.images_[i, j] = cell.imshow(image, **kwargs)
                cell.set_xticks([])
                cell.set_yticks([])
            axes[i, 0].set_ylabel(label)
        if show_indices and self.indices is not None:
            for j, index in enumerate(self.indices):
                axes[0, j].set_title(f"#{index}", fontsize="small")

        self.axes_ = axes
        self.ax_ = axes[0, 0]
        self.figure_ = axes[0, 0].figure
        return self

    @classmethod
    def from_predictions(
        cls,
        X: ArrayLike,
        X_reconstructed: ArrayLike,
        *,
        X_clean: ArrayLike | None = None,
        n_images: int = 10,
        indices: ArrayLike | None = None,
        random_state: int | np.random.RandomState | None = None,
        image_shape: Sequence[int] | None = None,
        ax: Axes | ArrayLike | None = None,
        row_labels: Sequence[str] | None = None,
        show_indices: bool = True,
        cmap: str = "gray",
        imshow_kwargs: dict[str, Any] | None = None,
    ) -> ImageReconstructionDisplay:
        """Plot images and their reconstructions, given both.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, *image_shape)
            Input images, one flattened image per row (noisy images for a denoiser).

        X_reconstructed : array-like of the same shape as ``X``
            Reconstructions of ``X``.

        X_clean : array-like of the same shape as ``X``, default=None
            Clean images (denoising). When given, the grid has three rows:
            "noisy" (``X``), "restored" (``X_reconstructed``) and "clean".

        n_images : int, default=10
            Number of images to show (capped at ``n_samples``). Ignored when
            ``indices`` is given.

        indices : array-like of int, default=None
            Rows of ``X`` to show. By default the first ``n_images`` rows, or a
            random sample of them if ``random_state`` is set.

        random_state : int, RandomState instance or None, default=None
            Seed for drawing ``n_images`` random rows; ``None`` takes the first rows.

        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(height, width, channels)`` of one image;
            a trailing channel of 1 is dropped. By default ``X.shape[1:]`` when
            ``X`` has more than 2 dimensions, else a square image.

        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw; see :meth:`plot`.

        row_labels, show_indices, cmap, imshow_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ImageReconstructionDisplay
        """
        X = as_float_array(X, "X", ndim=(2, 3, 4))
        X_reconstructed = as_float_array(X_reconstructed, "X_reconstructed", ndim=(2, 3, 4))
        check_same_shape(X, X_reconstructed, "X", "X_reconstructed")
        if X_clean is not None:
            X_clean = as_float_array(X_clean, "X_clean", ndim=(2, 3, 4))
            check_same_shape(X, X_clean, "X", "X_clean")
        shape = _image_shape_for(X.shape, image_shape)
        rows = _select_rows(X.shape[0], n_images, indices, random_state)

        def images(A: np.ndarray) -> np.ndarray:
            return A[rows].reshape(len(rows), *shape)

        disp = cls(
            images=images(X),
            reconstructed_images=images(X_reconstructed),
            clean_images=None if X_clean is None else images(X_clean),
            indices=rows,
        )
        return disp.plot(
            ax=ax,
            row_labels=row_labels,
            show_indices=show_indices,
            cmap=cmap,
            imshow_kwargs=imshow_kwargs,
        )

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        *,
        X_clean: ArrayLike | None = None,
        n_images: int = 10,
        indices: ArrayLike | None = None,
        random_state: int | np.random.RandomState | None = None,
        image_shape: Sequence[int] | None = None,
        ax: Axes | ArrayLike | None = None,
        row_labels: Sequence[str] | None = None,
        show_indices: bool = True,
        cmap: str = "gray",
        imshow_kwargs: dict[str, Any] | None = None,
    ) -> ImageReconstructionDisplay:
        """Plot images and the fitted autoencoder's reconstructions of them.

        Only the selected rows are passed to ``estimator.reconstruct``.

        Parameters
        ----------
        estimator : fitted autoencoder or Pipeline
            Any object with a ``reconstruct(X)`` method returning an array of
            the shape of ``X``, e.g. :class:`skae.AutoencoderTransformer`,
            :class:`skae.DenoisingAutoencoder`; or a fitted
            :class:`~sklearn.pipeline.Pipeline` whose last step is one. X then goes
            through the steps before it, and the reconstructions are mapped back to
            X's units when those steps have ``inverse_transform``.

        X : array-like of shape (n_samples, n_features)
            Input images, one flattened image per row (noisy ones for a denoiser).

        X_clean : array-like of shape (n_samples, n_features), default=None
            Clean images matching ``X`` (denoising); adds a third row.

        n_images, indices, random_state
            Which rows to show; see :meth:`from_predictions`.

        image_shape : tuple of int, default=None
            Shape of one image. Defaults to ``estimator.input_shape`` when the
            estimator has a multi-dimensional one (e.g. ``(28, 28, 1)``), else
            a square image.

        ax, row_labels, show_indices, cmap, imshow_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ImageReconstructionDisplay
        """
        head, final = split_pipeline(estimator)
        if image_shape is None:
            image_shape = getattr(final, "input_shape", None)
        shape = _image_shape_for(np.shape(X), image_shape)
        if X_clean is not None and np.shape(X_clean) != np.shape(X):
            raise ValueError(
                f"X and X_clean must have the same shape; got {np.shape(X)} and "
                f"{np.shape(X_clean)}."
            )
        rows = _select_rows(np.shape(X)[0], n_images, indices, random_state)
        X_sel = take_rows(X, rows)
        X_sel, X_rec, units = reconstruct(estimator, X_sel, f"{cls.__name__}.from_estimator")
        clean = None if X_clean is None else take_rows(X_clean, rows)
        if clean is not None and units:  # drawn in the units of the autoencoder's input
            clean = head.transform(clean)

        def images(A: Any, name: str) -> np.ndarray:
            return as_float_array(A, name, ndim=(2, 3, 4)).reshape(len(rows), *shape)

        disp = cls(
            images=images(X_sel, "X"),
            reconstructed_images=images(X_rec, "reconstruction"),
            clean_images=None if clean is None else images(clean, "X_clean"),
            indices=rows,
        )
        return disp.plot(
            ax=ax,
            row_labels=row_labels,
            show_indices=show_indices,
            cmap=cmap,
            imshow_kwargs=imshow_kwargs,
        )
