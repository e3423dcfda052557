"""Built-in network architectures and their registry (see :mod:`._registry`)."""

from ._layers import split_autoencoder
from ._registry import architecture_names, get_architecture
from ._spec import Architecture
from .conv1d import build_conv1d_autoencoder
from .conv2d import build_conv2d_autoencoder
from .dense import build_dense_autoencoder

__all__ = [
    "Architecture",
    "architecture_names",
    "build_conv1d_autoencoder",
    "build_conv2d_autoencoder",
    "build_dense_autoencoder",
    "get_architecture",
    "split_autoencoder",
]
