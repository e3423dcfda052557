"""Regression tests for the scikeras 0.13 defects neutralised in skae._compat."""

# These tests deliberately use numpy's legacy global generator: it is what they guard.
# ruff: noqa: NPY002

import os
import random
import subprocess
import sys

import keras
import numpy as np
import pytest
from scikeras.wrappers import BaseWrapper
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_estimator_tags_renamed
from tensorflow.python.framework import config as tf_config

from skae import AutoencoderTransformer, ReconstructionOutlierDetector
from skae._compat import _forbid_global_seeding, route_params, unflatten_params

_SNAPSHOT = """
import keras, scikeras.wrappers as w
def snapshot():
    return {cls.__qualname__: {k: id(v) for k, v in vars(cls).items()}
            for cls in (w.BaseWrapper, w.KerasRegressor, keras.Model)}
before = snapshot()
import numpy as np
import skae
imported = snapshot()
X = np.random.default_rng(0).normal(size=(30, 4))
skae.ReconstructionOutlierDetector(epochs=1, random_state=0).fit(X).predict(X)
used = snapshot()
for when, after in (("importing skae", imported), ("using an estimator", used)):
    for cls, members in before.items():
        changed = sorted(set(members.items()) ^ set(after[cls].items()))
        assert not changed, f"{when} changed {cls}: {changed}"
print("unchanged")
"""


def test_skae_leaves_scikeras_and_keras_classes_as_they_were():
    # the classes of another package are that package's: skae must not patch them
    result = subprocess.run(
        [sys.executable, "-c", _SNAPSHOT], capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0 and "unchanged" in result.stdout, result.stderr[-2000:]


def test_estimators_are_not_scikeras_wrappers():
    # BaseWrapper defines _more_tags without __sklearn_tags__, which scikit-learn >= 1.6
    # rejects in any class of an estimator's MRO; skae's classes do not inherit it
    for cls in (AutoencoderTransformer, ReconstructionOutlierDetector):
        assert BaseWrapper not in cls.mro()
        check_estimator_tags_renamed(cls.__name__, cls())
    assert "__sklearn_tags__" not in vars(BaseWrapper)


def test_sklearn_tags():
    tags = get_tags(AutoencoderTransformer())
    assert tags.transformer_tags is not None
    assert tags.input_tags.allow_nan is False
    assert tags.target_tags.required is False
    assert get_tags(ReconstructionOutlierDetector()).estimator_type == "outlier_detector"


def test_route_params_behaviour_skae_relies_on():
    params = {"optimizer": "adam", "optimizer__beta_1": 0.8, "optimizer__x__y": 1,
              "loss__delta": 2.0}
    assert route_params(params, "optimizer", pass_filter=set(), strict=True) == {
        "beta_1": 0.8}
    assert route_params(params, "optimizer", pass_filter=set(), strict=False) == {
        "beta_1": 0.8, "x__y": 1}
    assert route_params(params, "loss", pass_filter=set()) == {"delta": 2.0}


def test_unflatten_params_behaviour_skae_relies_on():
    loss = unflatten_params(keras.losses.Huber, {"name": "h"})
    assert isinstance(loss, keras.losses.Huber) and loss.name == "h"
    metrics = unflatten_params([keras.metrics.MeanAbsoluteError], {"0__name": "m"})
    assert metrics[0].name == "m"
    assert unflatten_params("mse", {}) == "mse"
    with pytest.raises(TypeError, match="does not accept parameters"):
        unflatten_params("mse", {"delta": 1.0})


def test_routed_parameters_in_get_and_set_params():
    est = AutoencoderTransformer(optimizer__beta_1=0.8)
    assert est.get_params()["optimizer__beta_1"] == 0.8
    est.set_params(optimizer__beta_1=0.7, callbacks__patience=2, epochs=4)
    params = est.get_params()
    assert (params["optimizer__beta_1"], params["callbacks__patience"]) == (0.7, 2)
    assert params["epochs"] == 4
    assert clone(est).get_params()["callbacks__patience"] == 2
    with pytest.raises(ValueError, match="Invalid parameter 'nonsense'"):
        est.set_params(nonsense=1)


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


def test_only_methods_that_apply_exist():
    assert not hasattr(AutoencoderTransformer(), "predict")
    assert not hasattr(AutoencoderTransformer(), "initialize")
    assert hasattr(ReconstructionOutlierDetector(), "predict")
