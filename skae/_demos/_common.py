"""What the three demos share: options, progress, subsampling, the results table and PNGs."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DemoContext",
    "add_common_arguments",
    "mean_psnr",
    "new_figure",
    "print_table",
    "save_figure",
    "save_learning_curve",
    "subsample",
    "train",
    "write_metrics",
]

class DemoContext:
    """Parsed options of one demo run, and where its output goes."""

    def __init__(self, args: argparse.Namespace, name: str, stream=None):
        self.name = name
        self.epochs: int | None = args.epochs
        self.random_state: int = args.random_state
        self.max_rows: int | None = args.max_rows
        self.quiet: bool = args.quiet
        self.verbose: bool = getattr(args, "verbose", False) and not args.quiet
        self.full: bool = getattr(args, "full", False)
        self.output = Path(args.output if args.output is not None else Path("skae_output") / name)
        self.stream = sys.stdout if stream is None else stream

    def say(self, message: str = "") -> None:
        """Print a line unless ``--quiet``."""
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def result(self, message: str = "") -> None:
        """Print a line even with ``--quiet`` (the figures the demo exists for)."""
        print(message, file=self.stream, flush=True)


def add_common_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Options every demo accepts."""
    parser.add_argument(
        "--output", "-o", metavar="DIR", default=None,
        help=f"folder for the PNG plots and metrics.json (default: ./skae_output/{name})",
    )
    parser.add_argument(
        "--epochs", type=_positive_int, default=None, metavar="N",
        help="maximum training epochs (default: the recipe's; early stopping may stop sooner)",
    )
    parser.add_argument(
        "--random-state", type=int, default=0, metavar="SEED",
        help="seed of the network's initialisation, shuffling and noise (default: 0)",
    )
    parser.add_argument(
        "--max-rows", type=_positive_int, default=None, metavar="N",
        help="use a seeded random subset of at most N rows of the data set (split as usual) "
             "for a quick run; figures are then not comparable to the full run's",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--verbose", "-v", action="store_true",
        help="also print one line per training epoch",
    )
    output.add_argument(
        "--quiet", "-q", action="store_true",
        help="print only the final figures and the files written",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def subsample(n_rows: int, max_rows: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of a seeded random subset of at most ``max_rows`` of ``n_rows`` rows."""
    if max_rows is None or max_rows >= n_rows:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_rows, replace=False))


def train(ctx: DemoContext, model, X: np.ndarray, label: str) -> float:
    """Fit ``model`` on X, saying so on ``ctx.stream``; return the seconds it took.

    One line before training; with ``--verbose`` one more per epoch (loss, val_loss).
    """
    ctx.say(f"Training {label} (up to {model.get_params()['epochs']} epochs) ...")
    model.set_params(verbose=0, callbacks=[_epoch_logger(ctx)] if ctx.verbose else None)
    start = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - start
    model.set_params(callbacks=None)  # the logger holds the output stream: not a parameter
    ctx.say(f"  trained {model.n_iter_} epochs in {seconds:.1f} s.")
    return seconds


def _epoch_logger(ctx: DemoContext):
    import keras

    class _EpochLog(keras.callbacks.Callback):
        """One line per epoch: epoch, loss and val_loss."""

        def on_epoch_end(self, epoch, logs=None):
            parts = [f"  epoch {epoch + 1:>3}/{self.params.get('epochs')}"]
            for key in ("loss", "val_loss"):
                if logs and key in logs:
                    parts.append(f"{key} {float(logs[key]):.4g}")
            ctx.say("  ".join(parts))

    return _EpochLog()


def print_table(
    ctx: DemoContext, title: str, rows: Sequence[tuple[str, Any, str]], *, digits: int = 4,
    columns: Sequence[str] = ("skae",),
) -> None:
    """Print ``(metric, value or tuple of values, seed reference)`` rows as a table."""
    width = max(len(name) for name, _, _ in rows)
    ctx.result(title)
    header = "  ".join(f"{column:>9}" for column in columns)
    ctx.result(f"  {'metric':<{width}}  {header}  original tutorial")
    for name, values, reference in rows:
        values = values if isinstance(values, tuple) else (values,)
        cells = "  ".join(f"{value:>9.{digits}f}" for value in values)
        ctx.result(f"  {name:<{width}}  {cells}  {reference}")


def mean_psnr(clean: np.ndarray, images: np.ndarray, data_range: float = 1.0) -> float:
    """Mean over images of ``10 * log10(data_range**2 / per-image MSE)``, in dB.

    A perfect image (MSE 0) counts as 100 dB rather than infinity.
    """
    clean = np.asarray(clean, dtype=np.float64)
    images = np.asarray(images, dtype=np.float64)
    if clean.shape != images.shape:
        raise ValueError(f"clean and images differ in shape: {clean.shape} vs {images.shape}.")
    mse = np.mean((clean - images) ** 2, axis=tuple(range(1, clean.ndim)))
    psnr = 10 * np.log10(data_range**2 / np.maximum(mse, data_range**2 * 1e-10))
    return float(np.mean(psnr))


def new_figure(figsize: tuple[float, float]) -> Any:
    """A matplotlib Figure outside pyplot: no window, no backend or global state touched."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def save_figure(ctx: DemoContext, figure: Any, filename: str) -> Path:
    """Save ``figure`` as a PNG in the output folder and say where it went."""
    ctx.output.mkdir(parents=True, exist_ok=True)
    path = ctx.output / filename
    figure.savefig(path, dpi=100)
    ctx.result(f"  wrote {path}")
    return path


def save_learning_curve(ctx: DemoContext, estimator, title: str) -> Path:
    """Plot ``estimator.history_`` (log scale) and save it as ``learning_curve.png``."""
    from ..plotting import TrainingHistoryDisplay

    figure = new_figure((6, 4))
    ax = figure.add_subplot()
    TrainingHistoryDisplay.from_estimator(estimator, ax=ax, log_scale=True)
    ax.set_title(title)
    return save_figure(ctx, figure, "learning_curve.png")


def write_metrics(ctx: DemoContext, metrics: dict[str, float]) -> Path:
    """Write the run's figures to ``metrics.json`` in the output folder."""
    import json

    ctx.output.mkdir(parents=True, exist_ok=True)
    path = ctx.output / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    ctx.result(f"  wrote {path}")
    return path
