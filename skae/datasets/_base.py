"""Private helpers shared by the dataset loaders.

Nothing here imports TensorFlow or Keras; pandas is imported only when a
DataFrame is requested.
"""

from __future__ import annotations

import gzip
import os
from importlib import resources

import numpy as np

_PACKAGE = "skae.datasets"

# IDX type codes (http://yann.lecun.com/exdb/mnist/); MNIST-like files use 0x08.
_IDX_UINT8 = 0x08


def _load_descr(name: str) -> str:
    """Return the text of ``skae/datasets/descr/<name>``."""
    return (resources.files(_PACKAGE) / "descr" / name).read_text(encoding="utf-8")


def _load_bundled_npz(name: str) -> dict[str, np.ndarray]:
    """Load all arrays of the bundled ``skae/datasets/data/<name>`` file."""
    with (resources.files(_PACKAGE) / "data" / name).open("rb") as fh:
        with np.load(fh, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}


def _read_idx_gz(path: str | os.PathLike, *, ndim: int) -> np.ndarray:
    """Read a gzip-compressed unsigned-byte IDX file (the MNIST file format).

    Parameters
    ----------
    path : str or path-like
        Path of the ``*-idx?-ubyte.gz`` file.
    ndim : int
        Expected number of dimensions (1 for labels, 3 for images).

    Returns
    -------
    array : ndarray of dtype uint8
        The array with the shape stored in the file header.

    Raises
    ------
    ValueError
        If the header is not a uint8 IDX header with ``ndim`` dimensions or the
        payload length does not match the header.
    """
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UINT8 or raw[3] != ndim:
        raise ValueError(
            f"{os.fspath(path)!r} is not a uint8 IDX file with {ndim} dimension(s) "
            f"(magic bytes {raw[:4].hex() or 'missing'})."
        )
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    if len(raw) - header != int(np.prod(shape)):
        raise ValueError(
            f"{os.fspath(path)!r}: header announces shape {shape} but the file holds "
            f"{len(raw) - header} data bytes."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _to_unit_float(images: np.ndarray) -> np.ndarray:
    """Scale uint8 pixels to float32 in [0, 1]."""
    return np.asarray(images, dtype=np.float32) / np.float32(255.0)


def _as_frame(data: np.ndarray, target: np.ndarray, feature_names: list[str]):
    """Return ``(frame, X, y)`` like :func:`sklearn.datasets.load_iris` with as_frame=True.

    ``frame`` holds the features and a ``target`` column, ``X`` is a DataFrame
    of the features and ``y`` the ``target`` Series.
    """
    import pandas as pd

    frame = pd.DataFrame(data, columns=feature_names)
    frame["target"] = target
    return frame, frame[feature_names], frame["target"]
