"""The architecture registry: name -> :class:`~._spec.Architecture`.

A new architecture is one module in this package that defines ``ARCHITECTURE`` (see
``dense.py``) and one entry in :data:`_ARCHITECTURES` below; parameter validation, sizing,
``input_shape`` checks, building and the estimators' docstrings all read this table.
"""

from __future__ import annotations

from . import conv1d, conv2d, dense
from ._spec import Architecture

__all__ = ["architecture_names", "get_architecture"]

_ARCHITECTURES: dict[str, Architecture] = {
    spec.name: spec
    for spec in (
        dense.ARCHITECTURE,
        conv2d.ARCHITECTURE,
        conv1d.ARCHITECTURE,
    )
}


def architecture_names() -> tuple[str, ...]:
    """The registered names, in registration order."""
    return tuple(_ARCHITECTURES)


def get_architecture(name: str) -> Architecture:
    """The registry entry of ``name``; a ``ValueError`` naming the valid ones otherwise."""
    try:
        return _ARCHITECTURES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown architecture {name!r}; expected one of {list(_ARCHITECTURES)}."
        ) from None
