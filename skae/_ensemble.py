"""A feature-bagged ensemble of small dense autoencoders, built as ONE Keras network.

``k`` members, each seeing its own random subset of the columns, sit side by side in the
layers of one dense autoencoder: every ``Dense`` kernel is block-masked so that member
``m``'s units connect only to member ``m``'s units (and, in the first and last layer, only
to member ``m``'s columns). The reconstruction of a column is the sum of the
contributions of the members that see it. The masks are kept through training by a
kernel constraint, :class:`MemberMask`; the network is an ordinary chain of ``Dense``
layers, so training is one ``fit``, inference one forward pass, and everything that works
for a plain dense autoencoder (the fast inference engine, the ``memory`` cache, saving
and loading) works for the ensemble unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

__all__ = ["MemberMask", "build_bagged_autoencoder", "feature_subsets"]


def feature_subsets(n_features: int, n_members: int, max_features: float,
                    seed: int) -> list[list[int]]:
    """Random column subsets, one per member, that together cover every column.

    Member ``m`` sees a random number of columns between ``ceil(max_features *
    n_features)`` and ``n_features`` (uniform), drawn without replacement. With
    ``max_features=1.0`` (or one member) every member sees every column. A column that no
    member drew is given to one member at random.

    Parameters
    ----------
    n_features : int
        Number of columns.
    n_members : int
        Number of members.
    max_features : float in (0, 1]
        Smallest fraction of the columns a member sees.
    seed : int
        Seed of the draw.

    Returns
    -------
    subsets : list of list of int
        Sorted column indices of each member.

    Examples
    --------
    >>> from skae._ensemble import feature_subsets
    >>> subsets = feature_subsets(6, 3, 0.5, seed=0)
    >>> sorted(set().union(*subsets)) == list(range(6))
    True
    >>> feature_subsets(3, 2, 1.0, seed=0)
    [[0, 1, 2], [0, 1, 2]]
    """
    rng = np.random.default_rng(seed)
    low = min(n_features, max(1, math.ceil(max_features * n_features)))
    subsets = []
    for _ in range(n_members):
        if low >= n_features or n_members == 1:
            subsets.append(set(range(n_features)))
            continue
        size = int(rng.integers(low, n_features + 1))
        subsets.append(set(rng.choice(n_features, size=size, replace=False).tolist()))
    covered = set().union(*subsets)
    for column in range(n_features):
        if column not in covered:
            subsets[int(rng.integers(n_members))].add(column)
    return [sorted(int(c) for c in s) for s in subsets]


def _membership(spec, n_units: int, n_members: int) -> np.ndarray:
    """``(n_units, n_members)`` 0/1 matrix: which members a unit belongs to."""
    member = np.zeros((n_units, n_members), dtype=np.float32)
    if isinstance(spec, int):  # consecutive blocks of `spec` units, one per member
        member[np.arange(n_units), np.arange(n_units) // spec] = 1.0
    else:  # one list of unit indices per member
        for m, units in enumerate(spec):
            member[list(units), m] = 1.0
    return member


@keras.saving.register_keras_serializable(package="skae")
class MemberMask(keras.constraints.Constraint):
    """Keep a ``Dense`` kernel zero between units of different ensemble members.

    Parameters
    ----------
    rows, cols : int or list of list of int
        Membership of the kernel's input units (rows) and output units (columns): an int
        ``w`` means consecutive blocks of ``w`` units, one block per member; a list holds
        each member's unit indices (columns of the data, which several members share).
    n_members : int
        Number of members.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._ensemble import MemberMask
    >>> mask = MemberMask(rows=[[0, 1], [1, 2]], cols=2, n_members=2)
    >>> np.asarray(mask(np.ones((3, 4), dtype="float32"))).astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 1, 1]]
    """

    def __init__(self, rows, cols, n_members: int):
        self.rows, self.cols, self.n_members = rows, cols, int(n_members)
        self._mask = None

    def mask(self, shape) -> np.ndarray:
        """The 0/1 mask of a kernel of ``shape``."""
        if self._mask is None or self._mask.shape != tuple(shape):
            rows = _membership(self.rows, int(shape[0]), self.n_members)
            cols = _membership(self.cols, int(shape[1]), self.n_members)
            self._mask = (rows @ cols.T > 0).astype(np.float32)
        return self._mask

    def __call__(self, w):
        return w * keras.ops.cast(self.mask(w.shape), w.dtype)

    def get_config(self) -> dict:
        return {"rows": self.rows, "cols": self.cols, "n_members": self.n_members}


def _masked_dense(x, units, *, rows, cols, n_members, activation, name):
    return layers.Dense(
        units, activation=activation, kernel_constraint=MemberMask(rows, cols, n_members),
        kernel_initializer="zeros",  # _init_members draws the weights; Keras's default
        name=name,                   # initializer would draw a seed from Python's `random`
    )(x)


def build_bagged_autoencoder(
    n_features: int,
    subsets: Sequence[Sequence[int]],
    *,
    hidden_layer_sizes: Sequence[int],
    n_components: int,
    activation: str = "tanh",
    code_activation: str = "tanh",
    output_activation: str = "linear",
    dropout: float = 0.0,
    seed: int = 0,
) -> keras.Model:
    """Build the ensemble of ``len(subsets)`` members as one dense autoencoder.

    Each member has the hidden widths ``hidden_layer_sizes`` and a code of
    ``n_components`` units; the network's layers hold the members side by side (widths
    times the number of members), with block-masked kernels. Initial weights are drawn
    per member (Glorot uniform over the member's own fan-in and fan-out).

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    subsets : sequence of sequence of int
        Columns each member sees, e.g. from :func:`feature_subsets`.
    hidden_layer_sizes : sequence of int
        Hidden widths of one member's encoder; its decoder mirrors them.
    n_components : int
        Code width of one member; the network's code is the members' codes side by side.
    activation, code_activation, output_activation : str
        Activations of the hidden layers, the code layer and the reconstruction.
    dropout : float, default=0.0
        Dropout rate after each hidden layer (training only).
    seed : int, default=0
        Seed of the initial weights and dropout.

    Returns
    -------
    autoencoder : keras.Model
        Model named ``"autoencoder"`` chaining sub-models ``"encoder"`` and ``"decoder"``.

    Examples
    --------
    >>> from skae._ensemble import build_bagged_autoencoder
    >>> ae = build_bagged_autoencoder(5, [[0, 1, 2], [2, 3, 4]], hidden_layer_sizes=(4,),
    ...                               n_components=2)
    >>> ae.get_layer("encoder").output_shape, ae.get_layer("decoder").output_shape
    ((None, 4), (None, 5))
    """
    k = len(subsets)
    subsets = [[int(c) for c in s] for s in subsets]
    widths = [*hidden_layer_sizes, n_components, *reversed(hidden_layer_sizes)]
    acts = [activation] * len(hidden_layer_sizes) + [code_activation]
    inputs = keras.Input((n_features,), name="encoder_input")
    x, rows = inputs, subsets
    for i, (width, act) in enumerate(zip(widths[:len(acts)], acts, strict=True)):
        name = "code" if i == len(acts) - 1 else f"encoder_dense_{i}"
        x = _masked_dense(x, k * width, rows=rows, cols=width, n_members=k, activation=act,
                          name=name)
        if dropout and i < len(acts) - 1:
            x = layers.Dropout(dropout, seed=seed + i, name=f"encoder_dropout_{i}")(x)
        rows = width
    encoder = keras.Model(inputs, x, name="encoder")
    code = keras.Input((k * n_components,), name="decoder_input")
    y = code
    for i, width in enumerate(widths[len(acts):]):
        y = _masked_dense(y, k * width, rows=rows, cols=width, n_members=k,
                          activation=activation, name=f"decoder_dense_{i}")
        if dropout:
            y = layers.Dropout(dropout, seed=seed + 100 + i, name=f"decoder_dropout_{i}")(y)
        rows = width
    y = _masked_dense(y, n_features, rows=rows, cols=subsets, n_members=k,
                      activation=output_activation, name="reconstruction")
    decoder = keras.Model(code, y, name="decoder")
    inputs = keras.Input((n_features,), name="autoencoder_input")
    network = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    _init_members(network, k, np.random.default_rng(seed))
    return network


def _init_members(network: keras.Model, k: int, rng: np.random.Generator) -> None:
    """Glorot-uniform weights over each member's own fan-in and fan-out, zero elsewhere."""
    for part in ("encoder", "decoder"):
        for layer in network.get_layer(part).layers:
            constraint = getattr(layer, "kernel_constraint", None)
            if not isinstance(constraint, MemberMask):
                continue
            mask = constraint.mask(layer.kernel.shape)
            fan_in = max(1.0, float(mask.sum(axis=0).max()))
            fan_out = max(1.0, float(mask.sum(axis=1).max()))
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            kernel = rng.uniform(-limit, limit, size=mask.shape).astype(np.float32) * mask
            layer.kernel.assign(kernel)
