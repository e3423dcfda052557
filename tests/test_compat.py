"""Regression tests for the scikeras 0.13 defects neutralised in skae._compat."""

# These tests deliberately use numpy's legacy global generator: it is what they guard.
# ruff: noqa: NPY002

import os
import random

import numpy as np
import pytest
from scikeras.wrappers import BaseWrapper
from sklearn.utils import get_tags
from tensorflow.python.framework import config as tf_config

from skae import AutoencoderTransformer, ReconstructionOutlierDetector
from skae._compat import _forbid_global_seeding


def test_basewrapper_declares_sklearn_tags():
    # scikit-learn >= 1.6 rejects classes that define _more_tags without __sklearn_tags__
    assert "__sklearn_tags__" in vars(BaseWrapper)
    tags = get_tags(AutoencoderTransformer())
    assert tags.transformer_tags is not None
    assert tags.input_tags.allow_nan is False
    assert tags.target_tags.required is False
    assert get_tags(ReconstructionOutlierDetector()).estimator_type == "outlier_detector"


def test_fit_never_enters_scikeras_global_seeding(fast_params):
    X = np.random.default_rng(0).normal(size=(40, 4))
    with _forbid_global_seeding():
        AutoencoderTransformer(**fast_params).fit(X).transform(X)


def test_forbid_global_seeding_really_refuses():
    import scikeras.wrappers as wrappers

    with _forbid_global_seeding(), pytest.raises(AssertionError, match="global"):
        with wrappers.tensorflow_random_state(0):
            pass


def test_seeded_fit_leaves_global_state_alone(fast_params):
    X = np.random.default_rng(0).normal(size=(40, 4))
    np.random.seed(123)
    random.seed(123)
    np_state = np.random.get_state()
    py_state = random.getstate()
    env = dict(os.environ)
    AutoencoderTransformer(**fast_params).fit(X).transform(X)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    assert not tf_config.is_op_determinism_enabled()
    assert os.environ.get("TF_DETERMINISTIC_OPS") == env.get("TF_DETERMINISTIC_OPS")


def test_unseeded_fit_does_not_touch_global_numpy_state(fast_params):
    X = np.random.default_rng(0).normal(size=(40, 4))
    params = {**fast_params, "random_state": None}
    np.random.seed(7)
    expected = np.random.rand(3)
    np.random.seed(7)
    AutoencoderTransformer(**params).fit(X)
    assert np.array_equal(np.random.rand(3), expected)


def test_global_tf_random_stream_is_unchanged_by_fit(fast_params):
    import tensorflow as tf

    X = np.random.default_rng(0).normal(size=(40, 4))
    tf.random.set_seed(5)
    expected = tf.random.uniform((3,)).numpy()
    tf.random.set_seed(5)
    AutoencoderTransformer(**fast_params).fit(X)
    assert np.array_equal(tf.random.uniform((3,)).numpy(), expected)
    tf.random.set_seed(None)


def test_unseeded_fit_after_seeded_fit_differs_between_runs(fast_params):
    X = np.random.default_rng(0).normal(size=(40, 4))
    AutoencoderTransformer(**fast_params).fit(X)
    params = {**fast_params, "random_state": None}
    a = AutoencoderTransformer(**params).fit(X).transform(X)
    b = AutoencoderTransformer(**params).fit(X).transform(X)
    assert np.all(np.isfinite(a)) and not np.allclose(a, b)


def test_score_exists_without_scorer(fast_params):
    X = np.random.default_rng(0).normal(size=(40, 4))
    est = AutoencoderTransformer(**fast_params).fit(X)
    assert est.score(X) == pytest.approx(-est.reconstruction_error(X).mean())


def test_repr_is_sklearns():
    assert repr(AutoencoderTransformer(epochs=3)) == "AutoencoderTransformer(epochs=3)"


def test_basewrapper_methods_that_do_not_apply_are_hidden():
    assert not hasattr(AutoencoderTransformer(), "predict")
    assert not hasattr(AutoencoderTransformer(), "initialize")
    assert hasattr(ReconstructionOutlierDetector(), "predict")
