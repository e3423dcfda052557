"""Input handling: shapes, dtypes, DataFrames, and clear errors before any training."""

import numpy as np
import pandas as pd
import pytest

import skae._base
from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector
from skae._fit_checks import min_fit_rows

ESTIMATORS = [AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any network gets trained."""

    def _refuse(*args, **kwargs):
        raise AssertionError("a network was trained")

    monkeypatch.setattr(skae._base, "train_network", _refuse)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), "NaN"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), "infinity"),
        (np.array([["a", "b"], ["c", "d"]]), "could not convert"),
        (np.empty((0, 3)), "0 sample"),
        (np.ones((4, 3, 2)), "dim 3"),
        (np.ones(5), "2D array"),
    ],
    ids=["nan", "inf", "strings", "empty", "3d", "1d"],
)
def test_bad_input_fails_before_training(Est, X, message, no_training, fast_params):
    with pytest.raises(ValueError, match=message):
        Est(**fast_params).fit(X)


def test_input_shape_must_match_columns(no_training, fast_params):
    X = np.zeros((4, 10))
    with pytest.raises(ValueError, match=r"input_shape=\(3, 3\).*10 columns"):
        AutoencoderTransformer(input_shape=(3, 3), **fast_params).fit(X)


def test_conv2d_needs_input_shape(no_training, fast_params):
    with pytest.raises(ValueError, match="needs input_shape"):
        AutoencoderTransformer(architecture="conv2d", **fast_params).fit(np.zeros((4, 16)))


@pytest.mark.parametrize(
    "params, name",
    [({"epochs": 0}, "epochs"), ({"architecture": "lstm"}, "architecture"),
     ({"dropout": 1.5}, "dropout"), ({"learning_rate": -1.0}, "learning_rate")],
)
def test_bad_parameters_name_themselves(params, name, no_training):
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        AutoencoderTransformer(**params).fit(np.zeros((4, 3)))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_wrong_feature_count_at_predict_time(Est, fast_params):
    est = Est(**fast_params).fit(np.random.default_rng(0).normal(size=(20, 4)))
    with pytest.raises(ValueError, match="X has 3 features"):
        est.score_samples(np.zeros((2, 3)))


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("extra_rows", [0, 3])
@pytest.mark.short_training
def test_tiny_datasets_fit_with_default_batch_size(Est, extra_rows, fast_params):
    n_samples = min_fit_rows(Est()) + extra_rows  # fewer: tests/test_first_hour.py
    X = np.random.default_rng(0).normal(size=(n_samples, 3))
    est = Est(**{**fast_params, "batch_size": 32}).fit(X)
    assert est.score_samples(X).shape == (n_samples,)
    assert np.all(np.isfinite(est.score_samples(X)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int8])
def test_dtypes(dtype, fast_params):
    X = np.random.default_rng(0).integers(-3, 3, size=(30, 4)).astype(dtype)
    est = AutoencoderTransformer(**fast_params).fit(X)
    codes = est.transform(X)
    assert codes.dtype == (np.float32 if dtype == np.float32 else np.float64)
    assert est.inverse_transform(codes).shape == X.shape


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_inputs_are_never_modified(Est, fast_params):
    X = np.random.default_rng(0).normal(size=(30, 4))
    X_before = X.copy()
    est = Est(**fast_params).fit(X)
    est.score_samples(X)
    assert np.array_equal(X, X_before)


def test_dataframes_record_feature_names_and_check_them(fast_params):
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=["a", "b", "c"])
    est = AutoencoderTransformer(**fast_params).fit(X)
    assert est.feature_names_in_.tolist() == ["a", "b", "c"]
    assert est.n_features_in_ == 3
    with pytest.raises(ValueError, match="feature names"):
        est.transform(X[["c", "b", "a"]])


def test_set_output_pandas(fast_params):
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=["a", "b", "c"],
                     index=np.arange(100, 130))
    est = AutoencoderTransformer(**fast_params).set_output(transform="pandas").fit(X)
    codes = est.transform(X)
    assert isinstance(codes, pd.DataFrame)
    assert codes.columns.tolist() == ["autoencodertransformer0", "autoencodertransformer1"]
    assert codes.index.tolist() == X.index.tolist()


def test_inverse_transform_checks_code_width(fast_params):
    est = AutoencoderTransformer(**fast_params).fit(np.zeros((10, 4)) + np.arange(4))
    with pytest.raises(ValueError, match="n_components_=2"):
        est.inverse_transform(np.zeros((2, 3)))


def test_not_fitted_raises(fast_params):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="is not fitted yet"):
        ReconstructionOutlierDetector(**fast_params).predict(np.zeros((2, 3)))


@pytest.mark.parametrize("make", [
    lambda X: X.astype(np.float32), lambda X: X.astype(np.float64),
    lambda X: np.asfortranarray(X), lambda X: X[:, ::-1].copy()[:, ::-1],
    lambda X: X[:1], lambda X: X.astype(np.float64)[::2],
])
def test_plain_rows_skip_validation_but_score_the_same(make):
    """A float ndarray of the fitted width takes the fast path (no validate_data) and gives
    what the full validation gives; anything else still gets the full checks."""
    from unittest import mock

    from skae import _base

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)) @ rng.normal(size=(2, 4)) + 0.05 * rng.normal(size=(60, 4))
    det = ReconstructionOutlierDetector(epochs=10, n_estimators=2, random_state=0).fit(X)
    rows = make(X)
    with mock.patch.object(_base, "validate_data", wraps=_base.validate_data) as full:
        fast = det.score_samples(rows)
    assert full.call_count == 0
    with mock.patch.object(_base, "_plain_rows", return_value=False):
        np.testing.assert_array_equal(det.score_samples(rows), fast)


def test_rows_that_are_not_plain_get_the_full_checks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)) @ rng.normal(size=(2, 4)) + 0.05 * rng.normal(size=(60, 4))
    det = ReconstructionOutlierDetector(epochs=10, n_estimators=2, random_state=0).fit(X)
    bad = X[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        det.score_samples(bad)
    with pytest.raises(ValueError, match="4 features"):
        det.score_samples(X[:3, :3])
    with pytest.raises(ValueError, match="float32 range"):
        det.score_samples(np.full((1, 4), 1e300))
    np.testing.assert_array_equal(det.score_samples(X[:3].tolist()), det.score_samples(X[:3]))
