"""Measure the three walkthrough recipes against the seed's figures (BENCHMARKS.md 1 and 2).

Each walkthrough is trained exactly as ``skae demo NAME`` trains it (the recipes live in
``skae/_demos``), once per seed (``random_state = 0, 1, ...``), and its figures are printed
beside the seed's and the target:

- ``ecg``: the demo's detector (``skae._demos.ecg.RECIPE``) on ECG5000 with the seed's split,
  its threshold chosen by the demo's ``GridSearchCV`` on the training part
  (``ecg.fit_detectors``); ROC-AUC of ``score_samples`` (normal = positive), accuracy,
  precision and recall at the grid-chosen threshold, the accuracy of the original rule (mean +
  1 std of the training errors) on the same network, and the networks the search trained.
  Targets: ROC-AUC >= 0.995 in every seed, grid accuracy >= 0.98 on average.
  ``ecg-conv1d`` runs the same with ``architecture="conv1d"`` (:data:`ECG_CONV1D`), to compare
  the convolutional detector with the dense one.
- ``images``: ``AutoencoderTransformer`` with a 64-wide code on the bundled MNIST (first 8000
  train, last 2000 test); test MSE, beside ``PCA(64)`` fit in the same run. Target <= 0.0055.
- ``denoise``: conv ``DenoisingAutoencoder`` on the same split, the full recipe (``skae demo
  denoise --full``); PSNR of the restored noisy test images (Gaussian 0.2, clipped, fixed
  noise seed). Target >= 26 dB in *every* seed. ``denoise-quick`` measures the demo's quick
  default the same way (no target).

A run whose training collapsed (a ``ConvergenceWarning``) is reported as such. Fit times are
wall-clock on whatever else the machine is doing: compare them within one run only.

Usage
-----
From the repository root::

    python benchmarks/seed_walkthroughs.py                       # all three, 5 seeds each
    python benchmarks/seed_walkthroughs.py --walkthroughs denoise --seeds 5
    python benchmarks/seed_walkthroughs.py --walkthroughs ecg images --seeds 3 --csv out.csv

``--check`` makes the exit status 1 when a target is missed. ``--epochs`` and ``--max-rows``
shorten a run for a smoke test (the figures are then not comparable).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skae._demos import denoise, ecg, images  # noqa: E402

WALKTHROUGHS = ("ecg", "ecg-conv1d", "images", "denoise", "denoise-quick")

#: The demo's ECG recipe with ``architecture="conv1d"`` (filters (32, 16), kernels of 7,
#: the same 32-wide dense code), run through the same search: a comparison with the dense one.
ECG_CONV1D = {"architecture": "conv1d", "hidden_layer_sizes": (32, 16)}

#: (metric, comparison, target, "every" seed or the "mean" over seeds) per walkthrough.
TARGETS = {
    "ecg": [("ROC-AUC", ">=", 0.995, "every"), ("grid accuracy", ">=", 0.98, "mean")],
    "ecg-conv1d": [("ROC-AUC", ">=", 0.995, "every"), ("grid accuracy", ">=", 0.98, "mean")],
    "images": [("test MSE", "<=", 0.0055, "every")],
    "denoise": [("PSNR restored (dB)", ">=", 26.0, "every")],
    "denoise-quick": [],
}

#: The seed's figures, as BENCHMARKS.md reports them.
SEED_FIGURES = {
    "ecg": {"ROC-AUC": ecg.SEED_FIGURES["ROC-AUC"],
            "rule accuracy": ecg.SEED_FIGURES["accuracy"]},
    "images": {"test MSE": "0.0075-0.0078", "PCA(64) test MSE": "0.00942"},
    "denoise": {
        "PSNR noisy input (dB)": "16.76",
        "PSNR restored (dB)": "24.6-24.7 (2 of 3 seeds), 9.3 (collapse, 1 of 3)",
    },
}
SEED_FIGURES["denoise-quick"] = SEED_FIGURES["denoise"]
SEED_FIGURES["ecg-conv1d"] = SEED_FIGURES["ecg"]


def _fit(estimator, X):
    """Fit, timing it and recording whether a collapse was reported."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X)
    seconds = time.perf_counter() - start
    collapsed = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return seconds, collapsed


def run_ecg(seed: int, epochs: int | None, max_rows: int | None, **params) -> dict:
    """The demo's search and rule (``params`` override its recipe)."""
    X_train, X_test, y_train, y_test = ecg.load_split(max_rows)
    fitted = ecg.fit_detectors(X_train, y_train, seed, epochs, **params)
    grid = ecg.evaluate(fitted.grid, X_test, y_test)
    rule = ecg.evaluate(fitted.rule, X_test, y_test)
    collapsed = any(issubclass(cat, ConvergenceWarning) for cat, _ in fitted.warnings)
    return {"ROC-AUC": grid["ROC-AUC"], "rule accuracy": rule["accuracy"],
            "grid accuracy": grid["accuracy"], "grid precision": grid["precision"],
            "grid recall": grid["recall"], "networks trained": fitted.networks_trained,
            "epochs": fitted.grid.n_iter_, "fit_seconds": fitted.seconds, "collapsed": collapsed}


def run_images(seed: int, epochs: int | None, max_rows: int | None) -> dict:
    X_train, X_test = images.load_split(max_rows)
    autoencoder = images.make_autoencoder(seed, epochs)
    seconds, collapsed = _fit(autoencoder, X_train)
    return {**images.evaluate(autoencoder, X_test), "epochs": autoencoder.n_iter_,
            "fit_seconds": seconds, "collapsed": collapsed}


def run_denoise(seed: int, epochs: int | None, max_rows: int | None, full: bool = True) -> dict:
    X_train, X_test = images.load_split(max_rows)
    X_noisy = denoise.add_noise(X_test)
    denoiser = denoise.make_denoiser(seed, epochs, full=full)
    seconds, collapsed = _fit(denoiser, X_train)
    return {**denoise.evaluate(denoiser, X_noisy, X_test), "epochs": denoiser.n_iter_,
            "fit_seconds": seconds, "collapsed": collapsed}


RUNNERS = {
    "ecg": run_ecg,
    "ecg-conv1d": lambda seed, epochs, max_rows: run_ecg(seed, epochs, max_rows, **ECG_CONV1D),
    "images": run_images,
    "denoise": run_denoise,
    "denoise-quick": lambda seed, epochs, max_rows: run_denoise(seed, epochs, max_rows, False),
}


def _meets(value: float, comparison: str, target: float) -> bool:
    return value >= target if comparison == ">=" else value <= target


def _print_rows(name: str, rows: list[dict]) -> None:
    metrics = [k for k in rows[0] if k not in ("seed", "epochs", "fit_seconds", "collapsed")]
    header = ["seed", *metrics, "epochs", "fit s", "collapsed"]
    print(f"\n== {name}")
    print("  " + "  ".join(f"{h:>20}" if i else f"{h:>4}" for i, h in enumerate(header)))
    for row in rows:
        cells = [f"{row['seed']:>4}"]
        cells += [f"{row[m]:>20}" if isinstance(row[m], int) else f"{row[m]:>20.5f}"
                  for m in metrics]
        cells += [f"{row['epochs']:>20}", f"{row['fit_seconds']:>20.1f}",
                  f"{'YES' if row['collapsed'] else 'no':>20}"]
        print("  " + "  ".join(cells))
    for metric in metrics:
        values = np.array([row[metric] for row in rows])
        seed_figure = SEED_FIGURES[name].get(metric, "")
        print(f"  {metric}: min {values.min():.5f}  mean {values.mean():.5f}  "
              f"max {values.max():.5f}   seed walkthrough: {seed_figure}")


def _verdicts(name: str, rows: list[dict]) -> list[str]:
    missed = []
    collapsed = [row["seed"] for row in rows if row["collapsed"]]
    for metric, comparison, target, over in TARGETS[name]:
        if over == "mean":
            mean = float(np.mean([row[metric] for row in rows]))
            ok = _meets(mean, comparison, target) and not collapsed
            verdict = f"mean {mean:.5f}: " + ("met" if ok else "MISSED")
        else:
            bad = [row["seed"] for row in rows if not _meets(row[metric], comparison, target)]
            bad += [seed for seed in collapsed if seed not in bad]
            ok = not bad
            verdict = "met in every seed" if ok else f"MISSED in seed(s) {bad}"
        print(f"  target {metric} {comparison} {target} ({over}): {verdict}")
        if not ok:
            missed.append(f"{name}: {metric}")
    return missed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walkthroughs", nargs="+", choices=WALKTHROUGHS,
                        default=list(WALKTHROUGHS), metavar="NAME",
                        help=f"which to run (default: all of {', '.join(WALKTHROUGHS)})")
    parser.add_argument("--seeds", type=int, default=5,
                        help="number of seeds, random_state = 0 .. N-1 (default: 5)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the recipes' epochs (smoke tests only)")
    parser.add_argument("--max-rows", type=int, default=None,
                        help="subsample the data (smoke tests only)")
    parser.add_argument("--csv", default=None, help="also write one row per run to this file")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    all_rows, missed = [], []
    for name in args.walkthroughs:
        rows = []
        for seed in range(args.seeds):
            row = {"seed": seed, **RUNNERS[name](seed, args.epochs, args.max_rows)}
            rows.append(row)
            print(f"  [{name} seed {seed}] " + ", ".join(
                f"{k} {v:.5g}" if isinstance(v, float) else f"{k} {v}"
                for k, v in row.items() if k != "seed"), flush=True)
        _print_rows(name, rows)
        if name == "images":
            X_train, X_test = images.load_split(args.max_rows)
            pca = images.pca_mse(X_train, X_test)
            print(f"  PCA(64) test MSE, this run: {pca:.5f}   "
                  f"(BENCHMARKS.md: {SEED_FIGURES['images']['PCA(64) test MSE']})")
        missed += _verdicts(name, rows)
        all_rows += [{"walkthrough": name, **row} for row in rows]

    if args.csv:
        fields = sorted(
            {key for row in all_rows for key in row}, key=lambda k: (k != "walkthrough", k)
        )
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(all_rows)
        print(f"\nwrote {args.csv}")
    print("\nall targets met" if not missed else f"\ntargets missed: {'; '.join(missed)}")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
