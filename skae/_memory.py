"""Cache of trained networks behind the estimators' ``memory`` parameter.

``memory`` works as ``Pipeline(memory=...)`` does for fitted transformers: a fit whose
network would come out the same as a cached one loads that network instead of training
it. "The same" is decided by a key hashed from

- the estimator's class and every parameter that shapes the network: all of them except
  those the class declares in ``_non_network_params`` (``verbose``, ``warm_start``,
  ``memory`` itself; for the detector also its threshold parameters and ``normal_label``,
  whose selected rows are hashed instead);
- the rows actually trained on (as the float32 arrays the network sees), and whether the
  targets are the inputs themselves (the denoiser corrupts only then);
- the integer seed, the effective number of epochs, and the skae / Keras / TensorFlow
  versions.

Networks are cached only when they are reproducible: a fresh fit (not a ``warm_start``
continuation or a ``partial_fit`` of a fitted estimator) with an int ``random_state`` and
a ``model`` that is not a pre-built ``keras.Model`` (its weights and compile settings are
not part of the key).

The cache is a directory, ``<location>/skae-networks/``, of ``<key>.keras`` files (the
trained network with its optimizer state, loaded in Keras's safe mode, so nothing in the
cache is unpickled) and ``<key>.json`` files (the training history). Files are written
to a temporary name and renamed into place; a per-key lock file serialises processes
that want the same network, so a parallel ``GridSearchCV`` over threshold parameters
trains each fold's network once, in one worker, and the others load it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import marshal
import os
import types
from collections.abc import Callable, Iterator
from numbers import Integral

import joblib
import keras
import numpy as np
from sklearn.utils.validation import check_memory

from ._archive import write_atomically
from ._distribute import strategy_key
from ._serialization import network_from_bytes, network_to_bytes
from ._version import __version__
from ._warnings import warn

try:  # POSIX; elsewhere concurrent workers may train the same network twice
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["cache_directory", "network_key", "train_or_load"]

_SUBDIR = "skae-networks"

Trainer = Callable[[], "tuple[keras.Model, dict]"]


class _Uncacheable(Exception):
    """A parameter value that cannot be part of a reproducible key."""


def cache_directory(memory) -> str | None:
    """Directory of the network cache for a ``memory`` parameter, or None for no cache.

    ``memory`` is None, a path (str or ``os.PathLike``) or a ``joblib.Memory``; skae
    stores its networks under the Memory's ``location``.

    Raises
    ------
    ValueError
        If ``memory`` is an object with joblib.Memory's ``cache`` method but no
        ``location`` directory.
    """
    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):  # no joblib.Memory: it would make a folder
        return os.path.join(os.fspath(memory), _SUBDIR)
    memory = check_memory(memory)
    if not hasattr(memory, "location"):
        raise ValueError(
            "memory must be None, a directory path or a joblib.Memory; skae stores networks "
            f"as .keras files in a directory, and {memory!r} has no `location`."
        )
    location = memory.location
    return None if location is None else os.path.join(os.fspath(location), _SUBDIR)


def _key_value(value):
    """A hashable stand-in for a parameter value that is stable across processes."""
    if isinstance(value, keras.Model):
        raise _Uncacheable("a pre-built keras.Model is not hashed into the key")
    if hasattr(value, "num_replicas_in_sync") and hasattr(value, "scope"):
        return strategy_key(value)  # a tf.distribute.Strategy: not picklable
    if isinstance(value, types.FunctionType):
        return _function_key(value)
    if isinstance(value, functools.partial):
        return ("partial", _key_value(value.func), _key_value(list(value.args)),
                _key_value(dict(value.keywords)))
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_key_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _key_value(v) for k, v in value.items()}
    if isinstance(value, keras.callbacks.Callback):  # drop the model a past fit attached
        state = {k: v for k, v in vars(value).items() if k not in ("model", "_model")}
        return _qualname(value), {k: _key_value(v) for k, v in state.items()}
    if not isinstance(value, type) and hasattr(value, "get_config"):  # optimizers, losses
        config = dict(value.get_config())
        config.pop("name", None)  # Keras numbers instances: "adam", "adam_1", ...
        return _qualname(value), config
    return value


def _function_key(func) -> tuple:
    """A function by what it computes: its code (nested code included), its default
    arguments and the values it closes over - not only its name, so that an edited
    builder of the same name gets a new key."""
    closure = [_cell_value(cell) for cell in (func.__closure__ or ())]
    return ("function", func.__module__, func.__qualname__,
            hashlib.sha1(marshal.dumps(_code_without_positions(func.__code__))).hexdigest(),
            _key_value(list(func.__defaults__ or ())),
            _key_value(dict(func.__kwdefaults__ or {})), _key_value(closure))


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # a cell not filled yet
        return None


def _code_without_positions(code):
    """``code`` with its line numbers and file name reset, recursively: moving a builder
    in its file, or the file, does not change what it computes."""
    consts = tuple(_code_without_positions(c) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_consts=consts, co_filename="", co_firstlineno=1)


def _qualname(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def network_key(estimator, X_in: np.ndarray, X_target: np.ndarray, *, seed: int,
                epochs: int, sample_weight: np.ndarray | None = None) -> str:
    """Hex digest identifying the network ``estimator`` would train on these rows.

    Raises
    ------
    _Uncacheable
        If a parameter cannot be part of the key.
    """
    import tensorflow as tf


    ignored = type(estimator)._non_network_params
    params = {
        name: _key_value(value)
        for name, value in estimator.get_params(deep=False).items()
        if name not in ignored
    }
    same_target = X_target is X_in
    parts = {
        "estimator": _qualname(estimator),
        "params": params,
        "seed": int(seed),
        "epochs": int(epochs),
        "versions": (__version__, keras.__version__, tf.__version__),
        "same_target": same_target,
        "X_in": np.ascontiguousarray(X_in, dtype=np.float32),
        "X_target": None if same_target else np.ascontiguousarray(X_target, dtype=np.float32),
        "sample_weight": (None if sample_weight is None
                          else np.ascontiguousarray(sample_weight, dtype=np.float32)),
    }
    try:
        return joblib.hash(parts, hash_name="sha1")
    except Exception as exc:  # e.g. a lambda as `model`: not picklable, so not hashable
        raise _Uncacheable(f"a parameter cannot be hashed ({exc})") from exc


def _why_not_cached(estimator) -> str | None:
    if not isinstance(estimator.random_state, Integral):
        return (
            "random_state is not an int, so the trained network is not reproducible; pass "
            "an int random_state to cache networks"
        )
    return None


def train_or_load(estimator, train: Trainer, X_in: np.ndarray, X_target: np.ndarray, *,
                  seed: int, epochs: int, continuing: bool,
                  sample_weight: np.ndarray | None = None) -> tuple[keras.Model, dict]:
    """``train()``, or load the network a previous identical ``train()`` cached.

    Parameters
    ----------
    estimator : _BaseAutoencoder
        The estimator being fitted; its ``memory`` selects the cache.
    train : callable
        Builds and trains the network; returns ``(network, history)``.
    X_in, X_target : ndarray
        The rows trained on (inputs and targets).
    seed : int
        The seed the network is built and trained with.
    epochs : int
        The effective number of epochs.
    continuing : bool
        True when training continues from the current weights: never cached.
    sample_weight : ndarray or None
        The rows' weights in the loss; part of the key.

    Returns
    -------
    network : keras.Model
    history : dict
    """
    directory = cache_directory(estimator.memory)
    if directory is None or continuing:
        return train()
    reason = _why_not_cached(estimator)
    key = None
    if reason is None:
        try:
            key = network_key(estimator, X_in, X_target, seed=seed, epochs=epochs,
                              sample_weight=sample_weight)
        except _Uncacheable as exc:
            reason = str(exc)
    if key is None:
        warn(
            f"{type(estimator).__name__}: memory is set but this network is not cached: "
            f"{reason}.", UserWarning)
        return train()
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        warn(f"memory: cannot create {directory} ({exc}); training without cache.", UserWarning)
        return train()
    return _NetworkStore(directory).fetch_or_train(key, train)


class _NetworkStore:
    """A directory of trained networks, keyed by :func:`network_key`.

    Each entry is ``<key>.keras`` (the network) and ``<key>.json``, which records the
    entry's own key, the SHA-256 digest of the ``.keras`` bytes and the training
    history: an entry copied under another key, a network swapped for another, or a
    damaged file is refused with a warning and the network trained again. A folder
    that cannot be locked or written (read-only) is read if it can be, and the network
    trained without caching it, with a warning.
    """

    def __init__(self, directory: str):
        self.directory = directory

    def _path(self, key: str, suffix: str) -> str:
        return os.path.join(self.directory, key + suffix)

    def fetch_or_train(self, key: str, train: Trainer) -> tuple[keras.Model, dict]:
        try:
            lock = _exclusive(self._path(key, ".lock"))
            lock.__enter__()
        except OSError as exc:
            warn(f"memory: cannot lock the cache folder {self.directory} ({exc}); "
                 "the network is not cached.", UserWarning)
            return self._fetch(key) or train()
        try:
            cached = self._fetch(key)
            if cached is not None:
                return cached
            network, history = train()
            try:
                self._save(key, network, history)
            except Exception as exc:  # e.g. a custom layer Keras cannot serialise
                warn(f"memory: could not cache the trained network ({exc}).", UserWarning)
            return network, history
        finally:
            lock.__exit__(None, None, None)

    def _fetch(self, key: str) -> tuple[keras.Model, dict] | None:
        """The cached entry of ``key``, or None (with a warning if it is unusable)."""
        if not os.path.exists(self._path(key, ".keras")):
            return None
        try:
            return self._load(key)
        except Exception as exc:  # damaged, of another key, or refused by safe mode
            warn(f"memory: could not use cached network {key} ({exc}); training it "
                 "again.", UserWarning)
            return None

    def _load(self, key: str) -> tuple[keras.Model, dict]:
        with open(self._path(key, ".json"), encoding="utf-8") as f:
            record = json.load(f)
        with open(self._path(key, ".keras"), "rb") as f:
            data = f.read()
        if not isinstance(record, dict) or record.get("key") != key:
            raise ValueError("the entry belongs to another key")
        if record.get("sha256") != hashlib.sha256(data).hexdigest():
            raise ValueError("the network file is not the one the entry recorded")
        history = record.get("history")
        if not (isinstance(history, dict) and all(
                isinstance(k, str) and isinstance(v, list)
                and all(isinstance(x, (int, float)) for x in v) for k, v in history.items())):
            raise ValueError("the training history is malformed")
        return network_from_bytes(data), history

    def _save(self, key: str, network: keras.Model, history: dict) -> None:
        data = network_to_bytes(network)
        record = {"key": key, "sha256": hashlib.sha256(data).hexdigest(), "history": history}
        # The record first: a .keras file present means its entry is complete.
        write_atomically(json.dumps(record).encode("utf-8"), self._path(key, ".json"))
        write_atomically(data, self._path(key, ".keras"))


@contextlib.contextmanager
def _exclusive(path: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) while the block runs."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
