"""A collapsed training run (output no better than the mean) never passes silently."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

ESTIMATORS = [AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector]


def _dead_relu_autoencoder(meta):
    """An autoencoder whose ReLU code layer is dead from the start (bias -100).

    No gradient reaches the encoder, so the network can only learn a constant output:
    the collapse the seed's conv denoiser fell into in epoch 1 with one seed in three.
    """
    n_features = meta["n_features_in_"]
    inputs = keras.Input((n_features,))
    code = keras.layers.Dense(
        4, activation="relu", bias_initializer=keras.initializers.Constant(-100.0),
        kernel_initializer=keras.initializers.GlorotUniform(seed=0),
    )(inputs)
    encoder = keras.Model(inputs, code, name="encoder")
    code_in = keras.Input((4,))
    decoder = keras.Model(
        code_in,
        keras.layers.Dense(
            n_features, kernel_initializer=keras.initializers.GlorotUniform(seed=1)
        )(code_in),
        name="decoder",
    )
    ae_in = keras.Input((n_features,))
    return keras.Model(ae_in, decoder(encoder(ae_in)), name="autoencoder")


def _collapse_message(record) -> str:
    (message,) = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    return message


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dead_relu_network_warns_that_training_collapsed(Estimator, blobs):
    est = Estimator(model=_dead_relu_autoencoder, epochs=5, learning_rate=1e-2, random_state=0)
    with pytest.warns(ConvergenceWarning, match="training collapsed") as record:
        est.fit(blobs)
    message = _collapse_message(record)
    assert message.startswith(f"{Estimator.__name__}: training collapsed")
    assert "no better than predicting each feature's mean" in message
    # what happened (a constant output) and what to try
    assert "same output for every row" in message
    for advice in ("random_state", "learning_rate", "epochs", "activation='elu'"):
        assert advice in message
    # it is a real collapse: the reconstruction does not depend on the input
    assert np.ptp(est.reconstruct(blobs), axis=0).max() < 1e-6


def test_collapse_warning_reports_both_errors(blobs):
    est = AutoencoderTransformer(model=_dead_relu_autoencoder, epochs=2, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(blobs)
    message = _collapse_message(record)
    mse = float(np.mean((est.reconstruct(blobs) - blobs) ** 2))
    baseline = float(np.mean(np.var(blobs, axis=0)))
    assert f"training MSE {mse:.4g}" in message
    assert f"(MSE {baseline:.4g})" in message


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_healthy_fit_does_not_warn(Estimator, blobs):
    est = Estimator(
        hidden_layer_sizes=(16,), n_components=2, epochs=40, learning_rate=1e-2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(blobs)
    mse = float(np.mean((est.reconstruct(blobs) - blobs) ** 2))
    assert mse < 0.5 * np.mean(np.var(blobs, axis=0))


def test_constant_data_does_not_warn():
    # nothing to learn beyond the mean: a constant output is right, not a collapse
    X = np.full((50, 4), 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        AutoencoderTransformer(hidden_layer_sizes=(4,), n_components=2, epochs=2,
                               random_state=0).fit(X)


def test_heavy_tailed_data_reconstructed_well_on_typical_rows_does_not_warn():
    """A few huge rows can make the mean training error exceed the features' variance
    while the network reconstructs every typical row well: that is no collapse."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    X[:4] *= 300.0  # four far-out rows carry nearly all the variance
    recon = X.copy()
    recon[:4] = X.mean(axis=0)  # typical rows exact, the far-out ones not reconstructed
    # the premise: the mean error is no better than the mean predictor's ...
    assert np.mean((recon - X) ** 2) >= 0.99 * np.mean(np.var(X, axis=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        AutoencoderTransformer()._warn_if_collapsed(recon, X)
    # ... and a constant output on the same data still warns
    with pytest.warns(ConvergenceWarning, match="training collapsed"):
        AutoencoderTransformer()._warn_if_collapsed(np.broadcast_to(X.mean(0), X.shape), X)


def test_a_constant_output_near_the_typical_row_still_warns():
    """On skewed rows a constant output can sit nearer the median row than the mean does,
    so its median row error beats the mean predictor's; it still reconstructs nothing."""
    rng = np.random.default_rng(0)
    X = rng.exponential(size=(400, 5)) ** 2  # skewed: the median row is far below the mean
    constant = np.broadcast_to(np.median(X, axis=0), X.shape)
    row_mse = np.mean((constant - X) ** 2, axis=1)
    typical_mean_error = np.median(np.mean((X - X.mean(axis=0)) ** 2, axis=1))
    assert np.median(row_mse) < 0.99 * typical_mean_error  # the premise
    with pytest.warns(ConvergenceWarning, match="training collapsed"):
        AutoencoderTransformer()._warn_if_collapsed(constant, X)
