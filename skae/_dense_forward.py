"""Forward passes for networks that are a plain chain of dense layers.

The built-in ``dense`` architecture (and many user networks) is a chain of ``Dense``,
activation, dropout-like and ``BatchNormalization`` layers. At inference such a chain is a
few ``h = act(h @ W + b)`` steps. :class:`DenseChain` evaluates them from a snapshot of the
weights with two evaluators:

- **numpy** for small chunks (single rows above all): microseconds, no TensorFlow dispatch,
  in the input's precision. Float64 input gives float64 results, which do not depend
  (beyond float64 rounding, ~1e-16) on which other rows share the call, unlike the float32
  network, whose GEMM blocking changes results by ~1e-7 with the batch; scikit-learn's
  subset-invariance checks run here.
- a **TensorFlow graph** of the same steps (:attr:`DenseChain.graph_net`), which
  :class:`skae._inference.ForwardPasses` traces with the input scaling and the error
  around it for large chunks, in the network's own precision (float32 unless the network
  is float64), as ``Model.predict`` computes: float64 costs 2.5-4x float32's time per op
  on CPU. On a shared machine, OpenBLAS's threads stall badly once the GEMMs are big
  enough to be split, while TensorFlow's thread pool does not.

:func:`dense_chain` reads the weights of a fitted model into such a chain, or returns None
when any layer is not one it reproduces exactly as Keras defines it; the caller then keeps
the float32 Keras graph. The chain is a snapshot: it must be rebuilt when the weights change.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from keras.src.models.functional import Functional
from scipy import special

__all__ = ["NUMPY_MAX_MACS", "DenseChain", "dense_chain"]

#: A chunk runs in numpy while its largest GEMM has at most this many multiply-adds
#: (``rows x fan_in x fan_out``; 104 rows of a 100-100 layer), else in the TensorFlow graph.
#: Around 2**18 OpenBLAS starts splitting a GEMM across threads, which stalls for
#: milliseconds when the cores are busy; the graph costs ~0.5 ms per call whatever the size.
NUMPY_MAX_MACS = 2**20

Elementwise = Callable[[np.ndarray], np.ndarray]

# ---------------------------------------------------------------------- activations
# Each function may work in place on its argument (an array the chain owns) and keeps its
# dtype (float32 or float64). They follow keras/src/activations and the TensorFlow backend.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)  # Python floats keep float32 arrays float32 (NEP 50)


def _linear(h):
    return h


def _relu(h):
    return np.maximum(h, 0, out=h)


def _relu6(h):
    return np.clip(h, 0, 6, out=h)


def _leaky(slope: float) -> Elementwise:
    # TensorFlow's LeakyRelu takes its slope as a float32 attribute, in float64 too
    slope = float(np.float32(slope))

    def leaky_relu(h):
        return np.multiply(h, slope, out=h, where=h < 0)

    return leaky_relu


def _elu_with(alpha: float) -> Elementwise:
    def elu(h):
        neg = h < 0
        np.expm1(h, out=h, where=neg)
        if alpha != 1:
            np.multiply(h, alpha, out=h, where=neg)
        return h

    return elu


def _selu(h):
    neg = h < 0
    np.expm1(h, out=h, where=neg)
    np.multiply(h, _SELU_ALPHA, out=h, where=neg)
    return np.multiply(h, _SELU_SCALE, out=h)


def _celu(h):  # alpha = 1
    return np.maximum(h, 0) + np.expm1(np.minimum(h, 0, out=h), out=h)


def _softplus(h):
    return np.logaddexp(0, h, out=h)


def _softsign(h):
    return np.divide(h, 1 + np.abs(h), out=h)


def _silu(h):
    return np.multiply(h, special.expit(h), out=h)


def _gelu(h):  # keras.activations.gelu: approximate=False
    return np.multiply(h, 0.5 * (1 + special.erf(h * _SQRT_HALF)), out=h)


def _gelu_graph(h):
    # tf.nn.gelu rounds its 1/sqrt(2) to float32 even for float64 input (error ~5e-9);
    # this is the same formula with the constant in the input's precision, as numpy has it
    return 0.5 * h * (1 + tf.math.erf(h * tf.constant(_SQRT_HALF, h.dtype)))


def _tanh(h):
    return np.tanh(h, out=h)


def _sigmoid(h):
    return special.expit(h, out=h)


def _hard_sigmoid(h):
    h += 3
    np.clip(h, 0, 6, out=h)
    return np.divide(h, 6, out=h)


def _hard_silu(h):
    return np.multiply(h, _hard_sigmoid(h.copy()), out=h)


def _exponential(h):
    return np.exp(h, out=h)


def _mish(h):
    return np.multiply(h, np.tanh(np.logaddexp(0, h)), out=h)


def _softmax(h):
    h -= h.max(axis=-1, keepdims=True)
    np.exp(h, out=h)
    return np.divide(h, h.sum(axis=-1, keepdims=True), out=h)


def _log_softmax(h):
    h -= h.max(axis=-1, keepdims=True)
    return np.subtract(h, np.log(np.exp(h).sum(axis=-1, keepdims=True)), out=h)


def _log_sigmoid(h):
    np.negative(h, out=h)
    np.logaddexp(0, h, out=h)
    return np.negative(h, out=h)


def _hard_tanh(h):
    return np.clip(h, -1, 1, out=h)


def _tanh_shrink(h):
    return np.subtract(h, np.tanh(h), out=h)


_ACTIVATIONS: dict[Callable, Elementwise] = {
    keras.activations.linear: _linear,
    keras.activations.relu: _relu,
    keras.activations.relu6: _relu6,
    keras.activations.leaky_relu: _leaky(0.2),
    keras.activations.elu: _elu_with(1.0),
    keras.activations.selu: _selu,
    keras.activations.celu: _celu,
    keras.activations.softplus: _softplus,
    keras.activations.softsign: _softsign,
    keras.activations.silu: _silu,
    keras.activations.gelu: _gelu,
    keras.activations.tanh: _tanh,
    keras.activations.sigmoid: _sigmoid,
    keras.activations.hard_sigmoid: _hard_sigmoid,
    keras.activations.hard_silu: _hard_silu,
    keras.activations.exponential: _exponential,
    keras.activations.mish: _mish,
    keras.activations.softmax: _softmax,
    keras.activations.log_softmax: _log_softmax,
    keras.activations.log_sigmoid: _log_sigmoid,
    keras.activations.hard_tanh: _hard_tanh,
    keras.activations.tanh_shrink: _tanh_shrink,
}


def _relu_layer(layer: layers.ReLU) -> Elementwise:
    """keras.layers.ReLU, as ``keras.activations.relu`` computes it."""
    slope = float(layer.negative_slope)
    threshold = float(layer.threshold)
    max_value = None if layer.max_value is None else float(layer.max_value)
    if max_value is None and threshold == 0:
        return _relu if slope == 0 else _leaky(slope)

    def relu(h):
        negative = np.maximum(threshold - h, 0) if slope else None
        h = np.where(h > threshold, h, 0).astype(h.dtype, copy=False)
        if max_value is not None:
            np.clip(h, 0, max_value, out=h)
        if negative is not None:
            h -= slope * negative
        return h

    return relu


# ---------------------------------------------------------------------- steps
class _Affine:
    """``h @ W + b`` (or ``h * W + b`` for a diagonal W) with weights in both precisions."""

    __slots__ = ("weights", "bias", "diagonal")

    def __init__(self, weights: np.ndarray, bias: np.ndarray | None, *, diagonal=False):
        self.weights = _both_precisions(weights)
        self.bias = None if bias is None else _both_precisions(bias)
        self.diagonal = diagonal

    def __call__(self, h: np.ndarray, owned: bool) -> np.ndarray:
        key = h.dtype == np.float32
        if self.diagonal:
            h = np.multiply(h, self.weights[key], out=h if owned else None)
        else:
            h = h @ self.weights[key]
        if self.bias is not None:
            h += self.bias[key]
        return h

    def graph(self, h: tf.Tensor) -> tf.Tensor:
        key = h.dtype == tf.float32
        w = tf.constant(self.weights[key])
        h = h * w if self.diagonal else tf.matmul(h, w)
        return h if self.bias is None else h + tf.constant(self.bias[key])

    @property
    def width(self) -> int:
        return int(self.weights[0].shape[-1])

    @property
    def macs(self) -> int:
        """Multiply-adds per row."""
        return int(self.weights[0].size)


class _Map:
    """An elementwise (or row-wise, for softmax) function: numpy in place, or Keras's own."""

    __slots__ = ("fn", "keras_fn")

    width = 0
    macs = 0

    def __init__(self, fn: Elementwise, keras_fn: Callable):
        self.fn = fn
        self.keras_fn = keras_fn

    def __call__(self, h: np.ndarray, owned: bool) -> np.ndarray:
        return self.fn(h if owned else h.copy())

    def graph(self, h: tf.Tensor) -> tf.Tensor:
        return self.keras_fn(h)


#: Graph versions that differ from Keras's own activation (which the graph uses otherwise).
_GRAPH_ACTIVATIONS: dict[Callable, Callable] = {keras.activations.gelu: _gelu_graph}


def _map(activation: Callable) -> _Map | None:
    """The step of a ``keras.activations`` function, or None if it is not supported."""
    fn = _ACTIVATIONS.get(activation)
    if fn is None:
        return None
    return _Map(fn, _GRAPH_ACTIVATIONS.get(activation, activation))


def _both_precisions(a) -> tuple[np.ndarray, np.ndarray]:
    """``(float64, float32)`` read-only copies of a weight, indexed by ``is float32``."""
    a64 = np.array(a, dtype=np.float64)
    a32 = a64.astype(np.float32)
    a64.flags.writeable = False
    a32.flags.writeable = False
    return a64, a32


class DenseChain:
    """A fitted dense network as steps, evaluated in numpy or traced into a TensorFlow graph.

    :meth:`numpy_call` maps a float64 (float32) array of shape ``(n, n_in)`` to a new
    float64 (float32) array of shape ``(n, n_out)``; the input is never modified.
    :attr:`graph_net` is the same steps as a function of TensorFlow tensors, which
    :class:`skae._inference.ForwardPasses` traces (with the scaling and the error around
    it) for large chunks, in :attr:`bulk_dtype`. Which of the two runs a chunk is the
    forward passes' choice (:attr:`numpy_max_rows`). The chain holds only read-only arrays,
    so any number of threads may use it at once.
    """

    engine = "dense"

    def __init__(self, steps, n_in: int, n_out: int, bulk_dtype=np.float32):
        self._steps = tuple(steps)
        self.n_in = n_in
        self.n_out = n_out
        #: Precision of the graph for large chunks: the network's own (float32 unless it
        #: was built in float64), as ``Model.predict`` computes.
        self.bulk_dtype = np.dtype(bulk_dtype)
        #: Widest intermediate result: bounds the temporary memory of one row.
        self.max_width = max([n_in, n_out, *(s.width for s in self._steps)])
        #: Rows a chunk may have and still run in numpy.
        self.numpy_max_rows = NUMPY_MAX_MACS // max([1, *(s.macs for s in self._steps)])
        #: The steps as a function of TensorFlow tensors (in the tensor's precision).
        self.graph_net = _ChainGraph(self._steps)

    def numpy_call(self, X: np.ndarray) -> np.ndarray:
        """Evaluate in numpy, in X's precision (float32, else float64)."""
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        h = X.astype(dtype, copy=False)
        owned = h is not X
        for step in self._steps:
            h = step(h, owned)
            owned = True
        return h if owned else h.copy()

    def graph_call(self, X: np.ndarray) -> np.ndarray:
        """Evaluate the graph steps eagerly, in X's precision (to check them against numpy)."""
        dtype = tf.float32 if X.dtype == np.float32 else tf.float64
        return self.graph_net(tf.convert_to_tensor(X, dtype=dtype)).numpy()


class _LinearPlusResidual:
    """``linear(h) + residual(h)``: the PCA floor's linear path beside a chain of steps
    (an ``Add`` layer named ``*_plus_residual``, skae/_architectures/_layers.py)."""

    __slots__ = ("linear", "residual")

    def __init__(self, linear: _Affine, residual: list):
        self.linear = linear
        self.residual = residual

    def __call__(self, h: np.ndarray, owned: bool) -> np.ndarray:
        out = self.linear(h, False)
        for step in self.residual:
            h = step(h, owned)
            owned = True
        out += h
        return out

    def graph(self, h: tf.Tensor) -> tf.Tensor:
        out = self.linear.graph(h)
        for step in self.residual:
            h = step.graph(h)
        return out + h

    @property
    def width(self) -> int:
        return max([self.linear.width, *(s.width for s in self.residual)])

    @property
    def macs(self) -> int:
        return max([self.linear.macs, *(s.macs for s in self.residual)])


class _ChainGraph:
    """The steps as one graph function.

    A callable object rather than a closure: TensorFlow counts traces per code object, so
    one closure per fitted network would look like one function retraced again and again
    (and warn about it); an object is its own key.
    """

    def __init__(self, steps):
        self._steps = steps

    def __call__(self, x):
        for step in self._steps:
            x = step.graph(x)
        return x


# ---------------------------------------------------------------------- reading a model
_IDENTITY_AT_INFERENCE = (
    layers.Dropout,
    layers.GaussianNoise,
    layers.GaussianDropout,
    layers.AlphaDropout,
    layers.ActivityRegularization,
    layers.Identity,
)


def _numpy(variable) -> np.ndarray:
    # the backend tensor's own .numpy(): keras.ops.convert_to_numpy goes through
    # np.array(tensor), which NumPy 2 answers with a DeprecationWarning per weight
    value = getattr(variable, "value", variable)
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(keras.ops.convert_to_numpy(variable))


def _float_layer(layer) -> bool:
    """Computes in float32/float64, and so do the weights it has (seed states aside)."""
    return str(layer.compute_dtype) in ("float32", "float64") and all(
        str(v.dtype) in ("float32", "float64") for v in layer.trainable_weights
    )


def _layer_steps(layer, input_rank: int) -> list | None:
    """The numpy steps of one layer, or None if it is not reproduced exactly."""
    kind = type(layer)
    if kind is keras.Sequential or kind is Functional:
        chain = dense_chain(layer)
        return None if chain is None else list(chain._steps)
    if input_rank != 2 or not _float_layer(layer):
        return None
    if kind is layers.Dense:
        if getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None):
            return None
        act = _map(layer.activation)
        if act is None:
            return None
        bias = None if layer.bias is None else _numpy(layer.bias)
        steps = [_Affine(_numpy(layer.kernel), bias)]
        return steps if act.fn is _linear else [*steps, act]
    if kind is layers.Activation:
        act = _map(layer.activation)
        return None if act is None else [act]
    if kind is layers.ReLU:
        keras_relu = functools.partial(
            keras.activations.relu, negative_slope=float(layer.negative_slope),
            max_value=layer.max_value, threshold=float(layer.threshold),
        )
        return [_Map(_relu_layer(layer), keras_relu)]
    if kind is layers.LeakyReLU:
        slope = float(layer.negative_slope)
        keras_leaky = functools.partial(keras.activations.leaky_relu, negative_slope=slope)
        return [_Map(_leaky(slope), keras_leaky)]
    if kind is layers.ELU:
        alpha = float(layer.alpha)
        return [_Map(_elu_with(alpha), functools.partial(keras.activations.elu, alpha=alpha))]
    if kind is layers.BatchNormalization:
        if layer.axis not in (-1, 1):
            return None
        mean = _numpy(layer.moving_mean).astype(np.float64)
        scale = 1.0 / np.sqrt(_numpy(layer.moving_variance).astype(np.float64) + layer.epsilon)
        if layer.scale:
            scale = scale * _numpy(layer.gamma)
        shift = -mean * scale
        if layer.center:
            shift = shift + _numpy(layer.beta)
        return [_Affine(scale, shift, diagonal=True)]
    if kind in _IDENTITY_AT_INFERENCE:
        return []
    return None


def _plain_call(node) -> bool:
    """One tensor in, one out, and no ``training=True`` or other extra argument."""
    args = node.arguments
    return (
        len(node.input_tensors) == 1
        and len(node.output_tensors) == 1
        and len(args.args) == 1
        and all(
            value is None or (key == "training" and value is False)
            for key, value in args.kwargs.items()
        )
    )


def _node(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None, None
    return history.operation, history.operation._inbound_nodes[history.node_index]


def _linear_plus_residual(layer, node):
    """``(step, source)`` of a floor ``Add`` (linear Dense of source + chain from source)."""
    if type(layer) is not layers.Add or not layer.name.endswith("_plus_residual"):
        return None, None
    if len(node.input_tensors) != 2 or node.arguments.kwargs:
        return None, None
    dense, dense_node = _node(node.input_tensors[0])
    if type(dense) is not layers.Dense or not _plain_call(dense_node):
        return None, None
    linear = _layer_steps(dense, 2)
    source = dense_node.input_tensors[0]
    residual = _path_steps(node.input_tensors[1], source)
    if linear is None or len(linear) != 1 or residual is None:
        return None, None
    return _LinearPlusResidual(linear[0], residual), source


def _path_steps(tensor, start) -> list | None:
    """The steps from tensor ``start`` to ``tensor`` along a single path, or None."""
    groups = []
    while tensor is not start:
        layer, node = _node(tensor)
        if layer is None:
            return None
        step, source = _linear_plus_residual(layer, node)
        if step is not None:
            groups.append([step])
            tensor = source
            continue
        if not _plain_call(node):
            return None
        steps = _layer_steps(layer, len(node.input_tensors[0].shape))
        if steps is None:
            return None
        groups.append(steps)
        tensor = node.input_tensors[0]
    return [step for group in reversed(groups) for step in group]


def dense_chain(model: keras.Model) -> DenseChain | None:
    """Read ``model`` into a :class:`DenseChain`, or None if it is not a supported chain.

    Supported: ``Functional`` and ``Sequential`` models (nested ones too) whose graph is a
    single path from one 2-D input to one output through ``Dense``, ``Activation``,
    ``ReLU``, ``LeakyReLU``, ``ELU``, ``BatchNormalization`` and layers that are the
    identity at inference (``Dropout``, ``GaussianNoise``, ...), in float32 or float64, with
    activations from :mod:`keras.activations` (by identity: custom callables, subclassed
    layers and LoRA or quantised ``Dense`` layers are not supported).

    Examples
    --------
    >>> import numpy as np
    >>> from skae._architectures import build_dense_autoencoder
    >>> from skae._dense_forward import dense_chain
    >>> ae = build_dense_autoencoder(5, hidden_layer_sizes=(4,), n_components=2)
    >>> chain = dense_chain(ae)
    >>> X = np.random.default_rng(0).normal(size=(3, 5))
    >>> bool(np.allclose(chain.numpy_call(X), ae.predict_on_batch(X), atol=1e-5))
    True
    """
    if type(model) is keras.Sequential:
        model = getattr(model, "_functional", None)
    if type(model) is not Functional:
        return None
    inputs, outputs = model.inputs, model.outputs
    if not isinstance(inputs, list) or len(inputs) != 1 or len(outputs) != 1:
        return None
    if len(inputs[0].shape) != 2 or len(outputs[0].shape) != 2:
        return None
    steps = _path_steps(outputs[0], inputs[0])
    if steps is None:
        return None
    bulk_dtype = np.float64 if str(outputs[0].dtype) == "float64" else np.float32
    return DenseChain(
        steps, int(inputs[0].shape[-1]), int(outputs[0].shape[-1]), bulk_dtype=bulk_dtype
    )
