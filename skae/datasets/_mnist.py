"""MNIST test set bundled with skae."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from ._base import _as_frame, _load_bundled_npz, _load_descr, _to_unit_float


def load_mnist_test(*, as_frame: bool = False, return_X_y: bool = False):
    """Load the 10,000 images of the MNIST test set (classification).

    Handwritten digits 0-9 as 28x28 grey-scale images, with pixels scaled to
    float32 in [0, 1]. Only the official *test* split ships with skae (the
    60,000 training images are too large to bundle); it is enough for quick
    autoencoder and denoising experiments. The data ships with skae (no
    download).

    =================   =====================
    Samples total       10000
    Dimensionality      784 (28 x 28)
    Features            float32 in [0, 1]
    Classes             10
    =================   =====================

    Parameters
    ----------
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame with 784 pixel columns,
        ``target`` a pandas Series and ``frame`` a DataFrame with the pixels
        and a ``target`` column. ``images`` stays an ndarray.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : {ndarray, DataFrame} of shape (10000, 784)
            The flattened images (row-major), float32 in [0, 1]. Use these
            rows in scikit-learn pipelines. As an ndarray it is a view of
            ``images``.
        images : ndarray of shape (10000, 28, 28)
            The images, float32 in [0, 1].
        target : {ndarray, Series} of shape (10000,)
            int64 digit labels 0-9.
        frame : DataFrame of shape (10000, 785) or None
            ``data`` and ``target`` together; None unless ``as_frame=True``.
        feature_names : list of str
            ``["pixel_0_0", ..., "pixel_27_27"]`` (``pixel_<row>_<col>``).
        target_names : ndarray of shape (10,)
            The digits ``0`` to ``9``.
        DESCR : str
            Full description of the dataset, with its origin and citation.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` described above.

    Examples
    --------
    >>> from skae.datasets import load_mnist_test
    >>> mnist = load_mnist_test()
    >>> mnist.images.shape, mnist.data.shape, mnist.data.dtype
    ((10000, 28, 28), (10000, 784), dtype('float32'))
    >>> float(mnist.data.min()), float(mnist.data.max())
    (0.0, 1.0)
    >>> mnist.target[:5]
    array([7, 2, 1, 0, 4])
    """
    arrays = _load_bundled_npz("mnist_test.npz")
    images = _to_unit_float(arrays["images"])
    target = arrays["target"].astype(np.int64)
    data = images.reshape(len(images), -1)
    n_rows, n_cols = images.shape[1:]
    feature_names = [f"pixel_{r}_{c}" for r in range(n_rows) for c in range(n_cols)]

    frame = None
    if as_frame:
        frame, data, target = _as_frame(data, target, feature_names)

    if return_X_y:
        return data, target

    return Bunch(
        data=data,
        images=images,
        target=target,
        frame=frame,
        feature_names=feature_names,
        target_names=np.arange(10),
        DESCR=_load_descr("mnist_test.rst"),
    )
