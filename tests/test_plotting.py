"""Tests of skae.plotting: what each Display draws, and how it rejects bad input."""

import doctest
import os
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

import skae.plotting
from skae.plotting import (
    ErrorHistogramDisplay,
    ImageReconstructionDisplay,
    SignalReconstructionDisplay,
    TrainingHistoryDisplay,
    _errors,
    _history,
    _images,
    _signals,
)

matplotlib.use("Agg")  # switches pyplot to the non-interactive backend

PLOTTING_DIR = Path(skae.plotting.__file__).parent


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


class FakeAutoencoder:
    """Implements the estimator contract the displays rely on: reconstruction = 0.9 * X."""

    def __init__(self, input_shape=None, history=None):
        self.input_shape = input_shape
        self.history_ = history
        self.reconstructed_rows = []

    def reconstruct(self, X):
        X = np.asarray(X, dtype=float)
        self.reconstructed_rows.append(X.shape[0])
        return 0.9 * X

    def reconstruction_error(self, X):
        X = np.asarray(X, dtype=float)
        return np.mean((X - 0.9 * X) ** 2, axis=1)

    def score_samples(self, X):
        return -self.reconstruction_error(X)


class FakeDetector(FakeAutoencoder):
    def __init__(self, threshold):
        super().__init__()
        self.threshold_ = threshold
        self.offset_ = -threshold


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.fixture
def images_X():
    return np.random.RandomState(0).uniform(size=(12, 16))  # 12 images of 4x4


# --------------------------------------------------------------------------- module


def test_public_api():
    assert sorted(skae.plotting.__all__) == [
        "ErrorHistogramDisplay",
        "ImageReconstructionDisplay",
        "SignalReconstructionDisplay",
        "TrainingHistoryDisplay",
    ]
    for name in skae.plotting.__all__:
        assert getattr(skae.plotting, name).__module__.startswith("skae.plotting._")


def test_import_does_not_load_pyplot_or_tensorflow():
    # Load skae.plotting under a stub parent package so that only its own imports count
    # (skae/__init__.py is free to import what it wants).
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('skae')\n"
        f"pkg.__path__ = [{str(PLOTTING_DIR.parent)!r}]\n"
        "sys.modules['skae'] = pkg\n"
        "import skae.plotting\n"
        "bad = [m for m in ('matplotlib.pyplot', 'tensorflow', 'keras') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "assert skae.plotting.ImageReconstructionDisplay\n"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", [_images, _signals, _errors, _history])
def test_docstring_examples_run(module):
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0


# --------------------------------------------------------------------------- images


def test_images_from_predictions_grid(images_X):
    X_rec = 0.5 * images_X
    disp = ImageReconstructionDisplay.from_predictions(images_X, X_rec, n_images=5)
    assert disp.images_.shape == (2, 5)
    assert disp.axes_.shape == (2, 5)
    assert disp.ax_ is disp.axes_[0, 0]
    assert disp.figure_ is disp.ax_.figure
    assert disp.bounding_ax_ is not None and not disp.bounding_ax_.axison
    assert_array_equal(disp.indices, np.arange(5))
    for j in range(5):
        assert_allclose(disp.images_[0, j].get_array(), images_X[j].reshape(4, 4))
        assert_allclose(disp.images_[1, j].get_array(), X_rec[j].reshape(4, 4))
        assert disp.axes_[0, j].get_title() == f"#{j}"
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == ["original", "reconstruction"]
    # one colour scale for every image, the inputs' range, so reconstructions compare
    clims = {im.get_clim() for im in disp.images_.ravel()}
    assert clims == {(images_X[:5].min(), images_X[:5].max())}


def test_images_from_estimator_denoising_three_rows(images_X):
    est = FakeAutoencoder()
    noisy = images_X + 0.1
    disp = ImageReconstructionDisplay.from_estimator(est, noisy, X_clean=images_X, n_images=3)
    assert disp.images_.shape == (3, 3)
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == ["noisy", "restored", "clean"]
    assert_allclose(disp.images_[0, 1].get_array(), noisy[1].reshape(4, 4))
    assert_allclose(disp.images_[1, 1].get_array(), 0.9 * noisy[1].reshape(4, 4))
    assert_allclose(disp.images_[2, 1].get_array(), images_X[1].reshape(4, 4))
    clean_and_noisy = np.r_[images_X[:3], noisy[:3]]
    assert disp.images_[1, 0].get_clim() == (clean_and_noisy.min(), clean_and_noisy.max())
    # only the shown rows go through the network
    assert est.reconstructed_rows == [3]


def test_images_shape_from_estimator_input_shape():
    X = np.arange(2 * 24, dtype=float).reshape(2, 24)
    est = FakeAutoencoder(input_shape=(4, 6, 1))  # trailing channel of 1 is squeezed
    disp = ImageReconstructionDisplay.from_estimator(est, X)
    assert disp.images_.shape == (2, 2)
    assert disp.images_[0, 0].get_array().shape == (4, 6)
    assert_allclose(disp.images_[0, 1].get_array(), X[1].reshape(4, 6))


def test_images_explicit_image_shape_and_rgb():
    X = np.random.RandomState(1).uniform(size=(3, 12))
    disp = ImageReconstructionDisplay.from_predictions(X, X, image_shape=(2, 2, 3))
    assert disp.images_[0, 0].get_array().shape == (2, 2, 3)
    disp = ImageReconstructionDisplay.from_predictions(X, X, image_shape=(3, 4), show_indices=False)
    assert disp.images_[1, 2].get_array().shape == (3, 4)
    assert disp.axes_[0, 0].get_title() == ""


def test_images_selection(images_X):
    disp = ImageReconstructionDisplay.from_predictions(images_X, images_X, indices=[7, 2])
    assert_array_equal(disp.indices, [7, 2])
    assert_allclose(disp.images_[0, 0].get_array(), images_X[7].reshape(4, 4))
    assert disp.axes_[0, 1].get_title() == "#2"

    a = ImageReconstructionDisplay.from_predictions(images_X, images_X, n_images=4, random_state=0)
    b = ImageReconstructionDisplay.from_predictions(images_X, images_X, n_images=4, random_state=0)
    assert_array_equal(a.indices, b.indices)
    assert len(np.unique(a.indices)) == 4
    assert not np.array_equal(a.indices, np.arange(4))

    capped = ImageReconstructionDisplay.from_predictions(images_X, images_X, n_images=100)
    assert capped.images_.shape == (2, 12)


def test_images_bounding_ax_reused(images_X):
    fig, ax = plt.subplots()
    disp = ImageReconstructionDisplay.from_predictions(images_X, images_X, n_images=3, ax=ax)
    assert disp.bounding_ax_ is ax
    assert disp.figure_ is fig
    assert not ax.axison
    assert len(fig.axes) == 1 + 2 * 3
    assert len(plt.get_fignums()) == 1


def test_images_array_of_axes(images_X):
    fig, axes = plt.subplots(2, 3)
    disp = ImageReconstructionDisplay.from_predictions(images_X, images_X, n_images=3, ax=axes)
    assert disp.bounding_ax_ is None
    assert disp.axes_[1, 2] is axes[1, 2]
    assert len(axes[1, 2].images) == 1
    assert len(fig.axes) == 6


def test_images_plot_kwargs(images_X):
    disp = ImageReconstructionDisplay.from_predictions(
        images_X,
        images_X,
        n_images=2,
        row_labels=["in", "out"],
        cmap="viridis",
        imshow_kwargs={"vmin": 0, "vmax": 2},
    )
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == ["in", "out"]
    assert disp.images_[0, 0].get_cmap().name == "viridis"
    assert disp.images_[1, 1].get_clim() == (0, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_shape": (3, 5)}, "16 columns"),
        ({"image_shape": (2, 4, 2)}, "1, 3 or 4 channels"),
        ({"image_shape": (-4, -4)}, "positive integers"),
        ({"X_reconstructed": np.zeros((12, 15))}, "same shape"),
        ({"X_clean": np.zeros((11, 16))}, "same shape"),
        ({"n_images": 0}, "n_images"),
        ({"indices": [0, 12]}, r"\[0, 12\)"),
        ({"indices": [0.5]}, "integers"),
        ({"row_labels": ["a"]}, "row_labels"),
        ({"ax": np.empty(5, dtype=object)}, "Expected 20 Axes"),
    ],
)
def test_images_bad_input(images_X, kwargs, match):
    kwargs = {"X_reconstructed": images_X, **kwargs}
    with pytest.raises(ValueError, match=match):
        ImageReconstructionDisplay.from_predictions(images_X, **kwargs)
    assert plt.get_fignums() == []  # raised before drawing


def test_images_cannot_infer_shape():
    X = np.zeros((3, 10))
    with pytest.raises(ValueError, match="pass image_shape"):
        ImageReconstructionDisplay.from_predictions(X, X)
    with pytest.raises(ValueError, match="image_shape"):
        ImageReconstructionDisplay.from_estimator(FakeAutoencoder(input_shape=(3, 3, 1)), X)
    assert plt.get_fignums() == []


def test_images_bad_estimator(images_X):
    class NoReconstruct:
        pass

    class WrongShape(FakeAutoencoder):
        def reconstruct(self, X):
            return np.zeros((1, 16))

    with pytest.raises(TypeError, match="reconstruct"):
        ImageReconstructionDisplay.from_estimator(NoReconstruct(), images_X)
    with pytest.raises(ValueError, match="returned shape"):
        ImageReconstructionDisplay.from_estimator(WrongShape(), images_X, n_images=3)
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- signals


def test_signal_from_predictions():
    time = np.linspace(0.0, 1.0, 30)
    x = np.sin(6 * time)
    x_rec = 0.8 * x
    disp = SignalReconstructionDisplay.from_predictions(x, x_rec, time=time)
    assert len(disp.input_lines_) == len(disp.reconstruction_lines_) == 1
    assert_allclose(disp.input_lines_[0].get_ydata(), x)
    assert_allclose(disp.input_lines_[0].get_xdata(), time)
    assert_allclose(disp.reconstruction_lines_[0].get_ydata(), x_rec)
    (fill,) = disp.error_fills_
    assert isinstance(fill, PolyCollection) and fill in disp.ax_.collections
    vertices = fill.get_paths()[0].vertices
    assert_allclose([vertices[:, 0].min(), vertices[:, 0].max()], [0.0, 1.0])
    assert_allclose([vertices[:, 1].min(), vertices[:, 1].max()], [x.min(), x.max()])
    assert legend_texts(disp.ax_) == ["input", "reconstruction", "error"]
    assert disp.ax_.get_title() == f"mean squared difference: {np.mean((x - x_rec) ** 2):.4g}"
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("time", "value")


def test_signal_from_estimator_one_row():
    X = np.random.RandomState(0).normal(size=(5, 20))
    est = FakeAutoencoder()
    fig, ax = plt.subplots()
    disp = SignalReconstructionDisplay.from_estimator(est, X, index=3, ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert_allclose(disp.input_lines_[0].get_ydata(), X[3])
    assert_allclose(disp.reconstruction_lines_[0].get_xdata(), np.arange(20))
    assert_allclose(disp.reconstruction_lines_[0].get_ydata(), 0.9 * X[3])
    error = est.reconstruction_error(X[3:4])[0]
    assert disp.ax_.get_title() == (
        f"row 3, mean squared difference: {np.mean((X[3] - 0.9 * X[3]) ** 2):.4g}\n"
        f"FakeAutoencoder.reconstruction_error: {error:.4g}"
    )
    assert est.reconstructed_rows == [1]


def test_signal_from_estimator_several_rows():
    X = np.random.RandomState(0).normal(size=(5, 20))
    disp = SignalReconstructionDisplay.from_estimator(FakeAutoencoder(), X, index=[0, -1])
    assert len(disp.input_lines_) == len(disp.error_fills_) == 2
    assert_allclose(disp.input_lines_[1].get_ydata(), X[4])
    assert legend_texts(disp.ax_) == [
        "input [0]",
        "reconstruction [0]",
        "error [0]",
        "input [4]",
        "reconstruction [4]",
        "error [4]",
    ]
    assert disp.reconstruction_lines_[0].get_linestyle() == "--"
    assert disp.ax_.get_title() == ""


def test_signal_style_kwargs_aliases():
    x = np.arange(5.0)
    disp = SignalReconstructionDisplay.from_predictions(
        x, x + 1, input_kwargs={"c": "green", "lw": 3}, fill_kwargs={"label": "gap"}
    )
    assert disp.input_lines_[0].get_color() == "green"
    assert disp.input_lines_[0].get_linewidth() == 3
    assert legend_texts(disp.ax_)[-1] == "gap"


@pytest.mark.parametrize(
    "x, x_rec, kwargs, match",
    [
        (np.zeros(10), np.zeros(9), {}, "same shape"),
        (np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), {}, "1-D or 2-D"),
        (np.zeros(10), np.zeros(10), {"time": np.arange(9)}, r"expected \(10,\)"),
        (np.zeros(1), np.zeros(1), {}, "at least 2"),
        (np.array([0.0, np.nan]), np.zeros(2), {}, "NaN"),
    ],
)
def test_signal_bad_input(x, x_rec, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SignalReconstructionDisplay.from_predictions(x, x_rec, **kwargs)
    assert plt.get_fignums() == []


def test_signal_from_estimator_bad_input():
    X = np.zeros((4, 10))
    with pytest.raises(ValueError, match="out of range"):
        SignalReconstructionDisplay.from_estimator(FakeAutoencoder(), X, index=4)
    with pytest.raises(ValueError, match="integer"):
        SignalReconstructionDisplay.from_estimator(FakeAutoencoder(), X, index=1.5)
    with pytest.raises(ValueError, match="2-D"):
        SignalReconstructionDisplay.from_estimator(FakeAutoencoder(), X[0])
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- errors


def test_error_histogram_from_predictions():
    rng = np.random.RandomState(0)
    errors = np.r_[rng.uniform(0, 1, 30), rng.uniform(2, 3, 10)]
    y = np.r_[np.ones(30), np.zeros(10)]
    disp = ErrorHistogramDisplay.from_predictions(errors, y, threshold=1.5, bins=20)
    assert set(disp.bars_) == {"normal", "abnormal"}
    assert sum(p.get_height() for p in disp.bars_["normal"]) == 30
    assert sum(p.get_height() for p in disp.bars_["abnormal"]) == 10
    assert len(disp.bars_["normal"]) == len(disp.bars_["abnormal"]) == 20
    assert_allclose(disp.bin_edges_[[0, -1]], [errors.min(), errors.max()])
    assert disp.bars_["normal"][0].get_alpha() == 0.5
    assert_allclose(disp.threshold_line_.get_xdata(), [1.5, 1.5])
    assert legend_texts(disp.ax_) == ["normal (n=30)", "abnormal (n=10)", "threshold = 1.5"]
    assert disp.ax_.get_xlabel() == "reconstruction error"


def test_error_histogram_without_labels_or_threshold():
    errors = np.linspace(0, 1, 25)
    fig, ax = plt.subplots()
    disp = ErrorHistogramDisplay.from_predictions(errors, ax=ax, bins=5)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert list(disp.bars_) == ["all"]
    assert [p.get_height() for p in disp.bars_["all"]] == [5, 5, 5, 5, 5]
    assert disp.threshold_line_ is None
    assert legend_texts(ax) == ["all (n=25)"]


def test_error_histogram_from_estimator_uses_threshold_():
    X = np.random.RandomState(0).normal(size=(40, 6))
    y = np.where(np.arange(40) < 30, 1, -1)
    detector = FakeDetector(threshold=0.02)
    disp = ErrorHistogramDisplay.from_estimator(detector, X, y, bins=10)
    assert_allclose(disp.threshold_line_.get_xdata(), [0.02, 0.02])
    expected, _ = np.histogram(detector.reconstruction_error(X[y == -1]), bins=disp.bin_edges_)
    assert_allclose([p.get_height() for p in disp.bars_["abnormal"]], expected)

    disp = ErrorHistogramDisplay.from_estimator(detector, X, threshold=0.5)
    assert_allclose(disp.threshold_line_.get_xdata(), [0.5, 0.5])
    assert sum(p.get_height() for p in disp.bars_["all"]) == 40
    disp = ErrorHistogramDisplay.from_estimator(FakeAutoencoder(), X)
    assert disp.threshold_line_ is None


def test_error_histogram_normal_label():
    errors = np.arange(6.0)
    y = np.array(["ok", "ok", "bad", "ok", "bad", "bad"])
    disp = ErrorHistogramDisplay.from_predictions(errors, y, normal_label="ok", bins=3)
    assert sum(p.get_height() for p in disp.bars_["normal"]) == 3
    assert sum(p.get_height() for p in disp.bars_["abnormal"]) == 3


@pytest.mark.parametrize(
    "errors, y, kwargs, match",
    [
        (np.zeros(5), np.ones(4), {}, "one label per error"),
        (np.zeros(5), np.zeros(5), {}, "normal_label=1 does not occur"),
        (np.zeros((5, 2)), None, {}, "1-D"),
        (np.array([0.1, np.inf]), None, {}, "NaN or infinite"),
        (np.array([]), None, {}, "empty"),
        (np.zeros(5), None, {"threshold": np.nan}, "finite"),
    ],
)
def test_error_histogram_bad_input(errors, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ErrorHistogramDisplay.from_predictions(errors, y, **kwargs)
    assert plt.get_fignums() == []


def test_error_histogram_bad_estimator_input():
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        ErrorHistogramDisplay.from_estimator(FakeDetector(0.1), X, [1, 1, 0])
    with pytest.raises(TypeError, match="reconstruction_error"):
        ErrorHistogramDisplay.from_estimator(object(), X)
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- history

HISTORY = {"loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.2, 0.7, 0.65, 0.8], "mae": [3, 2, 1, 1]}


def test_history_from_history():
    disp = TrainingHistoryDisplay.from_history(HISTORY)
    assert list(disp.lines_) == ["loss", "val_loss"]
    assert_allclose(disp.lines_["loss"].get_xdata(), [1, 2, 3, 4])
    assert_allclose(disp.lines_["val_loss"].get_ydata(), HISTORY["val_loss"])
    assert disp.best_epoch_ == 3
    assert_allclose(disp.best_marker_.get_xdata(), [3])
    assert_allclose(disp.best_marker_.get_ydata(), [0.65])
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("epoch", "loss")
    assert legend_texts(disp.ax_) == ["loss", "val_loss", "best val_loss (epoch 3)"]
    assert disp.ax_.get_yscale() == "linear"


def test_history_from_estimator_options():
    est = FakeAutoencoder(history={"loss": [0.5, 0.25]})
    fig, ax = plt.subplots()
    disp = TrainingHistoryDisplay.from_estimator(est, ax=ax, log_scale=True)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert list(disp.lines_) == ["loss"]
    assert disp.best_epoch_ is None and disp.best_marker_ is None
    assert ax.get_yscale() == "log"

    disp = TrainingHistoryDisplay.from_history(HISTORY, keys=["mae"], mark_best=False)
    assert list(disp.lines_) == ["mae"]
    assert disp.ax_.get_ylabel() == "value"
    disp = TrainingHistoryDisplay.from_history(HISTORY, keys=["val_loss"], mark_best=False)
    assert disp.best_marker_ is None


def test_history_accepts_keras_history_object():
    class History:  # like keras.callbacks.History
        history = {"loss": [3.0, 2.0, 1.0]}

    disp = TrainingHistoryDisplay.from_history(History())
    assert_allclose(disp.lines_["loss"].get_ydata(), [3, 2, 1])


@pytest.mark.parametrize(
    "history, kwargs, match",
    [
        (HISTORY, {"keys": ["loss", "accuracy"]}, r"Unknown history keys \['accuracy'\]"),
        (HISTORY, {"keys": []}, "keys is empty"),
        ({"mae": [1.0]}, {}, "neither 'loss' nor 'val_loss'"),
        ({"loss": []}, {}, "empty"),
        ({"loss": [1.0, 0.0]}, {"log_scale": True}, "positive"),
        ([1.0, 2.0], {}, "mapping"),
    ],
)
def test_history_bad_input(history, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainingHistoryDisplay.from_history(history, **kwargs)
    assert plt.get_fignums() == []


def test_history_not_fitted():
    with pytest.raises(NotFittedError, match="history_"):
        TrainingHistoryDisplay.from_estimator(FakeAutoencoder())


# --------------------------------------------------------------------------- real estimators


@pytest.fixture(scope="module")
def fitted():
    """Tiny real estimators (imports TensorFlow: most of this file's run time)."""
    from skae import DenoisingAutoencoder, ReconstructionOutlierDetector  # a broken install fails

    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 16)).astype(np.float32)
    params = {"epochs": 2, "hidden_layer_sizes": (8,), "n_components": 2, "random_state": 0}
    with warnings.catch_warnings():  # 2 epochs do not converge; that is not under test
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            "X": X,
            "denoiser": DenoisingAutoencoder(**params).fit(X),
            "detector": ReconstructionOutlierDetector(**params).fit(X),
            "pipeline": make_pipeline(
                StandardScaler(), ReconstructionOutlierDetector(**params)
            ).fit(X),
            "image_pipeline": make_pipeline(MinMaxScaler(), DenoisingAutoencoder(**params)).fit(X),
        }


def test_real_image_display(fitted):
    X = fitted["X"]
    noisy = X + 0.1
    disp = ImageReconstructionDisplay.from_estimator(
        fitted["denoiser"], noisy, X_clean=X, n_images=4
    )
    assert disp.images_.shape == (3, 4)
    expected = fitted["denoiser"].reconstruct(noisy[:4])
    assert_allclose(disp.images_[1, 3].get_array(), expected[3].reshape(4, 4), rtol=1e-5)


def test_real_signal_display(fitted):
    est, X = fitted["detector"], fitted["X"]
    disp = SignalReconstructionDisplay.from_estimator(est, X, index=2)
    assert_allclose(disp.reconstruction_lines_[0].get_ydata(), est.reconstruct(X[2:3])[0], 1e-5)
    assert len(disp.error_fills_) == 1


def test_real_error_histogram_display(fitted):
    detector, X = fitted["detector"], fitted["X"]
    y = detector.predict(X)
    disp = ErrorHistogramDisplay.from_estimator(detector, X, y, bins=10)
    assert_allclose(disp.threshold_line_.get_xdata()[0], detector.threshold_)
    assert sum(p.get_height() for p in disp.bars_["abnormal"]) == np.sum(y != 1)
    # the default detector's threshold applies to its anomaly score, which is drawn:
    # rows above the threshold are exactly the predicted outliers
    assert disp.ax_.get_xlabel() == "ReconstructionOutlierDetector anomaly score (-score_samples)"
    assert np.all(-detector.score_samples(X)[y != 1] > detector.threshold_)
    assert np.all(-detector.score_samples(X)[y == 1] <= detector.threshold_)


def test_real_history_display(fitted):
    est = fitted["detector"]
    disp = TrainingHistoryDisplay.from_estimator(est)
    assert_allclose(disp.lines_["loss"].get_ydata(), est.history_["loss"])
    assert len(disp.lines_["loss"].get_xdata()) == 2


# --------------------------------------------------------------------------- units of what is drawn


class FakeScaledDetector(FakeDetector):
    """A detector whose own error is in other units than the curves: 100 x their MSE."""

    def reconstruction_error(self, X):
        return 100.0 * super().reconstruction_error(X)


def _drawn_mse(disp):
    x = disp.input_lines_[0].get_ydata()
    return float(np.mean((x - disp.reconstruction_lines_[0].get_ydata()) ** 2))


def test_signal_title_measures_the_drawn_curves_and_names_the_estimator_error():
    X = np.random.RandomState(0).normal(size=(5, 20))
    est = FakeScaledDetector(threshold=0.5)
    disp = SignalReconstructionDisplay.from_estimator(est, X, index=1)
    first, second = disp.ax_.get_title().split("\n")
    assert first == f"row 1, mean squared difference: {_drawn_mse(disp):.4g}"
    score = est.reconstruction_error(X[1:2])[0]
    assert second == (
        f"FakeScaledDetector.reconstruction_error: {score:.4g} (above threshold 0.5)"
    )


def test_real_detector_signal_title_is_in_the_units_drawn(fitted):
    disp = SignalReconstructionDisplay.from_estimator(fitted["detector"], fitted["X"], index=0)
    first = disp.ax_.get_title().split("\n")[0]
    assert float(first.rsplit(": ", 1)[1]) == pytest.approx(_drawn_mse(disp), rel=1e-3)


def test_error_histogram_axis_names_the_estimator_error():
    X = np.random.RandomState(0).normal(size=(30, 4))
    disp = ErrorHistogramDisplay.from_estimator(FakeScaledDetector(threshold=1.0), X)
    assert disp.ax_.get_xlabel() == "FakeScaledDetector.reconstruction_error"
    assert ErrorHistogramDisplay.from_predictions([1.0, 2.0]).ax_.get_xlabel() == (
        "reconstruction error"
    )


# --------------------------------------------------------------------------- Pipelines


def test_error_histogram_from_pipeline(fitted):
    pipe, X = fitted["pipeline"], fitted["X"]
    y = pipe.predict(X)
    disp = ErrorHistogramDisplay.from_estimator(pipe, X, y, bins=10)
    assert_allclose(disp.threshold_line_.get_xdata()[0], pipe[-1].threshold_)
    assert sum(p.get_height() for p in disp.bars_["abnormal"]) == np.sum(y != 1)
    errors = np.concatenate([disp.bars_["normal"].datavalues, disp.bars_["abnormal"].datavalues])
    assert errors.sum() == X.shape[0]
    # the values the detector's threshold applies to: its anomaly score
    assert disp.ax_.get_xlabel() == "ReconstructionOutlierDetector anomaly score (-score_samples)"


def test_signal_from_pipeline_draws_in_the_input_units(fitted):
    pipe, X = fitted["pipeline"], fitted["X"]
    scaler, detector = pipe[0], pipe[-1]
    disp = SignalReconstructionDisplay.from_estimator(pipe, X, index=2)
    assert_allclose(disp.input_lines_[0].get_ydata(), X[2], rtol=1e-6)
    expected = scaler.inverse_transform(detector.reconstruct(scaler.transform(X[2:3])))[0]
    assert_allclose(disp.reconstruction_lines_[0].get_ydata(), expected, rtol=1e-5)
    assert disp.ax_.get_ylabel() == "value"
    score = -pipe.score_samples(X[2:3])[0]
    assert f"anomaly score (-score_samples): {score:.4g}" in disp.ax_.get_title()


def test_signal_from_pipeline_without_inverse_names_the_transformed_units():
    X = np.random.RandomState(0).uniform(1, 2, size=(5, 20))
    pipe = make_pipeline(FunctionTransformer(np.log), FakeAutoencoder())
    disp = SignalReconstructionDisplay.from_estimator(pipe, X, index=0)
    assert_allclose(disp.input_lines_[0].get_ydata(), np.log(X[0]))
    assert_allclose(disp.reconstruction_lines_[0].get_ydata(), 0.9 * np.log(X[0]))
    assert disp.ax_.get_ylabel() == "value after functiontransformer"


def test_image_display_from_pipeline(fitted):
    pipe, X = fitted["image_pipeline"], fitted["X"]
    disp = ImageReconstructionDisplay.from_estimator(pipe, X, n_images=3)
    scaler, denoiser = pipe[0], pipe[-1]
    expected = scaler.inverse_transform(denoiser.reconstruct(scaler.transform(X[:3])))
    assert_allclose(disp.images_[1, 2].get_array(), expected[2].reshape(4, 4), rtol=1e-5)


def test_history_display_from_pipeline(fitted):
    pipe = fitted["pipeline"]
    disp = TrainingHistoryDisplay.from_estimator(pipe)
    assert_allclose(disp.lines_["loss"].get_ydata(), pipe[-1].history_["loss"])


def test_history_display_unfitted_pipeline_names_the_step():
    pipe = make_pipeline(StandardScaler(), FakeAutoencoder())
    with pytest.raises(NotFittedError, match="FakeAutoencoder instance has no history_"):
        TrainingHistoryDisplay.from_estimator(pipe)


def test_pipeline_not_ending_in_an_autoencoder_is_refused():
    X = np.random.RandomState(0).normal(size=(10, 4))
    pipe = make_pipeline(StandardScaler(), PCA(2)).fit(X)
    with pytest.raises(TypeError, match="needs an estimator with a `reconstruction_error`"):
        ErrorHistogramDisplay.from_estimator(pipe, X)
