"""The outlier detector's own defaults: robust scaling, error normalisation, epochs="auto"."""

import math

import numpy as np
import pytest

from skae import AutoencoderTransformer, ReconstructionOutlierDetector

SMALL = {"hidden_layer_sizes": (8,), "n_components": 2, "random_state": 0}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(200, 2))
    return latent @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(200, 5))


def test_defaults_differ_only_in_the_detector():
    det = ReconstructionOutlierDetector()
    assert det.scaling == "robust"
    assert det.error_normalization is True
    assert det.activation == "tanh"
    assert det.epochs == "auto"
    assert det.early_stopping is False
    ae = AutoencoderTransformer()
    assert ae.activation == "relu" and ae.epochs == 100 and ae.early_stopping is True


def test_robust_scaling_makes_scores_invariant_to_feature_scale_and_shift(data):
    scale = np.array([1e-3, 1.0, 50.0, 1e3, 7.0])
    shift = np.array([-5.0, 100.0, 0.0, 3e3, -1.0])
    a = ReconstructionOutlierDetector(epochs=5, **SMALL).fit(data)
    b = ReconstructionOutlierDetector(epochs=5, **SMALL).fit(data * scale + shift)
    np.testing.assert_allclose(
        a.score_samples(data), b.score_samples(data * scale + shift), rtol=1e-3, atol=1e-6
    )
    np.testing.assert_allclose(a.threshold_, b.threshold_, rtol=1e-3)
    np.testing.assert_array_equal(a.predict(data), b.predict(data * scale + shift))


def test_robust_scaling_statistics(data):
    X = data.copy()
    X[:, 3] = 2.0  # constant: left unscaled
    X[:, 4] = (np.arange(len(X)) < 20).astype(float)  # IQR 0: falls back to the std
    det = ReconstructionOutlierDetector(epochs=5, **SMALL).fit(X)
    np.testing.assert_allclose(det.center_, np.median(X, axis=0))
    q75, q25 = np.percentile(X[:, 0], [75, 25])
    assert det.scale_[0] == pytest.approx((q75 - q25) / 1.349)
    assert det.scale_[3] == 1.0
    assert det.scale_[4] == pytest.approx(X[:, 4].std())


def test_reconstruct_is_in_input_units(data):
    scale, shift = np.array([1e3, 1.0, 0.01, 5.0, 2.0]), np.array([5e3, 0.0, -3.0, 1.0, 0.0])
    a = ReconstructionOutlierDetector(epochs=5, **SMALL).fit(data)
    b = ReconstructionOutlierDetector(epochs=5, **SMALL).fit(data * scale + shift)
    back = (b.reconstruct(data * scale + shift) - shift) / scale
    np.testing.assert_allclose(back, a.reconstruct(data), rtol=1e-3, atol=1e-3)


def test_scaling_none_feeds_raw_input(data):
    det = ReconstructionOutlierDetector(scaling=None, epochs=3, **SMALL).fit(data)
    assert det.center_ is None and det.scale_ is None


def test_error_normalization_keeps_a_noisy_feature_from_dominating():
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(400, 1))
    X = np.hstack([latent @ np.ones((1, 4)), rng.normal(size=(400, 1))])  # col 4: noise
    X_test = X[:50].copy()
    X_test[:25, 0] += 4.0  # broken structure in a reconstructible feature
    params = dict(scaling=None, epochs=40, **SMALL)
    y = np.r_[np.ones(25), np.zeros(25)]
    from sklearn.metrics import roc_auc_score

    normalised = ReconstructionOutlierDetector(**params).fit(X)
    raw = ReconstructionOutlierDetector(error_normalization=False, **params).fit(X)
    auc_norm = roc_auc_score(y, -normalised.score_samples(X_test))
    auc_raw = roc_auc_score(y, -raw.score_samples(X_test))
    assert auc_norm >= auc_raw
    per_feature = normalised.reconstruction_error(X, per_feature=True)
    # normalised training errors have median 1 in every feature (a little less: the floor)
    medians = np.median(per_feature, axis=0)
    assert np.all((medians > 0.99) & (medians <= 1.0)), medians
    assert raw.feature_error_scale_ is None


def test_error_normalization_is_robust_to_anomalies_among_training_rows():
    # unsupervised training: 5% of the rows are broken in feature 0; the divisor of that
    # feature's error must come from the bulk of the rows, or the anomalies would hide
    # themselves. The network is held fixed, so only the normalisation can move.
    rng = np.random.default_rng(2)
    latent = rng.normal(size=(600, 1))
    clean = latent @ np.ones((1, 4)) + 0.05 * rng.normal(size=(600, 4))
    dirty = clean.copy()
    dirty[:30, 0] += 6.0
    det = ReconstructionOutlierDetector(scaling=None, epochs=40, **SMALL).fit(clean)
    det._fit_error_scale(det._element_errors(det.reconstruct(clean), clean), clean)
    from_clean = det.feature_error_scale_.copy()
    det._fit_error_scale(det._element_errors(det.reconstruct(dirty), dirty), dirty)
    ratio = det.feature_error_scale_ / from_clean
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    errors = det.reconstruction_error(dirty)
    assert errors[:30].min() > errors[30:].max()


def test_threshold_in_score_units(data):
    det = ReconstructionOutlierDetector(epochs=5, contamination=0.1, isolation_weight=0,
                                        **SMALL).fit(data)
    errors = det.reconstruction_error(data)
    np.testing.assert_allclose(det.score_samples(data), -errors)
    np.testing.assert_allclose(det.decision_function(data), -errors + det.threshold_)
    assert (det.predict(data) == -1).mean() == pytest.approx(0.1, abs=0.01)


@pytest.mark.parametrize("n_samples", [30, 200, 5000])
def test_epochs_auto_is_a_budget_of_about_150_steps(n_samples):
    X = np.random.default_rng(0).normal(size=(n_samples, 3))
    det = ReconstructionOutlierDetector(**SMALL).fit(X)
    batch = min(256, max(16, n_samples // 8))
    steps_per_epoch = math.ceil(n_samples / min(batch, n_samples))
    expected = min(500, max(5, math.ceil(150 / steps_per_epoch)))
    assert det.n_iter_ == expected
    assert det.epochs == "auto"  # the parameter is left as given


def test_int_epochs_still_work(data):
    det = ReconstructionOutlierDetector(epochs=2, **SMALL).fit(data)
    assert det.n_iter_ == 2


def test_default_architecture_is_sized_from_the_data(data):
    det = ReconstructionOutlierDetector(random_state=0, epochs=1, n_estimators=8).fit(data)
    assert det.n_components_ == 8 * 2  # 8 members, each clip(5 // 4, 2, 32)
    dims = [layer.units for layer in det.encoder_.layers if hasattr(layer, "units")]
    assert dims == [8 * 8, 8 * 2]  # each member clip(5, 8, 128), then the code
    assert det.encoder_.get_layer("code").activation.__name__ == "tanh"
    single = ReconstructionOutlierDetector(random_state=0, epochs=1, n_estimators=1).fit(data)
    assert single.n_components_ == 2
    dims = [layer.units for layer in single.encoder_.layers if hasattr(layer, "units")]
    assert dims == [8, 2]
    assert det.encoder_.get_layer("code").activation.__name__ == "tanh"


def test_invalid_new_parameters(data):
    with pytest.raises(ValueError, match="'scaling' parameter .* Got 'minmax'"):
        ReconstructionOutlierDetector(scaling="minmax").fit(data)
    with pytest.raises(ValueError, match="'epochs' parameter .* Got 'many'"):
        ReconstructionOutlierDetector(epochs="many").fit(data)
