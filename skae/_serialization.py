"""Keras networks to and from bytes in Keras's own ``.keras`` format, loaded in safe mode.

Also in-memory snapshots of a network's variables and optimizer state, which ``fit`` uses
to roll a network back when training fails or is interrupted.
"""

from __future__ import annotations

import io

import keras
import numpy as np

# The public keras.saving API only takes paths; saving_lib takes file objects as well
# (scikeras relies on the same entry points).
from keras.src.saving import saving_lib
from keras.src.saving.serialization_lib import SafeModeScope

__all__ = [
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
