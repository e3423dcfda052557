"""``architecture="conv1d"``: convolutions along 1-D signals given as flat rows."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from ._conv import build_conv_autoencoder
from ._spec import Architecture

__all__ = ["ARCHITECTURE", "build_conv1d_autoencoder"]

#: Kernel width along the signal, as in Keras's Conv1D time-series autoencoder example.
KERNEL_SIZE = 7


def build_conv1d_autoencoder(
    input_shape: Sequence[int],
    *,
    filters: Sequence[int] = (32, 16),
    n_components: int | None = None,
    activation: str = "relu",
    output_activation: str = "linear",
    dropout: float = 0.0,
    seed: int = 0,
) -> keras.Model:
    """Build a convolutional autoencoder for fixed-length signals that travel as flat rows.

    Convolutions of width 7: one at full resolution, then one with stride 2 per entry of
    ``filters``; the decoder mirrors them with transposed convolutions (see
    :mod:`skae._architectures._conv`). A row of a multichannel signal holds its values
    time step by time step (``signal.reshape(n_rows, -1)`` of an array of shape
    ``(n_rows, length, channels)``).

    Parameters
    ----------
    input_shape : sequence of int
        ``(length,)`` or ``(length, channels)`` of one signal.
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
    >>> from skae._architectures import build_conv1d_autoencoder, split_autoencoder
    >>> ae = build_conv1d_autoencoder((140,), filters=(8, 4))
    >>> encoder, decoder = split_autoencoder(ae)
    >>> encoder.output_shape, decoder.output_shape
    ((None, 140), (None, 140))
    """
    shape = tuple(int(s) for s in input_shape)
    return build_conv_autoencoder(
        shape if len(shape) == 2 else (*shape, 1), filters=filters, n_components=n_components,
        kernel_size=KERNEL_SIZE, activation=activation, output_activation=output_activation,
        dropout=dropout, seed=seed, reshape_name="to_signal",
    )


def _build(n_features, input_shape, hidden, n_components, *, code_activation, **options):
    return build_conv1d_autoencoder(
        (n_features,) if input_shape is None else input_shape, filters=hidden,
        n_components=n_components, **options,
    )


ARCHITECTURE = Architecture(
    name="conv1d",
    build=_build,
    default_sizes=lambda n_features: ((32, 16), None),
    summary=(
        "strided 1-D convolutions along signals given as flat rows: each row is one "
        "channel, or ``input_shape=(length, channels)``."
    ),
    shape_forms={1: "(length,)", 2: "(length, channels)"},
)
