"""Shared test configuration: quiet TensorFlow, Agg backend, small fast estimators.

Test modules import :data:`FAST` (``from conftest import FAST``) where they need it at
import time (parametrisation); tests take the ``fast_params`` fixture otherwise, and
``count_training`` to count the networks trained.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

#: Parameters that keep networks tiny and training short in tests.
FAST = {"epochs": 3, "hidden_layer_sizes": (8,), "n_components": 2, "random_state": 0}


def fast(**overrides) -> dict:
    """:data:`FAST` with some entries changed or added."""
    return {**FAST, **overrides}


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.short_training``: that test's deliberately short run is rightly
    reported by a ConvergenceWarning, an error everywhere else in the suite; ignore it."""
    for item in items:
        if item.get_closest_marker("short_training"):
            item.add_marker(
                pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"))


@pytest.fixture
def fast_params():
    return dict(FAST)


@pytest.fixture
def count_training(monkeypatch):
    """A list that gets one entry per network trained in this process while the test runs."""
    import skae._base

    calls = []
    original = skae._base.train_network

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(skae._base, "train_network", counting)
    return calls


@pytest.fixture
def blobs():
    """Standardised tabular data with low-dimensional structure, and a few outliers."""
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(300, 2))
    mixing = rng.normal(size=(2, 6))
    X = latent @ mixing + 0.05 * rng.normal(size=(300, 6))
    return (X - X.mean(0)) / X.std(0)
