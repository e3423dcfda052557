"""``load(..., allow_custom_objects=False)`` accepts skae's own Keras classes only."""

import keras
import numpy as np

from skae import ReconstructionOutlierDetector, load
from skae._serialization import _SKAE_CLASSES


def test_default_detector_loads_with_custom_objects_refused(tmp_path):
    X = np.random.default_rng(0).normal(size=(120, 6))
    det = ReconstructionOutlierDetector(n_estimators=3, epochs=2, random_state=0).fit(X)
    path = tmp_path / "det.skae"
    det.save(path)
    loaded = load(path, allow_custom_objects=False)
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))


def test_every_registered_skae_class_is_declared():
    import skae._ensemble  # noqa: F401  (registers skae's classes)

    registered = {
        name: keras.saving.get_registered_object(name).__module__
        for name in keras.saving.get_custom_objects()
        if name.startswith("skae>")
    }
    assert registered == _SKAE_CLASSES
