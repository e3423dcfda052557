"""AutoencoderTransformer: learn a code; transform rows to codes and back."""

from __future__ import annotations

from ._base import _BaseAutoencoder, _CodeMixin, _store_params
from ._dask import dask_aware
from ._docs import fill_doc
from ._persistence import register

__all__ = ["AutoencoderTransformer"]


@register  # skae.save / skae.load (skae/_persistence.py)
@dask_aware  # Dask collections in, lazy Dask collections out (skae/_dask.py)
@fill_doc
class AutoencoderTransformer(_CodeMixin, _BaseAutoencoder):
    """Dimensionality reduction with a Keras autoencoder.

    ``fit`` trains an encoder and a mirrored decoder to reconstruct X; ``transform`` returns
    the codes (``n_components_`` columns), ``inverse_transform`` decodes them, and ``score``
    is minus the mean reconstruction error, so ``GridSearchCV`` needs no ``scoring``.

    The dense network starts as PCA: a frozen linear path from input to code and from
    code to output is set to the principal axes of X before training (with a linear
    ``output_activation``), and the non-linear layers, which start at zero, learn the
    residual, so the codes and reconstructions are at least about as good as ``PCA``'s.

    Parameters
    ----------
    {shared_parameters}

    Attributes
    ----------
    {shared_attributes}

    See Also
    --------
    DenoisingAutoencoder : Trained to restore corrupted inputs.
    ReconstructionOutlierDetector : Flags rows that reconstruct badly.
    sklearn.decomposition.PCA : The linear counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderTransformer
    >>> X = np.random.default_rng(0).normal(size=(200, 10))
    >>> ae = AutoencoderTransformer(n_components=3, epochs=5, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (200, 3)
    >>> ae.inverse_transform(ae.transform(X)).shape
    (200, 10)
    >>> ae.get_feature_names_out()[:2].tolist()
    ['autoencodertransformer0', 'autoencodertransformer1']
    """

    #: the dense network carries a linear path set to PCA before training (skae/_pca_floor.py)
    _pca_floor = True

    def __init__(
        self,
        *,
        model=None,
        architecture: str = "dense",
        hidden_layer_sizes=None,
        n_components: int | None = None,
        activation: str = "relu",
        output_activation: str = "linear",
        dropout: float = 0.0,
        input_shape: tuple | None = None,
        loss="mse",
        optimizer="adam",
        learning_rate: float = 1e-3,
        epochs: int = 100,
        batch_size="auto",
        validation_fraction: float = 0.1,
        early_stopping: bool = True,
        n_iter_no_change: int = 10,
        random_state=None,
        verbose: int = 0,
        warm_start: bool = False,
        callbacks=None,
        metrics=None,
        memory=None,
        distribute_strategy=None,
        **kwargs,
    ):
        _store_params(self, locals())
