"""skae.save / skae.load of Pipelines and ColumnTransformers, as data; pickles recognised."""

import io
import json
import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

import skae
from skae import AutoencoderTransformer, ReconstructionOutlierDetector
from skae._archive import write_archive

SMALL = {"epochs": 2, "hidden_layer_sizes": (4,), "n_components": 2, "random_state": 0}


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "a": rng.normal(size=60), "b": rng.choice(["x", "y", None], 60),
        "c": rng.normal(size=60),
    })
    df.loc[3, "a"] = np.nan
    return df


@pytest.fixture(scope="module")
def fitted_pipeline(frame):
    columns = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(add_indicator=True), RobustScaler()), ["a", "c"]),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["b"]),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(
            columns, MinMaxScaler(), ReconstructionOutlierDetector(**SMALL)
        ).fit(frame)


def test_pipeline_with_column_transformer_round_trips(fitted_pipeline, frame, tmp_path):
    path = tmp_path / "pipeline.skae"
    skae.save(fitted_pipeline, path)
    loaded = skae.load(path)
    assert isinstance(loaded, Pipeline)
    assert isinstance(loaded[0], ColumnTransformer)
    assert_array_equal(loaded.score_samples(frame), fitted_pipeline.score_samples(frame))
    assert_array_equal(loaded.predict(frame), fitted_pipeline.predict(frame))
    assert loaded[-1].threshold_ == fitted_pipeline[-1].threshold_
    names = zipfile.ZipFile(path).namelist()
    assert names == ["manifest.json", "composite.json", "estimators/0.skae"]


@pytest.mark.parametrize("step", [
    StandardScaler(), MinMaxScaler(), RobustScaler(), SimpleImputer(strategy="median"),
    OneHotEncoder(sparse_output=False),
])
def test_scikit_learn_steps_round_trip_without_pickle(step):
    X = np.array([[0.0, 1.0], [2.0, np.nan], [4.0, 5.0], [1.0, 1.0]])
    if isinstance(step, OneHotEncoder):
        X = np.array([["u", "v"], ["w", "v"], ["u", "z"], ["w", "z"]], dtype=object)
    pipe = Pipeline([("step", step)]).fit(X)
    buffer = io.BytesIO()
    skae.save(pipe, buffer)
    loaded = skae.load(io.BytesIO(buffer.getvalue()))
    assert type(loaded[0]) is type(step)
    assert_array_equal(loaded.transform(X), pipe.transform(X))


def test_an_estimator_is_saved_in_its_own_format(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = AutoencoderTransformer(**SMALL).fit(X)
    skae.save(ae, tmp_path / "ae.skae")
    assert zipfile.ZipFile(tmp_path / "ae.skae").namelist() == [
        "manifest.json", "meta.json", "model.keras"]
    assert_array_equal(skae.load(tmp_path / "ae.skae").transform(X), ae.transform(X))


def test_unfitted_pipeline_round_trips(tmp_path):
    pipe = make_pipeline(StandardScaler(), AutoencoderTransformer(n_components=3))
    skae.save(pipe, tmp_path / "p.skae")
    loaded = skae.load(tmp_path / "p.skae")
    assert loaded[-1].get_params() == pipe[-1].get_params()
    assert not hasattr(loaded[-1], "model_")


def test_function_transformer_is_refused_with_the_reason(tmp_path):
    pipe = make_pipeline(FunctionTransformer(np.log1p), AutoencoderTransformer())
    with pytest.raises(TypeError, match="FunctionTransformer, which wraps a Python function"):
        skae.save(pipe, tmp_path / "p.skae")
    assert not (tmp_path / "p.skae").exists()


def test_unknown_scikit_learn_class_is_refused_on_saving(tmp_path):
    pipe = make_pipeline(StandardScaler(), IsolationForest())
    with pytest.raises(TypeError, match="IsolationForest, which is not among the scikit-learn"):
        skae.save(pipe, tmp_path / "p.skae")


def test_other_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="got IsolationForest"):
        skae.save(IsolationForest(), tmp_path / "p.skae")


def _tampered(tmp_path, edit):
    pipe = make_pipeline(StandardScaler()).fit(np.arange(8.0).reshape(4, 2))
    path = tmp_path / "p.skae"
    skae.save(pipe, path)
    tree = json.loads(zipfile.ZipFile(path).read("composite.json"))
    edit(tree["root"]["__sklearn__"]["state"]["steps"][0]["__tuple__"][1]["__sklearn__"])
    # repacked with a manifest that vouches for the edit: the content check is tested
    path.write_bytes(write_archive("composite", {"composite.json": json.dumps(tree).encode()}))
    return path


def test_unknown_class_in_a_file_is_refused_on_loading(tmp_path):
    path = _tampered(tmp_path, lambda step: step.update({"class": "os.system"}))
    with pytest.raises(ValueError, match="class 'os.system' is not among the scikit-learn"):
        skae.load(path)


def test_attribute_shadowing_a_method_is_refused_on_loading(tmp_path):
    path = _tampered(tmp_path, lambda step: step["state"].update({"transform": 1}))
    with pytest.raises(ValueError, match="attribute name 'transform' is not allowed"):
        skae.load(path)


@pytest.mark.parametrize("dump, match", [
    (lambda obj, path: path.write_bytes(pickle.dumps(obj)), "is a pickle"),
    (lambda obj, path: joblib.dump(obj, path), "is a pickle"),
    (lambda obj, path: joblib.dump(obj, path, compress=3), "zlib-compressed"),
])
def test_pickle_and_joblib_files_are_named_with_how_to_load_them(
    fitted_pipeline, tmp_path, dump, match
):
    path = tmp_path / "model.bin"
    dump(fitted_pipeline, path)
    with pytest.raises(ValueError, match=rf"{match}.*not a skae file\. Load it with joblib\.load"):
        skae.load(path)
