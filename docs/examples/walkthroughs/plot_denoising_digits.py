"""
Convolutional denoiser: restoring noisy digit images
====================================================

A :class:`~skae.DenoisingAutoencoder` learns to remove noise: during training it adds
fresh Gaussian noise to every batch of clean images and learns to give the clean images
back. With ``architecture="conv2d"`` the network is convolutional, so it looks at each
pixel's neighbourhood instead of the whole image at once.

This page trains on 1200 bundled MNIST images for a few epochs. The full recipe is one
command, ``skae demo denoise``; :doc:`/walkthroughs` quotes what it reaches, measured by
``python benchmarks/seed_walkthroughs.py --walkthroughs denoise``.
"""

# %%
# The data and the noise
# ----------------------
# Images travel through scikit-learn as flat rows of pixels in [0, 1];
# ``input_shape=(28, 28, 1)`` tells the convolutional network how to fold them back into
# images. The test images get fixed noise (standard deviation 0.2, clipped to [0, 1]) so
# that the result can be measured.
import numpy as np

from skae.datasets import load_mnist_test

mnist = load_mnist_test()
X_train, X_test = mnist.data[:1200], mnist.data[-300:]
rng = np.random.default_rng(0)
X_test_noisy = np.clip(X_test + rng.normal(scale=0.2, size=X_test.shape), 0, 1)

# %%
# Training
# --------
# ``fit(X_clean)`` corrupts the rows itself, afresh for every batch, with the same kind
# of noise (``noise``, ``noise_level``, ``clip``). One stride-2 level of 64 filters and a
# linear output trained with the mean squared error work well for this task.
from skae import DenoisingAutoencoder

denoiser = DenoisingAutoencoder(
    architecture="conv2d",
    input_shape=(28, 28, 1),
    hidden_layer_sizes=(64,),
    noise="gaussian",
    noise_level=0.2,
    clip=(0, 1),
    output_activation="linear",
    batch_size=32,
    epochs=4,
    random_state=0,
)
denoiser.fit(X_train)

# %%
# How much noise is removed?
# --------------------------
# ``predict`` restores noisy rows. The peak signal-to-noise ratio (PSNR, in decibels;
# higher is better) compares the noisy and the restored images with the clean ones.
X_restored = np.clip(denoiser.predict(X_test_noisy), 0, 1)


def psnr(clean, other):
    """Peak signal-to-noise ratio of images in [0, 1], in dB."""
    return 10 * np.log10(1.0 / np.mean((clean - other) ** 2))


print(f"PSNR of the noisy images:    {psnr(X_test, X_test_noisy):.2f} dB")
print(f"PSNR of the restored images: {psnr(X_test, X_restored):.2f} dB")

# %%
# Noisy, restored and clean images, one column per image:
from skae.plotting import ImageReconstructionDisplay

ImageReconstructionDisplay.from_predictions(
    X_test_noisy, X_restored, X_clean=X_test, n_images=8, random_state=0,
    image_shape=(28, 28),
)

# %%
# Notes
# -----
# - With a ``"sigmoid"`` output under the mean squared error, a network can get stuck
#   giving a blank image; skae then warns with a ``ConvergenceWarning``. The linear output
#   used here avoids it.
# - ``fit(X_noisy, X_clean)`` trains on pairs you corrupted yourself, for noise that
#   skae's generators do not produce.
# - ``transform`` gives the code of each image, as for
#   :class:`~skae.AutoencoderTransformer`.
