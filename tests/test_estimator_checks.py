"""scikit-learn's own estimator checks, over all three estimators."""

import pytest
from conftest import fast
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

_FAST = fast(epochs=2, hidden_layer_sizes=(4,))

ESTIMATORS = [
    AutoencoderTransformer(**_FAST),
    DenoisingAutoencoder(**_FAST),
    ReconstructionOutlierDetector(**_FAST),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
