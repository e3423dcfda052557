"""Input corruptions for denoising: each draws from a seeded ``tf.random.Generator``."""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

__all__ = ["NOISE_KINDS", "make_corruption"]


def _gaussian(x, generator, level):
    return x + level * generator.normal(tf.shape(x), dtype=x.dtype)


def _masking(x, generator, level):
    keep = generator.uniform(tf.shape(x), dtype=x.dtype) >= level
    return tf.where(keep, x, tf.zeros_like(x))


def _salt_and_pepper(x, generator, level, low, high):
    u = generator.uniform(tf.shape(x), dtype=x.dtype)
    x = tf.where(u < level / 2, tf.fill(tf.shape(x), tf.cast(low, x.dtype)), x)
    return tf.where(u > 1 - level / 2, tf.fill(tf.shape(x), tf.cast(high, x.dtype)), x)


NOISE_KINDS = ("gaussian", "masking", "salt_and_pepper")


def make_corruption(kind: str, level: float, clip=None, *, low=None, high=None):
    """Return ``corrupt(x, generator)`` for ``kind`` in :data:`NOISE_KINDS`.

    ``gaussian`` adds ``level`` x standard normal noise; ``masking`` zeroes each value with
    probability ``level``; ``salt_and_pepper`` sets each value to ``low`` or ``high`` (the
    clip bounds, or the training data's minimum and maximum) with probability ``level``.
    ``clip=(lo, hi)`` clips the corrupted values, as the seed recipe clips to [0, 1].
    """
    if kind == "gaussian":
        fn = functools.partial(_gaussian, level=level)
    elif kind == "masking":
        fn = functools.partial(_masking, level=level)
    else:
        if clip is not None:
            low, high = clip
        fn = functools.partial(_salt_and_pepper, level=level, low=low, high=high)

    if clip is None:
        return fn
    lo, hi = (np.float32(c) for c in clip)

    def corrupt(x, generator):
        return tf.clip_by_value(fn(x, generator), lo, hi)

    return corrupt
