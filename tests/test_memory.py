"""``memory``: trained networks are cached, so threshold-only changes never retrain."""

import contextlib
import fcntl
import threading
from pathlib import Path

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

import skae._memory
from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector
from skae._architectures import build_dense_autoencoder
from skae._memory import _NetworkStore, cache_directory, network_key


class CountTraining(keras.callbacks.Callback):
    """Append a line to a file whenever a network starts training (in any process)."""

    def __init__(self, path):
        super().__init__()
        self.path = str(path)

    def on_train_begin(self, logs=None):
        with open(self.path, "a") as f:
            f.write("trained\n")


def _builder(meta, compile_kwargs):  # module level: hashable by reference
    network = build_dense_autoencoder(
        meta["n_features_in_"], hidden_layer_sizes=(4,), n_components=2,
        seed=meta["random_state"],
    )
    network.compile(**compile_kwargs)
    return network


def _cached(directory) -> list:
    return sorted(Path(directory, "skae-networks").glob("*.keras"))


@pytest.fixture
def fast_params():
    """Tiny networks, no validation pass (a fit costs mostly Keras's tracing)."""
    return {"hidden_layer_sizes": (8,), "n_components": 2, "epochs": 5,
            "early_stopping": False, "random_state": 0}


@pytest.fixture(scope="module")
def Xy():
    """Rows near a plane in 6-D (y=+1) and 10% scattered outliers (y=-1), shuffled."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(200, 6))
    y = np.where(rng.uniform(size=200) < 0.1, -1, 1)
    X[y == -1] = rng.uniform(-4, 4, size=(np.sum(y == -1), 6))
    return (X - X.mean(0)) / X.std(0), y


@pytest.fixture(scope="module")
def X(Xy):
    return Xy[0]


# ---------------------------------------------------------------- grid searches: F + 1 fits
THRESHOLD_GRID = [
    {"contamination": [0.05, 0.1]},
    {"threshold": ["mean_std", "median_mad", 0.5], "n_std": [1.0, 2.0]},
]  # K = 2 + 3 x 2 = 8 threshold settings


def test_grid_over_thresholds_trains_one_network_per_fold(Xy, fast_params, tmp_path,
                                                           count_training):
    X, y = Xy
    n_folds = 2
    search = GridSearchCV(
        ReconstructionOutlierDetector(memory=str(tmp_path), **fast_params),
        THRESHOLD_GRID, scoring="balanced_accuracy", cv=KFold(n_folds),
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert len(count_training) == n_folds + 1  # not 8 x 2 + 1 = 17
    assert len(_cached(tmp_path)) == n_folds + 1
    assert [p.name for p in tmp_path.iterdir()] == ["skae-networks"]  # nothing else written


def test_parallel_grid_shares_the_cache_across_workers(Xy, fast_params, tmp_path):
    X, y = Xy
    n_folds, counter = 2, tmp_path / "trainings.txt"
    search = GridSearchCV(
        ReconstructionOutlierDetector(
            memory=joblib.Memory(tmp_path / "cache", verbose=0),
            callbacks=[CountTraining(counter)], **fast_params,
        ),
        THRESHOLD_GRID, scoring="f1", cv=KFold(n_folds), n_jobs=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert counter.read_text().count("trained") == n_folds + 1  # not 8 x 2 + 1 = 17
    assert len(_cached(tmp_path / "cache")) == n_folds + 1


# ---------------------------------------------------------------- thresholds keep the network
def test_threshold_parameters_never_change_the_network(Xy, fast_params, tmp_path,
                                                       count_training):
    X, y = Xy
    first = ReconstructionOutlierDetector(memory=tmp_path, contamination=0.05, **fast_params)
    first.fit(X)
    scores = first.score_samples(X)
    offsets = {first.offset_}
    for params in ({"contamination": 0.2}, {"threshold": "median_mad", "n_std": 3.0},
                   {"threshold": 0.4, "verbose": 0}):
        det = clone(first).set_params(**{"contamination": "auto", **params}).fit(X)  # a hit
        np.testing.assert_array_equal(det.score_samples(X), scores)
        assert det.history_ == first.history_
        assert det.n_iter_ == first.n_iter_
        offsets.add(det.offset_)
    first.set_params(contamination=0.3).fit(X)  # set_params then refit: also a hit
    np.testing.assert_array_equal(first.score_samples(X), scores)
    offsets.add(first.offset_)
    assert len(offsets) == 5  # the thresholds were recomputed each time
    # fit_threshold gives what the refit gave, without training or loading anything
    refit_offset = first.offset_
    first.set_params(contamination=0.05).fit_threshold(X)
    first.set_params(contamination=0.3).fit_threshold(X)
    assert first.offset_ == pytest.approx(refit_offset, rel=1e-6)
    assert len(count_training) == 1


def test_cache_hit_equals_training_without_memory(X, fast_params, tmp_path, count_training):
    trained = ReconstructionOutlierDetector(**fast_params).fit(X)
    ReconstructionOutlierDetector(memory=tmp_path, **fast_params).fit(X)
    loaded = ReconstructionOutlierDetector(memory=tmp_path, **fast_params).fit(X)
    assert len(count_training) == 2
    for a, b in zip(trained.model_.get_weights(), loaded.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(trained.score_samples(X), loaded.score_samples(X))
    assert trained.offset_ == loaded.offset_
    loaded.partial_fit(X)  # the optimizer state came back from the cache as well
    trained.partial_fit(X)
    np.testing.assert_allclose(trained.score_samples(X), loaded.score_samples(X), rtol=1e-5)


# ---------------------------------------------------------------- what misses the cache
def test_network_parameters_and_data_miss_the_cache(X, fast_params, tmp_path, count_training):
    base = ReconstructionOutlierDetector(memory=tmp_path, **fast_params)
    base.fit(X)
    clone(base).set_params(n_components=3).fit(X)
    clone(base).fit(X[:-1])
    assert len(count_training) == 3  # the key tests below cover the other parameters
    assert len(_cached(tmp_path)) == 3


def _key(est, X_in, X_target=None, seed=0, epochs=3):
    return network_key(est, X_in, X_in if X_target is None else X_target, seed=seed,
                       epochs=epochs)


def test_key_ignores_only_non_network_parameters(X, fast_params):
    det = ReconstructionOutlierDetector(optimizer=keras.optimizers.Adam(1e-3), **fast_params)
    key = _key(det, X)
    same = [
        {"contamination": 0.1}, {"threshold": 0.5}, {"n_std": 4.0}, {"normal_label": 1},
        {"verbose": 1}, {"warm_start": True}, {"memory": "somewhere"},
        {"optimizer": keras.optimizers.Adam(1e-3)},  # an equal, distinct instance
        # the isolation forest and the combination are fitted after training
        {"isolation_weight": 0.2}, {"score_combination": "rank"},
    ]
    for params in same:
        assert _key(clone(det).set_params(**params), X) == key, params
    assert _key(det, X.astype(np.float32)) == key  # the network sees float32 rows
    different = [
        {"n_components": 3}, {"epochs": 4}, {"learning_rate": 0.01}, {"loss": "mae"},
        {"hidden_layer_sizes": (9,)}, {"optimizer": keras.optimizers.Adam(1e-2)},
        {"validation_fraction": 0.2}, {"fit__shuffle": False},
        {"n_estimators": 3}, {"max_features": 0.8},  # the ensemble is the network
    ]
    keys = {_key(clone(det).set_params(**params), X) for params in different}
    assert key not in keys and len(keys) == len(different)
    X_changed = X.copy()
    X_changed[0, 0] += 1e-3
    assert len({key, _key(det, X_changed), _key(det, X, seed=1), _key(det, X, epochs=1),
                _key(AutoencoderTransformer(**fast_params), X)}) == 5


def test_key_reads_the_non_network_parameters_the_class_declares(X, fast_params):
    """The cache names no estimator: a class that declares a parameter non-network (here
    a subclass declaring ``n_components`` so, for the test) gets keys that ignore it."""

    class Declaring(AutoencoderTransformer):
        _non_network_params = AutoencoderTransformer._non_network_params | {"n_components"}

    assert "contamination" in ReconstructionOutlierDetector._non_network_params
    assert "contamination" not in AutoencoderTransformer._non_network_params
    est = Declaring(**fast_params)
    assert _key(clone(est).set_params(n_components=3), X) == _key(est, X)
    plain = AutoencoderTransformer(**fast_params)
    assert _key(clone(plain).set_params(n_components=3), X) != _key(plain, X)


def test_denoiser_key_tells_corrupted_fits_from_given_pairs(X, fast_params):
    dae = DenoisingAutoencoder(**fast_params)
    assert _key(dae, X) != _key(dae, X, X.copy())  # fit(X) corrupts; fit(X, X) does not


def test_lambda_builders_are_keyed_by_their_code(X):
    assert (_key(ReconstructionOutlierDetector(model=lambda meta: None), X)
            != _key(ReconstructionOutlierDetector(model=lambda meta: 1), X))


# ---------------------------------------------------------------- when nothing is cached
def test_unreproducible_fits_are_not_cached(X, fast_params, tmp_path, count_training):
    for random_state in (None, np.random.RandomState(0)):
        params = {**fast_params, "random_state": random_state}
        with pytest.warns(UserWarning, match="random_state is not an int"):
            ReconstructionOutlierDetector(memory=tmp_path, **params).fit(X)
    assert len(count_training) == 2
    assert _cached(tmp_path) == []


@pytest.mark.short_training
def test_prebuilt_model_is_not_cached(X, fast_params, tmp_path, count_training):
    network = _builder({"n_features_in_": X.shape[1], "random_state": 0},
                       {"optimizer": "adam", "loss": "mse"})
    params = {**fast_params, "model": network}
    with pytest.warns(UserWarning, match="pre-built keras.Model"):
        AutoencoderTransformer(memory=tmp_path, **params).fit(X)
    assert count_training == [1] and _cached(tmp_path) == []


@pytest.mark.short_training
def test_builder_function_is_cached(X, fast_params, tmp_path, count_training):
    for _ in range(2):
        AutoencoderTransformer(model=_builder, memory=tmp_path, **fast_params).fit(X)
    assert count_training == [1]


def test_continued_training_is_not_cached(X, fast_params, tmp_path, count_training):
    det = ReconstructionOutlierDetector(memory=tmp_path, warm_start=True, **fast_params)
    det.fit(X)  # fresh: cached
    det.fit(X)  # warm start continues from the current weights: trained, not cached
    det.partial_fit(X)  # the same path (one epoch), not cached either
    assert len(count_training) == 3
    assert len(_cached(tmp_path)) == 1


# ---------------------------------------------------------------- parameter and file handling
@pytest.mark.parametrize("memory", [5, ["dir"]])
def test_bad_memory_fails_before_training(memory, X, count_training):
    with pytest.raises(ValueError, match="'memory' parameter"):
        ReconstructionOutlierDetector(memory=memory).fit(X)
    assert count_training == []


def test_memory_locations(tmp_path):
    assert cache_directory(None) is None
    assert cache_directory(joblib.Memory(None)) is None  # joblib's "no caching"
    expected = str(tmp_path / "skae-networks")
    assert cache_directory(str(tmp_path)) == expected
    assert cache_directory(tmp_path) == expected
    assert cache_directory(joblib.Memory(tmp_path, verbose=0)) == expected


def test_memory_without_location_is_rejected(X, fast_params, count_training):
    class CacheOnly:
        def cache(self, func):
            return func

    with pytest.raises(ValueError, match="has no `location`"):
        ReconstructionOutlierDetector(memory=CacheOnly(), **fast_params).fit(X)
    assert count_training == []


def test_corrupt_entry_is_retrained(X, fast_params, tmp_path, count_training):
    ReconstructionOutlierDetector(memory=tmp_path, **fast_params).fit(X)
    (entry,) = _cached(tmp_path)
    entry.write_bytes(b"not a keras file")
    with pytest.warns(UserWarning, match="could not use cached network"):
        det = ReconstructionOutlierDetector(memory=tmp_path, **fast_params).fit(X)
    assert len(count_training) == 2
    assert det.score_samples(X).shape == (len(X),)
    ReconstructionOutlierDetector(memory=tmp_path, **fast_params).fit(X)  # rewritten
    assert len(count_training) == 2


def test_concurrent_requests_for_one_network_train_it_once(tmp_path, monkeypatch):
    """A second caller waits for the first one's network instead of training it again.

    Deterministic: the first caller holds the entry's lock until the test releases it;
    the second is seen asking for the lock, and cannot hold it before the first lets go.
    """
    store = _NetworkStore(str(tmp_path))
    started, release, second_waits = threading.Event(), threading.Event(), threading.Event()
    trained, log = [], []
    original = skae._memory._exclusive

    @contextlib.contextmanager
    def logged(path):
        name = threading.current_thread().name
        log.append((name, "waits"))
        if name == "second":
            second_waits.set()
        with original(path):
            log.append((name, "holds"))
            try:
                yield
            finally:  # logged before the lock is let go, so the log's order is the locks'
                log.append((name, "releases"))

    monkeypatch.setattr(skae._memory, "_exclusive", logged)

    def train(name):
        def run():
            trained.append(name)
            if name == "first":
                started.set()
                assert release.wait(timeout=60)
            network = build_dense_autoencoder(3, hidden_layer_sizes=(2,), n_components=1,
                                              seed=0)
            return network, {"loss": [1.0]}
        return run

    results = {}
    threads = {
        name: threading.Thread(name=name, target=lambda name=name: results.update(
            {name: store.fetch_or_train("key", train(name))}))
        for name in ("first", "second")
    }
    threads["first"].start()
    assert started.wait(timeout=60)  # the first holds the lock, inside its training
    threads["second"].start()
    assert second_waits.wait(timeout=60)  # the second asks for the lock ...
    with open(store._path("key", ".lock"), "a+b") as lock:  # the first holds the lock:
        with pytest.raises(BlockingIOError):  # a non-blocking attempt is refused
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert "second" not in results  # ... so the second cannot have loaded or trained yet
    release.set()
    for thread in threads.values():
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert log == [("first", "waits"), ("first", "holds"), ("second", "waits"),
                   ("first", "releases"), ("second", "holds"), ("second", "releases")]
    assert trained == ["first"]  # the second loaded the first one's network
    assert results["second"][1] == {"loss": [1.0]}
