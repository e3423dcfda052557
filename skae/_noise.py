"""Input corruptions for denoising: each draws from a seeded ``tf.random.Generator``.

:data:`NOISE_KINDS` is the one table of kinds: ``DenoisingAutoencoder`` validates its
``noise`` parameter against it and :func:`make_corruption` reads it. A new kind is one
function ``corrupt(x, generator, level, low, high)`` and one entry in the table.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

__all__ = ["NOISE_KINDS", "make_corruption"]


def _gaussian(x, generator, level, low, high):
    return x + level * generator.normal(tf.shape(x), dtype=x.dtype)


def _masking(x, generator, level, low, high):
    keep = generator.uniform(tf.shape(x), dtype=x.dtype) >= level
    return tf.where(keep, x, tf.zeros_like(x))


def _salt_and_pepper(x, generator, level, low, high):
    u = generator.uniform(tf.shape(x), dtype=x.dtype)
    x = tf.where(u < level / 2, tf.fill(tf.shape(x), tf.cast(low, x.dtype)), x)
    return tf.where(u > 1 - level / 2, tf.fill(tf.shape(x), tf.cast(high, x.dtype)), x)


#: kind -> ``corrupt(x, generator, level, low, high)``: adds ``level`` x standard normal
#: noise; zeroes each value with probability ``level``; sets each value to ``low`` or
#: ``high`` with probability ``level``.
NOISE_KINDS = {
    "gaussian": _gaussian,
    "masking": _masking,
    "salt_and_pepper": _salt_and_pepper,
}


def make_corruption(kind: str, level: float, clip=None, *, low=None, high=None):
    """Return ``corrupt(x, generator)`` for ``kind`` in :data:`NOISE_KINDS`.

    ``low`` and ``high`` (the training data's minimum and maximum) are the values
    ``salt_and_pepper`` writes, unless ``clip=(lo, hi)`` is given: then those bounds are
    written, and every corrupted value is clipped to them, as the denoising walkthrough
    clips to [0, 1].

    Raises
    ------
    ValueError
        If ``kind`` is not in :data:`NOISE_KINDS`.

    Examples
    --------
    >>> import tensorflow as tf
    >>> from skae._noise import make_corruption
    >>> corrupt = make_corruption("masking", 1.0)
    >>> corrupt(tf.ones((1, 3)), tf.random.Generator.from_seed(0)).numpy().tolist()
    [[0.0, 0.0, 0.0]]
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"Unknown noise kind {kind!r}; expected one of {list(NOISE_KINDS)}.")
    if clip is not None:
        low, high = clip
    fn = functools.partial(NOISE_KINDS[kind], level=level, low=low, high=high)
    if clip is None:
        return fn
    lo, hi = (np.float32(c) for c in clip)

    def corrupt(x, generator):
        return tf.clip_by_value(fn(x, generator), lo, hi)

    return corrupt
