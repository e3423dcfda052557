"""The ``skae`` command line and its three demos, run in-process with tiny settings."""

import contextlib
import io
import json
import subprocess
import sys

import keras
import matplotlib.image
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skae.__main__ import _build_parser, main
from skae._demos import denoise, ecg
from skae._demos._common import mean_psnr, subsample
from skae._demos.denoise import add_noise

#: demo -> (printed metric names, top-level keys of metrics.json, PNG files written)
DEMOS = {
    "ecg": (
        ["ROC-AUC", "accuracy", "precision", "recall", "threshold_"],
        ["ROC-AUC"],
        ["error_histogram.png", "beats.png", "grid_scores.png", "learning_curve.png"],
    ),
    "images": (
        ["test MSE", "PCA(64) test MSE"],
        ["test MSE", "PCA(64) test MSE"],
        ["reconstructions.png", "learning_curve.png"],
    ),
    "denoise": (
        ["PSNR noisy input (dB)", "PSNR restored (dB)"],
        ["PSNR noisy input (dB)", "PSNR restored (dB)"],
        ["denoising.png", "learning_curve.png"],
    ),
}

TINY = ["--epochs", "1", "--max-rows", "300", "--random-state", "0"]


@pytest.mark.parametrize("name", DEMOS)
@pytest.mark.short_training
def test_demo_runs_prints_its_figures_and_writes_valid_pngs(name, tmp_path, capsys):
    out = tmp_path / "plots"
    assert main(["demo", name, *TINY, "--output", str(out)]) == 0
    stdout = capsys.readouterr().out
    printed, saved, pngs = DEMOS[name]
    for metric in printed:
        assert f"  {metric} " in stdout
    assert "original tutorial" in stdout
    for png in pngs:
        image = matplotlib.image.imread(out / png)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
        assert image.std() > 0  # something was drawn
        assert f"wrote {out / png}" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(saved) <= set(metrics)
    assert metrics["epochs"] == 1
    assert all(np.isfinite(metrics[m]) for m in saved)


@pytest.fixture(scope="module")
def ecg_run(tmp_path_factory):
    """One verbose ECG demo run, recording every Keras training and what the search saw."""
    out = tmp_path_factory.mktemp("ecg")
    trained, searched = [], []
    keras_fit, search_fit = keras.Model.fit, GridSearchCV.fit

    def counting_fit(self, *args, **kwargs):
        trained.append(1)
        return keras_fit(self, *args, **kwargs)

    def recording_fit(self, X, y=None, **kwargs):
        searched.append(np.array(X, copy=True))
        return search_fit(self, X, y, **kwargs)

    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout):
        patch.setattr(keras.Model, "fit", counting_fit)
        patch.setattr(GridSearchCV, "fit", recording_fit)
        args = ["demo", "ecg", "-v", "--epochs", "2", "--max-rows", "400", "--output", str(out)]
        assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    return {"stdout": stdout.getvalue(), "metrics": metrics, "trained": len(trained),
            "searched": searched}


def test_ecg_metrics_json_has_a_section_per_threshold(ecg_run):
    metrics = ecg_run["metrics"]
    assert 0.5 <= metrics["ROC-AUC"] <= 1
    for section in ("rule", "grid_search"):
        assert {"accuracy", "precision", "recall", "threshold"} <= set(metrics[section])
        assert all(0 <= metrics[section][k] <= 1 for k in ("accuracy", "precision", "recall"))
        assert metrics[section]["threshold"] > 0
    assert metrics["rule"]["setting"] == "mean + 1 std"
    assert metrics["grid_search"]["n_settings"] == 16
    assert "mean squared error per sample point" in metrics["error"]


def test_ecg_search_trains_one_network_per_fold_plus_the_refit(ecg_run):
    # counted independently of the demo: every keras.Model.fit call of the whole run
    assert ecg_run["trained"] == ecg.N_FOLDS + 1
    assert ecg_run["metrics"]["grid_search"]["networks_trained"] == ecg.N_FOLDS + 1
    assert f"{ecg.N_FOLDS + 1} networks trained" in ecg_run["stdout"]


def test_ecg_search_sees_the_training_part_only(ecg_run):
    X_train, X_test, _, _ = ecg.load_split(400)
    (X_searched,) = ecg_run["searched"]
    assert ecg_run["metrics"]["grid_search"]["n_samples"] == len(X_train) == len(X_searched)
    assert np.array_equal(X_searched, X_train)
    searched_rows = {row.tobytes() for row in X_searched}
    assert not any(row.tobytes() in searched_rows for row in X_test)


def test_ecg_prints_one_line_per_stage_and_epoch_lines_at_verbose(ecg_run):
    stdout = ecg_run["stdout"]
    for stage in ("Loading ECG5000", "Searching 16 threshold settings", "Writing plots"):
        assert stdout.count(stage) == 1
    assert stdout.count("Epoch 2/2") == ecg.N_FOLDS + 1  # Keras's line, one per network
    assert "threshold_" in stdout and "mean squared error per sample point" in stdout


@pytest.mark.short_training
def test_training_prints_one_line_per_epoch_at_verbose_only(tmp_path, capsys):
    args = ["demo", "images", "--epochs", "3", "--max-rows", "200", "--output", str(tmp_path)]
    assert main(args) == 0
    quiet_stdout = capsys.readouterr().out
    assert "Training the autoencoder (up to 3 epochs) ..." in quiet_stdout
    assert "Writing plots" in quiet_stdout
    assert not any(line.strip().startswith("epoch") for line in quiet_stdout.splitlines())
    assert main([*args, "-v"]) == 0
    stdout = capsys.readouterr().out
    epoch_lines = [line for line in stdout.splitlines() if line.strip().startswith("epoch")]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    assert all("loss" in line for line in epoch_lines)
    assert "\r" not in stdout and "\x08" not in stdout  # no progress bar redraws


def test_denoise_full_flag_parses_for_denoise_only(capsys):
    parser = _build_parser()
    assert parser.parse_args(["demo", "denoise", "--full"]).full is True
    assert parser.parse_args(["demo", "denoise"]).full is False
    assert main(["demo", "ecg", "--full"]) == 2
    assert "unrecognized arguments: --full" in capsys.readouterr().err
    assert main(["demo", "denoise", "-v", "-q"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_denoise_default_is_the_quick_run_and_full_the_recipe(tmp_path, monkeypatch, capsys):
    assert denoise.make_denoiser(full=True).epochs == denoise.RECIPE["epochs"]
    assert denoise.make_denoiser(full=False).epochs == denoise.QUICK_EPOCHS
    assert denoise.make_denoiser(epochs=2, full=False).epochs == 2
    monkeypatch.setattr(denoise, "QUICK_EPOCHS", 1)
    monkeypatch.setitem(denoise.RECIPE, "epochs", 2)
    args = ["demo", "denoise", "--max-rows", "200", "--output", str(tmp_path)]
    assert main(args) == 0
    quick = json.loads((tmp_path / "metrics.json").read_text())
    assert (quick["full"], quick["epochs"]) == (False, 1)
    assert "--full trains the full recipe" in capsys.readouterr().out
    assert main([*args, "--full"]) == 0
    full = json.loads((tmp_path / "metrics.json").read_text())
    assert (full["full"], full["epochs"]) == (True, 2)


@pytest.mark.short_training
def test_quiet_prints_only_the_figures_and_files(tmp_path, capsys):
    args = ["demo", "images", *TINY, "--quiet", "--output", str(tmp_path)]
    assert main(args) == 0
    stdout = capsys.readouterr().out
    assert "test MSE" in stdout and "wrote" in stdout
    assert "epoch" not in stdout and "Training" not in stdout and "Estimator" not in stdout


def test_bad_option_is_a_usage_error(capsys):
    assert main(["demo", "ecg", "--epochs", "0"]) == 2
    assert "expected a positive integer, got 0" in capsys.readouterr().err


def test_unwritable_output_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    assert main(["demo", "ecg", "--output", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("skae demo ecg: error: cannot create the output folder")


def test_python_m_skae_help_and_bad_subcommand():
    run = [sys.executable, "-m", "skae"]
    ok = subprocess.run([*run, "--help"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0
    assert "demo" in ok.stdout and "skae demo ecg" in ok.stdout
    bad = subprocess.run([*run, "demo", "nonsense"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "invalid choice: 'nonsense'" in bad.stderr
    assert "ecg" in bad.stderr and "images" in bad.stderr and "denoise" in bad.stderr


def test_mean_psnr_averages_per_image_psnr():
    clean = np.zeros((2, 4))
    restored = np.array([[0.1] * 4, [0.01] * 4])  # per-image MSE 1e-2 and 1e-4
    assert mean_psnr(clean, restored) == pytest.approx((20 + 40) / 2)
    assert mean_psnr(clean, clean) == pytest.approx(100.0)  # capped, not infinite
    with pytest.raises(ValueError, match="differ in shape"):
        mean_psnr(clean, restored[:1])


def test_test_noise_is_fixed_and_clipped():
    X = np.random.default_rng(1).uniform(size=(20, 16)).astype(np.float32)
    noisy = add_noise(X)
    assert np.array_equal(noisy, add_noise(X))
    assert noisy.dtype == np.float32 and noisy.min() >= 0 and noisy.max() <= 1
    assert 0.1 < np.std(noisy - X) < 0.2  # 0.2, less what clipping removes


def test_subsample_is_seeded_sorted_and_bounded():
    rows = subsample(1000, 50)
    assert len(rows) == 50 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, subsample(1000, 50))
    assert np.array_equal(subsample(10, None), np.arange(10))
    assert np.array_equal(subsample(10, 99), np.arange(10))
