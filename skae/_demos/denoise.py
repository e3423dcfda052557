"""``skae demo denoise``: remove Gaussian noise from MNIST digits, the second tutorial walkthrough.

Same split as :mod:`.images`. The noisy test images are the clean ones plus Gaussian noise of
standard deviation 0.2, clipped to [0, 1], drawn with a fixed seed (:data:`NOISE_SEED`) so
that every run and every ``--random-state`` is judged on the same images. The figure is the
PSNR against the clean images, ``10 * log10(1 / per-image MSE)`` averaged over images.
"""

from __future__ import annotations

import numpy as np

from ._common import (
    DemoContext,
    mean_psnr,
    new_figure,
    print_table,
    save_figure,
    save_learning_curve,
    train,
    write_metrics,
)
from .images import load_split

__all__ = [
    "NOISE_SEED", "QUICK_EPOCHS", "RECIPE", "add_noise", "evaluate", "make_denoiser", "run",
]

#: The walkthrough's DenoisingAutoencoder settings (beside ``random_state``). One stride-2
#: level of 64 filters keeps a 14x14 code, fine enough for the strokes' edges; MSE on a linear
#: output (a sigmoid output under MSE can saturate to the blank image the seed collapsed to).
RECIPE = {
    "architecture": "conv2d",
    "input_shape": (28, 28, 1),
    "hidden_layer_sizes": (64,),
    "noise": "gaussian",
    "noise_level": 0.2,
    "clip": (0, 1),
    "output_activation": "linear",
    "batch_size": 32,
    "epochs": 15,
}

#: Epochs of the default run (without ``--full``): the same network and images, trained for
#: under 2 minutes on 2 CPU cores (25.4-25.6 dB instead of the full recipe's 26.2-26.3).
QUICK_EPOCHS = 3

#: Seed of the noise added to the test images.
NOISE_SEED = 0

#: The original tutorial recipe's figures (3 seeds).
SEED_FIGURES = {
    "PSNR noisy input (dB)": "16.76",
    "PSNR restored (dB)": "24.6-24.7 when it trains; 9.3 in 1 of 3 seeds (collapse)",
}


def add_noise(X: np.ndarray, noise_level: float = 0.2, seed: int = NOISE_SEED) -> np.ndarray:
    """``clip(X + noise_level * N(0, 1), 0, 1)`` with a seeded generator of its own."""
    rng = np.random.default_rng(seed)
    noisy = X + noise_level * rng.standard_normal(X.shape)
    return np.clip(noisy, 0.0, 1.0).astype(X.dtype, copy=False)


def make_denoiser(random_state: int = 0, epochs: int | None = None, *, full: bool = True):
    """The walkthrough's ``DenoisingAutoencoder``: :data:`RECIPE`, with ``full=False``
    trained for :data:`QUICK_EPOCHS` only; ``epochs`` overrides both."""
    from .. import DenoisingAutoencoder

    params = dict(RECIPE) if full else {**RECIPE, "epochs": QUICK_EPOCHS}
    if epochs is not None:
        params["epochs"] = epochs
    return DenoisingAutoencoder(random_state=random_state, **params)


def evaluate(denoiser, X_noisy: np.ndarray, X_clean: np.ndarray) -> dict[str, float]:
    """PSNR (dB) of the noisy and of the restored images against the clean ones."""
    return {
        "PSNR noisy input (dB)": mean_psnr(X_clean, X_noisy),
        "PSNR restored (dB)": mean_psnr(X_clean, denoiser.predict(X_noisy)),
    }


def run(ctx: DemoContext) -> dict[str, float]:
    """Train on noise drawn afresh per batch, restore the noisy test images, write plots."""
    ctx.say("Loading MNIST ...")
    X_train, X_test = load_split(ctx.max_rows)
    X_noisy = add_noise(X_test)
    ctx.say(f"  {len(X_train)} clean training images (noise is added per batch), "
            f"{len(X_test)} noisy test images (Gaussian 0.2, clipped to [0, 1]).")
    denoiser = make_denoiser(ctx.random_state, ctx.epochs, full=ctx.full)
    ctx.say(f"Estimator: {denoiser!r}")
    if not ctx.full:
        ctx.say(f"  a quick run of {denoiser.epochs} epochs; --full trains the full recipe "
                f"({RECIPE['epochs']} epochs: about 5 times as long, about 0.7 dB more).")
    fit_seconds = train(ctx, denoiser, X_train, "the denoiser")

    metrics = evaluate(denoiser, X_noisy, X_test)
    print_table(
        ctx, "Noisy test images against the clean ones:",
        [(name, value, SEED_FIGURES[name]) for name, value in metrics.items()],
        digits=2,
    )
    ctx.say("Writing plots ...")
    _plot(ctx, denoiser, X_noisy, X_test)
    write_metrics(ctx, {**metrics, "epochs": denoiser.n_iter_, "fit_seconds": fit_seconds,
                        "full": ctx.full})
    return metrics


def _plot(ctx: DemoContext, denoiser, X_noisy: np.ndarray, X_clean: np.ndarray) -> None:
    from ..plotting import ImageReconstructionDisplay

    figure = new_figure((10, 3.6))
    ImageReconstructionDisplay.from_estimator(
        denoiser, X_noisy, X_clean=X_clean, n_images=min(10, len(X_noisy)),
        ax=figure.add_subplot(),
    )
    figure.suptitle("noisy test digits, restored by the denoiser, and the clean originals")
    save_figure(ctx, figure, "denoising.png")

    save_learning_curve(ctx, denoiser, "learning curve (MSE to the clean images)")
