"""The PCA floor of :class:`AutoencoderTransformer` and :class:`DenoisingAutoencoder`.

A linear autoencoder trained to the optimum is PCA. The dense network of these two
estimators therefore carries a frozen linear path from input to code and from code to
output (``linear_path=True`` of the architecture), which :func:`init_linear_path` sets to
the PCA solution of the training targets before training; the layers that add to it start
at zero, so the untrained network *is* PCA's projection and training only learns what
the linear solution misses (early stopping keeps the best epoch on held-out rows). The
outlier detector keeps its plain networks: its scores are designed on them.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from ._architectures import split_autoencoder

__all__ = ["floor_options", "init_linear_path"]

#: the frozen linear layers, and the residual layers that add to them, by sub-model
_LINEAR = {"encoder": ("linear_code", "code"), "decoder": ("linear_reconstruction",
                                                            "reconstruction")}


def floor_options(estimator, spec) -> dict:
    """Builder options that give ``estimator``'s network the linear path, if it applies.

    It applies to estimators whose class sets ``_pca_floor``, to architectures that offer
    the path, and to a linear output (the sum of the paths is the reconstruction).
    """
    wanted = getattr(estimator, "_pca_floor", False) and spec.linear_path
    if wanted and estimator.output_activation in ("linear", None):
        return {"linear_path": True}
    return {}


def _principal_axes(Z: np.ndarray, width: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(components, mean)``: ``width`` principal axes of Z as rows (zero rows past the rank)."""
    usable = int(min(width, Z.shape[0] - 1, Z.shape[1]))
    components = np.zeros((width, Z.shape[1]))
    mean = Z.mean(axis=0, dtype=np.float64)
    if usable >= 1:
        pca = PCA(n_components=usable, random_state=seed).fit(Z)
        components[:usable] = pca.components_
        mean = pca.mean_
    return components, mean


def init_linear_path(network, Z_target: np.ndarray, seed: int) -> bool:
    """Set the network's linear path to the PCA solution of ``Z_target``; False if none.

    The encoder's ``linear_code`` becomes the projection on the principal axes, the
    decoder's ``linear_reconstruction`` its inverse; the residual layers ``code`` and
    ``reconstruction`` are zeroed, so the untrained network returns PCA's reconstruction.
    """
    encoder, decoder = split_autoencoder(network)
    parts = {"encoder": encoder, "decoder": decoder}
    names = {layer.name for part in parts.values() for layer in part.layers}
    if not all(linear in names for linear, _ in _LINEAR.values()):
        return False
    width = parts["encoder"].get_layer("linear_code").units
    components, mean = _principal_axes(np.asarray(Z_target), width, seed)
    parts["encoder"].get_layer("linear_code").set_weights(
        [components.T.astype(np.float32), (-mean @ components.T).astype(np.float32)])
    parts["decoder"].get_layer("linear_reconstruction").set_weights(
        [components.astype(np.float32), mean.astype(np.float32)])
    for part, (_, residual) in _LINEAR.items():
        layer = parts[part].get_layer(residual)
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    return True
