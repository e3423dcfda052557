"""
Dense autoencoder: a 64-number code for digit images
====================================================

An :class:`~skae.AutoencoderTransformer` learns to squeeze each 28x28 image (784 pixels)
into a code of 64 numbers and to draw the image back from it: dimensionality reduction
that, unlike :class:`~sklearn.decomposition.PCA`, can bend to the shape of the data.

This page trains on a subset of the MNIST digits bundled with skae for a few epochs, so
that it runs in seconds. The full recipe is one command, ``skae demo images`` (8000
training images, up to 80 epochs); :doc:`/walkthroughs` quotes what it reaches, measured
by ``python benchmarks/seed_walkthroughs.py --walkthroughs images``.
"""

# %%
# The data
# --------
# :func:`~skae.datasets.load_mnist_test` returns the 10,000 MNIST test images, with
# pixels already scaled to [0, 1]; ``data`` holds them as flat rows of 784 pixels, the
# shape every scikit-learn estimator expects.
from skae.datasets import load_mnist_test

mnist = load_mnist_test()
X_train, X_test = mnist.data[:3000], mnist.data[-1000:]
print(X_train.shape, X_train.dtype, float(X_train.min()), float(X_train.max()))

# %%
# Training
# --------
# Pixels in [0, 1] suit a ``"sigmoid"`` output and a binary cross-entropy loss. ELU
# hidden layers train better here than ReLU ones. ``random_state`` makes the fit
# repeatable; ``epochs`` is small to keep this page quick (early stopping, on by default
# for this estimator, would stop a longer run when the validation loss stops improving).
from skae import AutoencoderTransformer

autoencoder = AutoencoderTransformer(
    n_components=64,
    hidden_layer_sizes=(256,),
    activation="elu",
    output_activation="sigmoid",
    loss="binary_crossentropy",
    optimizer="adamw",
    epochs=12,
    batch_size=64,
    random_state=0,
)
autoencoder.fit(X_train)
codes = autoencoder.transform(X_test)
print("codes:", codes.shape)

# %%
# How well does the code keep the images?
# ---------------------------------------
# Decode the codes and compare with the originals, next to PCA with the same number of
# components. ``reconstruct(X)`` is ``inverse_transform(transform(X))`` in one call.
import numpy as np
from sklearn.decomposition import PCA

restored = autoencoder.inverse_transform(codes)
pca = PCA(n_components=64, random_state=0).fit(X_train)
restored_pca = pca.inverse_transform(pca.transform(X_test))
print(f"test MSE, autoencoder: {np.mean((restored - X_test) ** 2):.5f}")
print(f"test MSE, PCA(64):     {np.mean((restored_pca - X_test) ** 2):.5f}")

# %%
# A short run like this one is usually behind PCA; the full recipe (more images, more
# epochs) is ahead of it, as the figures in :doc:`/walkthroughs` show.
#
# Pictures
# --------
# :class:`~skae.plotting.ImageReconstructionDisplay` draws some test images above their
# reconstructions; :class:`~skae.plotting.TrainingHistoryDisplay` the learning curves.
from skae.plotting import ImageReconstructionDisplay, TrainingHistoryDisplay

ImageReconstructionDisplay.from_estimator(
    autoencoder, X_test, n_images=8, random_state=0, image_shape=(28, 28)
)

# %%
TrainingHistoryDisplay.from_estimator(autoencoder)

# %%
# The original recipe: Fashion-MNIST
# ----------------------------------
# The classic Keras tutorial trains this autoencoder on Fashion-MNIST (clothing images),
# which is too large to ship with skae. :func:`~skae.datasets.fetch_fashion_mnist`
# downloads it once into scikit-learn's data folder (or reads the four files you copy
# there) and returns the same flat, [0, 1]-scaled rows::
#
#     from skae.datasets import fetch_fashion_mnist
#
#     fmnist = fetch_fashion_mnist()
#     autoencoder.fit(fmnist.data_train)
#     codes = autoencoder.transform(fmnist.data_test)
