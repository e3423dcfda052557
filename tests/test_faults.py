"""Faults during training: divergence, interruptions and refits leave no half-fitted state."""

import copy
import warnings

import keras
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skae import AutoencoderTransformer, ReconstructionOutlierDetector
from skae._training import TrainingDiverged

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAMS = {"epochs": 2, "hidden_layer_sizes": (6,), "n_components": 2, "random_state": 0,
          "batch_size": 10, "early_stopping": False}


def _data(n=40, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_features))


@pytest.fixture(scope="module")
def _fitted_once():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {cls: cls(**PARAMS).fit(_data())
                for cls in (AutoencoderTransformer, ReconstructionOutlierDetector)}


@pytest.fixture
def fitted(_fitted_once):
    """A fitted detector of its own (a deep copy: tests may break it)."""
    return copy.deepcopy(_fitted_once[ReconstructionOutlierDetector])


@pytest.fixture
def fitted_ae(_fitted_once):
    """A fitted transformer of its own: it sees X unscaled, so X can make the loss overflow."""
    return copy.deepcopy(_fitted_once[AutoencoderTransformer])


def _state(est):
    """Everything a fit may change, copied."""
    network = est.model_
    return {
        "network": network,
        "weights": [w.copy() for w in network.get_weights()],
        "optimizer": [v.numpy().copy() for v in network.optimizer.variables],
        "attributes": {k: copy.deepcopy(v) for k, v in vars(est).items()
                       if k.endswith("_") and k not in ("model_", "encoder_", "decoder_")},
        "scores": est.score_samples(_data(10, seed=1)),
        "predict": (est.predict if hasattr(est, "decision_function") else est.transform)(
            _data(10, seed=1)),
    }


def _assert_unchanged(est, before):
    after = _state(est)
    assert after["network"] is before["network"]
    for got, want in zip(after["weights"], before["weights"], strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(after["optimizer"], before["optimizer"], strict=True):
        np.testing.assert_array_equal(got, want)  # Adam's moments and step count too
    np.testing.assert_equal(after["attributes"], before["attributes"])  # nested, arrays too
    np.testing.assert_array_equal(after["scores"], before["scores"])
    np.testing.assert_array_equal(after["predict"], before["predict"])


def _assert_unfitted(est):
    assert not hasattr(est, "model_") and not hasattr(est, "n_features_in_")
    assert not [k for k in vars(est) if k.endswith("_")]
    with pytest.raises(NotFittedError, match="not fitted yet"):
        est.score_samples(_data(3))


class _EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs += 1


class _Interrupt(keras.callbacks.Callback):
    """Raise ``exc`` after a few weight updates of the first epoch."""

    def __init__(self, exc):
        super().__init__()
        self.exc = exc

    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            raise self.exc


class _PoisonWeightsAtEnd(keras.callbacks.Callback):
    """Turn a kernel NaN after the last step, when every loss seen was finite."""

    def on_train_end(self, logs=None):
        weights = self.model.get_weights()
        weights[0] = np.full_like(weights[0], np.nan)
        self.model.set_weights(weights)


# ---------------------------------------------------------------------- divergence
DIVERGENCES = {
    "huge-learning-rate": ({"learning_rate": 1e6, "epochs": 50}, 1.0),
    "loss-overflow": ({"epochs": 50}, 1e30),  # squared errors beyond float32
}


@pytest.mark.parametrize(
    "how, warm_start",
    # (a warm start keeps the compiled optimizer, so a new learning_rate does not apply)
    [("huge-learning-rate", False), ("loss-overflow", False), ("loss-overflow", True)],
    ids=["huge-learning-rate-cold", "loss-overflow-cold", "loss-overflow-warm"],
)
def test_divergence_stops_and_keeps_the_previous_fit(fitted_ae, how, warm_start):
    params, scale = DIVERGENCES[how]
    before = _state(fitted_ae)
    counter = _EpochCounter()
    fitted_ae.set_params(**params, warm_start=warm_start, callbacks=[counter])
    with pytest.raises(TrainingDiverged, match="diverged.*left as it was"):
        fitted_ae.fit(_data() * scale)
    assert isinstance(TrainingDiverged("x"), ValueError)
    assert 1 <= counter.epochs < 50  # training stopped at the first non-finite loss
    _assert_unchanged(fitted_ae, before)


@pytest.mark.parametrize("how", DIVERGENCES)
def test_divergence_leaves_a_fresh_estimator_unfitted(how):
    params, scale = DIVERGENCES[how]
    est = AutoencoderTransformer(**{**PARAMS, **params})
    with pytest.raises(TrainingDiverged, match="Training diverged"):
        est.fit(_data() * scale)
    _assert_unfitted(est)


def test_nan_weights_after_the_last_finite_loss_are_caught(fitted):
    fresh = AutoencoderTransformer(**PARAMS, callbacks=[_PoisonWeightsAtEnd()])
    with pytest.raises(TrainingDiverged, match="weights or its reconstruction"):
        fresh.fit(_data())
    _assert_unfitted(fresh)

    before = _state(fitted)
    fitted.set_params(warm_start=True, callbacks=[_PoisonWeightsAtEnd()])
    with pytest.raises(TrainingDiverged, match="weights or its reconstruction"):
        fitted.fit(_data())  # fails after history_ was extended: history_ must be restored
    _assert_unchanged(fitted, before)


# ---------------------------------------------------------------------- interruptions
@pytest.mark.parametrize(
    "exc, mode",
    [
        (RuntimeError("callback failed"), "fresh"),
        (RuntimeError("callback failed"), "cold-refit"),
        (RuntimeError("callback failed"), "warm-start"),
        (RuntimeError("callback failed"), "partial-fit"),
        (KeyboardInterrupt("interrupted"), "fresh"),
        (KeyboardInterrupt("interrupted"), "warm-start"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_interrupted_fit_leaves_previous_state(fitted, exc, mode):
    est = AutoencoderTransformer(**PARAMS) if mode == "fresh" else fitted
    before = None if mode == "fresh" else _state(est)
    est.set_params(callbacks=[_Interrupt(exc)], warm_start=mode == "warm-start")
    with pytest.raises(type(exc), match=str(exc)):
        if mode == "partial-fit":
            est.partial_fit(_data(seed=2))
        else:
            est.fit(_data(seed=2))
    if before is None:
        _assert_unfitted(est)
        return
    _assert_unchanged(est, before)
    # and the rolled-back network trains on: one more epoch from the previous weights
    est.set_params(callbacks=None).partial_fit(_data(seed=2))
    assert est.n_iter_ == 1 and len(est.history_["loss"]) == len(before["attributes"][
        "history_"]["loss"]) + 1
    assert np.isfinite(est.score_samples(_data(5))).all()


# ---------------------------------------------------------------------- refits
def test_cold_refit_on_other_features_forgets_the_previous_model(fitted):
    import pandas as pd

    fitted.set_params(epochs=1).fit(pd.DataFrame(_data(), columns=list("abcd")))
    assert list(fitted.feature_names_in_) == list("abcd")
    old_network = fitted.model_
    X6 = _data(n_features=6)
    fitted.fit(X6)
    assert fitted.n_features_in_ == 6 and not hasattr(fitted, "feature_names_in_")
    assert fitted.model_ is not old_network
    assert fitted.reconstruct(X6).shape == (40, 6)
    assert fitted.score_samples(X6).shape == (40,)
    assert fitted.n_iter_ == 1 and len(fitted.history_["loss"]) == 1
    with pytest.raises(ValueError, match="features"):
        fitted.score_samples(_data())


def test_cold_refit_equals_a_fresh_fit(fitted):
    X_new = _data(seed=5) * 2 + 1
    fitted.fit(X_new)
    fresh = ReconstructionOutlierDetector(**PARAMS).fit(X_new)
    for got, want in zip(fitted.model_.get_weights(), fresh.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert fitted.history_ == fresh.history_ and fitted.threshold_ == fresh.threshold_
    np.testing.assert_array_equal(fitted.score_samples(X_new), fresh.score_samples(X_new))


def test_warm_refit_on_other_features_is_refused_and_harmless(fitted):
    before = _state(fitted)
    fitted.set_params(warm_start=True)
    with pytest.raises(ValueError, match="features"):
        fitted.fit(_data(n_features=6))
    with pytest.raises(ValueError, match="features"):
        fitted.partial_fit(_data(n_features=3))
    _assert_unchanged(fitted, before)


# ---------------------------------------------------------------------- continued training
def test_warm_start_trains_with_the_current_optimizer_settings():
    """A changed learning_rate or optimizer between two warm-started fits is used, not
    silently replaced by the optimizer compiled in the first fit."""
    est = AutoencoderTransformer(**PARAMS, warm_start=True, learning_rate=1e-3).fit(_data())
    first_optimizer = est.model_.optimizer
    est.set_params(learning_rate=0.05).fit(_data())
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.05)
    est.set_params(optimizer="sgd").fit(_data())
    assert isinstance(est.model_.optimizer, keras.optimizers.SGD)
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert est.model_.optimizer is not first_optimizer
    assert len(est.history_["loss"]) == 3 * PARAMS["epochs"]  # one training, continued


def test_warm_start_with_unchanged_settings_keeps_the_optimizer_state():
    est = AutoencoderTransformer(**PARAMS, warm_start=True).fit(_data())
    optimizer = est.model_.optimizer
    steps = int(optimizer.iterations)
    est.fit(_data())
    est.partial_fit(_data())
    assert est.model_.optimizer is optimizer
    assert int(optimizer.iterations) == steps * 2 + steps // PARAMS["epochs"]


def test_warm_start_compiles_with_a_changed_loss_and_metrics():
    est = AutoencoderTransformer(**PARAMS, warm_start=True).fit(_data())
    est.set_params(loss="mae").fit(_data())
    assert est.model_.loss is keras.losses.get("mae")
    est.set_params(metrics=["mse"]).fit(_data())
    assert len(est.history_["mean_squared_error"]) == PARAMS["epochs"]  # this fit's only
    est.set_params(loss=keras.losses.Huber, loss__delta=0.5).fit(_data())
    assert isinstance(est.model_.loss, keras.losses.Huber)
    assert est.model_.loss._fn_kwargs["delta"] == 0.5  # (Keras's get_config omits it)
    est.set_params(loss__delta=0.25).fit(_data())
    assert est.model_.loss._fn_kwargs["delta"] == 0.25


def test_failed_warm_start_with_new_settings_leaves_the_old_network():
    est = AutoencoderTransformer(**PARAMS, warm_start=True).fit(_data())
    network, weights = est.model_, [w.copy() for w in est.model_.get_weights()]
    est.set_params(learning_rate=0.05, callbacks=[_Interrupt(RuntimeError("stop"))])
    with pytest.raises(RuntimeError, match="stop"):
        est.fit(_data())
    assert est.model_ is network
    assert float(network.optimizer.learning_rate) == pytest.approx(1e-3)
    for before, after in zip(weights, network.get_weights(), strict=True):
        np.testing.assert_array_equal(after, before)


# ---------------------------------------------------------------------- decoding codes
@pytest.mark.parametrize("magnitude", [3e38, 1e300])  # decodes beyond float32; is beyond
def test_inverse_transform_of_overflowing_codes_is_a_clear_error(fitted_ae, magnitude):
    codes = np.full((3, fitted_ae.n_components_), magnitude)
    codes[0] = fitted_ae.transform(_data(1))  # one ordinary code among them
    with pytest.raises(ValueError, match="float32 range"):
        fitted_ae.inverse_transform(codes)
    if magnitude < float(np.finfo(np.float32).max):
        with pytest.raises(ValueError, match="float32 range"):
            fitted_ae.inverse_transform(codes[1:].astype(np.float32))
    fitted_ae.inverse_transform(codes[:1])  # ordinary codes still decode


def test_inverse_transform_reports_other_decoding_errors_as_they_are(fitted_ae, monkeypatch):
    def broken(codes):
        raise ValueError("a decoding error of its own")

    monkeypatch.setattr(fitted_ae._passes, "decode", broken)
    with pytest.raises(ValueError, match="^a decoding error of its own$"):
        fitted_ae.inverse_transform(fitted_ae.transform(_data(2)))
