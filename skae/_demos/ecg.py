"""``skae demo ecg``: abnormal heartbeats in ECG5000, the tutorial's third walkthrough.

Protocol: ``normal`` is the target (1 = normal beat);
``train_test_split(X, normal, test_size=0.2, random_state=21)``; the detector is trained on
the normal training beats only and evaluated on the whole test part, with *normal* as the
positive class of accuracy, precision, recall and ROC-AUC (score: ``score_samples``).

Two thresholds are compared on the same network: the original rule (mean + 1 std of the
training errors) and the one ``GridSearchCV`` chooses over the threshold parameters on the
training part only (:func:`fit_detectors`); the test part is used for the figures only.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._common import (
    DemoContext,
    new_figure,
    print_table,
    save_figure,
    save_learning_curve,
    subsample,
    write_metrics,
)

__all__ = [
    "ERROR_UNITS",
    "N_FOLDS",
    "RECIPE",
    "RULE",
    "THRESHOLD_GRID",
    "FittedDetectors",
    "describe_setting",
    "evaluate",
    "fit_detectors",
    "load_split",
    "make_detector",
    "run",
]

#: The detector's settings for heartbeats (beside ``random_state``). ECG5000's beats are
#: already normalised one by one and their 140 time steps share one unit, so the network
#: sees the raw beat (no per-feature scaling) and a beat's error is the plain mean squared
#: error over its time steps (no per-feature error normalisation); ReLU ranks better than
#: tanh here.
RECIPE: dict[str, Any] = {
    "scaling": None,
    "error_normalization": False,
    "architecture": "dense",
    "hidden_layer_sizes": (128,),
    "n_components": 32,
    "activation": "relu",
    "output_activation": "linear",
    "loss": "mse",
    "epochs": 30,
    "batch_size": 256,
    "early_stopping": False,
    # one autoencoder scored by its reconstruction error: beats share one unit and a
    # shape, which the error of a single network ranks best (ROC-AUC 0.996), and the
    # classic rule (mean + 1 std) is a rule on that error
    "n_estimators": 1,
    "isolation_weight": 0.0,
    "neighbour_weight": 0.0,
}

#: The original recipe's threshold: mean + 1 std of the training errors.
RULE: dict[str, Any] = {"contamination": "auto", "threshold": "mean_std", "n_std": 1.0}

#: Threshold settings searched: a fraction of training beats flagged, or mean + k std.
THRESHOLD_GRID: list[dict[str, list]] = [
    {"contamination": [0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075]},
    {"contamination": ["auto"], "threshold": ["mean_std"],
     "n_std": [1.0, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5]},
]

#: Stratified folds of the threshold search on the training part.
N_FOLDS = 5

#: What a beat's reconstruction error (``threshold_``, ``-score_samples``) is.
ERROR_UNITS = "mean squared error per sample point of the raw beat"

#: The original tutorial recipe's figures (3 seeds).
SEED_FIGURES = {
    "accuracy": "0.948-0.950",
    "precision": "0.991-0.993",
    "recall": "0.918-0.920",
    "ROC-AUC": "0.964",
}


def load_split(max_rows: int | None = None):
    """``X_train, X_test, y_train, y_test`` of the tutorial's split (``y``: 1 = normal)."""
    from sklearn.model_selection import train_test_split

    from ..datasets import load_ecg5000

    ecg = load_ecg5000()
    rows = subsample(len(ecg.data), max_rows)
    return train_test_split(ecg.data[rows], ecg.target[rows], test_size=0.2, random_state=21)


def make_detector(random_state: int = 0, epochs: int | None = None, **params):
    """The walkthrough's detector: :data:`RECIPE`, the :data:`RULE` threshold and
    ``normal_label=1``, so that ``fit(X, y)`` trains on the normal beats only."""
    from .. import ReconstructionOutlierDetector

    recipe = {**RECIPE, **RULE, "normal_label": 1, **params}
    if epochs is not None:
        recipe["epochs"] = epochs
    return ReconstructionOutlierDetector(random_state=random_state, **recipe)


@dataclass
class FittedDetectors:
    """What :func:`fit_detectors` returns."""

    search: Any  #: the fitted GridSearchCV
    grid: Any  #: its refit detector, with the chosen threshold
    rule: Any  #: the same network with the RULE threshold
    networks_trained: int  #: networks trained, counted in the cache directory
    n_samples: int  #: rows the search was fitted on (the training part)
    seconds: float  #: wall-clock time of the search and the rule's fit
    warnings: dict  #: (category, message) -> how many times the fits raised it


def fit_detectors(X_train, y_train, random_state: int = 0, epochs: int | None = None,
                  **params) -> FittedDetectors:
    """Choose a threshold by grid search on the training part; fit the rule beside it.

    ``y_train``: 1 = normal, 0 = abnormal. The search uses scikit-learn's outlier labels
    (+1 / -1), stratified folds, accuracy, and a fresh network cache (``memory``), so it
    trains one network per fold plus one for the refit, however many settings it tries.
    The rule's detector is the refit network again (loaded from the cache) with the
    :data:`RULE` threshold. ``params`` (e.g. ``verbose``) override :data:`RECIPE`.
    """
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    y = np.where(np.asarray(y_train) == 1, 1, -1)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="skae-ecg-") as cache, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # counted once per fit below, not printed per fit
        detector = make_detector(random_state, epochs, memory=cache, **params)
        search = GridSearchCV(
            detector, THRESHOLD_GRID, scoring="accuracy",
            cv=StratifiedKFold(N_FOLDS, shuffle=True, random_state=random_state),
        ).fit(X_train, y)
        networks = len(list(Path(cache, "skae-networks").glob("*.keras")))
        rule = clone(search.best_estimator_).set_params(**RULE).fit(X_train, y)  # loads
    for fitted in (search.best_estimator_, rule):  # the cache folder is gone
        fitted.set_params(memory=None)
    hidden = (DeprecationWarning, PendingDeprecationWarning)  # Python hides these by default
    counts = Counter((w.category, str(w.message)) for w in caught
                     if not issubclass(w.category, hidden))
    return FittedDetectors(search, search.best_estimator_, rule, networks, len(X_train),
                           time.perf_counter() - start, dict(counts))


def evaluate(detector, X_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall (normal = positive) and ROC-AUC of ``score_samples``."""
    from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

    predicted_normal = (detector.predict(X_test) == 1).astype(int)
    scores = detector.score_samples(X_test)
    both_classes = len(np.unique(y_test)) == 2
    return {
        "accuracy": float(accuracy_score(y_test, predicted_normal)),
        "precision": float(precision_score(y_test, predicted_normal, zero_division=0)),
        "recall": float(recall_score(y_test, predicted_normal, zero_division=0)),
        "ROC-AUC": float(roc_auc_score(y_test, scores)) if both_classes else float("nan"),
        "threshold": float(detector.threshold_),
    }


def describe_setting(params: dict) -> str:
    """A threshold setting of :data:`THRESHOLD_GRID` in words."""
    if params.get("contamination", "auto") != "auto":
        return f"contamination={params['contamination']:g}"
    return f"mean + {params['n_std']:g} std"


def run(ctx: DemoContext) -> dict[str, Any]:
    """Search, evaluate both thresholds, print the figures beside the original tutorial's, plot."""
    ctx.say("Loading ECG5000 ...")
    X_train, X_test, y_train, y_test = load_split(ctx.max_rows)
    ctx.say(
        f"  {len(X_train)} training beats ({int((y_train == 1).sum())} normal), "
        f"{len(X_test)} test beats ({int((y_test == 1).sum())} normal, "
        f"{int((y_test == 0).sum())} abnormal), {X_train.shape[1]} sample points each."
    )
    n_settings = sum(int(np.prod([len(v) for v in grid.values()])) for grid in THRESHOLD_GRID)
    ctx.say(f"Detector: {make_detector(ctx.random_state, ctx.epochs)!r}")
    ctx.say(
        f"Searching {n_settings} threshold settings with {N_FOLDS}-fold stratified CV on the "
        f"training part (each fold trains on its normal beats; scored by accuracy) ..."
    )
    # at -v, Keras's own line per epoch (verbose=2): a callback would enter the cache key
    fitted = fit_detectors(X_train, y_train, ctx.random_state, ctx.epochs,
                           verbose=2 if ctx.verbose else 0)
    ctx.say(
        f"  done in {fitted.seconds:.1f} s: {n_settings * N_FOLDS + 1} fits, "
        f"{fitted.networks_trained} networks trained (counted in the cache, which served the "
        f"other fits); chosen: "
        f"{describe_setting(fitted.search.best_params_)} "
        f"(CV accuracy {fitted.search.best_score_:.4f})."
    )
    for (category, message), count in fitted.warnings.items():
        ctx.result(f"  {category.__name__} (x{count}): {message}")
    rule, grid = evaluate(fitted.rule, X_test, y_test), evaluate(fitted.grid, X_test, y_test)
    _print_results(ctx, rule, grid, fitted)
    ctx.say("Writing plots ...")
    _plot(ctx, fitted, X_test, y_test)
    metrics = _metrics(rule, grid, fitted)
    write_metrics(ctx, metrics)
    return metrics


def _print_results(ctx: DemoContext, rule: dict, grid: dict, fitted: FittedDetectors) -> None:
    rows = [(name, (rule[name], grid[name]), SEED_FIGURES[name])
            for name in ("ROC-AUC", "accuracy", "precision", "recall")]
    rows.append(("threshold_", (rule["threshold"], grid["threshold"]),
                 "(the error above which a beat is flagged)"))
    print_table(ctx, f"Test part (normal = positive class); error = {ERROR_UNITS}:", rows,
                columns=("rule", "grid"))
    ctx.result(f"  rule: mean + 1 std of the training errors; grid: "
               f"{describe_setting(fitted.search.best_params_)}, chosen by GridSearchCV on the "
               f"training part ({fitted.networks_trained} networks trained)")


def _metrics(rule: dict, grid: dict, fitted: FittedDetectors) -> dict[str, Any]:
    def section(figures: dict) -> dict:
        return {k: figures[k] for k in ("accuracy", "precision", "recall", "threshold")}

    search = fitted.search
    return {
        "ROC-AUC": grid["ROC-AUC"],
        "rule": {**section(rule), "setting": describe_setting(RULE)},
        "grid_search": {
            **section(grid),
            "setting": describe_setting(search.best_params_),
            "best_params": search.best_params_,
            "cv_accuracy": float(search.best_score_),
            "networks_trained": fitted.networks_trained,
            "n_folds": N_FOLDS,
            "n_settings": len(search.cv_results_["params"]),
            "n_samples": fitted.n_samples,
            "seconds": fitted.seconds,
        },
        "error": ERROR_UNITS,
        "epochs": fitted.grid.n_iter_,
    }


def _plot(ctx: DemoContext, fitted: FittedDetectors, X_test, y_test) -> None:
    errors = -fitted.grid.score_samples(X_test)
    _plot_histogram(ctx, errors, y_test, fitted)
    _plot_beats(ctx, fitted.grid, errors, X_test, y_test)
    _plot_grid_scores(ctx, fitted.search)
    save_learning_curve(ctx, fitted.grid, "learning curve (MSE of the raw beats)")


def _plot_histogram(ctx: DemoContext, errors, y_test, fitted: FittedDetectors) -> None:
    from ..plotting import ErrorHistogramDisplay

    figure = new_figure((7, 4))
    ax = figure.add_subplot()
    positive = errors[errors > 0]
    if positive.size:  # errors span decades: log-spaced bins on a log axis
        rule, grid = fitted.rule.threshold_, fitted.grid.threshold_
        display = ErrorHistogramDisplay.from_predictions(
            np.maximum(errors, positive.min()), y_test, threshold=rule,
            bins=np.geomspace(positive.min(), errors.max(), 50), ax=ax,
            threshold_kwargs={"label": f"rule (mean + 1 std): {rule:.3g}"},
        )
        display.ax_.axvline(grid, color="tab:green", linestyle="-.",
                            label=f"grid search ({describe_setting(fitted.search.best_params_)})"
                                  f": {grid:.3g}")
        display.ax_.legend()
        display.ax_.set_xscale("log")
        display.ax_.set_xlabel(f"reconstruction error ({ERROR_UNITS})")
    ax.set_title("ECG5000 test beats: reconstruction error and the two thresholds")
    save_figure(ctx, figure, "error_histogram.png")


def _plot_beats(ctx: DemoContext, detector, errors, X_test, y_test) -> None:
    from ..plotting import SignalReconstructionDisplay

    figure = new_figure((11, 4))
    axes = figure.subplots(1, 2, sharey=True)
    for ax, label, name in zip(axes, (1, 0), ("normal", "abnormal"), strict=True):
        rows = np.flatnonzero(y_test == label)
        if rows.size == 0:
            ax.set_axis_off()
            continue
        row = rows[np.argsort(errors[rows])[rows.size // 2]]  # the group's median error
        beat = X_test[row : row + 1]
        SignalReconstructionDisplay.from_predictions(beat[0], detector.reconstruct(beat)[0], ax=ax)
        verdict = "flagged abnormal" if errors[row] > detector.threshold_ else "passed as normal"
        ax.set_title(f"typical {name} beat (test row {row})\nerror {errors[row]:.3g}: {verdict}")
    save_figure(ctx, figure, "beats.png")


def _plot_grid_scores(ctx: DemoContext, search) -> None:
    results = search.cv_results_
    rule = describe_setting(RULE)
    labels = [describe_setting(params) for params in results["params"]]
    labels = [f"{label} (the rule)" if label == rule else label for label in labels]
    means, stds = results["mean_test_score"], results["std_test_score"]
    best = int(search.best_index_)
    figure = new_figure((7, 0.8 + 0.28 * len(labels)))
    ax = figure.add_subplot()
    positions = np.arange(len(labels))
    ax.errorbar(means, positions, xerr=stds, fmt="o", color="tab:blue", capsize=3,
                label="mean +- std over the folds")
    ax.plot(means[best], best, "o", color="tab:green", markersize=10, label="chosen")
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"accuracy on the held-out fold ({N_FOLDS}-fold CV, training part only)")
    ax.set_title("threshold grid search: score of each setting")
    ax.legend(loc="best")
    save_figure(ctx, figure, "grid_scores.png")
