"""Out-of-core training: fit / partial_fit on Dask collections, block by block."""

import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

dask = pytest.importorskip("dask", reason="the dask extra is not installed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

FAST = {"hidden_layer_sizes": (8,), "n_components": 2, "epochs": 3, "early_stopping": False,
        "random_state": 0, "batch_size": 32}


@pytest.fixture(scope="module")
def Xy():
    """Rows near a plane in 6-D, with 5% planted outliers (y=1), shuffled."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(600, 6))
    y = (rng.uniform(size=600) < 0.05).astype(int)
    X[y == 1] = rng.uniform(-4, 4, size=(int(y.sum()), 6))
    return (X - X.mean(0)) / X.std(0), y


class Recorder:
    """Builds a Dask array whose blocks note each time they are computed, and how many
    are held at once (computed and not yet released by the caller)."""

    def __init__(self, X, rows):
        self.X, self.rows, self.computed, self._lock = X, rows, [], threading.Lock()

    def _block(self, start):
        with self._lock:
            self.computed.append(start)
        return self.X[start:start + self.rows]

    def array(self):
        starts = range(0, len(self.X), self.rows)
        parts = [da.from_delayed(dask.delayed(self._block, pure=False)(s),
                                 shape=self.X[s:s + self.rows].shape, dtype=self.X.dtype)
                 for s in starts]
        return da.concatenate(parts)


def test_detector_trains_block_by_block_and_thresholds_over_all_rows(Xy):
    X, y = Xy
    recorder = Recorder(X, rows=100)
    det = ReconstructionOutlierDetector(contamination=0.05, **FAST).fit(recorder.array())
    # every block computed once to scan, once per epoch, once for the threshold
    counts = np.bincount(np.asarray(recorder.computed) // 100)
    np.testing.assert_array_equal(counts, [FAST["epochs"] + 2] * 6)
    assert det.n_features_in_ == 6 and len(det.history_["loss"]) == FAST["epochs"]
    # up to SAMPLE_ROWS rows the scaling statistics are those of all rows, exactly
    memory = ReconstructionOutlierDetector(contamination=0.05, **FAST).fit(X)
    np.testing.assert_allclose(det.center_, memory.center_)
    np.testing.assert_allclose(det.scale_, memory.scale_)
    # the threshold is the final network's, over all rows - not the last block's
    threshold = det.threshold_
    assert det.fit_threshold(X).threshold_ == pytest.approx(threshold, rel=1e-9)
    assert det.fit_threshold(X[-100:]).threshold_ != pytest.approx(threshold, rel=1e-3)
    assert roc_auc_score(y, -det.score_samples(X)) > 0.9


def test_out_of_core_fit_is_reproducible_and_as_good_as_in_memory(Xy):
    X, y = Xy
    params = {**FAST, "epochs": 20}
    first = ReconstructionOutlierDetector(**params).fit(da.from_array(X, chunks=150))
    again = ReconstructionOutlierDetector(**params).fit(da.from_array(X, chunks=150))
    for a, b in zip(first.model_.get_weights(), again.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    memory = ReconstructionOutlierDetector(**params).fit(X)
    auc_blocks = roc_auc_score(y, -first.score_samples(X))
    auc_memory = roc_auc_score(y, -memory.score_samples(X))
    assert auc_blocks > 0.95 and abs(auc_blocks - auc_memory) < 0.03


def test_dask_dataframe_fit_records_feature_names(Xy):
    X, _ = Xy
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    ae = AutoencoderTransformer(**FAST).fit(dd.from_pandas(frame, npartitions=3))
    assert list(ae.feature_names_in_) == list(frame.columns)
    assert ae.transform(frame).shape == (600, 2)
    assert not hasattr(ae, "threshold_")


@pytest.mark.short_training
def test_partial_fit_on_dask_adds_one_epoch_from_the_current_weights(Xy):
    X, _ = Xy
    ae = AutoencoderTransformer(**FAST).fit(X)
    before = [w.copy() for w in ae.model_.get_weights()]
    ae.partial_fit(da.from_array(X, chunks=200))
    assert len(ae.history_["loss"]) == FAST["epochs"] + 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, ae.model_.get_weights(),
                                                        strict=True))
    fresh = AutoencoderTransformer(**FAST).partial_fit(da.from_array(X, chunks=200))
    assert len(fresh.history_["loss"]) == 1


def test_partial_fit_chunks_then_threshold_over_all_of_them(Xy):
    X, _ = Xy
    det = ReconstructionOutlierDetector(contamination=0.1, **FAST)
    chunks = np.array_split(X, 4)
    for chunk in chunks:
        det.partial_fit(chunk)
    det.fit_threshold(iter(chunks))
    expected = np.percentile(-det.score_samples(X), 90)
    assert det.threshold_ == pytest.approx(expected, rel=1e-9)


def test_denoiser_trains_out_of_core_on_corrupted_blocks(Xy):
    X, _ = Xy
    blocks = da.from_array(X, chunks=200)
    noisy = DenoisingAutoencoder(noise_level=0.5, **FAST).fit(blocks)
    quiet = DenoisingAutoencoder(noise_level=0.0, **FAST).fit(blocks)
    assert noisy.predict(X).shape == X.shape
    # the same seed and data: only the corruption tells the two training losses apart
    assert noisy.history_["loss"][-1] > quiet.history_["loss"][-1]


def test_bad_blocks_are_refused_and_a_fitted_estimator_stays_as_it_was(Xy):
    X, _ = Xy
    det = ReconstructionOutlierDetector(**FAST).fit(X)
    weights, offset = [w.copy() for w in det.model_.get_weights()], det.offset_
    X_bad = X.copy()
    X_bad[450, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        det.set_params(warm_start=True).fit(da.from_array(X_bad, chunks=200))
    assert det.offset_ == offset and len(det.history_["loss"]) == FAST["epochs"]
    for a, b in zip(weights, det.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="normal_label selects training rows"):
        ReconstructionOutlierDetector(normal_label=0, **FAST).fit(
            da.from_array(X, chunks=200), np.zeros(len(X)))
    with pytest.raises(ValueError, match="Expected a 2D Dask array"):
        AutoencoderTransformer(**FAST).fit(da.from_array(X[:, 0], chunks=200))


def test_memory_is_not_used_out_of_core(Xy, tmp_path):
    X, _ = Xy
    with pytest.warns(UserWarning, match="out-of-core fit of a Dask collection is not cached"
                      ) as record:
        AutoencoderTransformer(memory=tmp_path, **FAST).fit(da.from_array(X, chunks=300))
    assert not any(tmp_path.iterdir())
    assert {w.filename for w in record} == {__file__}  # the user's line, not skae's


def test_dask_fit_weights_the_rows_as_in_memory(Xy):
    X, _ = Xy
    weights = np.where(np.arange(len(X)) % 3 == 0, 5.0, 0.5)
    blocks = da.from_array(X, chunks=150)
    det = ReconstructionOutlierDetector(contamination=0.1, **FAST)
    weighted = det.fit(blocks, sample_weight=da.from_array(weights, chunks=150))
    w_threshold, w_loss = weighted.threshold_, weighted.history_["loss"]
    plain = ReconstructionOutlierDetector(contamination=0.1, **FAST).fit(blocks)
    # the weights reach the training loss ...
    assert not np.allclose(w_loss, plain.history_["loss"])
    # ... and the threshold: the weighted quantile of the scores of all rows
    scores = -weighted.score_samples(X)
    assert w_threshold == pytest.approx(
        weighted.fit_threshold(X, sample_weight=weights).threshold_, rel=1e-9)
    assert w_threshold != pytest.approx(weighted.fit_threshold(X).threshold_, rel=1e-6)
    assert np.isfinite(scores).all()
    # NumPy weights work too; a wrong length is refused before training
    ReconstructionOutlierDetector(**FAST).fit(blocks, sample_weight=weights)
    with pytest.raises(ValueError, match="sample_weight"):
        ReconstructionOutlierDetector(**FAST).fit(blocks, sample_weight=weights[:-1])
