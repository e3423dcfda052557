"""Inference: the forward passes of a fitted estimator, in bounded-memory chunks.

:class:`ForwardPasses` is the one object that runs a fitted estimator's networks. Each
pass - ``encode``, ``decode``, ``reconstruct``, ``row_errors``, ``feature_errors`` - is one
combined function (:class:`_Combined`): the input scaling, the network and what the pass
returns (codes, rows in the input's units, or reconstruction errors), written once for
numpy arrays and TensorFlow tensors alike. Per chunk of rows, ``ForwardPasses`` picks the
engine that runs it:

- **numpy** for small chunks of networks that are a chain of dense layers (the built-in
  ``dense`` architecture; :class:`skae._dense_forward.DenseChain`): ``h = act(h @ W + b)``
  from a snapshot of the weights, in the input's precision (float64 for float64 input),
  microseconds per row. Float64 rows give the same result whichever other rows share the
  call.
- a **TensorFlow graph** for large chunks and for every other network (``conv2d``, user
  networks): the combined function traced once per input dtype for a ``(None, n)``
  signature, so any number of rows reuses one graph, in the network's own precision
  (float32 unless it is float64), as ``Model.predict`` computes. The cast of the input,
  the scaling, the network and the errors all run in TensorFlow's thread pool.

:func:`apply_batched` walks large inputs in chunks sized by scikit-learn's
``working_memory`` setting and writes each chunk's result into the output, so the
temporary memory does not grow with the number of rows. With more than one chunk, one
worker thread computes the next chunks while the caller's thread checks and writes the
finished ones (the forward pass releases the GIL) when the results are as wide as the
rows, so that first-writing a large output
(800 MB for ``reconstruct`` on 10^6 float64 rows of 100 features) overlaps the network.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils import gen_batches
from sklearn.utils._chunking import get_chunk_n_rows

from ._dense_forward import dense_chain

__all__ = ["ForwardPasses", "apply_batched", "element_errors"]

#: Most rows per chunk, whatever ``working_memory`` allows: larger chunks only add memory
#: (each chunk costs one TensorFlow call of ~0.5 ms; 8192 rows amortise it).
MAX_CHUNK_ROWS = 8192

#: Chunks queued in the worker thread of a multi-chunk pass (see :func:`_pipelined`).
PIPELINE_DEPTH = 2

#: Fewest chunks after the first that a pass with wide results runs in a worker thread.
PIPELINE_MIN_CHUNKS = 2


class _Inference:
    """``model(x, training=False)``; an object, not a closure, so that TensorFlow counts
    its traces apart from other networks' (it counts per code object, and would warn about
    "retracing" after five fitted networks)."""

    def __init__(self, model: keras.Model):
        self._model = model

    def __call__(self, x):
        return self._model(x, training=False)


def element_errors(recon, target, square: bool):
    """Squared (``square``) or absolute error of every value: numpy arrays (computed in
    float64, so that float32 rows of large magnitude do not overflow) or tensors."""
    if isinstance(recon, np.ndarray):
        recon = recon.astype(np.float64, copy=False)
    diff = recon - target
    return diff * diff if square else abs(diff)


def _row_mean(errors):
    if isinstance(errors, np.ndarray):
        return errors.mean(axis=1)
    return tf.reduce_mean(errors, axis=1)


class _Combined:
    """Scaling, network and output of one pass, as one function of numpy arrays or tensors.

    ``z = (x - center) / scale`` when ``scale_in``, ``y = net(z)``, then by ``output``:
    ``"raw"`` returns ``y``; ``"rows"`` returns ``y * scale + center`` (the input's units);
    ``"feature_errors"`` the error of every value divided by ``error_scale``;
    ``"row_errors"`` their mean over features.
    """

    def __init__(self, output: str, *, scale_in: bool, square: bool = True):
        self.output = output
        self.scale_in = scale_in
        self.square = square
        self.key = (output, scale_in, square)

    def __call__(self, net, x, center, scale, error_scale):
        z = (x - center) / scale if self.scale_in else x
        y = net(z)
        if self.output == "raw":
            return y
        if self.output == "rows":
            return y * scale + center
        errors = element_errors(y, z, self.square) / error_scale
        return errors if self.output == "feature_errors" else _row_mean(errors)


class _Traced:
    """A :class:`_Combined` function around a graph network, for ``tf.function``: the
    input is cast to the network's precision inside the graph."""

    def __init__(self, combined: _Combined, net: Callable, dtype: tf.DType):
        self._combined = combined
        self._net = net
        self._dtype = dtype

    def __call__(self, x, center, scale, error_scale):
        return self._combined(self._net, tf.cast(x, self._dtype), center, scale, error_scale)


class _Vectors:
    """``center``, ``scale`` and ``error_scale``, read-only, in float64 and in float32."""

    def __init__(self, scaling, error_scale, width: int):
        center = np.zeros(width) if scaling is None else scaling.center
        scale = np.ones(width) if scaling is None else scaling.scale
        error_scale = np.ones(width) if error_scale is None else error_scale
        self._by_dtype = {}
        for dtype in (np.float64, np.float32):
            arrays = tuple(np.array(v, dtype=dtype) for v in (center, scale, error_scale))
            for a in arrays:
                a.flags.writeable = False
            self._by_dtype[np.dtype(dtype)] = arrays

    def get(self, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._by_dtype[np.dtype(dtype)]


class _Engines:
    """The two engines of one network and the per-chunk choice between them.

    A chunk of at most :attr:`numpy_max_rows` rows runs in numpy (dense chains only; 0
    otherwise), any other in the graph of the combined function, traced once per
    ``(pass, input dtype)`` under a lock so that concurrent first calls share one trace.
    """

    def __init__(self, model: keras.Model):
        chain = dense_chain(model)
        self._chain = chain
        self.engine = "graph" if chain is None else chain.engine
        self.numpy_max_rows = 0 if chain is None else chain.numpy_max_rows
        self.graph_dtype = np.dtype(np.float32) if chain is None else chain.bulk_dtype
        self._net = _Inference(model) if chain is None else chain.graph_net
        self._n_in = int(model.inputs[0].shape[-1])
        self._functions: dict = {}
        self._lock = threading.Lock()

    def run(self, combined: _Combined, X: np.ndarray, vectors: _Vectors) -> np.ndarray:
        """``combined`` on the rows of X, in numpy or in the graph by the chunk's size."""
        if X.shape[0] <= self.numpy_max_rows:
            dtype = np.float32 if X.dtype == np.float32 else np.float64
            center, scale, _ = vectors.get(dtype)
            error_scale = vectors.get(np.float64)[2]  # errors are float64 in numpy
            return combined(self._chain.numpy_call, X, center, scale, error_scale)
        function = self.function(combined, X.dtype)
        return function(tf.convert_to_tensor(X), *vectors.get(self.graph_dtype)).numpy()

    def function(self, combined: _Combined, dtype) -> Callable:
        """The ``tf.function`` of ``combined`` for inputs of ``dtype`` (made on first use)."""
        key = (*combined.key, np.dtype(dtype).name)
        function = self._functions.get(key)
        if function is None:
            with self._lock:
                function = self._functions.get(key)
                if function is None:
                    graph_dtype = tf.as_dtype(self.graph_dtype)
                    signature = [tf.TensorSpec((None, self._n_in), tf.as_dtype(dtype))]
                    signature += [tf.TensorSpec((None,), graph_dtype)] * 3
                    function = self._functions[key] = tf.function(
                        _Traced(combined, self._net, graph_dtype),
                        input_signature=signature, autograph=False,
                    )
        return function

    @property
    def traced(self) -> dict:
        """The graph functions made so far, by ``(output, scale_in, square, dtype)``."""
        return dict(self._functions)


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
    """Every forward pass of a fitted estimator, chunk by chunk, on the engine each chunk
    needs.

    Parameters
    ----------
    autoencoder, encoder, decoder : keras.Model
        The fitted network and its two halves.
    scaling : FeatureScaling or None
        Input scaling applied before the network (and undone on rows it returns).
    loss : str
        ``"mae"`` measures absolute errors; anything else squared errors.
    error_scale : ndarray of shape (n_features,) or None
        Divisors of the per-feature errors (error normalisation).

    Every method takes a 2-D float array and returns, for float64 input, float64 (float32
    for float32 input; errors are always float64); it validates nothing, and raises a
    ValueError when the network's output overflows. The numpy engine holds a snapshot of
    the weights taken here, so a new ``ForwardPasses`` must be made whenever the weights
    change (the estimators do so after every ``fit``/``partial_fit`` and when unpickled).
    """

    def __init__(self, autoencoder: keras.Model, encoder: keras.Model, decoder: keras.Model,
                 *, scaling=None, loss: str = "mse", error_scale=None):
        self._engines = {
            "encode": _Engines(encoder),
            "decode": _Engines(decoder),
            "reconstruct": _Engines(autoencoder),
        }
        self._scaling = scaling
        self._scaled = scaling is not None
        self._square = loss != "mae"
        self._n_in = int(autoencoder.inputs[0].shape[-1])
        self._vectors = _Vectors(scaling, error_scale, self._n_in)
        #: Upper bound on the temporary bytes one row needs (float64 input, its float32
        #: copy, every layer's output).
        self.row_bytes = 8 * (2 * self._n_in + _activation_width(autoencoder))

    def with_error_scale(self, error_scale) -> ForwardPasses:
        """The same passes (and traced graphs) with other error divisors."""
        passes = copy.copy(self)
        passes._vectors = _Vectors(self._scaling, error_scale, self._n_in)
        return passes

    @property
    def engines(self) -> dict[str, str]:
        """Which engine runs each network: ``"dense"`` or ``"graph"``."""
        return {name: engines.engine for name, engines in self._engines.items()}

    def engines_of(self, which: str) -> _Engines:
        """The engines of ``"encode"``, ``"decode"`` or ``"reconstruct"``."""
        return self._engines[which]

    def _run(self, which: str, combined: _Combined, X: np.ndarray, *, dtype,
             check_finite: bool = True, row_bytes: int | None = None) -> np.ndarray:
        engines, vectors = self._engines[which], self._vectors
        return apply_batched(
            lambda rows: engines.run(combined, rows, vectors), X,
            row_bytes or self.row_bytes, check_finite=check_finite, dtype=dtype,
        )

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Codes of the rows of X."""
        return self._run("encode", _Combined("raw", scale_in=self._scaled), X, dtype=X.dtype)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Rows (in the input's units) decoded from codes."""
        output = "rows" if self._scaled else "raw"
        combined = _Combined(output, scale_in=False)
        return self._run("decode", combined, codes, dtype=codes.dtype)

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """The network's reconstruction of X, in X's units."""
        output = "rows" if self._scaled else "raw"
        combined = _Combined(output, scale_in=self._scaled)
        return self._run("reconstruct", combined, X, dtype=X.dtype)

    def network(self, Z: np.ndarray) -> np.ndarray:
        """The bare autoencoder on rows already in its own space (no scaling, no check)."""
        combined = _Combined("raw", scale_in=False)
        return self._run("reconstruct", combined, Z, dtype=Z.dtype, check_finite=False)

    def row_errors(self, X: np.ndarray) -> np.ndarray:
        """The mean over features of :meth:`feature_errors`, without the full-width array."""
        return self._errors("row_errors", X)

    def feature_errors(self, X: np.ndarray) -> np.ndarray:
        """Error of every value of X in the network's space, divided by ``error_scale``."""
        return self._errors("feature_errors", X)

    def _errors(self, output: str, X: np.ndarray) -> np.ndarray:
        combined = _Combined(output, scale_in=self._scaled, square=self._square)
        row_bytes = self.row_bytes + 16 * self._n_in
        return self._run("reconstruct", combined, X, dtype=np.float64, row_bytes=row_bytes)


def chunk_rows(n_samples: int, row_bytes: int) -> int:
    """Rows per chunk: what ``working_memory`` allows, at most :data:`MAX_CHUNK_ROWS`."""
    rows = get_chunk_n_rows(row_bytes=row_bytes, max_n_rows=min(n_samples, MAX_CHUNK_ROWS))
    return max(1, rows)


def _finite(out: np.ndarray) -> np.ndarray:
    """``out``, or a ValueError if the network overflowed on some of these rows."""
    # One pass, no temporary: the float64 sum of finite float32 values is finite, and a
    # NaN or an infinity makes it NaN or infinite. Only a non-finite sum is looked into.
    if not np.isfinite(out.sum(dtype=np.float64)) and not np.isfinite(out).all():
        precision = "float32" if out.dtype == np.float32 else "floating-point"
        raise ValueError(
            "The network's output is not finite (overflow) for some rows: their values are "
            f"too large for its {precision} computation (float32 input is computed in "
            "float32). Scale the input, e.g. with StandardScaler, or pass float64."
        )
    return out


def apply_batched(
    fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray, row_bytes: int, *,
    check_finite: bool = False, dtype=None,
):
    """Apply ``fn`` to the rows of ``X`` chunk by chunk and stack the results.

    ``fn`` maps ``k`` rows to an array with ``k`` rows (any trailing shape and dtype). The
    temporary memory is about ``row_bytes`` per row of a chunk, bounded by scikit-learn's
    ``working_memory`` and :data:`MAX_CHUNK_ROWS`, not by ``len(X)``. Each chunk's result
    is written into the output, of ``dtype`` (default: the first chunk's). With
    ``check_finite``, a chunk whose result is not finite raises a ValueError. When the
    results are as wide as the rows and there are more chunks, ``fn`` runs on the later
    ones in a worker thread of this call (see :func:`_pipelined`), so it must not depend
    on thread-local state.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._inference import apply_batched
    >>> apply_batched(lambda rows: rows.sum(axis=1), np.ones((5, 3)), row_bytes=8).tolist()
    [3.0, 3.0, 3.0, 3.0, 3.0]
    """
    n_samples = X.shape[0]
    chunk = chunk_rows(n_samples, row_bytes)
    if chunk >= n_samples:
        out = fn(X)
        if check_finite:
            _finite(out)
        return out if dtype is None else out.astype(dtype, copy=False)
    batches = list(gen_batches(n_samples, chunk))
    head = fn(X[batches[0]])
    if check_finite:
        _finite(head)
    out = np.empty((n_samples, *head.shape[1:]), dtype=head.dtype if dtype is None else dtype)
    out[batches[0]] = head
    # Wide results (rows as wide as the input's: reconstruct, decode) cost about as much
    # to check and first-write as the forward pass itself: those overlap in a worker
    # thread. Narrow ones (scores, codes) would only pay the thread's hand-offs.
    wide = head[:1].size >= X[:1].size
    del head
    rest = batches[1:]
    if wide and len(rest) >= PIPELINE_MIN_CHUNKS:
        _pipelined(fn, X, rest, check_finite, out)
    else:
        for rows in rest:
            _write(out, rows, fn(X[rows]), check_finite)
    return out


def _write(out: np.ndarray, rows: slice, result: np.ndarray, check_finite: bool) -> None:
    if check_finite:
        _finite(result)
    out[rows] = result


def _pipelined(fn, X: np.ndarray, batches: list, check_finite: bool, out: np.ndarray) -> None:
    """``fn`` on each batch of rows in one worker thread, ahead of the caller's thread,
    which checks and writes the finished chunks' results into ``out``.

    The forward pass (TensorFlow's kernels, numpy's BLAS) releases the GIL, so computing
    the next chunks overlaps checking and first-writing this one (for ``reconstruct`` on
    float64 input, a large share of the time: the output has twice the bytes of the
    network's float32 rows). The worker has one chunk queued while it computes another,
    so that it never waits for the caller's thread to wake up; at most
    :data:`PIPELINE_DEPTH` + 1 chunk results exist at once. The worker is joined before
    returning, whatever happens.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="skae-forward") as worker:
        pending = deque(worker.submit(fn, X[rows]) for rows in batches[:PIPELINE_DEPTH])
        try:
            for i, rows in enumerate(batches):
                result = pending.popleft().result()
                if i + PIPELINE_DEPTH < len(batches):
                    pending.append(worker.submit(fn, X[batches[i + PIPELINE_DEPTH]]))
                _write(out, rows, result, check_finite)
                del result
        finally:
            for future in pending:
                future.cancel()
