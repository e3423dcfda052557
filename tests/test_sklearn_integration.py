"""The estimators inside Pipeline, ColumnTransformer and GridSearchCV; clone and pickling."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(120, 2))
    X = latent @ rng.normal(size=(2, 5)) * 10 + 50
    y = (latent[:, 0] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("Scaler", [StandardScaler, MinMaxScaler])
def test_pipeline_after_a_scaler_feeds_a_classifier(data, Scaler):
    X, y = data
    pipe = make_pipeline(Scaler(), AutoencoderTransformer(**FAST), LogisticRegression())
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (120,)
    assert pipe[:-1].transform(X).shape == (120, 2)


def test_detector_at_the_end_of_a_pipeline(data):
    X, _ = data
    pipe = make_pipeline(StandardScaler(), ReconstructionOutlierDetector(**FAST)).fit(X)
    assert set(np.unique(pipe.predict(X))) <= {-1, 1}
    assert pipe.score_samples(X).shape == (120,)


def test_column_transformer_with_pandas_output(data):
    X, _ = data
    df = pd.DataFrame(X, columns=list("abcde"))
    df["colour"] = np.where(X[:, 0] > 50, "red", "blue")
    ct = ColumnTransformer([
        ("ae", make_pipeline(StandardScaler(), AutoencoderTransformer(**FAST)), list("abcde")),
        ("cat", OneHotEncoder(sparse_output=False), ["colour"]),
    ]).set_output(transform="pandas")
    out = ct.fit_transform(df)
    assert out.shape == (120, 4)
    assert out.columns.tolist()[:2] == ["ae__autoencodertransformer0",
                                        "ae__autoencodertransformer1"]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_architecture_and_training(data, n_jobs):
    X, _ = data
    Xs = StandardScaler().fit_transform(X)
    grid = GridSearchCV(
        AutoencoderTransformer(**FAST),
        {"n_components": [1, 3], "learning_rate": [1e-3, 1e-2]},
        cv=2, n_jobs=n_jobs,
    ).fit(Xs)
    assert len(grid.cv_results_["params"]) == 4
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_estimator_.transform(Xs).shape[1] == grid.best_params_["n_components"]


def test_clone_keeps_every_parameter_including_routed_ones():
    est = DenoisingAutoencoder(noise="masking", clip=(0, 1), optimizer__beta_1=0.8, **FAST)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert cloned.get_params()["optimizer__beta_1"] == 0.8


@pytest.mark.parametrize("Est", [AutoencoderTransformer, DenoisingAutoencoder,
                                 ReconstructionOutlierDetector])
def test_pickle_and_joblib_round_trips_give_identical_outputs(Est, data, tmp_path):
    X = StandardScaler().fit_transform(data[0])
    est = Est(**FAST).fit(X)
    for restored in (pickle.loads(pickle.dumps(est)),
                     joblib.load(joblib.dump(est, tmp_path / "est.joblib")[0])):
        assert np.array_equal(restored.score_samples(X), est.score_samples(X))
        assert restored.get_params() == est.get_params()
        if hasattr(est, "transform"):
            assert np.array_equal(restored.transform(X), est.transform(X))
        if hasattr(est, "predict"):
            assert np.array_equal(restored.predict(X), est.predict(X))
