"""Pieces every built-in architecture shares: seeds, initialisers, the encoder/decoder chain.

Every builder returns one ``keras.Model`` named ``"autoencoder"`` that chains two sub-models
named ``"encoder"`` and ``"decoder"``; the estimators reach them with ``get_layer``. A
user-supplied builder (the ``model`` parameter) must follow the same rule. Seeds go into the
initialisers and dropout layers that use them, never into global state.
"""

from __future__ import annotations

import keras
from keras import layers

__all__ = ["Seeds", "chain", "initializer", "split_autoencoder", "with_linear_path"]

_RELU_LIKE = ("relu", "elu", "selu", "gelu", "leaky_relu", "silu", "swish")


class Seeds:
    """Deterministic stream of per-layer seeds derived from one integer."""

    def __init__(self, seed: int):
        self._seed = int(seed)
        self._count = 0

    def __call__(self) -> int:
        self._count += 1
        return (self._seed * 1_000_003 + self._count * 7_919) % (2**31 - 1)


def initializer(activation: str, seeds: Seeds):
    """He initialisation before ReLU-like activations, Glorot otherwise."""
    if activation in _RELU_LIKE:
        return keras.initializers.HeUniform(seed=seeds())
    return keras.initializers.GlorotUniform(seed=seeds())


def with_linear_path(source, residual, width: int, name: str):
    """``residual + Dense(width)(source)`` through a frozen, zero-initialised linear layer.

    The layer ``name`` is the linear (PCA) path of the floor; it stays out of training, so
    that the layers that produce ``residual`` learn what the linear solution misses.
    """
    linear = layers.Dense(width, kernel_initializer="zeros", trainable=False, name=name)
    return layers.Add(name=f"{name}_plus_residual")([linear(source), residual])


def chain(n_features: int, encoder: keras.Model, decoder: keras.Model) -> keras.Model:
    """The autoencoder: flat rows in, ``decoder(encoder(rows))`` out."""
    inputs = keras.Input((n_features,), name="autoencoder_input")
    return keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")


def split_autoencoder(autoencoder: keras.Model) -> tuple[keras.Model, keras.Model]:
    """Return the ``encoder`` and ``decoder`` sub-models of an autoencoder.

    Raises
    ------
    ValueError
        If the model has no sub-models named ``"encoder"`` and ``"decoder"``.

    Examples
    --------
    >>> from skae._architectures import build_dense_autoencoder, split_autoencoder
    >>> encoder, decoder = split_autoencoder(build_dense_autoencoder(5, n_components=2))
    >>> encoder.name, decoder.name
    ('encoder', 'decoder')
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
