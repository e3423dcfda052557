"""What the registry knows about one architecture: :class:`Architecture`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Architecture"]


@dataclass(frozen=True)
class Architecture:
    """One entry of the architecture registry.

    Parameters
    ----------
    name : str
        The value of the estimators' ``architecture`` parameter.
    build : callable
        ``build(n_features, input_shape, hidden, n_components, *, activation,
        output_activation, dropout, seed, code_activation)`` returning a ``keras.Model``
        named ``"autoencoder"`` that chains sub-models ``"encoder"`` and ``"decoder"``.
        ``input_shape`` is the user's tuple or None; ``hidden`` and ``n_components`` are
        already resolved (user values, else :attr:`default_sizes`).
    default_sizes : callable
        ``default_sizes(n_features) -> (hidden, n_components)``: the sizes used when the
        user leaves ``hidden_layer_sizes`` / ``n_components`` as None (``n_components``
        may stay None when the architecture has a natural code, e.g. a feature map).
    summary : str
        One sentence for the ``architecture`` entry of the estimators' docstrings.
    shape_forms : dict of int to str, default={}
        The forms of ``input_shape`` it accepts, by length (``{2: "(height, width)"}``);
        empty: any shape whose product is the row length.
    needs_input_shape : bool, default=False
        Whether ``input_shape`` is required (else the rows' length decides).
    shape_example : str, default=""
        An example for the error raised when a required ``input_shape`` is missing.
    linear_path : bool, default=False
        Whether ``build`` takes ``linear_path=True``: a frozen linear path from input to
        code and from code to output that the PCA floor (``skae/_pca_floor.py``) sets.
    sizes : str, default=""
        What ``hidden_layer_sizes``, ``n_components`` and ``input_shape`` mean for it, where
        that differs from the dense network's (appended to :attr:`summary` in docstrings).
    """

    name: str
    build: Callable
    default_sizes: Callable
    summary: str
    shape_forms: dict = field(default_factory=dict)
    needs_input_shape: bool = False
    shape_example: str = ""
    sizes: str = ""
    linear_path: bool = False
