"""``skae demo ecg``: abnormal heartbeats in ECG5000, the seed's third walkthrough.

Protocol of BENCHMARKS.md section 1: ``normal`` is the target (1 = normal beat);
``train_test_split(X, normal, test_size=0.2, random_state=21)``; the detector is trained on
the normal training rows only and evaluated on the whole test part, with *normal* as the
positive class of accuracy, precision, recall and ROC-AUC (score: ``score_samples``).
"""

from __future__ import annotations

import numpy as np

from ._common import (
    DemoContext,
    new_figure,
    print_table,
    save_figure,
    save_learning_curve,
    subsample,
    train,
    write_metrics,
)

__all__ = ["evaluate", "load_split", "make_detector", "run"]

#: The seed walkthrough's figures (BENCHMARKS.md section 1, 3 seeds).
SEED_FIGURES = {
    "accuracy": "0.948-0.950",
    "precision": "0.991-0.993",
    "recall": "0.918-0.920",
    "ROC-AUC": "0.964",
}


def load_split(max_rows: int | None = None):
    """``X_train, X_test, y_train, y_test`` of the seed's split (``y``: 1 = normal)."""
    from sklearn.model_selection import train_test_split

    from ..datasets import load_ecg5000

    ecg = load_ecg5000()
    rows = subsample(len(ecg.data), max_rows)
    return train_test_split(ecg.data[rows], ecg.target[rows], test_size=0.2, random_state=21)


def make_detector(random_state: int = 0, epochs: int | None = None):
    """The recommended pipeline: ``StandardScaler`` then the detector, with the ECG5000
    recipe's threshold (mean + 1 std of the training errors)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import ReconstructionOutlierDetector

    detector = ReconstructionOutlierDetector(threshold="mean_std", random_state=random_state)
    if epochs is not None:
        detector.set_params(epochs=epochs)
    return make_pipeline(StandardScaler(), detector)


def evaluate(pipeline, X_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall (normal = positive) and ROC-AUC of ``score_samples``."""
    from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

    predicted_normal = (pipeline.predict(X_test) == 1).astype(int)
    scores = pipeline.score_samples(X_test)
    both_classes = len(np.unique(y_test)) == 2
    return {
        "accuracy": float(accuracy_score(y_test, predicted_normal)),
        "precision": float(precision_score(y_test, predicted_normal, zero_division=0)),
        "recall": float(recall_score(y_test, predicted_normal, zero_division=0)),
        "ROC-AUC": float(roc_auc_score(y_test, scores)) if both_classes else float("nan"),
    }


def run(ctx: DemoContext) -> dict[str, float]:
    """Train, evaluate, print the figures beside the seed's and write the plots."""
    X_train, X_test, y_train, y_test = load_split(ctx.max_rows)
    X_normal = X_train[y_train == 1]
    ctx.say(
        f"ECG5000: training on {len(X_normal)} normal beats, testing on {len(X_test)} beats "
        f"({int((y_test == 1).sum())} normal, {int((y_test == 0).sum())} abnormal)."
    )
    pipeline = make_detector(ctx.random_state, ctx.epochs)
    ctx.say(f"Pipeline: {pipeline!r}")
    fit_seconds = train(
        ctx, pipeline, X_normal, "the detector", step="reconstructionoutlierdetector"
    )
    detector = pipeline[-1]
    ctx.say(f"Trained {detector.n_iter_} epochs in {fit_seconds:.1f} s; "
            f"threshold_ = {detector.threshold_:.4g} (mean + 1 std of the training errors).")

    metrics = evaluate(pipeline, X_test, y_test)
    print_table(
        ctx, "Test part (normal = positive class):",
        [(name, value, SEED_FIGURES[name]) for name, value in metrics.items()],
    )
    _plot(ctx, pipeline, X_test, y_test)
    write_metrics(ctx, {**metrics, "epochs": detector.n_iter_, "fit_seconds": fit_seconds,
                        "threshold": float(detector.threshold_)})
    return metrics


def _plot(ctx: DemoContext, pipeline, X_test: np.ndarray, y_test: np.ndarray) -> None:
    from ..plotting import ErrorHistogramDisplay, SignalReconstructionDisplay

    scaler, detector = pipeline[0], pipeline[-1]
    errors = -pipeline.score_samples(X_test)

    figure = new_figure((7, 4))
    ax = figure.add_subplot()
    positive = errors[errors > 0]
    if positive.size:  # errors span decades: log-spaced bins on a log axis
        bins = np.geomspace(positive.min(), errors.max(), 50)
        ErrorHistogramDisplay.from_predictions(
            np.maximum(errors, positive.min()), y_test, threshold=detector.threshold_,
            bins=bins, ax=ax,
        )
        ax.set_xscale("log")
    ax.set_title("ECG5000 test beats: reconstruction error (standardised units)")
    save_figure(ctx, figure, "error_histogram.png")

    figure = new_figure((11, 4))
    axes = figure.subplots(1, 2, sharey=True)
    for ax, label, name in zip(axes, (1, 0), ("normal", "abnormal"), strict=True):
        rows = np.flatnonzero(y_test == label)
        if rows.size == 0:
            ax.set_axis_off()
            continue
        row = rows[np.argsort(errors[rows])[rows.size // 2]]  # the group's median error
        beat = X_test[row : row + 1]
        restored = scaler.inverse_transform(detector.reconstruct(scaler.transform(beat)))
        SignalReconstructionDisplay.from_predictions(beat[0], restored[0], ax=ax)
        verdict = "flagged abnormal" if errors[row] > detector.threshold_ else "passed as normal"
        ax.set_title(f"typical {name} beat (test row {row})\nerror {errors[row]:.3g}: {verdict}")
    save_figure(ctx, figure, "beats.png")

    save_learning_curve(ctx, detector, "learning curve (standardised units)")
