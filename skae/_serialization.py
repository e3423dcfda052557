"""Keras networks to and from bytes in Keras's own ``.keras`` format, loaded in safe mode."""

from __future__ import annotations

import io

import keras

# The public keras.saving API only takes paths; saving_lib takes file objects as well
# (scikeras relies on the same entry points).
from keras.src.saving import saving_lib

__all__ = ["network_from_bytes", "network_to_bytes"]


def network_to_bytes(model: keras.Model) -> bytes:
    """Serialise ``model`` (architecture, weights, optimizer state) to ``.keras`` bytes."""
    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    return buffer.getvalue()


def network_from_bytes(data: bytes, *, compile: bool = True) -> keras.Model:
    """Load a network saved by :func:`network_to_bytes` in Keras's safe mode.

    Safe mode refuses ``Lambda`` layers and other deserialisation that could run code
    hidden in the file.
    """
    return saving_lib.load_model(io.BytesIO(data), compile=compile, safe_mode=True)
