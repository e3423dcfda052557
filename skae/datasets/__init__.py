"""Datasets for autoencoder experiments, in the style of :mod:`sklearn.datasets`.

``load_ecg5000`` and ``load_mnist_test`` read data bundled with skae;
``fetch_fashion_mnist`` reads (and, if needed, downloads) a local cache.
Importing this module does not import TensorFlow or Keras.
"""

from ._ecg5000 import load_ecg5000
from ._fashion_mnist import fetch_fashion_mnist
from ._mnist import load_mnist_test

__all__ = ["fetch_fashion_mnist", "load_ecg5000", "load_mnist_test"]
