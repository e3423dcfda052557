"""The PCA floor of the transformer and the denoiser (skae/_pca_floor.py)."""

import io

import numpy as np
import pytest
from conftest import fast
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import (
    AutoencoderTransformer,
    DenoisingAutoencoder,
    ReconstructionOutlierDetector,
    load,
)
from skae._architectures import split_autoencoder
from skae._pca_floor import init_linear_path


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data / 16.0
    return train_test_split(X, test_size=0.3, random_state=0)


def _layer_names(estimator) -> set[str]:
    return {layer.name for part in split_autoencoder(estimator.model_) for layer in part.layers}


def test_untrained_floor_network_is_pca(digits):
    X_train, X_test = digits
    ae = AutoencoderTransformer(n_components=8, random_state=0)
    network = ae._make_network(X_train.shape[1], seed=0)
    assert init_linear_path(network, X_train, seed=0)
    pca = PCA(8).fit(X_train)
    expected = pca.inverse_transform(pca.transform(X_test))
    got = network.predict(X_test.astype(np.float32), verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    encoder, _ = split_autoencoder(network)
    codes = encoder.predict(X_test.astype(np.float32), verbose=0)
    np.testing.assert_allclose(np.abs(codes), np.abs(pca.transform(X_test)), atol=1e-4)


@pytest.mark.parametrize("n_components", [2, 16])
def test_transformer_reconstructs_held_out_rows_at_least_as_well_as_pca(digits, n_components):
    # today's plain network: 1.3-1.6x PCA's held-out MSE after 20 epochs
    X_train, X_test = digits
    ae = AutoencoderTransformer(n_components=n_components, epochs=20, random_state=0)
    ae.fit(X_train)
    mse = np.mean((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2)
    pca = PCA(n_components).fit(X_train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    assert mse <= pca_mse


def test_dense_denoiser_beats_projecting_the_noisy_rows_on_pca(digits):
    X_train, X_test = digits
    noisy = X_test + 0.2 * np.random.default_rng(1).normal(size=X_test.shape)
    dae = DenoisingAutoencoder(noise_level=0.2, epochs=20, random_state=0).fit(X_train)
    pca = PCA(dae.n_components_).fit(X_train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(noisy)) - X_test) ** 2)
    assert np.mean((dae.predict(noisy) - X_test) ** 2) < pca_mse


def test_the_linear_path_stays_pca_through_training(digits):
    X_train, _ = digits
    ae = AutoencoderTransformer(**fast(n_components=4, epochs=3)).fit(X_train)
    components = ae.model_.get_layer("decoder").get_layer("linear_reconstruction").get_weights()[0]
    np.testing.assert_allclose(np.abs(components), np.abs(PCA(4).fit(X_train).components_),
                               atol=1e-4)


@pytest.mark.short_training
def test_detector_and_non_linear_outputs_keep_the_plain_network(digits):
    X_train = digits[0][:200]  # the layers are what is checked: few rows suffice
    detector = ReconstructionOutlierDetector(**fast()).fit(X_train)
    sigmoid = AutoencoderTransformer(**fast(output_activation="sigmoid")).fit(X_train)
    conv = DenoisingAutoencoder(**fast(architecture="conv2d", input_shape=(8, 8),
                                       hidden_layer_sizes=(4,))).fit(X_train)
    for estimator in (detector, sigmoid, conv):
        assert not {"linear_code", "linear_reconstruction"} & _layer_names(estimator)
    assert {"linear_code", "linear_reconstruction"} <= _layer_names(
        AutoencoderTransformer(**fast()).fit(X_train))


def test_floor_network_survives_save_and_load(digits):
    X_train, X_test = digits
    ae = AutoencoderTransformer(**fast(n_components=4)).fit(X_train)
    buffer = io.BytesIO()
    ae.save(buffer)
    buffer.seek(0)
    loaded = load(buffer)
    np.testing.assert_allclose(loaded.transform(X_test), ae.transform(X_test), atol=1e-6)
    ae.partial_fit(X_train)  # warm start keeps the path and still trains
    assert {"linear_code"} <= _layer_names(ae)


def test_floor_network_keeps_the_fused_dense_forward_pass(digits):
    from skae._dense_forward import dense_chain

    X_train, X_test = digits
    ae = AutoencoderTransformer(**fast(n_components=4)).fit(X_train)
    chain = dense_chain(ae.model_)
    assert chain is not None  # else predict falls back to Keras (slow single rows, 1e-7 noise)
    np.testing.assert_allclose(chain.numpy_call(X_test), ae.model_.predict_on_batch(X_test),
                               atol=1e-5)
