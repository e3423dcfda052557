"""One-command walkthroughs behind ``skae demo NAME`` (private).

Each demo is one module with ``HELP`` (a one-line summary) and ``run(ctx) -> dict`` (train,
print the figures beside the original tutorial's, write PNG plots); :mod:`._common` holds what they
share. Modules are imported only when their demo runs, so ``skae --help`` stays fast.
"""

from __future__ import annotations

import importlib

__all__ = ["DEMOS", "DEMO_FLAGS", "load_demo"]

#: Demo name -> (module, one-line help). The help is repeated here so that listing the
#: demos does not import TensorFlow.
DEMOS = {
    "ecg": ("ecg", "detect abnormal heartbeats in ECG5000 (ReconstructionOutlierDetector)"),
    "images": ("images", "compress MNIST digits to a 64-wide code (AutoencoderTransformer)"),
    "denoise": ("denoise", "remove Gaussian noise from MNIST digits (DenoisingAutoencoder)"),
}

#: Demo name -> {flag: help} of the on/off options only that demo takes.
DEMO_FLAGS = {
    "denoise": {
        "--full": "train the full recipe (15 epochs, about 5 times as long, about 0.7 "
                  "dB more) instead of the quick default (3 epochs)",
    },
}


def load_demo(name: str):
    """The module of demo ``name``."""
    if name not in DEMOS:
        raise ValueError(f"Unknown demo {name!r}; choose one of {', '.join(DEMOS)}.")
    return importlib.import_module(f".{DEMOS[name][0]}", __name__)
