"""``architecture="conv2d"``: convolutions over images given as flat rows."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from ._conv import build_conv_autoencoder
from ._spec import Architecture

__all__ = ["ARCHITECTURE", "build_conv2d_autoencoder"]


def build_conv2d_autoencoder(
    input_shape: Sequence[int],
    *,
    filters: Sequence[int] = (32, 16),
    n_components: int | None = None,
    activation: str = "relu",
    output_activation: str = "sigmoid",
    dropout: float = 0.0,
    seed: int = 0,
) -> keras.Model:
    """Build a convolutional autoencoder for images that travel as flat rows.

    3x3 convolutions: one at full resolution, then one with stride 2 per entry of
    ``filters``; the decoder mirrors them with transposed convolutions (see
    :mod:`skae._architectures._conv`).

    Parameters
    ----------
    input_shape : sequence of int
        ``(height, width)`` or ``(height, width, channels)`` of one image.
    filters : sequence of int, default=(32, 16)
        Filters of the strided convolutions of the encoder; ``filters[0]`` also sets the
        width of the two full-resolution convolutions.
    n_components : int or None, default=None
        ``None``: the code is the flattened last feature map. An int adds a dense
        bottleneck of that width.
    activation, output_activation : str
        Activations of the hidden convolutions and of the output.
    dropout : float, default=0.0
        Spatial dropout rate after each strided convolution (training only).
    seed : int, default=0
        Seed of the initialisers and dropout layers.

    Returns
    -------
    autoencoder : keras.Model
        Model named ``"autoencoder"`` chaining sub-models ``"encoder"`` and ``"decoder"``.

    Examples
    --------
    >>> from skae._architectures import build_conv2d_autoencoder, split_autoencoder
    >>> ae = build_conv2d_autoencoder((8, 8), filters=(4,))
    >>> encoder, decoder = split_autoencoder(ae)
    >>> encoder.output_shape, decoder.output_shape
    ((None, 64), (None, 64))
    """
    shape = tuple(int(s) for s in input_shape)
    return build_conv_autoencoder(
        shape if len(shape) == 3 else (*shape, 1), filters=filters, n_components=n_components,
        kernel_size=3, activation=activation, output_activation=output_activation,
        dropout=dropout, seed=seed, reshape_name="to_image",
    )


def _build(n_features, input_shape, hidden, n_components, *, code_activation, **options):
    return build_conv2d_autoencoder(
        input_shape, filters=hidden, n_components=n_components, **options
    )


ARCHITECTURE = Architecture(
    name="conv2d",
    build=_build,
    default_sizes=lambda n_features: ((32, 16), None),
    summary=(
        "strided convolutions and transposed convolutions over images given as flat "
        "rows of ``input_shape``."
    ),
    shape_forms={2: "(height, width)", 3: "(height, width, channels)"},
    needs_input_shape=True,
    shape_example="input_shape=(28, 28, 1) for rows of 784 pixels",
)
