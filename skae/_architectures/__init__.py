"""Built-in network architectures and their registry (see :mod:`._registry`)."""

from ._conv import build_conv_autoencoder
from ._layers import split_autoencoder
from ._registry import architecture_names, get_architecture
from ._spec import Architecture
from .dense import build_dense_autoencoder

__all__ = [
    "Architecture",
    "architecture_names",
    "build_conv_autoencoder",
    "build_dense_autoencoder",
    "get_architecture",
    "split_autoencoder",
]
