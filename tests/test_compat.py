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
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_estimator_tags_renamed
from tensorflow.python.framework import config as tf_config

from skae import AutoencoderTransformer, ReconstructionOutlierDetector
from skae._compat import route_params, unflatten_params

_SNAPSHOT = """
import sys, keras
classes = (keras.Model, keras.layers.Layer, keras.losses.Loss, keras.metrics.Metric,
           keras.optimizers.Optimizer)
def snapshot():  # taken before anything of skae (or scikeras) is imported
    return {cls.__qualname__: {k: id(v) for k, v in vars(cls).items()} for cls in classes}
before = snapshot()
reduce_before = {c: (c.__reduce__, getattr(c, "__deepcopy__", None)) for c in classes}
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
for c, (reduce, deepcopy) in reduce_before.items():
    assert (c.__reduce__, getattr(c, "__deepcopy__", None)) == (reduce, deepcopy), c
assert not [m for m in sys.modules if m.startswith("scikeras")], "scikeras was imported"
print("unchanged")
"""


def _run_python(code: str, expected: str) -> None:
    """Run ``code`` in a fresh interpreter; it must succeed and print ``expected``."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0 and expected in result.stdout, result.stderr[-2000:]


def test_skae_leaves_keras_classes_alone_and_never_imports_scikeras():
    # the classes of another package are that package's: skae must not patch them
    _run_python(_SNAPSHOT, "unchanged")


def test_estimators_are_not_scikeras_wrappers():
    # BaseWrapper defines _more_tags without __sklearn_tags__, which scikit-learn >= 1.6
    # rejects in any class of an estimator's MRO; skae's classes do not inherit it
    for cls in (AutoencoderTransformer, ReconstructionOutlierDetector):
        assert not [c for c in cls.mro() if c.__module__.startswith("scikeras")]
        check_estimator_tags_renamed(cls.__name__, cls())


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


_AGREEMENT = """
import keras
from scikeras import _utils as theirs
from skae import _compat as ours
params = {"optimizer": "adam", "optimizer__beta_1": 0.8, "optimizer__x__y": 1, "loss__d": 2,
          "epochs": 3, "callbacks__0__patience": 2, "callbacks__es__patience": 4}
for dest in ("optimizer", "loss", "callbacks", "callbacks__0", "fit", "x"):
    for pass_filter in (None, set(), {"epochs"}, {"optimizer", "nope"}):
        for strict in (False, True):
            args = (params, dest, pass_filter, strict)
            assert ours.route_params(*args) == theirs.route_params(*args), args
def describe(obj):
    if isinstance(obj, (list, tuple)):
        return type(obj).__name__, [describe(o) for o in obj]
    if isinstance(obj, dict):
        return {k: describe(v) for k, v in obj.items()}
    if isinstance(obj, keras.callbacks.Callback):  # no get_config: its plain attributes
        return type(obj).__name__, {k: v for k, v in vars(obj).items()
                                    if isinstance(v, (int, float, str, type(None)))}
    if isinstance(obj, keras.optimizers.Optimizer):  # Keras numbers their names
        return type(obj).__name__, {**obj.get_config(), "name": None}
    return (type(obj).__name__, obj.get_config()) if hasattr(obj, "get_config") else obj
ES, MAE, Huber = keras.callbacks.EarlyStopping, keras.metrics.MeanAbsoluteError, keras.losses.Huber
cases = [
    (Huber, {"delta": 2.0, "name": "h"}), ("mse", {}), ([MAE, "mse"], {"0__name": "m"}),
    ((MAE, MAE), {"name": "shared", "1__name": "own"}), ({"es": ES}, {"es__patience": 3}),
    ([ES, ES], {"patience": 2, "1__patience": 5}), (keras.optimizers.Adam, {"0": 0.01}),
    ([[ES]], {"0__0__patience": 7}), (Huber, {"reduction": "sum", "delta": 1.0}),
]
for items, routed in cases:
    assert describe(ours.unflatten_params(items, routed)) == describe(
        theirs.unflatten_params(items, routed)), (items, routed)
for items, routed in (("mse", {"delta": 1.0}), ([1], {"0__x": 1})):
    errors = []
    for module in (ours, theirs):
        try:
            module.unflatten_params(items, routed)
        except TypeError as exc:
            errors.append(str(exc))
    assert len(errors) == 2 and errors[0] == errors[1], errors
print("agree")
"""


def test_vendored_functions_agree_with_scikeras():
    # in a subprocess: importing scikeras patches keras's classes for the whole process
    _run_python(_AGREEMENT, "agree")


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


@pytest.mark.parametrize("name, routed", [
    ("optimizer__beta_1", True), ("fit__shuffle", True), ("callbacks__0__patience", True),
    ("model__units", True), ("fit__", False), ("n_componentz", False),
    ("unknown__x", False), ("optimizer__beta 1", False), ("__x", False),
])
def test_one_rule_decides_what_is_routed(name, routed):
    """set_params, the unknown-argument check and the file loader all use is_routed."""
    from skae._compat import is_routed
    from skae._persistence import _unknown_params

    assert is_routed(name) is routed
    assert (_unknown_params(AutoencoderTransformer, [name]) == []) is routed
