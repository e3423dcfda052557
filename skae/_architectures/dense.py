"""``architecture="dense"``: fully connected layers; the decoder mirrors the encoder."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from ._layers import Seeds, chain, initializer, with_linear_path
from ._spec import Architecture

__all__ = ["ARCHITECTURE", "auto_sizes", "build_dense_autoencoder"]


def _dense_stack(x, widths, *, activation, dropout, seeds, prefix):
    for i, width in enumerate(widths):
        x = layers.Dense(
            width,
            activation=activation,
            kernel_initializer=initializer(activation, seeds),
            name=f"{prefix}_dense_{i}",
        )(x)
        if dropout:
            x = layers.Dropout(dropout, seed=seeds(), name=f"{prefix}_dropout_{i}")(x)
    return x


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
    linear_path: bool = False,
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
    linear_path : bool, default=False
        Add a frozen linear path from input to code and from code to reconstruction
        (layers ``"linear_code"`` and ``"linear_reconstruction"``, zero until
        :func:`skae._pca_floor.init_linear_path` sets them to the PCA solution); the
        layers above learn the residual.

    Returns
    -------
    autoencoder : keras.Model
        Model named ``"autoencoder"`` chaining sub-models ``"encoder"`` and ``"decoder"``.

    Examples
    --------
    >>> from skae._architectures import build_dense_autoencoder, split_autoencoder
    >>> ae = build_dense_autoencoder(10, hidden_layer_sizes=(6,), n_components=2)
    >>> encoder, decoder = split_autoencoder(ae)
    >>> encoder.output_shape, decoder.output_shape
    ((None, 2), (None, 10))
    """
    seeds = Seeds(seed)
    inputs = keras.Input((n_features,), name="encoder_input")
    x = _dense_stack(
        inputs, hidden_layer_sizes, activation=activation, dropout=dropout, seeds=seeds,
        prefix="encoder",
    )
    code = layers.Dense(
        n_components, activation=code_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds()), name="code",
    )(x)
    if linear_path:
        code = with_linear_path(inputs, code, n_components, "linear_code")
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
    if linear_path:
        outputs = with_linear_path(code_in, outputs, n_features, "linear_reconstruction")
    decoder = keras.Model(code_in, outputs, name="decoder")
    return chain(n_features, encoder, decoder)


def auto_sizes(n_features: int) -> tuple[tuple[int, ...], int]:
    """Hidden widths and code width sized from the feature count."""
    n_components = int(min(32, max(2, math.ceil(math.sqrt(n_features)))))
    first = int(min(128, max(16, n_features)))
    second = int(min(64, max(8, n_features // 2)))
    hidden = (first, max(second, n_components))
    return hidden, n_components


def _build(n_features, input_shape, hidden, n_components, **options) -> keras.Model:
    return build_dense_autoencoder(
        n_features, hidden_layer_sizes=hidden, n_components=n_components, **options
    )


ARCHITECTURE = Architecture(
    name="dense",
    build=_build,
    default_sizes=auto_sizes,
    summary="fully connected layers.",
    linear_path=True,
)
