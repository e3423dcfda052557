"""Behaviour of the three estimators beyond scikit-learn's generic checks."""

import keras
import numpy as np
import pytest
from conftest import FAST, fast

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(200, 2))
    X = latent @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(200, 6))
    return (X - X.mean(0)) / X.std(0)


@pytest.fixture(scope="module")
def transformer(data):
    return AutoencoderTransformer(**{**FAST, "epochs": 30, "early_stopping": False}).fit(data)


def test_transform_and_inverse_transform_shapes(transformer, data):
    codes = transformer.transform(data)
    assert codes.shape == (200, 2) and transformer.n_components_ == 2
    assert transformer.inverse_transform(codes).shape == data.shape
    assert np.allclose(transformer.inverse_transform(codes), transformer.reconstruct(data),
                       atol=1e-5)


def test_training_reduces_the_reconstruction_error(transformer, data):
    untrained = AutoencoderTransformer(**{**FAST, "epochs": 1}).fit(data)
    assert transformer.score(data) > untrained.score(data)
    assert transformer.history_["loss"][-1] < transformer.history_["loss"][0]
    assert transformer.n_iter_ == 30


def test_score_and_errors_agree(transformer, data):
    errors = transformer.reconstruction_error(data)
    per_feature = transformer.reconstruction_error(data, per_feature=True)
    assert per_feature.shape == data.shape
    assert np.allclose(per_feature.mean(axis=1), errors)
    expected = ((transformer.reconstruct(data) - data) ** 2).mean(axis=1)
    assert np.allclose(errors, expected, rtol=1e-5)
    assert transformer.score(data) == pytest.approx(-errors.mean())
    assert np.allclose(transformer.score_samples(data), -errors)


def test_mae_loss_gives_absolute_errors(data):
    est = AutoencoderTransformer(**{**FAST, "loss": "mae"}).fit(data)
    expected = np.abs(est.reconstruct(data) - data).mean(axis=1)
    assert np.allclose(est.reconstruction_error(data), expected, rtol=1e-5)


def test_same_seed_same_network_other_seed_other_network(data):
    a = AutoencoderTransformer(**FAST).fit(data).transform(data)
    b = AutoencoderTransformer(**FAST).fit(data).transform(data)
    c = AutoencoderTransformer(**{**FAST, "random_state": 1}).fit(data).transform(data)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


class _Record(keras.callbacks.Callback):
    """Keeps the weights at the end of every epoch and the batches run in each."""

    def on_train_begin(self, logs=None):
        self.weights, self.batches = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.batches[-1] += 1

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


@pytest.mark.parametrize("patience", [2, 4])
def test_early_stopping_stops_and_keeps_the_best_epochs_weights(data, patience):
    record = _Record()
    est = AutoencoderTransformer(**fast(
        epochs=200, n_iter_no_change=patience, learning_rate=0.05, callbacks=[record],
    )).fit(data)
    val_loss = est.history_["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) == est.n_iter_ < 200  # stopped early
    assert est.n_iter_ == best + 1 + patience  # n_iter_no_change epochs without improvement
    kept = est.model_.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(kept, record.weights[best], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(kept, record.weights[-1], strict=True))


@pytest.mark.parametrize("fraction, n_train", [(0.1, 180), (0.5, 100)])
def test_validation_fraction_holds_out_that_share_of_rows(data, fraction, n_train):
    record = _Record()
    AutoencoderTransformer(**fast(validation_fraction=fraction, batch_size=10,
                                  callbacks=[record])).fit(data)
    assert record.batches == [n_train // 10] * 3


def test_dropout_acts_in_training_only(data):
    plain = AutoencoderTransformer(**fast(early_stopping=False)).fit(data)
    dropped = AutoencoderTransformer(**fast(early_stopping=False, dropout=0.5)).fit(data)
    rates = [layer.rate for layer in dropped.encoder_.layers + dropped.decoder_.layers
             if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.5, 0.5]
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in plain.encoder_.layers)
    assert dropped.history_["loss"] != plain.history_["loss"]
    x = keras.ops.convert_to_tensor(np.asarray(data, dtype=np.float32))
    np.testing.assert_array_equal(dropped.model_(x, training=False),
                                  dropped.model_(x, training=False))
    assert not np.allclose(dropped.model_(x, training=True), dropped.model_(x, training=False))
    np.testing.assert_allclose(dropped.reconstruct(data), dropped.model_(x, training=False),
                               rtol=1e-4, atol=1e-5)


def test_metrics_are_recorded_in_history(data):
    est = AutoencoderTransformer(**fast(metrics=["mae"])).fit(data)
    mae, val_mae = est.history_["mean_absolute_error"], est.history_["val_mean_absolute_error"]
    assert len(mae) == len(val_mae) == est.n_iter_
    assert mae != est.history_["loss"]


def test_routed_loss_and_compile_parameters_reach_keras(data):
    big = data * 30  # errors far above the tight delta, far below the loose one
    tight = AutoencoderTransformer(**fast(loss=keras.losses.Huber, loss__delta=1e-3,
                                          compile__steps_per_execution=3)).fit(big)
    loose = AutoencoderTransformer(**fast(loss=keras.losses.Huber, loss__delta=100.0)).fit(big)
    assert isinstance(tight.model_.loss, keras.losses.Huber)
    assert tight.history_["loss"][0] < 0.01 * loose.history_["loss"][0]  # ~delta * |error|
    assert tight.model_.steps_per_execution == 3


def test_routed_callback_parameters_build_the_callback(data):
    class Remember(keras.callbacks.Callback):
        made = []

        def __init__(self, label):
            super().__init__()
            Remember.made.append(label)

    AutoencoderTransformer(**fast(callbacks=Remember, callbacks__label="routed")).fit(data)
    assert Remember.made == ["routed"]


def test_fit_callbacks_are_used_alongside_callbacks(data):
    class Epochs(keras.callbacks.Callback):
        def __init__(self, label="plain"):
            super().__init__()
            self.label, self.seen = label, []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(epoch)

    mine, both = Epochs(), Epochs()
    est = AutoencoderTransformer(**fast(fit__callbacks=[mine], callbacks=[both])).fit(data)
    assert mine.seen == both.seen == list(range(est.n_iter_)) and est.n_iter_ > 0
    routed = AutoencoderTransformer(**fast(fit__callbacks=Epochs,
                                           fit__callbacks__label="routed"))
    routed._initialize_callbacks()
    assert [cb.label for cb in routed._fit_callbacks] == ["routed"]


def test_warm_start_and_partial_fit_continue_training(data):
    est = AutoencoderTransformer(**{**FAST, "early_stopping": False, "warm_start": True})
    est.fit(data)
    first = est.model_
    est.fit(data)
    assert est.model_ is first and len(est.history_["loss"]) == 6
    est.partial_fit(data)
    assert len(est.history_["loss"]) == 7


def test_cold_refit_builds_a_new_network(data):
    est = AutoencoderTransformer(**FAST).fit(data)
    first = est.model_
    est.fit(data[:, :4])
    assert est.model_ is not first and est.n_features_in_ == 4
    assert est.transform(data[:, :4]).shape == (200, 2)


@pytest.mark.short_training
def test_conv2d_architecture_on_flat_rows():
    X = np.random.default_rng(0).uniform(size=(20, 64)).astype(np.float32)
    est = AutoencoderTransformer(
        architecture="conv2d", input_shape=(8, 8, 1), hidden_layer_sizes=(4,), epochs=1,
        output_activation="sigmoid", random_state=0,
    ).fit(X)
    assert est.reconstruct(X).shape == (20, 64)
    assert est.n_components_ == 4 * 4 * 4
    assert est.encoder_.get_layer("to_image").output.shape[1:] == (8, 8, 1)


@pytest.mark.short_training
def test_conv2d_with_odd_image_size_and_dense_code():
    X = np.random.default_rng(0).uniform(size=(10, 35))
    est = AutoencoderTransformer(
        architecture="conv2d", input_shape=(7, 5), hidden_layer_sizes=(4, 4), n_components=3,
        epochs=1, random_state=0,
    ).fit(X)
    assert est.transform(X).shape == (10, 3)
    assert est.reconstruct(X).shape == (10, 35)


@pytest.mark.short_training
def test_user_model_builder_gets_meta_and_routed_params(data):
    import keras

    seen = {}

    def build(meta, width):
        seen.update(meta, width=width)
        inp = keras.Input((meta["n_features_in_"],))
        encoder = keras.Model(inp, keras.layers.Dense(width)(inp), name="encoder")
        code = keras.Input((width,))
        decoder = keras.Model(code, keras.layers.Dense(meta["n_features_in_"])(code),
                              name="decoder")
        x = keras.Input((meta["n_features_in_"],))
        return keras.Model(x, decoder(encoder(x)))

    est = AutoencoderTransformer(model=build, model__width=3, epochs=2, random_state=0)
    est.fit(data)
    assert seen["width"] == 3 and seen["n_features_in_"] == 6
    assert isinstance(seen["random_state"], int)
    assert est.transform(data).shape == (200, 3)
    assert est.get_params()["model__width"] == 3


def test_user_model_without_encoder_and_decoder_is_refused(data):
    import keras

    def build(meta):
        x = keras.Input((meta["n_features_in_"],))
        return keras.Model(x, keras.layers.Dense(meta["n_features_in_"])(x))

    with pytest.raises(ValueError, match="named 'encoder' and 'decoder'"):
        AutoencoderTransformer(model=build, epochs=1).fit(data)
    with pytest.raises(ValueError, match="named 'encoder' and 'decoder'"):  # pre-built
        AutoencoderTransformer(model=build({"n_features_in_": 6}), epochs=1).fit(data)


def _squared_error(y_true, y_pred):  # a custom loss Keras cannot deserialise by name
    import keras

    return keras.ops.mean((y_true - y_pred) ** 2, axis=-1)


def _prebuilt(compiled: bool):
    import keras

    from skae._architectures import build_dense_autoencoder

    network = build_dense_autoencoder(6, hidden_layer_sizes=(8,), n_components=2, seed=0)
    if compiled:
        network.compile(optimizer=keras.optimizers.Adam(0.02), loss=_squared_error,
                        metrics=[keras.metrics.MeanAbsoluteError()])
    return network


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.short_training
def test_prebuilt_model_is_copied_not_trained_in_place(data, compiled):
    network = _prebuilt(compiled)
    before = [w.copy() for w in network.get_weights()]
    est = AutoencoderTransformer(model=network, epochs=3, random_state=0).fit(data)
    assert est.model_ is not network
    def same(weights):
        return all(np.array_equal(a, b) for a, b in zip(before, weights, strict=True))

    assert same(network.get_weights())
    assert network.compiled is compiled  # the caller's object was not compiled either
    assert not same(est.model_.get_weights())
    if compiled:  # the caller's compile settings, with an optimizer of its own
        assert est.model_.loss is _squared_error
        assert est.model_.optimizer is not network.optimizer
        assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.02)
        assert int(network.optimizer.iterations) == 0
    # every fit starts from the caller's weights: a refit is the same fit
    first = est.transform(data)
    np.testing.assert_allclose(est.fit(data).transform(data), first, rtol=1e-5, atol=1e-6)


def test_routed_optimizer_and_callbacks(data):
    import keras

    class Count(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Count.epochs += 1

    est = AutoencoderTransformer(
        **FAST, optimizer="sgd", optimizer__momentum=0.5, learning_rate=0.01,
        callbacks=[Count()],
    ).fit(data)
    config = est.model_.optimizer.get_config()
    assert config["momentum"] == 0.5
    assert config["learning_rate"] == pytest.approx(0.01)
    assert Count.epochs == est.n_iter_


# ------------------------------------------------------------------ denoiser
def test_denoiser_restores_better_than_the_noisy_input():
    rng = np.random.default_rng(0)
    latent = rng.uniform(size=(400, 2))
    X = np.clip(latent @ rng.uniform(size=(2, 16)) / 2, 0, 1)
    dae = DenoisingAutoencoder(
        noise_level=0.2, clip=(0, 1), output_activation="sigmoid", epochs=60,
        early_stopping=False, n_components=4, hidden_layer_sizes=(32,), random_state=0,
    ).fit(X)
    noisy = np.clip(X + 0.2 * rng.normal(size=X.shape), 0, 1)
    restored = dae.predict(noisy)
    assert restored.shape == X.shape
    assert np.mean((restored - X) ** 2) < 0.5 * np.mean((noisy - X) ** 2)


def test_denoiser_trains_on_given_pairs_without_corrupting(monkeypatch, data):
    import skae._denoising

    def _refuse(*args, **kwargs):
        raise AssertionError("pairs must not be corrupted again")

    monkeypatch.setattr(skae._denoising, "make_corruption", _refuse)
    noisy = data + 0.1
    dae = DenoisingAutoencoder(**FAST).fit(noisy, data)
    assert dae.predict(noisy).shape == data.shape


@pytest.mark.parametrize("as_column", [False, True])
def test_denoiser_ignores_label_vectors_and_rejects_misshapen_targets(data, as_column):
    labels = (data[:, 0] > 0).astype(int)
    labels = labels[:, None] if as_column else labels
    with_labels = DenoisingAutoencoder(**FAST).fit(data, labels)
    without = DenoisingAutoencoder(**FAST).fit(data)
    assert np.array_equal(with_labels.predict(data), without.predict(data))
    with pytest.raises(ValueError, match="clean rows"):
        DenoisingAutoencoder(**FAST).fit(data, data[:, :3])


# ------------------------------------------------------------------ detector
@pytest.fixture(scope="module")
def detector(data):
    return ReconstructionOutlierDetector(**{**FAST, "epochs": 30}).fit(data)


def test_detector_contract(detector, data):
    outliers = np.vstack([data[:5], 8 * np.ones((3, 6))])
    scores = detector.score_samples(outliers)
    assert scores.dtype == np.float64
    assert np.allclose(detector.decision_function(outliers), scores - detector.offset_)
    assert detector.offset_ == -detector.threshold_
    pred = detector.predict(outliers)
    assert set(np.unique(pred)) <= {-1, 1}
    assert np.array_equal(pred == -1, detector.decision_function(outliers) < 0)
    assert np.all(pred[-3:] == -1)


def test_auto_threshold_is_mean_plus_n_std(detector, data):
    import pickle

    rule = pickle.loads(pickle.dumps(detector))  # the fixture is shared: change a copy
    rule.set_params(threshold="mean_std", n_std=1.0).fit_threshold(data)
    errors = -rule.score_samples(data)  # the anomaly scores the rule applies to
    assert rule.threshold_ == pytest.approx(errors.mean() + errors.std(), rel=1e-4)


def test_contamination_flags_that_fraction(data):
    det = ReconstructionOutlierDetector(**FAST, contamination=0.1).fit(data)
    assert np.mean(det.predict(data) == -1) == pytest.approx(0.1, abs=0.01)


def test_normal_label_trains_on_normal_rows_only(data):
    y = np.r_[np.ones(150), np.zeros(50)].astype(int)
    det = ReconstructionOutlierDetector(**FAST, normal_label=1).fit(data, y)
    # clean rows choose the clean-row weights ('auto'); the reference states them
    ref = ReconstructionOutlierDetector(
        **FAST, isolation_weight=0.0, neighbour_weight=0.9
    ).fit(data[:150])
    assert np.allclose(det.score_samples(data), ref.score_samples(data))
    with pytest.raises(ValueError, match="needs labels"):
        ReconstructionOutlierDetector(**FAST, normal_label=1).fit(data)
    with pytest.raises(ValueError, match="No row of y equals normal_label=7"):
        ReconstructionOutlierDetector(**FAST, normal_label=7).fit(data, y)


def test_default_detector_ignores_y(data):
    y = np.r_[np.ones(150), np.zeros(50)].astype(int)
    a = ReconstructionOutlierDetector(**FAST).fit(data, y).score_samples(data)
    b = ReconstructionOutlierDetector(**FAST).fit(data).score_samples(data)
    assert np.array_equal(a, b)


def test_per_feature_errors_point_at_the_broken_feature(detector, data):
    row = data[:1].copy()
    row[0, 4] += 10
    per_feature = detector.reconstruction_error(row, per_feature=True)
    assert per_feature.argmax() == 4
