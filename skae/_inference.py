"""Inference: fast forward passes applied in bounded-memory chunks.

``keras.Model.predict`` builds a data pipeline on every call (tens of milliseconds for a
single row). skae instead runs each of the encoder, decoder and autoencoder through one of
two engines, chosen once per fitted network:

- **dense** (:class:`skae._dense_forward.DenseChain`) for networks that are a chain of dense
  layers, such as the built-in ``dense`` architecture: ``h = act(h @ W + b)`` from a
  snapshot of the weights, in the input's precision (float64 for float64 input), in numpy
  for small inputs (microseconds per row) and in a TensorFlow graph of the same steps for
  large ones. Float64 rows give the same result whichever other rows share the call.
- **graph** (:class:`GraphPass`): the Keras model itself as a ``tf.function`` traced once
  for a fixed ``(None, n)`` float32 signature, so any number of rows reuses one graph (no
  retracing). Used for ``conv2d`` and any network the dense engine does not reproduce.

:func:`apply_batched` walks large inputs in chunks sized by scikit-learn's
``working_memory`` setting, so the temporary memory does not grow with the number of rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils import gen_batches
from sklearn.utils._chunking import get_chunk_n_rows

from ._dense_forward import dense_chain

__all__ = ["ForwardPasses", "GraphPass", "apply_batched"]

#: Most rows per chunk, whatever ``working_memory`` allows: larger chunks only add memory
#: (each chunk costs one TensorFlow call of ~0.5 ms; 8192 rows amortise it).
MAX_CHUNK_ROWS = 8192


class _Inference:
    """``model(x, training=False)``; an object, not a closure, so that TensorFlow counts
    its traces apart from other networks' (it counts per code object, and would warn about
    "retracing" after five fitted networks)."""

    def __init__(self, model: keras.Model):
        self._model = model

    def __call__(self, x):
        return self._model(x, training=False)


class GraphPass:
    """``model(x, training=False)`` as a ``tf.function`` with a fixed float32 signature.

    The function is created on first use (under a lock, so concurrent first calls share
    it). Inputs are cast to float32 chunk by chunk; outputs are float32.
    """

    engine = "graph"

    def __init__(self, model: keras.Model):
        self._model = model
        self._n_in = int(model.inputs[0].shape[-1])
        self._function = None
        self._lock = threading.Lock()

    def function(self):
        """The compiled forward function (created on first use)."""
        if self._function is None:
            with self._lock:
                if self._function is None:
                    signature = [tf.TensorSpec((None, self._n_in), tf.float32)]
                    self._function = tf.function(
                        _Inference(self._model), input_signature=signature, autograph=False
                    )
        return self._function

    def working_dtype(self, X: np.ndarray) -> np.dtype:
        """The precision this pass computes ``X`` in: always float32."""
        return np.dtype(np.float32)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        x = tf.convert_to_tensor(X.astype(np.float32, copy=False))
        return self.function()(x).numpy()


def forward_pass(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """The dense engine for ``model`` if it supports the network, else a :class:`GraphPass`."""
    chain = dense_chain(model)
    return chain if chain is not None else GraphPass(model)


def _activation_width(model: keras.Model) -> int:
    """Number of activations one row produces across all layers of ``model``."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += _activation_width(layer)
        else:
            total += int(np.prod(layer.output.shape[1:]))
    return total


class ForwardPasses:
    """The encoder, decoder and autoencoder of a fitted estimator as fast callables.

    Each of ``encode``, ``decode`` and ``reconstruct`` maps a 2-D float array to the
    network's output for those rows: float64 for float64 input on the dense engine, else
    float32. The dense engine holds a snapshot of the weights taken here, so a new
    ``ForwardPasses`` must be made whenever the network's weights change (the estimators
    do so after every ``fit``/``partial_fit`` and when unpickled).
    """

    def __init__(self, autoencoder: keras.Model, encoder: keras.Model, decoder: keras.Model):
        self.encode = forward_pass(encoder)
        self.decode = forward_pass(decoder)
        self.reconstruct = forward_pass(autoencoder)
        n_in = int(autoencoder.inputs[0].shape[-1])
        #: Upper bound on the temporary bytes one row needs (float64 input, its float32
        #: copy, every layer's output).
        self.row_bytes = 8 * (2 * n_in + _activation_width(autoencoder))

    @property
    def engines(self) -> dict[str, str]:
        """Which engine runs each pass: ``"dense"`` or ``"graph"``."""
        return {
            name: getattr(self, name).engine for name in ("encode", "decode", "reconstruct")
        }


def chunk_rows(n_samples: int, row_bytes: int) -> int:
    """Rows per chunk: what ``working_memory`` allows, at most :data:`MAX_CHUNK_ROWS`."""
    rows = get_chunk_n_rows(row_bytes=row_bytes, max_n_rows=min(n_samples, MAX_CHUNK_ROWS))
    return max(1, rows)


def _finite(out: np.ndarray) -> np.ndarray:
    """``out``, or a ValueError if the network overflowed on some of these rows."""
    if not np.isfinite(out).all():
        precision = "float32" if out.dtype == np.float32 else "floating-point"
        raise ValueError(
            "The network's output is not finite (overflow) for some rows: their values are "
            f"too large for its {precision} computation (float32 input is computed in "
            "float32). Scale the input, e.g. with StandardScaler, or pass float64."
        )
    return out


def apply_batched(
    fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray, row_bytes: int, *,
    check_finite: bool = False,
):
    """Apply ``fn`` to the rows of ``X`` chunk by chunk and stack the results.

    ``fn`` maps ``k`` rows to an array with ``k`` rows (any trailing shape and dtype). The
    temporary memory is about ``row_bytes`` per row of a chunk, bounded by scikit-learn's
    ``working_memory`` and :data:`MAX_CHUNK_ROWS`, not by ``len(X)``. With
    ``check_finite``, a chunk whose result is not finite raises a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._inference import apply_batched
    >>> apply_batched(lambda rows: rows.sum(axis=1), np.ones((5, 3)), row_bytes=8).tolist()
    [3.0, 3.0, 3.0, 3.0, 3.0]
    """
    if check_finite:
        inner = fn

        def fn(rows):
            return _finite(inner(rows))

    n_samples = X.shape[0]
    chunk = chunk_rows(n_samples, row_bytes)
    if chunk >= n_samples:
        return fn(X)
    batches = gen_batches(n_samples, chunk)
    first = next(batches)
    head = fn(X[first])
    out = np.empty((n_samples, *head.shape[1:]), dtype=head.dtype)
    out[first] = head
    del head
    for rows in batches:
        out[rows] = fn(X[rows])
    return out
