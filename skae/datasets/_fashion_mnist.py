"""Fashion-MNIST, downloaded on demand into a local cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home
from sklearn.utils import Bunch

from ._base import _load_descr, _read_idx_gz, _to_unit_float

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_SUBDIR = "fashion-mnist"
# (split, labels file, images file), in the layout of keras.datasets.fashion_mnist.
_SPLITS = (
    ("train", "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz"),
    ("test", "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"),
)
_FILES = tuple(fname for _, labels, images in _SPLITS for fname in (labels, images))
_TARGET_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _download(fname: str, origin: str, folder: Path) -> str:
    """Download ``origin`` to ``folder/fname`` with Keras and return the local path."""
    import keras  # lazy: importing skae.datasets must not import TensorFlow/Keras

    # An absolute cache_subdir makes get_file save exactly there (it ignores cache_dir).
    return keras.utils.get_file(fname, origin=origin, cache_subdir=os.path.abspath(folder))


def _missing_error(folder: Path, missing: list[str], reason: str) -> FileNotFoundError:
    files = ", ".join(_FILES)
    return FileNotFoundError(
        f"Fashion-MNIST files missing from {os.fspath(folder)!r}: {', '.join(missing)} "
        f"({reason}). Put the four files {files} in that folder; they can be downloaded "
        f"from {_ORIGIN}<file name> or https://github.com/zalandoresearch/fashion-mnist."
    )


def _read_split(name: str, labels_path, images_path) -> tuple[np.ndarray, np.ndarray]:
    labels = _read_idx_gz(labels_path, ndim=1)
    images = _read_idx_gz(images_path, ndim=3)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(
            f"Fashion-MNIST {name} files do not match: {len(labels)} labels but images of "
            f"shape {images.shape} (expected ({len(labels)}, 28, 28))."
        )
    if labels.size and labels.max() >= len(_TARGET_NAMES):
        raise ValueError(f"Fashion-MNIST {name} labels must be in 0-9, found {labels.max()}.")
    return _to_unit_float(images), labels.astype(np.int64)


def fetch_fashion_mnist(
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Load Fashion-MNIST (classification), downloading it once if needed.

    70,000 28x28 grey-scale images of clothing in 10 classes (60,000 train,
    10,000 test), with pixels scaled to float32 in [0, 1].

    The four gzip IDX files used by :func:`keras.datasets.fashion_mnist.load_data`
    (``train-labels-idx1-ubyte.gz``, ``train-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``) are read from
    the folder ``<data_home>/fashion-mnist``. When all four are there, nothing
    is downloaded. Missing files are downloaded with
    :func:`keras.utils.get_file` from
    ``https://storage.googleapis.com/tensorflow/tf-keras-datasets/<file name>``.
    On an offline machine, copy the four files into that folder.

    =================   =====================
    Samples total       70000 (60000 + 10000)
    Dimensionality      784 (28 x 28)
    Features            float32 in [0, 1]
    Classes             10
    =================   =====================

    Parameters
    ----------
    data_home : str or path-like, default=None
        Root folder of the dataset cache, as in scikit-learn's ``fetch_*``
        functions. The files live in its ``fashion-mnist`` subfolder. None means
        :func:`sklearn.datasets.get_data_home`, i.e. the ``SCIKIT_LEARN_DATA``
        environment variable if set, else ``~/scikit_learn_data``.
    download_if_missing : bool, default=True
        If False, raise an error instead of downloading missing files.
    return_X_y : bool, default=False
        If True, return ``((data_train, target_train), (data_test, target_test))``
        (the nesting of ``keras.datasets.fashion_mnist.load_data``, with
        flattened float images) instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data_train : ndarray of shape (60000, 784)
            Flattened training images, float32 in [0, 1] (a view of
            ``images_train``).
        images_train : ndarray of shape (60000, 28, 28)
            Training images, float32 in [0, 1].
        target_train : ndarray of shape (60000,)
            int64 training labels 0-9.
        data_test : ndarray of shape (10000, 784)
            Flattened test images, float32 in [0, 1] (a view of ``images_test``).
        images_test : ndarray of shape (10000, 28, 28)
            Test images, float32 in [0, 1].
        target_test : ndarray of shape (10000,)
            int64 test labels 0-9.
        target_names : ndarray of shape (10,)
            The class names, indexed by the label (``"T-shirt/top"``, ...,
            ``"Ankle boot"``).
        DESCR : str
            Full description of the dataset, with its origin and licence.

    ((data_train, target_train), (data_test, target_test)) : tuple if ``return_X_y`` is True
        The arrays described above.

    Raises
    ------
    FileNotFoundError
        If files are missing and ``download_if_missing`` is False or the
        download fails (e.g. offline). The message names the folder and the four
        files to put there.
    ValueError
        If a cached file is not a valid IDX file or train/test files disagree.

    Examples
    --------
    Without the files and without downloading, the error says what to do:

    >>> import tempfile
    >>> from skae.datasets import fetch_fashion_mnist
    >>> with tempfile.TemporaryDirectory() as empty_home:
    ...     try:
    ...         fetch_fashion_mnist(data_home=empty_home, download_if_missing=False)
    ...     except FileNotFoundError as exc:
    ...         print("t10k-images-idx3-ubyte.gz" in str(exc))
    True

    With network access (or the files in the cache):

    >>> fmnist = fetch_fashion_mnist()  # doctest: +SKIP
    >>> fmnist.data_train.shape, fmnist.data_test.shape  # doctest: +SKIP
    ((60000, 784), (10000, 784))
    >>> fmnist.target_names[fmnist.target_train[0]]  # doctest: +SKIP
    'Ankle boot'
    """
    folder = Path(get_data_home(data_home)) / _SUBDIR
    paths = {fname: folder / fname for fname in _FILES}
    missing = [fname for fname, path in paths.items() if not path.is_file()]
    if missing and not download_if_missing:
        raise _missing_error(folder, missing, "download_if_missing=False")
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        for fname in missing:
            try:
                paths[fname] = Path(_download(fname, _ORIGIN + fname, folder))
            except Exception as exc:  # keras.utils.get_file raises a bare Exception
                raise _missing_error(folder, missing, f"download failed: {exc}") from exc

    bunch = Bunch(target_names=np.array(_TARGET_NAMES))
    for split, labels_file, images_file in _SPLITS:
        images, target = _read_split(split, paths[labels_file], paths[images_file])
        bunch[f"data_{split}"] = images.reshape(len(images), -1)
        bunch[f"images_{split}"] = images
        bunch[f"target_{split}"] = target

    if return_X_y:
        return (
            (bunch.data_train, bunch.target_train),
            (bunch.data_test, bunch.target_test),
        )
    bunch.DESCR = _load_descr("fashion_mnist.rst")
    return bunch
