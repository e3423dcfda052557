"""Dask without importing it: is this a Dask collection, and Dask itself when one arrives.

Dask is imported only when a Dask collection arrives (it cannot be one unless Dask is
already imported), so importing skae never imports Dask; a missing or too old Dask gives
an ``ImportError`` that names the ``dask`` extra.
"""

from __future__ import annotations

import sys

__all__ = ["import_dask", "is_dask_collection"]

#: Oldest Dask release skae's Dask support is tested with (dask-expr DataFrames).
_MIN_DASK = (2025, 1)

_EXTRA = 'pip install "skae[dask]"'


def is_dask_collection(X) -> bool:
    """True if ``X`` is a Dask collection (array, DataFrame, Series, ...).

    Never imports Dask: an object can only be a Dask collection once Dask is imported.

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_collection(np.ones((2, 2)))
    False
    """
    dask = sys.modules.get("dask")
    return dask is not None and bool(dask.is_dask_collection(X))


def import_dask(*, dataframe: bool = False):
    """``dask``, ``dask.array`` and (optionally) ``dask.dataframe``, or an ImportError.

    Raises
    ------
    ImportError
        If Dask or a package of the ``dask`` extra is missing or too old; the message
        names the extra to install.
    """
    try:
        import dask
        import dask.array as da

        dd = None
        if dataframe:
            import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError(
            f"skae's Dask support needs the packages of its dask extra ({exc}): {_EXTRA}"
        ) from exc
    version = tuple(int(part) for part in dask.__version__.split(".")[:2] if part.isdigit())
    if version < _MIN_DASK:
        raise ImportError(
            f"skae's Dask support needs dask >= {_MIN_DASK[0]}.{_MIN_DASK[1]}, found "
            f"{dask.__version__}: {_EXTRA}"
        )
    return dask, da, dd
