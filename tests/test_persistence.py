"""Saving and loading: skae files (data only, safe), pickle, joblib, deepcopy and clone."""

import copy
import hashlib
import io
import json
import os
import pathlib
import pickle
import threading
import warnings
import zipfile

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import skae
from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector, load
from skae._archive import read_archive, write_archive
from skae._codec import encode as _encode
from skae._errors import InvalidFileError
from skae._serialization import network_to_bytes

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAMS = {"epochs": 2, "hidden_layer_sizes": (6,), "n_components": 2, "random_state": 0}
CLASSES = [AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector]


def _data(n=50):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)) @ rng.normal(size=(4, 4))
    return pd.DataFrame(X, columns=["a", "b", "c", "d"])


@pytest.fixture(scope="module")
def fitted():
    """One fitted estimator of each class (fitted once per module), on a DataFrame."""
    X = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {cls: cls(**PARAMS).fit(X) for cls in CLASSES}


def _outputs(est, X):
    """Every output of ``est`` on X (float arrays), keyed by method."""
    out = {
        "score_samples": est.score_samples(X),
        "reconstruction_error": est.reconstruction_error(X, per_feature=True),
        "reconstruct": est.reconstruct(X),
    }
    if hasattr(est, "transform"):
        out["transform"] = est.transform(X)
        out["inverse_transform"] = est.inverse_transform(out["transform"])
    if hasattr(est, "predict"):
        out["predict"] = est.predict(X)
    if hasattr(est, "decision_function"):
        out["decision_function"] = est.decision_function(X)
    return out


def _assert_same_estimator(a, b, X):
    expected, got = _outputs(a, X), _outputs(b, X)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    assert type(a) is type(b)
    assert b.get_params() == a.get_params()
    network = ("model_", "encoder_", "decoder_")
    fitted_a = {k: v for k, v in vars(a).items() if k.endswith("_") and k not in network}
    fitted_b = {k: v for k, v in vars(b).items() if k.endswith("_") and k not in network}
    assert {"n_features_in_", "feature_names_in_", "history_", "n_iter_"} <= fitted_a.keys()
    np.testing.assert_equal(fitted_b, fitted_a)  # every fitted attribute, arrays included


# ---------------------------------------------------------------------- skae files
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_save_load_round_trip_gives_identical_estimator(fitted, cls, tmp_path):
    est = fitted[cls]
    path = tmp_path / "est.skae"
    est.save(path)
    loaded = load(path)
    _assert_same_estimator(est, loaded, _data(20))
    # the loaded network still trains: warm start continues from the saved weights
    loaded.set_params(warm_start=True, epochs=1).fit(_data(20))
    assert loaded.n_iter_ == 1 and len(loaded.history_["loss"]) == est.n_iter_ + 1


def test_save_to_file_object_and_layout(fitted):
    est = fitted[ReconstructionOutlierDetector]
    buffer = io.BytesIO()
    est.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        assert zf.namelist() == ["manifest.json", "meta.json", "model.keras"]
        manifest = json.loads(zf.read("manifest.json"))
        meta = json.loads(zf.read("meta.json"))
        assert zipfile.is_zipfile(io.BytesIO(zf.read("model.keras")))  # Keras's own format
        for name in ("meta.json", "model.keras"):
            entry = manifest["members"][name]
            assert entry == {"size": len(zf.read(name)),
                             "sha256": hashlib.sha256(zf.read(name)).hexdigest()}
    assert manifest["format"] == "skae" and manifest["format_version"] == 2
    assert manifest["kind"] == "estimator" and manifest["skae_version"] == skae.__version__
    assert meta["class"] == "ReconstructionOutlierDetector" and meta["fitted"] is True
    assert meta["params"]["hidden_layer_sizes"] == {"__tuple__": [6]}
    assert meta["attributes"]["threshold_"] == est.threshold_
    buffer.seek(0)
    _assert_same_estimator(est, load(buffer), _data(10))


def test_unfitted_round_trip_keeps_exact_params(tmp_path):
    rs = np.random.RandomState(7)
    est = DenoisingAutoencoder(
        hidden_layer_sizes=[5, 3], n_components=np.int64(3), clip=(0.0, 1.0),
        learning_rate=np.float32(0.01), random_state=rs,
        noise_level=np.float64(0.5), optimizer__beta_1=0.8, metrics=["mae"],
    )
    est.save(tmp_path / "unfitted.skae")
    loaded = load(tmp_path / "unfitted.skae")
    with zipfile.ZipFile(tmp_path / "unfitted.skae") as zf:
        assert zf.namelist() == ["manifest.json", "meta.json"]
    params, original = loaded.get_params(), est.get_params()
    assert params.keys() == original.keys()
    for key, value in original.items():
        if key == "random_state":
            np.testing.assert_array_equal(params[key].get_state()[1], rs.get_state()[1])
            assert params[key] is not rs
        else:
            assert params[key] == value and type(params[key]) is type(value), key
    with pytest.raises(NotFittedError, match="not fitted yet"):
        loaded.score_samples(np.zeros((2, 4)))


def test_codec_round_trips_values_json_lacks():
    from skae._codec import decode as _decode

    value = {"t": (1, (2.5, "x")), "f": [float("nan"), float("inf"), -float("inf")],
             "n": [np.float32(1.5), np.int8(-3), np.bool_(True)],
             "a": np.arange(6, dtype=np.uint16).reshape(2, 3), "s": np.array(["ab", "c"]),
             "o": np.array(["x", "y"], dtype=object), "e": np.zeros((0, 2)),
             "p": pathlib.Path("cache") / "skae"}
    encoded = json.loads(json.dumps(_encode(value, "value"), allow_nan=False))
    decoded = _decode(encoded, "value")
    assert decoded["t"] == (1, (2.5, "x"))
    np.testing.assert_array_equal(decoded["f"], value["f"])
    for got, want in zip(decoded["n"], value["n"], strict=True):
        assert got == want and type(got) is type(want)
    assert decoded["p"] == value["p"] and isinstance(decoded["p"], pathlib.Path)
    for key in "asoe":
        assert decoded[key].dtype == value[key].dtype
        np.testing.assert_array_equal(decoded[key], value[key])


def test_saving_invalid_or_unknown_params_fails_like_loading_would():
    with pytest.raises(ValueError, match="epochs"):
        AutoencoderTransformer(epochs=0).save(io.BytesIO())
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        AutoencoderTransformer(colour="red").save(io.BytesIO())


def _builder(meta=None):  # a user `model` builder: code
    raise AssertionError("never called")


@pytest.mark.parametrize(
    "params, culprit",
    [
        ({"model": _builder}, "model"),
        ({"callbacks": [keras.callbacks.EarlyStopping()]}, "callbacks"),
        ({"loss": keras.losses.MeanSquaredError()}, "loss"),
        ({"optimizer": keras.optimizers.SGD}, "optimizer"),
        ({"activation": keras.activations.tanh}, "activation"),
    ],
    ids=["builder", "callbacks", "loss-object", "optimizer-class", "activation-function"],
)
def test_save_refuses_code_parameters_and_writes_nothing(params, culprit, tmp_path):
    path = tmp_path / "est.skae"
    with pytest.raises(TypeError, match=rf"parameter `{culprit}`.*pickle or joblib"):
        AutoencoderTransformer(**params).save(path)
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_subclasses():
    class MyDetector(ReconstructionOutlierDetector):
        pass

    with pytest.raises(TypeError, match="MyDetector.*pickle or joblib"):
        MyDetector().save(io.BytesIO())


# ---------------------------------------------------------------------- tampered files
class _Payload:
    """Unpickling this creates the directory ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def _saved(est) -> dict:
    """The payload members of ``est``'s file (manifest checked and left out)."""
    buffer = io.BytesIO()
    est.save(buffer)
    return read_archive(buffer.getvalue(), "estimator")


def _archive(members: dict) -> io.BytesIO:
    """An estimator file holding ``members``, with a manifest that vouches for them: the
    file passes the integrity checks, so what is tested is the check of its content."""
    return io.BytesIO(write_archive("estimator", members))


def _zip(members: dict) -> io.BytesIO:
    """A plain zip archive (a Keras ``.keras`` file)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    buffer.seek(0)
    return buffer


def _with_meta(members: dict, edit) -> io.BytesIO:
    meta = json.loads(members["meta.json"])
    edit(meta)
    return _archive({**members, "meta.json": json.dumps(meta).encode("utf-8")})


def _lambda_network(marker) -> bytes:
    """A network whose ``Lambda`` layer writes ``marker`` whenever the network is built."""
    run_code = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]")  # noqa: S307
    inputs = keras.Input((4,))
    network = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Lambda(run_code)(inputs)))
    data = network_to_bytes(network)
    os.remove(marker)  # building it above ran the lambda once
    return data


def test_lambda_layer_is_refused_without_running_it(fitted, tmp_path):
    marker = tmp_path / "lambda-ran"
    planted = _lambda_network(marker)
    # control: the payload is live - Keras's unsafe mode runs it
    keras.saving.load_model(_archive_path(tmp_path, planted), safe_mode=False)
    assert marker.exists()
    marker.unlink()

    members = _saved(fitted[AutoencoderTransformer])
    with pytest.raises(ValueError, match="safe mode"):
        load(_archive({**members, "model.keras": planted}))
    assert not marker.exists()


def _archive_path(tmp_path, network: bytes) -> str:
    path = tmp_path / "planted.keras"
    path.write_bytes(network)
    return str(path)


def test_lambda_is_refused_even_after_enable_unsafe_deserialization(fitted, tmp_path):
    marker = tmp_path / "lambda-ran"
    tampered = _archive({**_saved(fitted[AutoencoderTransformer]),
                         "model.keras": _lambda_network(marker)})
    raised = []

    def unsafe_thread():  # Keras's safe-mode flag is thread-local: flip it in a thread only
        keras.config.enable_unsafe_deserialization()
        try:
            load(tampered)
        except ValueError as exc:
            raised.append(exc)

    thread = threading.Thread(target=unsafe_thread)
    thread.start()
    thread.join()
    assert len(raised) == 1 and "lambda" in str(raised[0]).lower()
    assert not marker.exists()


def _pickle_payload(marker) -> bytes:
    data = pickle.dumps(_Payload(marker))
    pickle.loads(data)  # control: the payload is live
    assert marker.exists()
    marker.rmdir()
    return data


def _object_npy(marker) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def _npz_weights_network(marker) -> bytes:
    """The fitted network's ``.keras`` with its weights swapped for a pickled .npz."""
    inner = zipfile.ZipFile(io.BytesIO(network_to_bytes(keras.Sequential([keras.Input((4,)),
                                                                           keras.layers.Dense(4)]))))
    buffer = io.BytesIO()
    np.savez(buffer, payload=np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    members = {n: inner.read(n) for n in inner.namelist() if n != "model.weights.h5"}
    return _zip({**members, "model.weights.npz": buffer.getvalue()}).getvalue()


@pytest.mark.parametrize("where", ["meta.json", "model.keras", "extra-npy-member",
                                   "npz-weights-inside-keras"])
def test_pickled_payloads_are_refused_without_running(fitted, where, tmp_path):
    marker = tmp_path / "pickle-ran"
    members = _saved(fitted[ReconstructionOutlierDetector])
    if where == "extra-npy-member":
        _pickle_payload(marker)
        members["attributes.npy"] = _object_npy(marker)
    elif where == "npz-weights-inside-keras":
        _pickle_payload(marker)
        members["model.keras"] = _npz_weights_network(marker)
    else:
        members[where] = _pickle_payload(marker)
    with pytest.raises(InvalidFileError,
                       match="skae file|safe mode|not valid JSON|not an archive|file holds"):
        load(_archive(members))
    assert not marker.exists()


def test_network_with_weights_of_another_shape_is_refused(fitted):
    est = fitted[AutoencoderTransformer]
    members = _saved(est)
    network = zipfile.ZipFile(io.BytesIO(members["model.keras"]))
    wider = AutoencoderTransformer(**{**PARAMS, "hidden_layer_sizes": (7,)})
    wider._bind_network(wider._make_network(4, seed=0))
    other = zipfile.ZipFile(io.BytesIO(network_to_bytes(wider.model_)))
    swapped = {n: other.read(n) if n == "model.weights.h5" else network.read(n)
               for n in network.namelist()}
    with pytest.raises(ValueError, match="could not be loaded"):
        load(_archive({**members, "model.keras": _zip(swapped).getvalue()}))


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: m.update({"class": "os.system"}), "unknown estimator class 'os.system'"),
        (lambda m: m.update(fitted=False), "fitted=False"),
        (lambda m: m["params"].update(not_a_param=1), "unknown parameter 'not_a_param'"),
        (lambda m: m["params"].update(epochs=-3), "epochs"),
        (lambda m: m["params"].update(model="os.system"), "model"),
        (lambda m: m["attributes"].update(n_features_in_=7), "n_features_in_=7"),
        (lambda m: m["attributes"].update(threshold_={"__float__": "nan"}), "threshold_"),
        (lambda m: m["attributes"].update(predict=1), "attribute name 'predict'"),
        (lambda m: m["attributes"].update(x_={"__ndarray__": {
            "dtype": "|O", "shape": [1], "data": [1]}}), "not a numeric dtype"),
        (lambda m: m["attributes"].update(x_={"__ndarray__": {
            "dtype": "object", "shape": [1], "data": [1]}}), "strings only"),
        (lambda m: m["attributes"].update(x_={"__pickle__": "gASV"}), "unknown or malformed"),
        (lambda m: m.update(extra=1), "keys"),
    ],
    ids=["class", "fitted-flag", "unknown-param", "bad-param",
         "param-type", "n-features", "nan-threshold", "method-shadowing", "object-dtype",
         "object-non-string", "unknown-tag", "extra-key"],
)
def test_tampered_meta_is_refused_clearly(fitted, edit, match):
    tampered = _with_meta(_saved(fitted[ReconstructionOutlierDetector]), edit)
    with pytest.raises(ValueError, match=match):
        load(tampered)


@pytest.fixture(scope="module")
def scaled_detector():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ReconstructionOutlierDetector(
            **PARAMS, scaling="robust", error_normalization=True).fit(_data())


@pytest.mark.parametrize("attr", ["center_", "scale_", "feature_error_scale_"])
@pytest.mark.parametrize("change", ["shape", "sign", "type"])
def test_tampered_scaling_vectors_are_refused(scaled_detector, attr, change):
    est = scaled_detector
    assert getattr(est, attr) is not None

    def edit(meta):
        vector = np.asarray(getattr(est, attr), dtype=float)
        value = {"shape": vector[:-1], "sign": -np.abs(vector) - 1.0,
                 "type": vector.astype(np.int64)}[change]
        if change == "sign" and attr == "center_":
            value = np.full(vector.shape, np.nan)  # any sign is fine for a center
        meta["attributes"][attr] = _encode(value, attr)

    with pytest.raises(ValueError, match=f"{attr}.*(float vector|not finite)"):
        load(_with_meta(_saved(est), edit))


def test_file_from_another_skae_version_warns_and_loads(fitted, monkeypatch):
    est = fitted[AutoencoderTransformer]
    monkeypatch.setattr("skae._archive.__version__", "0.0.1")  # the writer's version
    older = io.BytesIO(write_archive("estimator", _saved(est)))
    with pytest.warns(UserWarning, match="written by skae 0.0.1"):
        loaded = load(older)
    _assert_same_estimator(est, loaded, _data(10))


@pytest.mark.parametrize("content", [b"", b"not a zip at all", pickle.dumps({"a": 1})])
def test_non_skae_files_are_refused(content, tmp_path):
    path = tmp_path / "bogus.skae"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a skae file"):
        load(path)


def test_failed_save_keeps_the_previous_file(fitted, tmp_path):
    path = tmp_path / "est.skae"
    fitted[AutoencoderTransformer].save(path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="pickle or joblib"):
        AutoencoderTransformer(model=_builder).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["est.skae"]


# ---------------------------------------------------------------------- pickle & co
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_pickle_joblib_and_deepcopy_round_trips(fitted, cls, tmp_path):
    est = fitted[cls]
    X = _data(15)
    joblib.dump(est, tmp_path / "est.joblib")
    copies = {
        "pickle": pickle.loads(pickle.dumps(est)),
        "joblib": joblib.load(tmp_path / "est.joblib"),
        "deepcopy": copy.deepcopy(est),
    }
    for how, other in copies.items():
        assert other.model_ is not est.model_, how
        _assert_same_estimator(est, other, X)


def test_clone_of_fitted_estimator_is_unfitted_and_refits_identically(fitted):
    est = fitted[ReconstructionOutlierDetector]
    before = est.score_samples(_data(10))
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        twin.score_samples(_data(10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        twin.fit(_data())
    np.testing.assert_array_equal(twin.score_samples(_data(10)), before)
    np.testing.assert_array_equal(est.score_samples(_data(10)), before)


# ---------------------------------------------------------------------- custom Keras classes
_BUILT = []


class _SpyDense(keras.layers.Dense):
    """A registered class: Keras's safe mode builds it when a file names it."""

    def __init__(self, *args, **kwargs):
        _BUILT.append("spy")
        super().__init__(*args, **kwargs)


# named "Dense", so that Keras finds the weights of the Dense layer it replaces
_SpyDense.__name__ = _SpyDense.__qualname__ = "Dense"
keras.saving.register_keras_serializable(package="skae_test")(_SpyDense)


class _SpyInit(keras.initializers.Initializer):
    """A registered initializer: Keras builds it when a file names it by a plain string."""

    def __init__(self):
        _BUILT.append("spy_init")

    def __call__(self, shape, dtype=None):
        return keras.ops.zeros(shape, dtype=dtype)


keras.saving.register_keras_serializable(package="skae_test", name="SpyInit")(_SpyInit)


def _naming_spy(network: bytes, *, by_string: bool = False) -> bytes:
    """``network`` with its first Dense layer turned into the registered ``_SpyDense``."""
    with zipfile.ZipFile(io.BytesIO(network)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members["config.json"])

    def first_dense(obj):
        if isinstance(obj, dict):
            if obj.get("class_name") == "Dense":
                return obj
            obj = list(obj.values())
        if isinstance(obj, list):
            return next((d for d in map(first_dense, obj) if d is not None), None)
        return None

    dense = first_dense(config)
    if by_string:  # the class named only by a string value, never as a ``class_name``
        dense["config"]["kernel_initializer"] = "skae_test>SpyInit"
    else:
        dense.update(module=None, registered_name="skae_test>Dense")
    text = json.dumps(config)
    members["config.json"] = text.encode("utf-8")
    return _zip(members).getvalue()


def test_registered_custom_classes_load_only_when_allowed(fitted):
    est = fitted[AutoencoderTransformer]
    members = _saved(est)
    tampered = {**members, "model.keras": _naming_spy(members["model.keras"])}
    _BUILT.clear()
    with pytest.raises(ValueError, match="skae_test>Dense.*not one of Keras's own"):
        load(_archive(tampered), allow_custom_objects=False)
    assert _BUILT == []  # refused before Keras built anything
    loaded = load(_archive(tampered))  # the default, as Keras's safe mode: it is built
    assert "spy" in _BUILT
    X = _data(5)  # (the subclass runs in Keras's float32 graph, not skae's float64 numpy)
    np.testing.assert_allclose(loaded.transform(X), est.transform(X), rtol=1e-5, atol=1e-6)
    plain = load(_archive(members), allow_custom_objects=False)  # Keras's classes only
    np.testing.assert_array_equal(plain.transform(X), est.transform(X))
    by_string = {**members, "model.keras": _naming_spy(members["model.keras"], by_string=True)}
    _BUILT.clear()
    with pytest.raises(ValueError, match="registered object 'skae_test>SpyInit'"):
        load(_archive(by_string), allow_custom_objects=False)
    assert _BUILT == []  # a plain string naming a registered class is refused too
    load(_archive(by_string))  # allowed: Keras resolves the string and builds the class
    assert "spy_init" in _BUILT


# ---------------------------------------------------------------------- declarations
def test_files_of_earlier_versions_with_rebuilt_attributes_still_load(fitted):
    est = fitted[ReconstructionOutlierDetector]
    old = _with_meta(_saved(est), lambda m: m["attributes"].update(
        n_components_=est.n_components_, _n_features_out=est.n_components_))
    _assert_same_estimator(est, load(old), _data(8))


def test_files_store_the_attributes_each_class_declares(fitted):
    for cls, est in fitted.items():
        meta = json.loads(_saved(est)["meta.json"])
        assert sorted(meta["attributes"]) == sorted(cls._saved_attributes)


def test_persistence_does_not_import_the_estimators():
    import subprocess
    import sys

    code = ("import sys, skae._persistence; "
            "print(sorted(m for m in sys.modules if m.startswith('skae.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert "skae._base" not in out.stdout and "skae._persistence" in out.stdout
