"""The ``skae`` command line and its three demos, run in-process with tiny settings."""

import json
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from skae.__main__ import main
from skae._demos._common import mean_psnr, subsample
from skae._demos.denoise import add_noise

#: demo -> (printed metric names, PNG files written)
DEMOS = {
    "ecg": (
        ["accuracy", "precision", "recall", "ROC-AUC"],
        ["error_histogram.png", "beats.png", "learning_curve.png"],
    ),
    "images": (["test MSE", "PCA(64) test MSE"], ["reconstructions.png", "learning_curve.png"]),
    "denoise": (
        ["PSNR noisy input (dB)", "PSNR restored (dB)"],
        ["denoising.png", "learning_curve.png"],
    ),
}

TINY = ["--epochs", "1", "--max-rows", "300", "--random-state", "0"]


@pytest.mark.parametrize("name", DEMOS)
def test_demo_runs_prints_its_figures_and_writes_valid_pngs(name, tmp_path, capsys):
    out = tmp_path / "plots"
    assert main(["demo", name, *TINY, "--output", str(out)]) == 0
    stdout = capsys.readouterr().out
    metric_names, pngs = DEMOS[name]
    for metric in metric_names:
        assert f"  {metric} " in stdout
    assert "seed walkthrough" in stdout
    for png in pngs:
        image = matplotlib.image.imread(out / png)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
        assert image.std() > 0  # something was drawn
        assert f"wrote {out / png}" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metric_names) <= set(metrics)
    assert metrics["epochs"] == 1
    assert all(np.isfinite(metrics[m]) for m in metric_names)


def test_progress_is_a_few_lines_per_epoch_block_when_not_a_terminal(tmp_path, capsys):
    # capsys' stdout is not a TTY, like CI: short per-epoch lines, no progress bar
    args = ["demo", "ecg", "--epochs", "3", "--max-rows", "200", "--output", str(tmp_path)]
    assert main(args) == 0
    stdout = capsys.readouterr().out
    epoch_lines = [line for line in stdout.splitlines() if line.strip().startswith("epoch")]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    assert all("loss" in line for line in epoch_lines)
    assert "\r" not in stdout and "\x08" not in stdout  # no progress bar redraws


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
