"""Noise kinds: one table that the denoiser's validation and its corruption both read."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import FAST
from sklearn.utils._param_validation import InvalidParameterError

import skae._denoising
from skae import DenoisingAutoencoder
from skae._noise import NOISE_KINDS, make_corruption


def _corrupt(kind, x, level=0.3, clip=None, **bounds):
    generator = tf.random.Generator.from_seed(0)
    return make_corruption(kind, level, clip, **bounds)(tf.constant(x), generator).numpy()


def test_validation_reads_the_table():
    (options,) = DenoisingAutoencoder._parameter_constraints["noise"]
    assert options.options == set(NOISE_KINDS)


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Unknown noise kind 'speckle'.*'gaussian'.*'masking'"):
        make_corruption("speckle", 0.1)


def test_unknown_kind_is_refused_before_training(count_training):
    with pytest.raises(InvalidParameterError, match=r"'noise'.*'salt_and_pepper'"):
        DenoisingAutoencoder(noise="speckle", **FAST).fit(np.zeros((10, 3)))
    assert count_training == []


@pytest.mark.parametrize("noise", list(NOISE_KINDS))
def test_noise_kinds_change_the_input_within_clip(noise):
    out = _corrupt(noise, np.full((50, 20), 0.5, dtype=np.float32), clip=(0.0, 1.0))
    assert out.min() >= 0 and out.max() <= 1
    assert 0.1 < np.mean(out != 0.5) <= 1.0


def test_each_kind_does_what_it_says():
    x = np.full((200, 50), 0.5, dtype=np.float32)
    assert np.std(_corrupt("gaussian", x) - x) == pytest.approx(0.3, rel=0.05)
    masked = _corrupt("masking", x)
    assert set(np.unique(masked)) == {0.0, 0.5}
    assert np.mean(masked == 0) == pytest.approx(0.3, abs=0.02)
    salted = _corrupt("salt_and_pepper", x, low=-2.0, high=3.0)
    assert set(np.unique(salted)) == {-2.0, 0.5, 3.0}
    assert np.mean(salted == -2.0) == pytest.approx(0.15, abs=0.02)
    assert np.mean(salted == 3.0) == pytest.approx(0.15, abs=0.02)


def test_corruption_is_fresh_for_every_batch():
    corrupt = make_corruption("gaussian", 0.2)
    gen = tf.random.Generator.from_seed(0)
    x = tf.zeros((4, 3))
    assert not np.allclose(corrupt(x, gen).numpy(), corrupt(x, gen).numpy())


@pytest.mark.parametrize("noise", list(NOISE_KINDS))
def test_the_denoiser_corrupts_with_its_kind(noise, monkeypatch):
    seen = []

    def spy(kind, *args, **kwargs):
        seen.append(kind)
        return make_corruption(kind, *args, **kwargs)

    monkeypatch.setattr(skae._denoising, "make_corruption", spy)
    X = np.random.default_rng(0).uniform(size=(40, 4))
    DenoisingAutoencoder(noise=noise, **FAST).fit(X)
    assert seen == [noise]
