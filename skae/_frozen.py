"""A memo of what is derived from a read-only array, dropped with the array.

A fitted array that never changes (a rank grid, the neighbour views' sampled rows) is made
read-only; what is derived from it (a rank table, a fitted neighbour search) is then kept
here by the array's identity, under a weak reference, so the entry cannot go stale and
leaves when the array does. A writable array is never memoised.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

import numpy as np

__all__ = ["derived_from_frozen"]

T = TypeVar("T")


def derived_from_frozen(cache: dict, array: np.ndarray, build: Callable[[], T]) -> T:
    """``build()``, memoised in ``cache`` while ``array`` is read-only and alive.

    Parameters
    ----------
    cache : dict
        One module's memo (``id(array) -> (weak reference, value)``).
    array : ndarray
        What the value is derived from.
    build : callable
        Computes the value.

    Returns
    -------
    value
        The memoised value, or a new one.

    Examples
    --------
    >>> import numpy as np
    >>> from skae._frozen import derived_from_frozen
    >>> cache, grid = {}, np.arange(3.0)
    >>> grid.setflags(write=False)
    >>> first = derived_from_frozen(cache, grid, lambda: [grid.sum()])
    >>> derived_from_frozen(cache, grid, lambda: [0.0]) is first
    True
    """
    frozen = isinstance(array, np.ndarray) and not array.flags.writeable
    entry = cache.get(id(array)) if frozen else None
    if entry is not None and entry[0]() is array:
        return entry[1]
    value = build()
    if frozen:
        key = id(array)
        cache[key] = (weakref.ref(array, lambda _, key=key: cache.pop(key, None)), value)
    return value
