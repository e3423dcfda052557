"""What a scikit-learn user meets in the first hour: typos, constant data, sample weights,
bad Keras names, warnings on the user's line, collapse warnings that mean it, plain progress
lines in logs, and a default threshold that flags a few percent of clean rows."""

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector
from skae._thresholds import error_threshold

ROOT = Path(__file__).resolve().parents[1]
ESTIMATORS = [AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector]
SMALL = {"epochs": 2, "hidden_layer_sizes": (8,), "n_components": 2, "random_state": 0}


@pytest.fixture
def X_small():
    rng = np.random.default_rng(0)
    return rng.normal(size=(80, 2)) @ rng.normal(size=(2, 5)) + 0.05 * rng.normal(size=(80, 5))


# --------------------------------------------------------------------------- 1. typos


@pytest.mark.parametrize("Estimator, typo, right", [
    (ReconstructionOutlierDetector, "contamintion", "contamination"),
    (AutoencoderTransformer, "n_component", "n_components"),
    (DenoisingAutoencoder, "noise_levl", "noise_level"),
])
def test_misspelt_constructor_argument_is_a_type_error_with_the_closest_name(
    Estimator, typo, right
):
    with pytest.raises(TypeError, match=rf"unexpected keyword argument '{typo}'\. "
                                        rf"Did you mean '{right}'\?"):
        Estimator(**{typo: 0.1})


def test_routed_arguments_still_pass_through():
    est = AutoencoderTransformer(optimizer__beta_1=0.8, fit__shuffle=False, loss__reduction="sum")
    params = clone(est).get_params()
    assert params["optimizer__beta_1"] == 0.8 and params["fit__shuffle"] is False


def test_set_params_error_names_the_closest_parameter_not_the_constructor_form():
    est = AutoencoderTransformer()
    with pytest.raises(ValueError, match=r"Invalid parameter 'n_component'.*"
                                         r"Did you mean 'n_components'\?") as info:
        est.set_params(n_component=2)
    assert "AutoencoderTransformer(n_component" not in str(info.value)
    assert "constructor" not in str(info.value)


# --------------------------------------------------------------------------- 2. constant data


def test_constant_training_rows_give_a_finite_scale_and_flag_a_different_row():
    X = np.full((50, 5), 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        det = ReconstructionOutlierDetector(**SMALL).fit(X)
    assert np.all(det.feature_error_scale_ > 1e-12)
    assert det.predict(np.full((1, 5), 4.0)).tolist() == [-1]
    assert det.predict(np.full((1, 5), 3.0)).tolist() == [1]
    assert np.isfinite(det.score_samples(np.full((1, 5), 4.0))).all()


def test_a_constant_column_does_not_break_scoring(X_small):
    X = X_small.copy()
    X[:, 2] = 7.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the default training budget: after 2 epochs the ensemble has not yet learnt that
        # the column is constant, so a change in it is not yet unusual to it
        det = ReconstructionOutlierDetector(**{**SMALL, "epochs": "auto"}).fit(X)
    row = np.median(X, axis=0, keepdims=True)
    row[0, 2] = 9.0  # only the constant column differs
    assert det.predict(row).tolist() == [-1]
    assert np.isfinite(det.score_samples(row)).all()


# --------------------------------------------------------------------------- 3. default threshold


@pytest.mark.parametrize("load", [load_iris, load_wine])
def test_default_threshold_flags_a_few_percent_of_clean_training_rows(load):
    X = StandardScaler().fit_transform(load().data)
    det = ReconstructionOutlierDetector(random_state=0).fit(X)
    assert det.threshold == "log_mean_std"
    assert 0.0 < np.mean(det.predict(X) == -1) <= 0.06  # mean + 1 std flagged 8.7% / 16.3%


def test_mean_std_is_one_parameter_away(X_small):
    det = ReconstructionOutlierDetector(threshold="mean_std", **SMALL).fit(X_small)
    errors = -det.score_samples(X_small)  # the training rows' anomaly scores
    assert det.threshold_ == pytest.approx(errors.mean() + errors.std())


# --------------------------------------------------------------------------- 7. sample weights


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unit_weights_fit_as_no_weights(Estimator, X_small):
    plain = Estimator(**SMALL).fit(X_small)
    weighted = Estimator(**SMALL).fit(X_small, sample_weight=np.ones(len(X_small)))
    np.testing.assert_allclose(weighted.reconstruct(X_small), plain.reconstruct(X_small),
                               rtol=1e-5, atol=1e-6)


def test_weights_steer_the_loss():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(100, 2)) @ rng.normal(size=(2, 6))
    b = rng.normal(size=(100, 2)) @ rng.normal(size=(2, 6))
    X = np.vstack([a, b])
    params = {"epochs": 12, "hidden_layer_sizes": (8,), "n_components": 2, "random_state": 0,
              "learning_rate": 2e-2}
    errors = {}
    for favoured in ("a", "b"):
        w = np.r_[np.full(100, 10.0), np.full(100, 0.1)]
        if favoured == "b":
            w = w[::-1]
        ae = AutoencoderTransformer(**params).fit(X, sample_weight=w)
        errors[favoured] = ae.reconstruction_error(a).mean()
    assert errors["a"] < 0.7 * errors["b"]


def test_detector_threshold_uses_weighted_statistics(X_small):
    w = np.random.default_rng(1).integers(0, 3, size=len(X_small)).astype(float)
    det = ReconstructionOutlierDetector(**SMALL).fit(X_small, sample_weight=w)
    expected = error_threshold(-det.score_samples(X_small), contamination="auto",
                               threshold=det.threshold, n_std=det.n_std, sample_weight=w)
    assert det.threshold_ == pytest.approx(expected)


def test_sample_weight_through_a_pipeline_and_with_normal_label(X_small):
    y = np.r_[np.ones(70, dtype=int), -np.ones(10, dtype=int)]
    w = np.linspace(0.5, 2.0, len(X_small))
    pipe = make_pipeline(StandardScaler(), ReconstructionOutlierDetector(normal_label=1, **SMALL))
    pipe.fit(X_small, y, reconstructionoutlierdetector__sample_weight=w)
    det = pipe[-1]
    errors = -det.score_samples(pipe[0].transform(X_small[:70]))
    expected = error_threshold(errors, contamination="auto", threshold=det.threshold,
                               n_std=det.n_std, sample_weight=w[:70])
    assert det.threshold_ == pytest.approx(expected)


@pytest.mark.parametrize("sample_weight, match", [
    (np.ones(3), r"sample_weight.shape == \(3,\), expected \(80,\)"),
    (-np.ones(80), "Negative values in data passed to `sample_weight`"),
])
def test_bad_sample_weight_fails_before_training(sample_weight, match, X_small):
    det = ReconstructionOutlierDetector(**SMALL)
    with pytest.raises(ValueError, match=match):
        det.fit(X_small, sample_weight=sample_weight)
    assert not hasattr(det, "model_")


# --------------------------------------------------------------------------- 8. Keras names


@pytest.mark.parametrize("params, match", [
    ({"hidden_layer_sizes": (0,)}, r"hidden_layer_sizes=\(0,\) must hold positive integers"),
    ({"activation": "rel"}, r"activation='rel' is not a name Keras knows\. Did you mean 'relu'"),
    ({"loss": "mse2"}, r"loss='mse2' is not a name Keras knows\. Did you mean 'mse'"),
    ({"optimizer": "adamm"}, r"optimizer='adamm' is not a name Keras knows\. Did you mean 'adam'"),
])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_bad_keras_names_name_the_parameter_before_training(Estimator, params, match, X_small):
    est = Estimator(**{**SMALL, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(X_small)
    assert not hasattr(est, "model_")


def test_overcomplete_code_warns_without_noise_or_dropout(X_small):
    with pytest.warns(UserWarning, match=r"n_components=8 is not smaller than the 5 features"):
        AutoencoderTransformer(**{**SMALL, "n_components": 8}).fit(X_small)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        DenoisingAutoencoder(**{**SMALL, "n_components": 8}).fit(X_small)
        AutoencoderTransformer(**{**SMALL, "n_components": 8, "dropout": 0.2}).fit(X_small)
        AutoencoderTransformer(**{**SMALL, "n_components": 4}).fit(X_small)


# --------------------------------------------------------------------------- 10, 11. warnings


def _saturated_tanh_autoencoder(meta):
    """A tanh code layer saturated from the start (bias +100): a constant output."""
    n = meta["n_features_in_"]
    inputs = keras.Input((n,))
    code = keras.layers.Dense(3, activation="tanh",
                              bias_initializer=keras.initializers.Constant(100.0))(inputs)
    encoder = keras.Model(inputs, code, name="encoder")
    code_in = keras.Input((3,))
    # seeded: an unseeded initialiser draws from Keras's global state, which the tests
    # run before this one move, and some draws start the constant output near the mean
    init = keras.initializers.GlorotUniform(seed=meta["random_state"])
    decoder = keras.Model(code_in, keras.layers.Dense(n, kernel_initializer=init)(code_in),
                          name="decoder")
    ae_in = keras.Input((n,))
    return keras.Model(ae_in, decoder(encoder(ae_in)), name="autoencoder")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warnings_point_to_the_users_line(Estimator, X_small):
    est = Estimator(model=_saturated_tanh_autoencoder, epochs=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X_small)
    collapse = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert collapse, "a saturated network must warn"
    assert {w.filename for w in collapse} == {__file__}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_pipeline(StandardScaler(), clone(est)).fit(X_small)
    assert {w.filename for w in caught if issubclass(w.category, ConvergenceWarning)} == {
        __file__
    }


def test_collapse_hint_fits_a_tanh_network(X_small):
    est = ReconstructionOutlierDetector(model=_saturated_tanh_autoencoder, epochs=2,
                                        random_state=0)
    with pytest.warns(ConvergenceWarning, match="training collapsed") as record:
        est.fit(X_small)
    message = " ".join(str(w.message) for w in record)
    assert "saturated" in message and "ReLU" not in message


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("epochs", [2, 3])
def test_short_healthy_fits_do_not_warn_of_collapse(Estimator, epochs):
    X = StandardScaler().fit_transform(load_iris().data)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ConvergenceWarning)
        Estimator(epochs=epochs, random_state=0).fit(X)
    # a run this short may still be worse than the column means (and says so), not collapsed
    assert not [w for w in record if "collapsed" in str(w.message)]


# --------------------------------------------------------------------------- 12. progress lines


def test_verbose_writes_plain_lines_into_a_pipe():
    code = """
    import numpy as np
    from skae import AutoencoderTransformer
    X = np.random.default_rng(0).normal(size=(64, 4))
    AutoencoderTransformer(epochs=2, verbose=1, random_state=0).fit(X)
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            env=env, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = result.stdout.decode()
    assert "Epoch 2/2" in out and "loss:" in out
    for control in ("\x1b[", "\r", "\x08"):
        assert control not in out


def test_verbose_keeps_the_bar_on_a_terminal():
    from skae._progress import keras_verbose

    class Terminal:
        def isatty(self):
            return True

    assert keras_verbose(1, Terminal()) == 1
    assert keras_verbose(True, Terminal()) == 1
    assert keras_verbose(2, Terminal()) == 2


# --------------------------------------------------------------------------- 6. silently wrong fits


def test_a_huge_learning_rate_is_a_failed_fit_that_leaves_the_detector_as_it_was(X_small):
    detector = ReconstructionOutlierDetector(**SMALL).fit(X_small)
    before = detector.score_samples(X_small)
    with pytest.raises(ValueError, match="Training diverged: .* times that of predicting "
                                         "each column's mean.*`learning_rate`"):
        detector.set_params(learning_rate=1e3, epochs=5).fit(X_small)
    np.testing.assert_array_equal(detector.score_samples(X_small), before)


def test_worse_than_the_column_means_warns_naming_what_to_change(X_small):
    # far from 0 and barely trained: the detector's network (no PCA floor) is further off
    # than the column means
    est = ReconstructionOutlierDetector(**{**SMALL, "learning_rate": 1e-5, "scaling": None})
    with pytest.warns(ConvergenceWarning, match="worse than predicting each column's mean.*"
                                                "`epochs`.*`learning_rate`"):
        est.fit(X_small + 2.0)


@pytest.mark.parametrize("Estimator", [AutoencoderTransformer, DenoisingAutoencoder])
def test_the_pca_floor_keeps_a_barely_trained_network_better_than_the_means(
        Estimator, X_small):
    X = X_small + 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = Estimator(**{**SMALL, "learning_rate": 1e-5}).fit(X)
    means_mse = float(((X - X.mean(axis=0)) ** 2).mean())
    assert float(((est.reconstruct(X) - X) ** 2).mean()) < means_mse


@pytest.mark.short_training
def test_normal_label_keeping_a_minority_warns_that_labels_may_be_reversed(X_small):
    y = (np.arange(len(X_small)) < 12).astype(int)  # PyOD-style: 1 = anomaly, 15 %
    with pytest.warns(UserWarning, match="keeps 12 of the 80 labelled rows.*normal_label=0"):
        ReconstructionOutlierDetector(normal_label=1, **SMALL).fit(X_small, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ReconstructionOutlierDetector(normal_label=0, **SMALL).fit(X_small, y)


@pytest.mark.parametrize("Estimator, n_rows, minimum", [
    (ReconstructionOutlierDetector, 1, 10),
    (ReconstructionOutlierDetector, 2, 10),
    (ReconstructionOutlierDetector, 9, 10),
    (AutoencoderTransformer, 1, 2),
    (DenoisingAutoencoder, 1, 2),
])
def test_too_few_rows_are_refused_before_training(Estimator, n_rows, minimum, X_small,
                                                  count_training):
    # scikit-learn's wording (check_array's ensure_min_samples), which its checks expect
    expected = (rf"Found array with {n_rows} sample\(s\) while a minimum of {minimum} is "
                rf"required by {Estimator.__name__}")
    with pytest.raises(ValueError, match=expected):
        Estimator(**SMALL).fit(X_small[:n_rows])
    assert count_training == []


def test_the_fewest_rows_accepted_fit(X_small):
    ReconstructionOutlierDetector(**SMALL).fit(X_small[:10])
    AutoencoderTransformer(**SMALL).fit(X_small[:2])


def test_too_few_normal_rows_are_refused_naming_the_selection(X_small):
    y = np.r_[np.zeros(5, dtype=int), np.ones(9, dtype=int)]
    with pytest.raises(ValueError, match=r"5 sample\(s\) \(the rows with y == 0\) while a "
                                         "minimum of 10"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ReconstructionOutlierDetector(normal_label=0, **SMALL).fit(X_small[:14], y)


def test_denoiser_output_stays_within_clip():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(60, 6))
    dae = DenoisingAutoencoder(clip=(0, 1), **SMALL).fit(X)
    far = 3 * X - 1  # rows the linear output maps beyond [0, 1]
    raw = dae.reconstruct(far)
    assert raw.min() < 0 or raw.max() > 1  # the bound has work to do
    restored = dae.predict(far)
    assert restored.min() >= 0 and restored.max() <= 1
    inside = (raw >= 0) & (raw <= 1)
    np.testing.assert_array_equal(restored[inside], raw[inside])
