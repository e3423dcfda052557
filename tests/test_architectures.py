"""The architecture registry, and ``architecture="conv1d"`` in all three estimators."""

import io
import pickle

import keras
import numpy as np
import pytest
from conftest import fast
from sklearn.utils._param_validation import InvalidParameterError

from skae import (
    AutoencoderTransformer,
    DenoisingAutoencoder,
    ReconstructionOutlierDetector,
    load,
)
from skae._architectures import architecture_names, get_architecture

ESTIMATORS = [AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector]
CONV1D = fast(architecture="conv1d", hidden_layer_sizes=(4,), n_components=None)


def _sines(n_rows=200, length=32, channels=1, seed=0):
    """Sine waves of random frequency and phase; channel c is shifted by c quarter turns."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)[None, :, None]
    freq = rng.uniform(1, 3, size=(n_rows, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n_rows, 1, 1)) + np.pi / 2 * np.arange(channels)
    return np.sin(2 * np.pi * freq * t + phase).reshape(n_rows, length * channels)


# ------------------------------------------------------------------ registry
def test_registry_lists_the_built_in_architectures():
    assert {"dense", "conv2d", "conv1d"} <= set(architecture_names())
    assert get_architecture("conv1d").needs_input_shape is False
    assert get_architecture("conv2d").needs_input_shape is True
    with pytest.raises(ValueError, match=r"Unknown architecture 'lstm'.*'conv1d'"):
        get_architecture("lstm")


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_every_registered_architecture_is_valid_and_documented(Est):
    for name in architecture_names():
        assert f'``"{name}"``: {get_architecture(name).summary[:20]}' in Est.__doc__
        assert " ".join(get_architecture(name).sizes.split()) in " ".join(Est.__doc__.split())
        Est(architecture=name)._validate_params()
    if "hidden_layer_sizes" in getattr(Est, "_doc_overrides", {}):
        return  # the detector's own sizing entries (skae/_outlier.py) still name conv2d
    sizes_entries = Est.__doc__.split("hidden_layer_sizes :")[1].split("    loss :")[0]
    assert not [n for n in architecture_names() if f'"{n}"' in sizes_entries]  # one place
    with pytest.raises(InvalidParameterError, match=r"architecture.*'conv1d'"):
        Est(architecture="lstm").fit(np.zeros((5, 4)))


# ------------------------------------------------------------------ conv1d
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.short_training
def test_conv1d_rows_are_one_channel_signals(Est):
    X = _sines(40, 32)
    est = Est(**CONV1D).fit(X)
    assert est.encoder_.get_layer("to_signal").output.shape[1:] == (32, 1)
    assert any(isinstance(layer, keras.layers.Conv1D) for layer in est.encoder_.layers)
    assert est.n_components_ == 6  # the dense default: ceil(sqrt(32))
    assert est.encoder_.get_layer("code").output.shape[1:] == (6,)
    assert est.reconstruct(X).shape == X.shape
    assert est.score_samples(X).shape == (40,)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.short_training
def test_conv1d_with_channels_and_a_dense_code(Est):
    X = _sines(30, 15, channels=2)
    est = Est(**fast(architecture="conv1d", input_shape=(15, 2), hidden_layer_sizes=(4, 3),
                     n_components=5)).fit(X)
    assert est.encoder_.get_layer("to_signal").output.shape[1:] == (15, 2)
    assert est.reconstruct(X).shape == (30, 30)
    if hasattr(est, "transform"):
        assert est.transform(X).shape == (30, 5)


@pytest.mark.parametrize("architecture, input_shape", [("conv1d", None), ("conv2d", (4, 4))])
@pytest.mark.short_training
def test_conv_code_layer_uses_the_estimators_code_activation(architecture, input_shape):
    X = np.random.default_rng(0).uniform(size=(20, 16))
    params = fast(architecture=architecture, input_shape=input_shape, hidden_layer_sizes=(4,),
                  n_components=3, activation="tanh")
    detector = ReconstructionOutlierDetector(**params).fit(X)
    assert detector.encoder_.get_layer("code").get_config()["activation"] == "tanh"
    transformer = AutoencoderTransformer(**params).fit(X)
    assert transformer.encoder_.get_layer("code").get_config()["activation"] == "linear"


def test_conv1d_training_reduces_the_error_on_sines():
    X = _sines(200, 32)
    params = fast(architecture="conv1d", hidden_layer_sizes=(8, 4), n_components=8,
                  early_stopping=False, learning_rate=3e-3)
    untrained = AutoencoderTransformer(**{**params, "epochs": 1}).fit(X)
    trained = AutoencoderTransformer(**{**params, "epochs": 40}).fit(X)
    baseline = np.mean((X - X.mean(axis=0)) ** 2)
    trained_error = trained.reconstruction_error(X).mean()
    assert trained_error < 0.3 * untrained.reconstruction_error(X).mean()
    assert trained_error < 0.25 * baseline  # the feature means: 1.0 x baseline
    assert trained.history_["loss"][-1] < 0.2 * trained.history_["loss"][0]


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.short_training
def test_conv1d_save_load_and_pickle_round_trip(Est):
    X = _sines(30, 32)
    est = Est(**fast(architecture="conv1d", input_shape=(32,), hidden_layer_sizes=(4,),
                     n_components=3)).fit(X)
    buffer = io.BytesIO()
    est.save(buffer)
    buffer.seek(0)
    for copy in (load(buffer), pickle.loads(pickle.dumps(est))):
        assert copy.get_params()["architecture"] == "conv1d"
        np.testing.assert_array_equal(copy.reconstruct(X), est.reconstruct(X))
        np.testing.assert_array_equal(copy.score_samples(X), est.score_samples(X))


@pytest.mark.parametrize(
    "architecture, input_shape, n_columns, message",
    [
        ("conv1d", (4, 4, 2), 32, r"takes input_shape=\(length,\) or \(length, channels\)"),
        ("conv1d", (10, 3), 32, r"input_shape=\(10, 3\) holds 30 values.*32 columns"),
        ("conv1d", (0, 32), 32, "positive ints"),
        ("conv2d", (64,), 64, r"takes input_shape=\(height, width\) or \(height, width, "),
        ("conv2d", None, 64, r"architecture='conv2d' needs input_shape, e.g. input_shape=\("),
    ],
)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_bad_input_shape_fails_before_training(Est, architecture, input_shape, n_columns,
                                               message, count_training):
    est = Est(**fast(architecture=architecture, input_shape=input_shape))
    with pytest.raises(ValueError, match=message):
        est.fit(np.zeros((8, n_columns)))
    assert count_training == []


# ------------------------------------------------------------------ conv2d detector
def test_conv2d_detector_flags_images_unlike_its_training_images():
    rng = np.random.default_rng(0)
    bars = np.zeros((120, 8, 8))
    bars[np.arange(120), :, rng.integers(0, 8, 120)] = 1.0  # one vertical bar each
    X = bars.reshape(120, 64)
    det = ReconstructionOutlierDetector(
        architecture="conv2d", input_shape=(8, 8, 1), hidden_layer_sizes=(8,),
        epochs=60, early_stopping=False, random_state=0,
    ).fit(X)
    assert any(isinstance(layer, keras.layers.Conv2D) for layer in det.encoder_.layers)
    noise = rng.uniform(size=(10, 64))
    assert np.all(det.predict(noise) == -1)
    assert np.mean(det.predict(X) == 1) > 0.6
    assert det.score_samples(noise).max() < np.median(det.score_samples(X))
