"""Keras builders: an autoencoder as two functional models, ``encoder`` and ``decoder``.

Every builder returns one ``keras.Model`` named ``"autoencoder"`` that chains two sub-models
named ``"encoder"`` and ``"decoder"``; the estimators reach them with ``get_layer``. A
user-supplied builder (the ``model`` parameter) must follow the same rule. Seeds go into the
initialisers and dropout layers that use them, never into global state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

__all__ = ["build_conv2d_autoencoder", "build_dense_autoencoder", "split_autoencoder"]


class _Seeds:
    """Deterministic stream of per-layer seeds derived from one integer."""

    def __init__(self, seed: int):
        self._seed = int(seed)
        self._count = 0

    def __call__(self) -> int:
        self._count += 1
        return (self._seed * 1_000_003 + self._count * 7_919) % (2**31 - 1)


def _initializer(activation: str, seeds: _Seeds):
    if activation in ("relu", "elu", "selu", "gelu", "leaky_relu", "silu", "swish"):
        return keras.initializers.HeUniform(seed=seeds())
    return keras.initializers.GlorotUniform(seed=seeds())


def _dense_stack(x, widths, *, activation, dropout, seeds, prefix):
    for i, width in enumerate(widths):
        x = layers.Dense(
            width,
            activation=activation,
            kernel_initializer=_initializer(activation, seeds),
            name=f"{prefix}_dense_{i}",
        )(x)
        if dropout:
            x = layers.Dropout(dropout, seed=seeds(), name=f"{prefix}_dropout_{i}")(x)
    return x


def _chain(n_features: int, encoder: keras.Model, decoder: keras.Model) -> keras.Model:
    inputs = keras.Input((n_features,), name="autoencoder_input")
    return keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")


def build_dense_autoencoder(
    n_features: int,
    *,
    hidden_layer_sizes: Sequence[int] = (64, 32),
    n_components: int = 8,
    activation: str = "relu",
    output_activation: str = "linear",
    dropout: float = 0.0,
    seed: int = 0,
    code_activation: str = "linear",
) -> keras.Model:
    """Build a fully connected autoencoder whose decoder mirrors its encoder.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    hidden_layer_sizes : sequence of int, default=(64, 32)
        Widths of the encoder's hidden layers; the decoder uses them in reverse.
    n_components : int, default=8
        Width of the code layer.
    activation : str, default="relu"
        Activation of the hidden layers.
    output_activation : str, default="linear"
        Activation of the reconstruction layer (``"sigmoid"`` for data in [0, 1]).
    dropout : float, default=0.0
        Dropout rate after each hidden layer (training only).
    seed : int, default=0
        Seed of the initialisers and dropout layers.
    code_activation : str, default="linear"
        Activation of the code layer (``"tanh"`` bounds the code).

    Returns
    -------
    autoencoder : keras.Model
        Model named ``"autoencoder"`` chaining sub-models ``"encoder"`` and ``"decoder"``.

    Examples
    --------
    >>> from skae._builders import build_dense_autoencoder, split_autoencoder
    >>> ae = build_dense_autoencoder(10, hidden_layer_sizes=(6,), n_components=2)
    >>> encoder, decoder = split_autoencoder(ae)
    >>> encoder.output_shape, decoder.output_shape
    ((None, 2), (None, 10))
    """
    seeds = _Seeds(seed)
    inputs = keras.Input((n_features,), name="encoder_input")
    x = _dense_stack(
        inputs, hidden_layer_sizes, activation=activation, dropout=dropout, seeds=seeds,
        prefix="encoder",
    )
    code = layers.Dense(
        n_components, activation=code_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds()), name="code",
    )(x)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input((n_components,), name="decoder_input")
    y = _dense_stack(
        code_in, tuple(reversed(hidden_layer_sizes)), activation=activation, dropout=dropout,
        seeds=seeds, prefix="decoder",
    )
    outputs = layers.Dense(
        n_features,
        activation=output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds()),
        name="reconstruction",
    )(y)
    decoder = keras.Model(code_in, outputs, name="decoder")
    return _chain(n_features, encoder, decoder)


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

    The encoder reshapes each row to ``input_shape``, applies a 3x3 same-padding
    convolution at full resolution (``filters[0]`` filters), then 3x3 convolutions with
    stride 2 (one per entry of ``filters``); the decoder mirrors them with transposed
    convolutions and a full-resolution 3x3 convolution, then a final 3x3 convolution back
    to the input's channels, and flattens again. The two full-resolution convolutions let
    the network see and draw detail finer than its first stride (edges of strokes, which
    dominate the error of image denoising) and smooth the transposed convolutions'
    checkerboard artefacts.

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
        Spatial dropout rate after each convolution (training only).
    seed : int, default=0
        Seed of the initialisers and dropout layers.

    Returns
    -------
    autoencoder : keras.Model
        Model named ``"autoencoder"`` chaining sub-models ``"encoder"`` and ``"decoder"``.

    Examples
    --------
    >>> from skae._builders import build_conv2d_autoencoder, split_autoencoder
    >>> ae = build_conv2d_autoencoder((8, 8), filters=(4,))
    >>> encoder, decoder = split_autoencoder(ae)
    >>> encoder.output_shape, decoder.output_shape
    ((None, 64), (None, 64))
    """
    if len(filters) == 0:
        raise ValueError("filters (hidden_layer_sizes) must have at least one entry.")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    height, width, channels = shape
    n_features = height * width * channels
    seeds = _Seeds(seed)

    inputs = keras.Input((n_features,), name="encoder_input")
    x = layers.Reshape(shape, name="to_image")(inputs)
    x = layers.Conv2D(
        filters[0], 3, padding="same", activation=activation,
        kernel_initializer=_initializer(activation, seeds), name="encoder_conv_full",
    )(x)
    for i, n_filters in enumerate(filters):
        x = layers.Conv2D(
            n_filters, 3, strides=2, padding="same", activation=activation,
            kernel_initializer=_initializer(activation, seeds), name=f"encoder_conv_{i}",
        )(x)
        if dropout:
            x = layers.SpatialDropout2D(dropout, seed=seeds(), name=f"encoder_dropout_{i}")(x)
    map_shape = tuple(int(s) for s in x.shape[1:])
    code = layers.Flatten(name="flatten")(x)
    if n_components is not None:
        code = layers.Dense(
            n_components, kernel_initializer=keras.initializers.GlorotUniform(seed=seeds()),
            name="code",
        )(code)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input((int(code.shape[-1]),), name="decoder_input")
    y = code_in
    if n_components is not None:
        y = layers.Dense(
            math.prod(map_shape), activation=activation,
            kernel_initializer=_initializer(activation, seeds), name="decoder_dense",
        )(y)
    y = layers.Reshape(map_shape, name="to_feature_map")(y)
    for i, n_filters in enumerate(reversed(filters)):
        y = layers.Conv2DTranspose(
            n_filters, 3, strides=2, padding="same", activation=activation,
            kernel_initializer=_initializer(activation, seeds), name=f"decoder_deconv_{i}",
        )(y)
    extra_h, extra_w = int(y.shape[1]) - height, int(y.shape[2]) - width
    if extra_h or extra_w:
        y = layers.Cropping2D(((0, extra_h), (0, extra_w)), name="crop")(y)
    y = layers.Conv2D(
        filters[0], 3, padding="same", activation=activation,
        kernel_initializer=_initializer(activation, seeds), name="decoder_conv_full",
    )(y)
    y = layers.Conv2D(
        channels, 3, padding="same", activation=output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds()), name="reconstruction",
    )(y)
    outputs = layers.Flatten(name="to_rows")(y)
    decoder = keras.Model(code_in, outputs, name="decoder")
    return _chain(n_features, encoder, decoder)


def split_autoencoder(autoencoder: keras.Model) -> tuple[keras.Model, keras.Model]:
    """Return the ``encoder`` and ``decoder`` sub-models of an autoencoder.

    Raises
    ------
    ValueError
        If the model has no sub-models named ``"encoder"`` and ``"decoder"``.
    """
    names = {layer.name: layer for layer in autoencoder.layers}
    missing = [name for name in ("encoder", "decoder") if name not in names]
    if missing or not all(isinstance(names[n], keras.Model) for n in ("encoder", "decoder")):
        raise ValueError(
            "The autoencoder returned by `model` must contain two sub-models named 'encoder' "
            f"and 'decoder' (missing or not a keras.Model: {missing or ['encoder', 'decoder']}); "
            "build it as keras.Model(inputs, decoder(encoder(inputs)))."
        )
    return names["encoder"], names["decoder"]
