"""Files and caches that cannot lie: whole-file integrity, validated internals, one error
class, bounded loading, honest cache entries, careful writes, no global side effects."""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import threading
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skae
from skae import AutoencoderTransformer, InvalidFileError, ReconstructionOutlierDetector
from skae._archive import read_archive, write_archive
from skae._codec import Refused, decode, encode
from skae._memory import network_key
from skae._persistence import load_estimator
from skae._pipeline_io import load_composite

SMALL = {"hidden_layer_sizes": (6,), "n_components": 2, "epochs": 2, "random_state": 0}


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, 5))


@pytest.fixture(scope="module")
def detector():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ReconstructionOutlierDetector(
            **SMALL, n_estimators=2, isolation_weight=0.7).fit(_data())


@pytest.fixture(scope="module")
def files(detector):
    pipe = make_pipeline(StandardScaler(), detector)
    pipe[0].fit(_data())
    estimator, composite = io.BytesIO(), io.BytesIO()
    detector.save(estimator)
    skae.save(pipe, composite)
    return {"estimator": estimator.getvalue(), "pipeline": composite.getvalue(), "pipe": pipe}


# ---------------------------------------------------------------------- whole files
@pytest.mark.parametrize("cut", [1, 22, 50, 100, 1000])
def test_a_truncated_pipeline_file_is_refused_not_read_as_its_detector(files, cut):
    with pytest.raises(InvalidFileError, match="not a whole skae file"):
        skae.load(io.BytesIO(files["pipeline"][:-cut]))


@pytest.mark.parametrize("where", ["front", "back"])
def test_bytes_before_or_after_a_file_are_refused(files, where):
    extra = b"junk" * 5
    data = extra + files["estimator"] if where == "front" else files["estimator"] + extra
    with pytest.raises(InvalidFileError):
        skae.load(io.BytesIO(data))


def test_an_estimator_file_inside_a_pipeline_cannot_pose_as_the_pipeline(files):
    members = read_archive(files["pipeline"], "composite")
    inner = members["estimators/0.skae"]
    loaded = skae.load(io.BytesIO(inner))  # on its own it is a detector file ...
    assert isinstance(loaded, ReconstructionOutlierDetector)
    with pytest.raises(Refused, match="kind 'estimator', where 'composite'"):
        load_composite(inner)  # ... and never read as a composite
    with pytest.raises(Refused, match="kind 'composite', where 'estimator'"):
        load_estimator(files["pipeline"])


def test_an_edited_member_fails_its_digest(files):
    with zipfile.ZipFile(io.BytesIO(files["estimator"])) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    assert b'"n_iter_": 2' in members["meta.json"]
    edited = members["meta.json"].replace(b'"n_iter_": 2', b'"n_iter_": 3')  # same size
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:  # the original manifest, an edited meta.json
        for name, payload in members.items():
            zf.writestr(name, edited if name == "meta.json" else payload)
    with pytest.raises(InvalidFileError, match="SHA-256"):
        skae.load(io.BytesIO(buffer.getvalue()))


def test_files_of_the_earlier_format_are_refused_with_the_reason(detector):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:  # format 1: meta.json and model.keras only
        zf.writestr("meta.json", "{}")
    with pytest.raises(InvalidFileError, match="file format 1"):
        skae.load(io.BytesIO(buffer.getvalue()))


# ---------------------------------------------------------------------- validated internals
def _tampered(detector, edit) -> io.BytesIO:
    members = read_archive(_file(detector), "estimator")
    meta = json.loads(members["meta.json"])
    attributes = {k: decode(v, k) for k, v in meta["attributes"].items()}
    edit(attributes)
    meta["attributes"] = {k: encode(v, k) for k, v in attributes.items()}
    members["meta.json"] = json.dumps(meta).encode()
    return io.BytesIO(write_archive("estimator", members))  # a manifest that vouches for it


def _file(estimator) -> bytes:
    buffer = io.BytesIO()
    estimator.save(buffer)
    return buffer.getvalue()


def _forest_edit(key, change):
    def edit(attributes):
        forest = attributes["isolation_forest_"]
        forest[key] = change(forest[key])
    return edit


@pytest.mark.parametrize("edit, match", [
    (_forest_edit("depth", lambda d: 10**9), "depth"),
    (_forest_edit("depth", lambda d: d + 1), "depth"),
    (_forest_edit("depth", lambda d: -1), "depth"),
    (_forest_edit("child", lambda c: np.where(c == c.max(), -5, c).astype(c.dtype)), "child"),
    (_forest_edit("child", lambda c: np.roll(c, 1)), "child"),
    (_forest_edit("feature", lambda f: f + 100), "feature|child"),
    (_forest_edit("threshold", lambda t: np.where(np.isinf(t), np.nan, t)), "threshold"),
    (_forest_edit("path", lambda p: -p), "path"),
    (_forest_edit("starts", lambda s: s + 1), "starts"),
    (_forest_edit("denominator", lambda d: float("inf")), "denominator"),
    (lambda a: a["isolation_forest_"].pop("path"), "keys"),
    (lambda a: a.update(error_grid_=a["error_grid_"][::-1].copy()), "error_grid_"),
    (lambda a: a.update(combined_grid_=a["combined_grid_"][:10]), "combined_grid_"),
    (lambda a: a.update(isolation_weight_=7.0), "isolation_weight_"),
    (lambda a: a.update(score_combination_="max"), "score_combination_"),
    (lambda a: a.update(offset_=a["offset_"] + 1.0), "offset_"),
], ids=["huge-depth", "deeper", "negative-depth", "negative-child", "shuffled-children",
        "feature-out-of-range", "nan-threshold", "negative-path", "moved-roots",
        "inf-denominator", "missing-key", "grid-order", "grid-shape", "weight", "combination",
        "offset"])
def test_tampered_internals_are_refused_before_use(detector, edit, match):
    with pytest.raises(InvalidFileError, match=match):
        skae.load(_tampered(detector, edit), allow_custom_objects=False)


def test_the_untampered_internals_load_and_score_the_same(detector):
    loaded = skae.load(_tampered(detector, lambda a: None))
    X = _data(20, seed=1)
    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))


def _bomb_network(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"\0" * size)
    return buffer.getvalue()


def test_a_decompression_bomb_inside_the_network_is_refused_before_keras_reads_it(detector):
    members = read_archive(_file(detector), "estimator")
    members["model.keras"] = _bomb_network(64 * 2**20)  # 64 MB of zeros in ~64 kB
    assert len(members["model.keras"]) < 2**20
    with pytest.raises(InvalidFileError, match="model.keras"):
        skae.load(io.BytesIO(write_archive("estimator", members)))


# ---------------------------------------------------------------------- one error class
def _outcome(data: bytes, X, expected) -> str:
    try:
        loaded = skae.load(io.BytesIO(data))
    except InvalidFileError:
        return "refused"
    if np.array_equal(loaded.score_samples(X), expected):
        return "identical"
    return "DIFFERENT"


def test_fuzzed_files_are_refused_with_the_documented_error_or_load_identically(files):
    X = _data(10, seed=2)
    rng = np.random.default_rng(0)
    counts = {}
    for name in ("estimator", "pipeline"):
        data = files[name]
        expected = (files["pipe"] if name == "pipeline" else skae.load(io.BytesIO(data)))
        expected = expected.score_samples(X)
        outcomes = [_outcome(data[:cut], X, expected) for cut in range(0, len(data), 10)]
        for offset in rng.integers(0, len(data), size=200):
            flipped = bytearray(data)
            flipped[offset] ^= 1 << int(rng.integers(8))
            outcomes.append(_outcome(bytes(flipped), X, expected))
        counts[name] = {k: outcomes.count(k) for k in set(outcomes)}
        assert set(outcomes) <= {"refused", "identical"}, counts
        assert counts[name]["refused"] >= len(data) // 10  # every truncation
    print(counts)


def test_every_refusal_names_the_file(tmp_path):
    path = tmp_path / "broken.skae"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 50)
    with pytest.raises(InvalidFileError) as info:
        skae.load(path)
    assert info.value.file == str(path) and str(path) in str(info.value)
    assert isinstance(info.value, ValueError)
    assert pickle.loads(pickle.dumps(info.value)).reason == info.value.reason


# ---------------------------------------------------------------------- writing
def test_saving_honours_the_umask_and_keeps_the_replaced_files_mode(detector, tmp_path):
    path = tmp_path / "d.skae"
    old = os.umask(0o027)
    try:
        detector.save(path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    os.chmod(path, 0o604)
    detector.save(path)
    assert path.stat().st_mode & 0o777 == 0o604


def test_saving_to_a_symbolic_link_writes_its_target(detector, tmp_path):
    target = tmp_path / "target.skae"
    target.write_bytes(b"old")
    link = tmp_path / "link.skae"
    link.symlink_to(target)
    detector.save(link)
    assert link.is_symlink() and link.resolve() == target.resolve()
    X = _data(5)
    np.testing.assert_array_equal(skae.load(target).score_samples(X), detector.score_samples(X))


def test_stale_temporary_files_of_dead_writers_are_cleaned(detector, tmp_path):
    stale = tmp_path / ".skae-999999999-abc.tmp"  # a pid no process has
    stale.write_bytes(b"half a file")
    ours = tmp_path / f".skae-{os.getpid()}-live.tmp"  # a writer still running
    ours.write_bytes(b"in progress")
    detector.save(tmp_path / "d.skae")
    assert not stale.exists() and ours.exists()


def test_saved_data_is_synced_before_the_rename(detector, tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    detector.save(tmp_path / "d.skae")
    assert len(synced) >= 1


def test_saving_into_a_missing_folder_names_the_path(detector, tmp_path):
    path = tmp_path / "missing" / "d.skae"
    with pytest.raises(FileNotFoundError, match=str(path)):
        detector.save(path)


# ---------------------------------------------------------------------- the cache
def _builder_v1(meta):
    import keras
    n = meta["n_features_in_"]
    inputs = keras.Input((n,))
    code = keras.layers.Dense(2, name="code")(inputs)
    encoder = keras.Model(inputs, code, name="encoder")
    z = keras.Input((2,))
    decoder = keras.Model(z, keras.layers.Dense(n)(z), name="decoder")
    return keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")


def _make_builder(width):
    def builder(meta):
        return width
    return builder


def test_the_cache_key_follows_a_builders_code_and_closure_not_its_name():
    X = _data(20)

    def key(model):
        est = AutoencoderTransformer(model=model, epochs=1, random_state=0)
        return network_key(est, X, X, seed=0, epochs=1)

    def edited(meta):  # same name as _builder_v1 below, other code
        return None

    edited.__name__ = edited.__qualname__ = _builder_v1.__qualname__
    edited.__module__ = _builder_v1.__module__
    assert key(_builder_v1) == key(_builder_v1)
    assert key(edited) != key(_builder_v1)
    assert key(_make_builder(3)) != key(_make_builder(4))  # closed-over values count
    assert key(_make_builder(3)) == key(_make_builder(3))


def _cache_fit(tmp_path, X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return AutoencoderTransformer(**{**SMALL, **params}, memory=str(tmp_path)).fit(X)


def test_a_cache_entry_copied_under_another_key_is_refused(tmp_path):
    X, other = _data(30), _data(30, seed=5)
    first = _cache_fit(tmp_path, X)
    folder = tmp_path / "skae-networks"
    (key_x,) = (p.stem for p in folder.glob("*.keras"))
    _cache_fit(tmp_path, other)
    (victim,) = (p.stem for p in folder.glob("*.keras") if p.stem != key_x)
    for suffix in (".keras", ".json"):  # the other entry's network under X's key
        (folder / f"{key_x}{suffix}").write_bytes((folder / f"{victim}{suffix}").read_bytes())
    with pytest.warns(UserWarning, match="another key"):
        again = _cache_fit(tmp_path, X)
    np.testing.assert_array_equal(again.transform(X), first.transform(X))


def test_a_network_file_swapped_in_a_cache_entry_is_refused(tmp_path):
    X, other = _data(30), _data(30, seed=5)
    first = _cache_fit(tmp_path, X)
    folder = tmp_path / "skae-networks"
    (mine,) = folder.glob("*.keras")
    _cache_fit(tmp_path, other)
    (theirs,) = (p for p in folder.glob("*.keras") if p != mine)
    mine.write_bytes(theirs.read_bytes())
    with pytest.warns(UserWarning, match="not the one the entry recorded"):
        again = _cache_fit(tmp_path, X)
    np.testing.assert_array_equal(again.transform(X), first.transform(X))


def test_a_read_only_cache_still_serves_and_never_crashes(tmp_path):
    X = _data(30)
    first = _cache_fit(tmp_path, X)
    folder = tmp_path / "skae-networks"
    for lock in folder.glob("*.lock"):
        lock.unlink()
    os.chmod(folder, 0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write to read-only folders")
        with pytest.warns(UserWarning, match="cannot lock the cache folder"):
            again = _cache_fit(tmp_path, X)
    finally:
        os.chmod(folder, 0o755)
    np.testing.assert_array_equal(again.transform(X), first.transform(X))


def test_a_read_only_cache_is_used_even_as_root(tmp_path, monkeypatch):
    X = _data(30)
    first = _cache_fit(tmp_path, X)

    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr("skae._memory._exclusive", refuse)
    with pytest.warns(UserWarning, match="cannot lock the cache folder"):
        again = _cache_fit(tmp_path, X)
    assert again.history_ == first.history_  # loaded from the cache, not retrained
    np.testing.assert_array_equal(again.transform(X), first.transform(X))


def test_a_history_file_of_the_wrong_type_is_retrained_with_a_warning(tmp_path):
    X = _data(30)
    first = _cache_fit(tmp_path, X)
    (record,) = (tmp_path / "skae-networks").glob("*.json")
    entry = json.loads(record.read_text())
    record.write_text(json.dumps({**entry, "history": [1, 2, 3]}))
    with pytest.warns(UserWarning, match="history is malformed"):
        again = _cache_fit(tmp_path, X)
    np.testing.assert_array_equal(again.transform(X), first.transform(X))


# ---------------------------------------------------------------------- side effects, threads
def test_seeded_fit_load_and_unpickling_leave_pythons_random_alone(detector):
    data, pickled = _file(detector), pickle.dumps(detector)
    state = random.getstate()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ReconstructionOutlierDetector(**SMALL, n_estimators=2).fit(_data())
    skae.load(io.BytesIO(data))
    pickle.loads(pickled)
    assert random.getstate() == state


def test_a_refit_while_another_thread_predicts_gives_the_old_or_the_new_model():
    A, B, Xq = _data(80, seed=1), _data(80, seed=2) * 3.0, _data(40, seed=3)
    params = {**SMALL, "n_estimators": 2, "isolation_weight": 0.7}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        det = ReconstructionOutlierDetector(**params).fit(A)
        expected_a = det.predict(Xq), det.score_samples(Xq)
        expected_b = ReconstructionOutlierDetector(**params).fit(B).score_samples(Xq)
        det.fit(A)
    done = threading.Event()

    def refit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for data in (B, A, B, A):
                det.fit(data)
        done.set()

    worker = threading.Thread(target=refit)
    worker.start()
    seen = []
    while not done.is_set():
        seen.append(det.score_samples(Xq))
    worker.join()
    torn = [s for s in seen
            if not (np.array_equal(s, expected_a[1]) or np.array_equal(s, expected_b))]
    assert len(seen) > 3 and not torn, f"{len(torn)} of {len(seen)} scores torn"
