"""Keras networks to and from bytes in Keras's own ``.keras`` format, loaded in safe mode.

Also in-memory snapshots of a network's variables and optimizer state, which ``fit`` uses
to roll a network back when training fails or is interrupted, and independent copies of a
caller's pre-built network, which ``fit`` trains instead of the caller's object.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import zipfile
from collections.abc import Iterator

import keras
import numpy as np

# The public keras.saving API only takes paths; saving_lib takes file objects as well
# (scikeras relies on the same entry points).
from keras.src.saving import saving_lib
from keras.src.saving.serialization_lib import SafeModeScope

__all__ = [
    "check_keras_classes_only",
    "copy_network",
    "network_from_bytes",
    "network_to_bytes",
    "restore_network_state",
    "snapshot_network_state",
]


def network_to_bytes(model: keras.Model) -> bytes:
    """Serialise ``model`` (architecture, weights, optimizer state) to ``.keras`` bytes."""
    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    return buffer.getvalue()


def network_from_bytes(data: bytes, *, compile: bool = True) -> keras.Model:
    """Load a network saved by :func:`network_to_bytes` in Keras's safe mode.

    Safe mode refuses ``Lambda`` layers and other deserialisation that could run code
    hidden in the file. It is enforced here even if the process called
    ``keras.config.enable_unsafe_deserialization()``, which would otherwise override the
    ``safe_mode`` argument.
    """
    with SafeModeScope(True):
        return saving_lib.load_model(io.BytesIO(data), compile=compile, safe_mode=True)


def _object_configs(config):
    """Every serialised object (a dict with a ``class_name``) in a Keras config."""
    if isinstance(config, dict):
        if "class_name" in config:
            yield config
        for value in config.values():
            yield from _object_configs(value)
    elif isinstance(config, list):
        for value in config:
            yield from _object_configs(value)


def _strings(config):
    """Every string value in a Keras config (Keras resolves names such as
    ``"kernel_initializer": "package>Name"`` through the registry too)."""
    if isinstance(config, str):
        yield config
    elif isinstance(config, dict):
        for value in config.values():
            yield from _strings(value)
    elif isinstance(config, list):
        for value in config:
            yield from _strings(value)


def _registered_by_user(name) -> bool:
    """A name the process registered, globally or in a custom object scope."""
    if not isinstance(name, str) or name in _SKAE_CLASSES:
        return False
    return ">" in name or keras.saving.get_registered_object(name) is not None


#: skae's own serialisable Keras classes (registered name -> defining module), which
#: ``allow_custom_objects=False`` accepts like Keras's own.
_SKAE_CLASSES = {"skae>MemberMask": "skae._ensemble"}


def _is_skae_class(obj: dict) -> bool:
    name = obj.get("registered_name")
    return name in _SKAE_CLASSES and obj.get("module") == _SKAE_CLASSES[name]


def _is_custom(obj: dict) -> bool:
    if _is_skae_class(obj):
        return False
    names = [obj.get("registered_name"), obj.get("class_name")]
    if obj.get("class_name") == "function":  # a function named by its config
        names.append(obj.get("config"))
    if any(_registered_by_user(name) for name in names):
        return True
    module = obj.get("module")
    return module not in (None, "builtins", "keras") and not str(module).startswith("keras.")


def check_keras_classes_only(data: bytes) -> None:
    """Refuse ``.keras`` bytes that name any class but Keras's own.

    Keras's safe mode refuses ``Lambda`` layers, but still builds any class that the
    process registered with ``keras.saving.register_keras_serializable`` (or holds in a
    custom object scope) when a file names it. This reads the file's ``config.json``
    first and refuses every object whose module is not Keras's or whose name is
    registered by the process.

    Raises
    ------
    ValueError
        Naming the first such class.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            config = json.loads(zf.read("config.json").decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"The network is not a readable .keras file ({exc}).") from None
    for obj in _object_configs(config):
        if _is_custom(obj):
            raise ValueError(
                f"The network uses the class {obj.get('registered_name') or obj['class_name']!r}"
                f" (module {obj.get('module')!r}), which is not one of Keras's own; it was "
                "refused because custom objects are not allowed."
            )
    for name in _strings(config):
        if _registered_by_user(name):
            raise ValueError(
                f"The network names the registered object {name!r}, which is not one of "
                "Keras's own; it was refused because custom objects are not allowed."
            )


def _stateful_variables(model: keras.Model) -> list:
    variables = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        variables += list(optimizer.variables)
    return variables


def snapshot_network_state(model: keras.Model) -> list[tuple[object, np.ndarray]]:
    """Copies of every variable of ``model`` and of its built optimizer (moments, step)."""
    return [(v, np.array(v.numpy(), copy=True)) for v in _stateful_variables(model)]


def restore_network_state(snapshot: list[tuple[object, np.ndarray]]) -> None:
    """Assign the values of :func:`snapshot_network_state` back to their variables."""
    for variable, value in snapshot:
        variable.assign(value)


@contextlib.contextmanager
def unchanged_on_failure(estimator, continuing: bool) -> Iterator[None]:
    """Restore the estimator's attributes (and, when ``continuing``, its network's weights
    and optimizer state) if the block raises or is interrupted."""
    snapshot = dict(vars(estimator))
    saved = snapshot_network_state(estimator.model_) if continuing else None
    try:
        yield
    except BaseException:
        if saved is not None:
            restore_network_state(saved)
        vars(estimator).clear()
        vars(estimator).update(snapshot)
        raise


def copy_network(model: keras.Model, compile_kwargs: dict | None = None) -> keras.Model:
    """An independent copy of ``model``: new layers with its current weights, compiled as
    it is (with a fresh optimizer of the same configuration), or not compiled if it is not;
    compiled with ``compile_kwargs`` instead when they are given.

    ``keras.models.clone_model`` alone would recompile the copy from the *serialised*
    compile configuration, which fails for an unregistered custom loss or metric; the copy
    is cloned uncompiled here (through a functional twin that shares the original's graph
    and is itself never compiled) and compiled with the caller's own compile arguments.
    Nothing of ``model`` is changed.
    """
    twin = keras.Model(model.inputs, model.outputs, name=model.name)
    copy = keras.models.clone_model(twin)
    copy.set_weights(model.get_weights())
    config = getattr(model, "_compile_config", None)
    if compile_kwargs is not None:
        copy.compile(**compile_kwargs)
    elif model.compiled and config is not None:
        kwargs = dict(config.config)
        optimizer = kwargs.get("optimizer")
        if isinstance(optimizer, keras.optimizers.Optimizer):  # never share its state
            kwargs["optimizer"] = type(optimizer).from_config(optimizer.get_config())
        for key in ("metrics", "weighted_metrics"):
            if isinstance(kwargs.get(key), (list, tuple)):
                kwargs[key] = [_fresh_metric(m) for m in kwargs[key]]
        copy.compile(**kwargs)
    return copy


def _function_arguments(value) -> list:
    """The ``_fn_kwargs`` of wrapped losses and metrics (``Huber(delta=...)``), which their
    ``get_config`` leaves out."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [_function_arguments(item) for item in value]
    return getattr(value, "_fn_kwargs", None)


def _fingerprint(kwargs: dict) -> str:
    try:
        serialised = keras.saving.serialize_keras_object(kwargs)
    except Exception:  # an object Keras cannot describe: its repr (never equal by accident)
        serialised = {key: repr(value) for key, value in kwargs.items()}
    hidden = {key: _function_arguments(kwargs[key]) for key in ("loss", "metrics")}
    return json.dumps([serialised, hidden], sort_keys=True, default=repr)


def same_compile_settings(model: keras.Model, compile_kwargs: dict) -> bool:
    """Whether ``model`` was compiled with these ``compile`` arguments: optimizer class
    and configuration, loss, metrics and the others (an unset one is its default)."""
    config = getattr(model, "_compile_config", None)
    if config is None:
        return False
    defaults = {name: p.default for name, p in
                inspect.signature(keras.Model.compile).parameters.items() if name != "self"}
    current, wanted = {**defaults, **config.config}, {**defaults, **compile_kwargs}
    if wanted["jit_compile"] == "auto":  # Keras stores what "auto" resolved to
        current.pop("jit_compile"), wanted.pop("jit_compile")
    return _fingerprint(current) == _fingerprint(wanted)


def _fresh_metric(metric):
    """A new metric object of the same configuration (metric objects carry state)."""
    if isinstance(metric, keras.metrics.Metric):
        return type(metric).from_config(metric.get_config())
    return metric
