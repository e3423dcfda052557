"""Checks the gallery runs before each example (``reset_modules`` of ``docs/conf.py``).

A collapsed network (skae's ``ConvergenceWarning``) fails the example, and with it the
build, instead of drawing a constant image that nobody notices.
"""

from __future__ import annotations

import warnings

from sklearn.exceptions import ConvergenceWarning


def convergence_is_an_error(gallery_conf, fname, when=None) -> None:
    """Turn ``ConvergenceWarning`` into an error for the example about to run."""
    warnings.filterwarnings("error", category=ConvergenceWarning)
