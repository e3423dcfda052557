"""ECG5000 heartbeats bundled with skae."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from ._base import _as_frame, _load_bundled_npz, _load_descr

_N_TIMESTEPS = 140


def load_ecg5000(*, as_frame: bool = False, return_X_y: bool = False):
    """Load the ECG5000 heartbeats (anomaly detection / classification).

    5000 heartbeats of 140 time steps each, z-normalised per beat, with a
    binary label: 1 = normal beat (UCR class 1), 0 = abnormal beat (UCR
    classes 2-5). This is the label convention of TensorFlow's ``ecg.csv``
    (used in the TensorFlow autoencoder tutorial), but with all 5000 beats.

    =================   ==========================
    Samples total       5000 (2919 normal, 2081 abnormal)
    Dimensionality      140
    Features            real, z-normalised per row
    Classes             2
    =================   ==========================

    The rows are **not shuffled**: the first 2335 rows are normal beats. Shuffle
    or stratify before splitting. The data ships with skae (no download).

    Parameters
    ----------
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a pandas Series and
        ``frame`` a DataFrame with the 140 features and a ``target`` column.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : {ndarray, DataFrame} of shape (5000, 140)
            The beats, float32.
        target : {ndarray, Series} of shape (5000,)
            int64 labels, 1 = normal, 0 = abnormal.
        frame : DataFrame of shape (5000, 141) or None
            ``data`` and ``target`` together; None unless ``as_frame=True``.
        feature_names : list of str
            ``["t000", "t001", ..., "t139"]``.
        target_names : ndarray of shape (2,)
            ``array(["abnormal", "normal"])``, indexed by the label.
        DESCR : str
            Full description of the dataset, with its origin and citations.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` described above.

    Examples
    --------
    >>> from skae.datasets import load_ecg5000
    >>> ecg = load_ecg5000()
    >>> ecg.data.shape, ecg.data.dtype
    ((5000, 140), dtype('float32'))
    >>> int(ecg.target.sum())  # number of normal beats
    2919
    >>> X_normal = ecg.data[ecg.target == 1]  # train an autoencoder on these
    >>> X, y = load_ecg5000(as_frame=True, return_X_y=True)
    >>> X.columns[:3].tolist(), y.name
    (['t000', 't001', 't002'], 'target')
    """
    arrays = _load_bundled_npz("ecg5000.npz")
    data = arrays["X"].astype(np.float32, copy=False)
    target = arrays["target"].astype(np.int64)
    feature_names = [f"t{i:03d}" for i in range(_N_TIMESTEPS)]

    frame = None
    if as_frame:
        frame, data, target = _as_frame(data, target, feature_names)

    if return_X_y:
        return data, target

    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=feature_names,
        target_names=np.array(["abnormal", "normal"]),
        DESCR=_load_descr("ecg5000.rst"),
    )
