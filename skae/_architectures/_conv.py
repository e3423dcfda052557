"""One convolutional autoencoder for signals (1-D) and images (2-D) given as flat rows.

The encoder reshapes each row to ``shape`` (spatial sizes, then channels), applies a
same-padding convolution at full resolution (``filters[0]`` filters), then convolutions
with stride 2 (one per entry of ``filters``); the decoder mirrors them with transposed
convolutions and a full-resolution convolution, then a final convolution back to the
input's channels, and flattens again. The two full-resolution convolutions let the network
see and draw detail finer than its first stride (edges of strokes, which dominate the error
of image denoising) and smooth the transposed convolutions' checkerboard artefacts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from ._layers import Seeds, chain, initializer
from ._spec import Architecture

__all__ = ["build_conv_autoencoder", "conv_architecture"]

#: convolution, transposed convolution, spatial dropout and cropping layers, by rank
_LAYERS = {
    1: (layers.Conv1D, layers.Conv1DTranspose, layers.SpatialDropout1D, layers.Cropping1D),
    2: (layers.Conv2D, layers.Conv2DTranspose, layers.SpatialDropout2D, layers.Cropping2D),
}


def _encoder(shape, filters, n_components, *, kernel_size, activation, dropout, seeds,
             reshape_name, code_activation):
    conv, _, spatial_dropout, _ = _LAYERS[len(shape) - 1]
    inputs = keras.Input((math.prod(shape),), name="encoder_input")
    x = layers.Reshape(shape, name=reshape_name)(inputs)
    x = conv(
        filters[0], kernel_size, padding="same", activation=activation,
        kernel_initializer=initializer(activation, seeds), name="encoder_conv_full",
    )(x)
    for i, n_filters in enumerate(filters):
        x = conv(
            n_filters, kernel_size, strides=2, padding="same", activation=activation,
            kernel_initializer=initializer(activation, seeds), name=f"encoder_conv_{i}",
        )(x)
        if dropout:
            x = spatial_dropout(dropout, seed=seeds(), name=f"encoder_dropout_{i}")(x)
    map_shape = tuple(int(s) for s in x.shape[1:])
    code = layers.Flatten(name="flatten")(x)
    if n_components is not None:
        code = layers.Dense(
            n_components, activation=code_activation,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seeds()), name="code",
        )(code)
    return keras.Model(inputs, code, name="encoder"), map_shape


def _decoder(shape, filters, code_width, map_shape, dense_code, *, kernel_size, activation,
             output_activation, seeds):
    rank = len(shape) - 1
    conv, deconv, _, crop = _LAYERS[rank]
    code_in = keras.Input((code_width,), name="decoder_input")
    y = code_in
    if dense_code:
        y = layers.Dense(
            math.prod(map_shape), activation=activation,
            kernel_initializer=initializer(activation, seeds), name="decoder_dense",
        )(y)
    y = layers.Reshape(map_shape, name="to_feature_map")(y)
    for i, n_filters in enumerate(reversed(filters)):
        y = deconv(
            n_filters, kernel_size, strides=2, padding="same", activation=activation,
            kernel_initializer=initializer(activation, seeds), name=f"decoder_deconv_{i}",
        )(y)
    extra = [int(y.shape[1 + axis]) - shape[axis] for axis in range(rank)]
    if any(extra):
        cropping = tuple((0, e) for e in extra)
        y = crop(cropping[0] if rank == 1 else cropping, name="crop")(y)
    y = conv(
        filters[0], kernel_size, padding="same", activation=activation,
        kernel_initializer=initializer(activation, seeds), name="decoder_conv_full",
    )(y)
    y = conv(
        shape[-1], kernel_size, padding="same", activation=output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds()), name="reconstruction",
    )(y)
    return keras.Model(code_in, layers.Flatten(name="to_rows")(y), name="decoder")


def build_conv_autoencoder(
    shape: Sequence[int],
    *,
    filters: Sequence[int],
    n_components: int | None,
    kernel_size: int,
    activation: str,
    output_activation: str,
    dropout: float,
    seed: int,
    reshape_name: str,
    code_activation: str = "linear",
) -> keras.Model:
    """Build a convolutional autoencoder for rows that hold one signal or image each.

    Parameters
    ----------
    shape : sequence of int
        ``(length, channels)`` of a signal or ``(height, width, channels)`` of an image;
        a row holds its values in that order (C order).
    filters : sequence of int
        Filters of the strided convolutions of the encoder; ``filters[0]`` also sets the
        width of the two full-resolution convolutions.
    n_components : int or None
        ``None``: the code is the flattened last feature map. An int adds a dense
        bottleneck of that width.
    kernel_size : int
        Width of every convolution kernel along each spatial axis.
    activation, output_activation : str
        Activations of the hidden convolutions and of the output.
    dropout : float
        Spatial dropout rate after each strided convolution (training only).
    seed : int
        Seed of the initialisers and dropout layers.
    reshape_name : str
        Name of the encoder's layer that turns rows into signals or images.
    code_activation : str, default="linear"
        Activation of the dense bottleneck (with an int ``n_components`` only).

    Returns
    -------
    autoencoder : keras.Model
        Flat rows in and out, chaining the sub-models ``"encoder"`` and ``"decoder"``.

    Examples
    --------
    >>> from skae._architectures import build_conv_autoencoder
    >>> ae = build_conv_autoencoder(
    ...     (140, 1), filters=(8, 4), n_components=None, kernel_size=7, activation="relu",
    ...     output_activation="linear", dropout=0.0, seed=0, reshape_name="to_signal")
    >>> ae.get_layer("encoder").output_shape, ae.output_shape
    ((None, 140), (None, 140))
    """
    if len(filters) == 0:
        raise ValueError("filters (hidden_layer_sizes) must have at least one entry.")
    shape = tuple(int(s) for s in shape)
    seeds = Seeds(seed)
    common = {"kernel_size": kernel_size, "activation": activation, "seeds": seeds}
    encoder, map_shape = _encoder(
        shape, filters, n_components, dropout=dropout, reshape_name=reshape_name,
        code_activation=code_activation, **common,
    )
    decoder = _decoder(
        shape, filters, int(encoder.outputs[0].shape[-1]), map_shape,
        n_components is not None, output_activation=output_activation, **common,
    )
    return chain(math.prod(shape), encoder, decoder)


def feature_map_code(n_features: int) -> tuple[tuple[int, ...], None]:
    """Default sizes: filters (32, 16), and the last feature map as the code."""
    return (32, 16), None


def conv_architecture(name: str, *, rank: int, kernel_size: int, reshape_name: str,
                      **entry) -> Architecture:
    """The registry entry of the convolutional architecture of ``rank`` spatial axes.

    An ``input_shape`` of ``rank`` sizes gets one channel; without ``input_shape`` a row is
    one signal of one channel. ``entry`` holds the other :class:`Architecture` fields;
    ``default_sizes`` is :func:`feature_map_code` unless given.
    """

    def build(n_features, input_shape, hidden, n_components, *, code_activation, **options):
        shape = (n_features,) if input_shape is None else tuple(int(s) for s in input_shape)
        return build_conv_autoencoder(
            (*shape, 1) if len(shape) == rank else shape, filters=hidden,
            n_components=n_components, kernel_size=kernel_size, reshape_name=reshape_name,
            code_activation=code_activation, **options,
        )

    return Architecture(name=name, build=build, **{"default_sizes": feature_map_code, **entry})
