"""Dask: distributed search, lazy block-by-block scoring, thresholds over chunked rows.

One two-worker ``LocalCluster`` of processes on loopback serves the module, so estimators
really travel pickled to other interpreters and back; it is closed at the end.
"""

import functools
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV, cross_validate

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

dask = pytest.importorskip("dask", reason="the dask extra is not installed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

FAST = {"hidden_layer_sizes": (8,), "n_components": 2, "epochs": 3, "early_stopping": False,
        "random_state": 0}
ESTIMATORS = [ReconstructionOutlierDetector, AutoencoderTransformer, DenoisingAutoencoder]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1", death_timeout=60,
    ) as cluster, distributed.Client(cluster, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(240, 6))
    return (X - X.mean(0)) / X.std(0)


@pytest.fixture(scope="module")
def fitted(X):
    return {cls.__name__: cls(**FAST).fit(X) for cls in ESTIMATORS}


def _methods(est):
    names = ["score_samples", "reconstruct", "reconstruction_error", "predict",
             "decision_function", "transform", "inverse_transform"]
    return [name for name in names if hasattr(est, name)]


def _codes_or_rows(est, method, X):
    return est.transform(X) if method == "inverse_transform" else X


# ---------------------------------------------------------------- importing, the extra
def test_importing_skae_or_fitting_does_not_import_dask():
    code = (
        "import sys, numpy as np\n"
        "from skae import ReconstructionOutlierDetector as D\n"
        "D(epochs=1, hidden_layer_sizes=(4,), random_state=0).fit(np.eye(10)).predict(np.eye(10))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip() == "[]"


def test_dask_input_without_the_extra_names_it(fitted, X, monkeypatch):
    det = fitted["ReconstructionOutlierDetector"]
    X_dask = da.from_array(X, chunks=60)
    monkeypatch.setitem(sys.modules, "dask.array", None)  # as if dask[array] were missing
    with pytest.raises(ImportError, match=r'pip install "skae\[dask\]"'):
        det.score_samples(X_dask)
    monkeypatch.undo()
    monkeypatch.setattr(dask, "__version__", "2023.12.1")
    with pytest.raises(ImportError, match=r"dask >= 2025\.1, found 2023\.12\.1"):
        det.predict(X_dask)


# ---------------------------------------------------------------- scoring, block by block
@pytest.mark.parametrize("name", [cls.__name__ for cls in ESTIMATORS])
def test_dask_array_scoring_is_lazy_and_equals_numpy(fitted, X, name):
    est = fitted[name]
    for method in _methods(est):
        rows = _codes_or_rows(est, method, X)
        expected = getattr(est, method)(rows)
        lazy = getattr(est, method)(da.from_array(rows, chunks=(50, 3)))  # 5 x 2 blocks
        assert isinstance(lazy, da.Array), method
        assert lazy.shape == expected.shape and lazy.chunks[0] == (50, 50, 50, 50, 40), method
        computed = lazy.compute(scheduler="sync")
        assert lazy.dtype == computed.dtype == expected.dtype, method  # declared = actual
        np.testing.assert_allclose(computed, expected, rtol=1e-6, atol=1e-9, err_msg=method)
    errors = est.reconstruction_error(da.from_array(X, chunks=60), per_feature=True)
    assert errors.shape == X.shape
    np.testing.assert_allclose(errors.compute(), est.reconstruction_error(X, per_feature=True),
                               rtol=1e-6, atol=1e-9)


def test_float32_blocks_keep_their_dtype(fitted, X):
    ae = fitted["AutoencoderTransformer"]
    X32 = X.astype(np.float32)
    codes = ae.transform(da.from_array(X32, chunks=100))
    assert codes.dtype == np.float32
    np.testing.assert_allclose(codes.compute(), ae.transform(X32), rtol=1e-5, atol=1e-6)


def test_estimator_is_one_key_of_the_graph_not_one_copy_per_block(fitted, X):
    det = fitted["ReconstructionOutlierDetector"]
    size = len(pickle.dumps(det))

    def graph_bytes(n_blocks):
        lazy = det.score_samples(da.from_array(X, chunks=len(X) // n_blocks))
        return len(pickle.dumps(dict(lazy.__dask_graph__())))

    one, twelve = graph_bytes(1), graph_bytes(12)
    assert one > size  # the estimator is in the graph...
    assert twelve - one < size / 4  # ...once, whatever the number of blocks


def test_dask_dataframe_scoring_keeps_index_and_column_names(X):
    columns = [f"sensor_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns, index=np.arange(1000, 1000 + len(X)))
    ae = AutoencoderTransformer(**FAST).fit(frame)
    det = ReconstructionOutlierDetector(**FAST).fit(frame)
    parts = dd.from_pandas(frame, npartitions=4)
    codes = ae.transform(parts)
    assert isinstance(codes, dd.DataFrame)
    assert list(codes.columns) == list(ae.get_feature_names_out())
    pd.testing.assert_frame_equal(
        codes.compute(), pd.DataFrame(ae.transform(frame), index=frame.index,
                                      columns=ae.get_feature_names_out()),
        check_exact=False, rtol=1e-6,
    )
    restored = ae.inverse_transform(codes)
    assert list(restored.columns) == columns
    recon = ae.reconstruct(parts).compute()
    assert list(recon.columns) == columns and recon.index.equals(frame.index)
    np.testing.assert_allclose(restored.compute().to_numpy(), recon.to_numpy(), rtol=1e-5)
    labels = det.predict(parts)
    assert isinstance(labels, dd.Series)
    labels = labels.compute()
    assert labels.index.equals(frame.index)
    np.testing.assert_array_equal(labels.to_numpy(), det.predict(frame))
    per_feature = det.reconstruction_error(parts, per_feature=True).compute()
    assert list(per_feature.columns) == columns


def test_dataframe_with_other_column_names_is_refused_before_computing(X):
    frame = pd.DataFrame(X, columns=list("abcdef"))
    det = ReconstructionOutlierDetector(**FAST).fit(frame)
    renamed = dd.from_pandas(frame.rename(columns={"a": "z"}), npartitions=2)
    with pytest.raises(ValueError, match="feature names"):
        det.score_samples(renamed)  # raised now, not when the graph is computed


def test_unfitted_estimator_refuses_dask_input(X):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        AutoencoderTransformer().transform(da.from_array(X, chunks=60))


def test_scoring_runs_block_by_block_on_the_workers(client, fitted, X):
    det = fitted["ReconstructionOutlierDetector"]
    X_dask = da.from_array(X, chunks=40)
    with distributed.get_task_stream(client) as stream:
        labels, scores = client.compute([det.predict(X_dask), det.score_samples(X_dask)],
                                        sync=True)
    np.testing.assert_array_equal(labels, det.predict(X))
    np.testing.assert_allclose(scores, det.score_samples(X), rtol=1e-6)
    names = [task["key"][0] if isinstance(task["key"], tuple) else task["key"]
             for task in stream.data]
    blocks = [name for name in names if "_block" in str(name)]
    assert len(blocks) == 12  # 6 blocks for each of the two methods, run by the workers


# ---------------------------------------------------------------- thresholds over all rows
def test_fit_threshold_over_dask_rows_or_chunks_equals_in_memory(fitted, X, tmp_path):
    det = pickle.loads(pickle.dumps(fitted["ReconstructionOutlierDetector"]))
    det.set_params(contamination=0.1)
    expected = det.fit_threshold(X).threshold_
    for rows in (
        da.from_array(X, chunks=70),
        dd.from_pandas(pd.DataFrame(X), npartitions=3),
        (X[i:i + 70] for i in range(0, len(X), 70)),
    ):
        det.threshold_ = None
        assert det.fit_threshold(rows).threshold_ == pytest.approx(expected, rel=1e-9)
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    pq.write_table(pa.Table.from_pandas(frame), path, row_group_size=50)
    named = ReconstructionOutlierDetector(contamination=0.1, **FAST).fit(frame)
    batches = pq.ParquetFile(path).iter_batches(batch_size=50)
    assert named.fit_threshold(batches).threshold_ == pytest.approx(
        named.fit_threshold(frame).threshold_, rel=1e-9)


def test_fit_threshold_with_labels_in_chunks_uses_the_normal_rows(fitted, X):
    det = pickle.loads(pickle.dumps(fitted["ReconstructionOutlierDetector"]))
    det.set_params(normal_label=1, contamination=0.2)
    y = np.where(np.arange(len(X)) % 5 == 0, 0, 1)
    expected = det.fit_threshold(X, y).threshold_
    pairs = ((X[i:i + 50], y[i:i + 50]) for i in range(0, len(X), 50))
    assert det.fit_threshold(pairs).threshold_ == pytest.approx(expected, rel=1e-9)
    lazy = det.fit_threshold(da.from_array(X, chunks=50), da.from_array(y, chunks=50))
    assert lazy.threshold_ == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match=r"as \(X_chunk, y_chunk\) pairs, not as y"):
        det.fit_threshold(iter([X]), y)
    with pytest.raises(ValueError, match="gave no rows"):
        det.fit_threshold(iter([]))


def test_fit_threshold_over_dask_rows_takes_their_weights(fitted, X):
    det = pickle.loads(pickle.dumps(fitted["ReconstructionOutlierDetector"]))
    det.set_params(contamination=0.1)
    # weights on the most anomalous fifth of the rows move the 90 % quantile for sure
    # (weights on every third row could leave it on tied scores)
    scores = -det.score_samples(X)
    weights = np.where(scores > np.quantile(scores, 0.8), 4.0, 1.0)
    expected = det.fit_threshold(X, sample_weight=weights).threshold_
    lazy = det.fit_threshold(da.from_array(X, chunks=70),
                             sample_weight=da.from_array(weights, chunks=70))
    assert lazy.threshold_ == pytest.approx(expected, rel=1e-9)
    assert det.fit_threshold(X).threshold_ != pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="no sample_weight with an iterator of chunks"):
        det.fit_threshold(iter([X]), sample_weight=weights)

# ---------------------------------------------------------------- distributed search
def _grid(cls):
    if cls is ReconstructionOutlierDetector:
        return {"n_components": [1, 2], "contamination": [0.1]}
    return {"n_components": [1, 2]}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_grid_search_on_a_dask_cluster_equals_serial(client, X, cls):
    serial = GridSearchCV(cls(**FAST), _grid(cls), cv=2).fit(X)
    with joblib.parallel_backend("dask"):
        spread = GridSearchCV(cls(**FAST), _grid(cls), cv=2, n_jobs=-1).fit(X)
    np.testing.assert_allclose(spread.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"], rtol=1e-4)
    assert spread.best_params_ == serial.best_params_
    np.testing.assert_allclose(spread.best_estimator_.score_samples(X),
                               serial.best_estimator_.score_samples(X), rtol=1e-4)


def test_randomized_search_and_fitted_estimators_come_back_from_workers(client, X):
    with joblib.parallel_backend("dask"):
        search = RandomizedSearchCV(
            AutoencoderTransformer(**FAST), {"learning_rate": [1e-3, 3e-3, 1e-2]}, n_iter=2,
            cv=2, n_jobs=-1, random_state=0,
        ).fit(X)
        result = cross_validate(ReconstructionOutlierDetector(**FAST), X, cv=2, n_jobs=-1,
                                return_estimator=True)
    assert len(search.cv_results_["params"]) == 2
    for est, (train, _) in zip(result["estimator"], KFold(2).split(X), strict=True):
        local = ReconstructionOutlierDetector(**FAST).fit(X[train])  # fitted on a worker
        np.testing.assert_allclose(est.score_samples(X), local.score_samples(X), rtol=1e-4)
        assert est.offset_ == pytest.approx(local.offset_, rel=1e-4)


THRESHOLD_GRID = [
    {"contamination": [0.05, 0.1]},
    {"threshold": ["mean_std", "median_mad", 0.5], "n_std": [1.0, 2.0]},
]  # 8 threshold settings


def test_threshold_grid_on_workers_trains_one_network_per_fold(client, X, tmp_path):
    trainings = tmp_path / "trainings"
    trainings.mkdir()
    # a file per training, made by a callback that travels by reference (stdlib only)
    count = keras.callbacks.LambdaCallback(
        on_train_begin=functools.partial(tempfile.mkstemp, "", "fit-", str(trainings)))
    y = np.where(np.arange(len(X)) % 10 == 0, -1, 1)
    n_folds = 2
    with joblib.parallel_backend("dask"):
        search = GridSearchCV(
            ReconstructionOutlierDetector(memory=str(tmp_path / "cache"), callbacks=[count],
                                          **FAST),
            THRESHOLD_GRID, scoring="f1", cv=KFold(n_folds), n_jobs=-1,
        ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert len(list(trainings.iterdir())) == n_folds + 1  # not 8 x 2 + 1 = 17
    cached = sorted(Path(tmp_path, "cache", "skae-networks").glob("*.keras"))
    assert len(cached) == n_folds + 1
