"""partial_fit over a stream: the detector's statistics come from all the rows seen."""

import pickle

import numpy as np
import pytest

from skae import ReconstructionOutlierDetector
from skae._hybrid import fit_rank_grid
from skae._reservoir import RowReservoir

FAST = {"hidden_layer_sizes": (8,), "n_components": 2, "epochs": 3, "early_stopping": False,
        "random_state": 0, "batch_size": 32}


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(800, 6))
    X[:400] *= 3.0  # the stream drifts: its first half spreads wider than its last chunk
    return X


def test_partial_fit_statistics_come_from_all_rows_seen(X):
    det = ReconstructionOutlierDetector(contamination=0.1, **FAST)
    for chunk in np.array_split(X, 4):
        det.partial_fit(chunk)
    threshold = det.threshold_
    # error scale and rank grids fitted on all 800 rows (fewer than the reservoir holds):
    # the grid of the errors is that of every row's error under the final calibration
    np.testing.assert_allclose(det.error_grid_, fit_rank_grid(det.reconstruction_error(X)),
                               rtol=1e-9)
    assert threshold == pytest.approx(det.fit_threshold(X).threshold_, rel=1e-9)
    assert threshold != pytest.approx(det.fit_threshold(X[-200:]).threshold_, rel=1e-3)


def test_partial_fit_weights_stay_with_their_rows(X):
    weights = np.where(np.arange(len(X)) % 3 == 0, 4.0, 1.0)
    det = ReconstructionOutlierDetector(contamination=0.1, **FAST)
    for rows, w in zip(np.array_split(X, 4), np.array_split(weights, 4), strict=True):
        det.partial_fit(rows, sample_weight=w)
    assert det.threshold_ == pytest.approx(
        det.fit_threshold(X, sample_weight=weights).threshold_, rel=1e-9)


def test_a_fit_ends_the_stream_and_the_sample_is_not_pickled(X):
    det = ReconstructionOutlierDetector(contamination=0.1, **FAST)
    det.partial_fit(X[:400]).partial_fit(X[400:])
    assert det._stream_rows.n_seen == 800
    assert not hasattr(pickle.loads(pickle.dumps(det)), "_stream_rows")
    det.fit(X[400:])  # a fit calibrates on its own rows
    assert det.threshold_ == pytest.approx(det.fit_threshold(X[400:]).threshold_, rel=1e-9)
    det.partial_fit(X[:200])  # a new stream starts at the next partial_fit
    assert det.threshold_ == pytest.approx(det.fit_threshold(X[:200]).threshold_, rel=1e-9)


def test_reservoir_is_bounded_uniform_and_reproducible():
    pool = RowReservoir(size=500)
    for start in range(0, 10_000, 1_000):
        pool = pool.add(np.arange(start, start + 1_000.0)[:, None], seed=3)
    assert pool.rows.shape == (500, 1) and pool.n_seen == 10_000
    per_chunk = np.bincount((pool.rows[:, 0] // 1_000).astype(int), minlength=10)
    assert per_chunk.min() > 20  # every chunk is represented, the last one not favoured
    again = RowReservoir(size=500)
    for start in range(0, 10_000, 1_000):
        again = again.add(np.arange(start, start + 1_000.0)[:, None], seed=3)
    np.testing.assert_array_equal(pool.rows, again.rows)
