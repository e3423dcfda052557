"""Matplotlib displays for autoencoders, following scikit-learn's Display pattern.

Each display is built with ``Display.from_estimator(estimator, ...)`` or from
precomputed values (``from_predictions`` / ``from_history``), draws with
``plot(ax=None, ...)`` (which returns the display) and keeps the axes, figure
and drawn artists (``ax_``, ``figure_``, ``lines_``, ...) for restyling.

Importing this module imports neither :mod:`matplotlib.pyplot` nor TensorFlow;
matplotlib is only imported when drawing.
"""

from ._errors import ErrorHistogramDisplay
from ._history import TrainingHistoryDisplay
from ._images import ImageReconstructionDisplay
from ._signals import SignalReconstructionDisplay

__all__ = [
    "ErrorHistogramDisplay",
    "ImageReconstructionDisplay",
    "SignalReconstructionDisplay",
    "TrainingHistoryDisplay",
]
