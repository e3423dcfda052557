"""distribute_strategy: networks built and trained under a tf.distribute.Strategy.

The CPU is split into two logical devices, which must happen before TensorFlow starts:
the checks run in a fresh interpreter.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

SCRIPT = textwrap.dedent("""
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from sklearn.base import clone
    from skae import AutoencoderTransformer, ReconstructionOutlierDetector

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    X = np.random.default_rng(0).normal(size=(256, 6))
    fast = dict(hidden_layer_sizes=(8,), n_components=2, epochs=4, batch_size=64,
                early_stopping=False, random_state=0)
    ae = AutoencoderTransformer(distribute_strategy=strategy, **fast).fit(X)
    det = ReconstructionOutlierDetector(distribute_strategy=strategy, n_estimators=2,
                                        **fast).fit(X)
    plain = AutoencoderTransformer(**fast).fit(X)
    again = clone(ae).fit(X)  # clone copies the strategy; the fit is the same
    variable = ae.model_.trainable_variables[0].value  # the TensorFlow variable
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "variable": type(variable).__name__,
        "copies": len(getattr(variable, "values", [variable])),
        "loss": ae.history_["loss"],
        "plain_loss": plain.history_["loss"],
        "codes": ae.transform(X[:3]).tolist(),
        "again_codes": again.transform(X[:3]).tolist(),
        "detector_finite": bool(np.isfinite(det.score_samples(X)).all()),
        "predict": sorted(set(det.predict(X).tolist())),
    }))
""")


@pytest.fixture(scope="module")
def mirrored():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_network_is_mirrored_on_two_devices_and_trains(mirrored):
    assert mirrored["replicas"] == 2
    assert mirrored["variable"] == "MirroredVariable" and mirrored["copies"] == 2
    loss = mirrored["loss"]
    assert len(loss) == 4 and loss[-1] < loss[0]
    # the same batches, split between two replicas: close to the training on one device
    assert loss == pytest.approx(mirrored["plain_loss"], rel=0.05)


def test_cloned_estimator_trains_the_same_network_under_its_strategy(mirrored):
    np.testing.assert_allclose(mirrored["again_codes"], mirrored["codes"], rtol=1e-5, atol=1e-6)
    assert mirrored["detector_finite"] and set(mirrored["predict"]) <= {-1, 1}


@pytest.mark.parametrize(
    "cls", [AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector])
def test_distribute_strategy_is_a_parameter_defaulting_to_none(cls):
    est = cls()
    assert est.get_params()["distribute_strategy"] is None
    assert clone(est.set_params(distribute_strategy=None)).distribute_strategy is None


def test_a_non_strategy_is_refused_before_training():
    with pytest.raises(ValueError, match="distribute_strategy"):
        AutoencoderTransformer(distribute_strategy="mirrored", epochs=1).fit([[0.0, 1.0]] * 4)
