"""Training loop: seeded splitting, shuffling and corruption, early stopping, divergence.

Everything random here is drawn from generators seeded by the estimator (numpy
``default_rng``, ``tf.data`` shuffle seeds, ``tf.random.Generator``), so a fixed
``random_state`` gives the same network without touching any global random state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from ._progress import keras_verbose

__all__ = [
    "TrainingDiverged", "auto_batch_size", "auto_epochs", "train_network", "validation_split",
]

Corruption = Callable[[tf.Tensor, tf.random.Generator], tf.Tensor]


#: Trainings of at most this many gradient steps run eagerly: tracing the training graph
#: costs more than it saves on so few steps. Measured on a 2-core CPU for a small dense
#: autoencoder (200 x 6 rows, batch 32): eager steps cost about 16 ms, compiled ones 3.6 ms
#: after about 0.3 s more of tracing, so compiling pays from about 23 steps. An estimator
#: whose network runs many more operations per step sets its own limit
#: (``_eager_max_steps``).
EAGER_MAX_STEPS = 24


class TrainingDiverged(ValueError):
    """The training loss became NaN or infinite."""


def check_finite_loss(stop_on_nan: _StopOnNonFinite) -> None:
    """Raise the one divergence error of every fit if the loss stopped being finite."""
    if stop_on_nan.epoch is not None:
        raise TrainingDiverged(
            f"Training diverged: the loss became NaN or infinite in epoch {stop_on_nan.epoch + 1}. "
            "Lower `learning_rate`, scale the input (e.g. StandardScaler) or use a bounded "
            "`output_activation`; the estimator was left as it was before this fit."
        )


def auto_batch_size(n_samples: int, divisor: int, low: int, high: int) -> int:
    """``batch_size="auto"``: ``clip(n_samples // divisor, low, high)``, at most ``n_samples``.

    The one rule for every estimator; each declares its ``(divisor, low, high)``
    (``_auto_batch``): ``(1, 1, 128)`` gives ``min(128, n_samples)``, the detector's
    ``(8, 16, 256)`` gives ``min(256, max(16, n_samples // 8))``.

    Examples
    --------
    >>> auto_batch_size(1000, 1, 1, 128), auto_batch_size(1000, 8, 16, 256)
    (128, 125)
    """
    return max(1, min(n_samples, high, max(low, n_samples // divisor)))


def auto_epochs(n_samples: int, batch_size: int, steps: int) -> int:
    """``epochs="auto"``: about ``steps`` gradient steps, ``clip(ceil(steps /
    steps_per_epoch), 5, 500)`` epochs.

    Examples
    --------
    >>> auto_epochs(1000, 125, 150)
    19
    """
    steps_per_epoch = math.ceil(n_samples / max(1, min(batch_size, n_samples)))
    return int(min(500, max(5, math.ceil(steps / steps_per_epoch))))


def validation_split(n_samples: int, fraction: float, rng: np.random.Generator):
    """Indices of the training and validation parts (no validation part if too small)."""
    order = rng.permutation(n_samples)
    n_val = int(round(n_samples * fraction))
    if fraction <= 0 or n_val < 1 or n_samples - n_val < 1:
        return order, None
    return order[n_val:], order[:n_val]


class _StopOnNonFinite(keras.callbacks.Callback):
    """Stop at the first batch whose loss is NaN or infinite, and remember it."""

    def __init__(self):
        super().__init__()
        self.epoch = None
        self._current = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.epoch = self._current
            self.model.stop_training = True


def _prepare_optimizer(model: keras.Model) -> None:
    """Build the optimizer's variables before training; skip the one-replica all-reduce.

    Without this, each fit of a new network leaves memory behind for good in TensorFlow's
    global state (measured in benchmarks/speed.py, section 4):

    - Keras creates the optimizer's variables while tracing the train step, which gives
      each a ``tf.cond`` initialiser whose functions stay in the eager context (32 per fit
      for a 4-layer network). Built eagerly first, they need none (and tracing is faster).
    - Keras all-reduces the gradients even without a distribution strategy; traced,
      ``all_reduce`` registers a ``tf.custom_gradient`` in TensorFlow's global gradient
      registry that keeps the whole traced train step alive (megabytes per fit). With the
      default strategy (one replica) that sum is the identity, so it is skipped.
    """
    optimizer = model.optimizer
    if optimizer is None:
        return
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    reduce_gradients = getattr(optimizer, "_all_reduce_sum_gradients", None)
    if reduce_gradients is None or "_all_reduce_sum_gradients" in vars(optimizer):
        return

    def all_reduce_sum_gradients(grads_and_vars):
        if tf.distribute.has_strategy():
            return reduce_gradients(grads_and_vars)
        return list(grads_and_vars)

    optimizer._all_reduce_sum_gradients = all_reduce_sum_gradients


def _dataset(X_in, X_target, *, batch_size, seed, shuffle, corrupt, generator, weights=None):
    rows = (X_in, X_target) if weights is None else (X_in, X_target, weights)
    ds = tf.data.Dataset.from_tensor_slices(rows)
    if shuffle:
        ds = ds.shuffle(len(X_in), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if corrupt is not None:
        ds = ds.map(lambda a, *rest: (corrupt(a, generator), *rest))
    return ds.prefetch(2)


def _validation_data(X_in, X_target, val_idx, corrupt, rng):
    """The held-out ``(inputs, targets)``, inputs corrupted once by a seeded generator."""
    if val_idx is None:
        return None
    val_in = X_in[val_idx]
    if corrupt is not None:
        val_gen = tf.random.Generator.from_seed(int(rng.integers(2**31 - 1)))
        val_in = corrupt(tf.constant(val_in), val_gen).numpy()
    return val_in, X_target[val_idx]


def train_network(
    model: keras.Model,
    X_in: np.ndarray,
    X_target: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    validation_fraction: float,
    early_stopping: bool,
    n_iter_no_change: int,
    seed: int,
    verbose: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    corrupt: Corruption | None = None,
    fit_kwargs: dict | None = None,
    sample_weight: np.ndarray | None = None,
    eager_max_steps: int | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` to map ``X_in`` to ``X_target``; return its history.

    With ``early_stopping``, a seeded ``validation_fraction`` of the rows is held out and the
    weights of the epoch with the lowest validation loss are restored. ``corrupt`` (denoising)
    is applied to every training batch, drawn afresh from a generator seeded by ``seed``;
    the validation inputs are corrupted once, by a second seeded generator.
    ``sample_weight`` weights each row's loss, in training and validation alike.
    A training of at most ``eager_max_steps`` steps (default :data:`EAGER_MAX_STEPS`) runs
    eagerly, a longer one traced.

    Raises
    ------
    TrainingDiverged
        If the loss becomes NaN or infinite; the caller must discard the network.
    """
    rng = np.random.default_rng(seed)
    train_idx, val_idx = validation_split(
        len(X_in), validation_fraction if early_stopping else 0.0, rng
    )
    bs = max(1, min(int(batch_size), len(train_idx)))
    shuffle_seed = int(rng.integers(2**31 - 1))
    generator = tf.random.Generator.from_seed(int(rng.integers(2**31 - 1)))
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
    train = _dataset(
        X_in[train_idx], X_target[train_idx], batch_size=bs, seed=shuffle_seed, shuffle=True,
        corrupt=corrupt, generator=generator,
        weights=None if weights is None else weights[train_idx],
    )
    if getattr(model, "train_function", None) is None and not model.run_eagerly:
        max_steps = epochs * -(-len(train_idx) // bs)
        limit = EAGER_MAX_STEPS if eager_max_steps is None else eager_max_steps
        model.run_eagerly = max_steps <= limit
    _prepare_optimizer(model)
    stop_on_nan = _StopOnNonFinite()
    all_callbacks = [stop_on_nan, *callbacks]
    validation = _validation_data(X_in, X_target, val_idx, corrupt, rng)
    if validation is not None and weights is not None:
        validation = (*validation, weights[val_idx])
    if early_stopping:
        all_callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss" if validation is not None else "loss",
                patience=n_iter_no_change,
                restore_best_weights=True,
            )
        )
    history = model.fit(
        train,
        validation_data=validation,
        validation_batch_size=max(bs, 1024) if validation is not None else None,
        epochs=epochs,
        shuffle=False,  # the dataset shuffles itself, seeded
        verbose=keras_verbose(verbose),  # plain lines, not a progress bar, into pipes and logs
        callbacks=all_callbacks,
        **(fit_kwargs or {}),
    )
    check_finite_loss(stop_on_nan)
    return {key: [float(v) for v in values] for key, values in history.history.items()}
