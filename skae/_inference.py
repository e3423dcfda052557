"""Inference: compiled forward passes applied in bounded-memory batches.

``keras.Model.predict`` builds a data pipeline on every call (tens of milliseconds for a
single row). skae instead calls ``tf.function``s traced once for a fixed ``(None, n)`` input
signature, so any number of rows reuses the same graph (no retracing), and walks large inputs
in chunks sized by scikit-learn's ``working_memory`` setting.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils import gen_batches
from sklearn.utils._chunking import get_chunk_n_rows

__all__ = ["ForwardPasses", "apply_batched"]


def _compile(model: keras.Model) -> tf.types.experimental.GenericFunction:
    n_in = int(model.inputs[0].shape[-1])

    @tf.function(input_signature=[tf.TensorSpec((None, n_in), tf.float32)])
    def forward(x):
        return model(x, training=False)

    return forward


def _activation_width(model: keras.Model) -> int:
    """Number of float32 activations one row produces across all layers of ``model``."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += _activation_width(layer)
        else:
            total += int(np.prod(layer.output.shape[1:]))
    return total


class ForwardPasses:
    """The encoder, decoder and autoencoder of a fitted estimator as compiled functions."""

    def __init__(self, autoencoder: keras.Model, encoder: keras.Model, decoder: keras.Model):
        self.encode = _compile(encoder)
        self.decode = _compile(decoder)
        self.reconstruct = _compile(autoencoder)
        n_in = int(autoencoder.inputs[0].shape[-1])
        self.row_bytes = 4 * (2 * n_in + _activation_width(autoencoder))


def apply_batched(fn, X: np.ndarray, n_out: int, row_bytes: int) -> np.ndarray:
    """Apply ``fn`` to ``X`` (float32) chunk by chunk; return a float32 ``(n, n_out)`` array."""
    n_samples = X.shape[0]
    out = np.empty((n_samples, n_out), dtype=np.float32)
    chunk = get_chunk_n_rows(row_bytes=row_bytes, max_n_rows=n_samples)
    for rows in gen_batches(n_samples, max(1, chunk)):
        out[rows] = fn(tf.convert_to_tensor(X[rows])).numpy()
    return out
