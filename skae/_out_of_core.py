"""Out-of-core training: ``fit`` / ``partial_fit`` on a Dask array or DataFrame.

The rows are never gathered in one process. Blocks are computed one at a time (the next
one while the network trains on the current one), so the memory held is a few blocks,
whatever the number of rows:

1. **One scan** validates every block, counts the rows and keeps a uniform random sample
   of at most :data:`SAMPLE_ROWS` rows (the rows with the smallest of a seeded random key
   each, a streaming "bottom-k" sample). The statistics an in-memory fit computes over
   all rows - the detector's medians and IQRs for ``scaling="robust"``, its per-feature
   error medians, the collapse check - come from this sample: exact when the data has
   at most :data:`SAMPLE_ROWS` rows, an unbiased estimate otherwise.
2. **The epochs** stream the blocks, in a seeded random order each epoch and with their
   rows shuffled, through a ``tf.data`` generator into ``keras.Model.fit``. Early
   stopping watches the training loss (no rows are held out).
3. **The detector's threshold** comes from the final network's anomaly scores over all
   rows (one float per row), computed block by block; the error scale, the isolation
   forest and its rank grids come from the sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import tensorflow as tf

from ._compat import route_params
from ._dask_import import import_dask, is_dask_collection
from ._distribute import strategy_scope
from ._progress import keras_verbose
from ._serialization import unchanged_on_failure
from ._training import (
    _prepare_optimizer,
    _StopOnNonFinite,
    auto_batch_size,
    auto_epochs,
    check_finite_loss,
)
from ._warnings import warn

__all__ = ["SAMPLE_ROWS", "RowBlocks", "fit_out_of_core"]

#: Most rows kept by the scan for the statistics an in-memory fit takes over all rows.
SAMPLE_ROWS = 100_000


class RowBlocks:
    """The row blocks of a Dask array or DataFrame, computed one at a time.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
    """

    def __init__(self, X):
        frame = hasattr(X, "partitions") and hasattr(X, "columns")
        import_dask(dataframe=frame)
        if frame:
            self._parts = [X.partitions[i] for i in range(X.npartitions)]
        else:
            if X.ndim != 2:
                raise ValueError(
                    f"Expected a 2D Dask array of rows, got {X.ndim} dimension(s); reshape "
                    "it to (n_samples, n_features)."
                )
            X = X.rechunk({1: -1}) if X.numblocks[1] > 1 else X
            self._parts = [X.blocks[i] for i in range(X.numblocks[0])]

    def __len__(self) -> int:
        return len(self._parts)

    def iterate(self, order) -> Iterator:
        """Yield the computed blocks in ``order``, computing the next one meanwhile.

        No reference to a yielded block is kept here, so the caller frees it by
        dropping its own.
        """
        order = list(order)
        if not order:
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._parts[order[0]].compute)
            for nxt in [*order[1:], None]:
                box = [pending.result()]
                pending = None if nxt is None else pool.submit(self._parts[nxt].compute)
                yield box.pop()


class _Scan:
    """What one pass over the blocks learns: row count, extremes, a uniform sample."""

    def __init__(self, rng: np.random.Generator, size: int = SAMPLE_ROWS):
        self.rng, self.size = rng, size
        self.n_rows, self.low, self.high = 0, np.inf, -np.inf
        self.block_rows: list[int] = []
        self.sample, self._keys = None, np.empty(0)

    def add(self, rows: np.ndarray) -> None:
        self.n_rows += len(rows)
        self.low = min(self.low, float(rows.min()))
        self.high = max(self.high, float(rows.max()))
        keys = self.rng.random(len(rows))
        if len(keys) > self.size:  # only a block's own bottom-k can enter the sample
            keep = np.argpartition(keys, self.size - 1)[: self.size]
            keys, rows = keys[keep], rows[keep]
        keys = np.concatenate([self._keys, keys])
        rows = np.asarray(rows, dtype=np.float64)
        pool = rows if self.sample is None else np.concatenate([self.sample, rows])
        if len(keys) > self.size:
            keep = np.argpartition(keys, self.size - 1)[: self.size]
            keys, pool = keys[keep], pool[keep]
        self._keys, self.sample = keys, pool


def _scan(estimator, blocks: RowBlocks, rng, *, reset: bool) -> _Scan:
    scan = _Scan(rng)
    for block in blocks.iterate(range(len(blocks))):
        scan.block_rows.append(len(block))
        if len(block):  # Dask may hold empty blocks; validation refuses them
            scan.add(estimator._check_input(block, reset=reset and scan.n_rows == 0))
    if scan.n_rows == 0:
        raise ValueError("The Dask collection holds no rows; nothing to train on.")
    return scan


def _network_space(estimator):
    """The fitted input scaling as a function of rows (the identity without one)."""
    scaling = estimator._pass_options().get("scaling")
    return (lambda rows: rows) if scaling is None else scaling.transform


def _batches(estimator, blocks: RowBlocks, batch_size: int, rng, weights=None):
    """A generator function: each call streams one epoch of shuffled, scaled batches
    (with their rows' weights when ``weights`` holds one array per block)."""
    to_network = _network_space(estimator)

    def epoch():
        order = rng.permutation(len(blocks))
        for index, block in zip(order, blocks.iterate(order), strict=True):
            # validated by the scan; the network trains in float32 whatever the input
            rows = np.asarray(block, dtype=np.float32)
            del block
            shuffle = rng.permutation(len(rows))
            rows = to_network(rows[shuffle])
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                if weights is None:
                    yield batch, batch
                else:
                    yield batch, batch, weights[index][shuffle[start:start + batch_size]].astype(
                        np.float32)

    return epoch


def _block_weights(estimator, sample_weight, scan) -> list | None:
    """The rows' weights split as the blocks are, or None for no (or equal) weights."""
    if sample_weight is None:
        return None
    if is_dask_collection(sample_weight):
        sample_weight = sample_weight.compute()  # one float per row, as the threshold's errors
    weights = estimator._check_weights(np.asarray(sample_weight), np.empty((scan.n_rows, 0)))
    if weights is None:
        return None
    ends = np.cumsum(scan.block_rows)
    return [weights[end - rows:end] for end, rows in
            zip(ends, scan.block_rows, strict=True)]


def _check_labels(estimator, y) -> None:
    """Out-of-core fits ignore label vectors, as in memory; they cannot select rows by them."""
    if y is None:
        return
    if getattr(estimator, "normal_label", None) is not None:
        raise ValueError(
            "normal_label selects training rows by label, which an out-of-core fit of a Dask "
            "collection cannot do; select the normal rows first, e.g. X[y == normal_label]."
        )
    if getattr(y, "ndim", 1) == 2 and type(estimator).__name__ == "DenoisingAutoencoder":
        raise ValueError(
            "An out-of-core fit of a Dask collection corrupts the clean rows of X itself; it "
            "takes no (noisy, clean) pairs. Fit on the clean rows alone."
        )


def fit_out_of_core(estimator, X, y=None, *, continuing: bool, epochs, sample_weight=None):
    """Train ``estimator`` on the Dask collection ``X`` without gathering its rows.

    Parameters
    ----------
    estimator : skae estimator
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
    y : ignored label vector or None
    continuing : bool
        Continue from the current weights and scaling (``partial_fit``, ``warm_start``).
    epochs : int or "auto"
        Passes over the blocks.
    sample_weight : NumPy or Dask array of shape (n_samples,), or None
        Row weights in the training loss and the threshold's statistics, as in memory
        (one float per row is held, as for the threshold).

    Returns
    -------
    estimator
    """
    _check_labels(estimator, y)
    if estimator.memory is not None:
        warn(
            f"{type(estimator).__name__}: memory caches networks trained in memory; an "
            "out-of-core fit of a Dask collection is not cached.", UserWarning)
    blocks = RowBlocks(X)
    with unchanged_on_failure(estimator, continuing):
        seed = estimator._draw_seed()
        rng = np.random.default_rng(seed)
        scan = _scan(estimator, blocks, rng, reset=not continuing)
        estimator._check_input_shape(scan.sample.shape[1])
        if not continuing:
            estimator._fit_input_scaling(scan.sample)
        weights = _block_weights(estimator, sample_weight, scan)
        history = _train(estimator, blocks, scan, seed, rng, continuing=continuing,
                         epochs=epochs, weights=weights)
        estimator._record_history(history, continuing)
        _fit_statistics(estimator, blocks, scan, weights)
    return estimator


def _train(estimator, blocks, scan, seed, rng, *, continuing, epochs, weights=None) -> dict:
    n_features = scan.sample.shape[1]
    fit_kwargs = route_params(estimator.get_params(), "fit", pass_filter=set(), strict=True)
    for name in ("callbacks", "batch_size", "epochs", "shuffle"):
        fit_kwargs.pop(name, None)
    verbose = fit_kwargs.pop("verbose", estimator.verbose)
    batch_size = estimator.batch_size
    if batch_size in (None, "auto"):
        batch_size = auto_batch_size(scan.n_rows, *estimator._auto_batch)
    batch_size = max(1, min(int(batch_size), scan.n_rows))
    if epochs == "auto":
        epochs = auto_epochs(scan.n_rows, batch_size, estimator._auto_steps)
    estimator._initialize_callbacks()
    # the denoiser corrupts with the data's extremes as its salt-and-pepper bounds
    extremes = np.array([[scan.low], [scan.high]])
    corrupt = estimator._corruption(extremes, extremes)
    with strategy_scope(estimator.distribute_strategy):
        network = (estimator._continued_network() if continuing
                   else estimator._make_network(n_features, seed))
    spec = tf.TensorSpec((None, n_features), tf.float32)
    signature = (spec, spec) if weights is None else (
        spec, spec, tf.TensorSpec((None,), tf.float32))
    data = tf.data.Dataset.from_generator(
        _batches(estimator, blocks, batch_size, rng, weights), output_signature=signature)
    n_steps = sum(-(-rows // batch_size) for rows in scan.block_rows)
    data = data.apply(tf.data.experimental.assert_cardinality(n_steps))  # batches per epoch
    if corrupt is not None:
        generator = tf.random.Generator.from_seed(int(rng.integers(2**31 - 1)))
        data = data.map(lambda a, *rest: (corrupt(a, generator), *rest))
    with strategy_scope(estimator.distribute_strategy):
        _prepare_optimizer(network)
    stop_on_nan = _StopOnNonFinite()
    callbacks = [stop_on_nan, *estimator._fit_callbacks]
    if estimator.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="loss", patience=estimator.n_iter_no_change, restore_best_weights=True))
    history = network.fit(data.prefetch(2), epochs=epochs, verbose=keras_verbose(verbose),
                          shuffle=False,
                          callbacks=callbacks, **fit_kwargs)
    check_finite_loss(stop_on_nan)
    estimator._bind_network(network)
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def _fit_statistics(estimator, blocks: RowBlocks, scan: _Scan, weights=None) -> None:
    """Error scale and collapse check from the sample; the threshold from all rows."""
    sample = _network_space(estimator)(scan.sample)
    recon = estimator._passes.network(sample)
    estimator._check_trained(recon)
    estimator._warn_if_collapsed(recon, sample)
    estimator._after_training(recon, sample)
    if hasattr(estimator, "_set_threshold"):
        errors, end = np.empty(scan.n_rows), 0
        for block in blocks.iterate(range(len(blocks))):
            if len(block):
                errors[end:end + len(block)] = -estimator.score_samples(block)
                end += len(block)
        estimator._set_threshold(errors, None if weights is None else np.concatenate(weights))
