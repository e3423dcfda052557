"""Tests for skae.datasets (no network, no TensorFlow needed)."""

import gzip
import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skae.datasets import _fashion_mnist as fm
from skae.datasets import _make_bundled, fetch_fashion_mnist, load_ecg5000, load_mnist_test
from skae.datasets._base import _read_idx_gz

REPO = Path(__file__).resolve().parents[1]
# the read-only shared data: <repo>/shared/data or ../shared/data next to the checkout
SHARED_DATA = next(
    (p for p in (REPO / "shared" / "data", REPO.parent / "shared" / "data") if p.is_dir()),
    None,
)

MNIST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FILES = fm._FILES


@pytest.fixture(scope="module")
def ecg():
    return load_ecg5000()


@pytest.fixture(scope="module")
def mnist():
    return load_mnist_test()


# --------------------------------------------------------------------------- package


def test_public_api():
    import skae.datasets

    assert sorted(skae.datasets.__all__) == [
        "fetch_fashion_mnist",
        "load_ecg5000",
        "load_mnist_test",
    ]
    for name in skae.datasets.__all__:
        func = getattr(skae.datasets, name)
        assert "Examples" in func.__doc__ and ">>>" in func.__doc__


def test_datasets_work_with_keras_and_tensorflow_unimportable(monkeypatch, tmp_path):
    # Re-import skae.datasets while `import keras` / `import tensorflow` raise
    # ImportError: neither the import nor the bundled loaders may need them.
    old = sys.modules["skae.datasets"]
    monkeypatch.setattr(sys.modules["skae"], "datasets", old)  # restored after the test
    for name in [m for m in sys.modules if m.split(".")[:2] == ["skae", "datasets"]]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("keras", "tensorflow"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match="keras"):
        import keras  # noqa: F401

    fresh = importlib.import_module("skae.datasets")
    assert fresh is not old
    assert fresh.load_ecg5000().data.shape == (5000, 140)
    assert fresh.load_mnist_test().data.shape == (10000, 784)
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST files missing"):
        fresh.fetch_fashion_mnist(data_home=tmp_path, download_if_missing=False)


# --------------------------------------------------------------------------- ECG5000


def test_ecg5000_bunch(ecg):
    assert ecg.data.shape == (5000, 140)
    assert ecg.data.dtype == np.float32
    assert np.isfinite(ecg.data).all()
    assert ecg.target.shape == (5000,)
    assert np.issubdtype(ecg.target.dtype, np.integer)
    assert set(np.unique(ecg.target)) == {0, 1}
    assert int((ecg.target == 1).sum()) == 2919
    assert ecg.frame is None
    assert ecg.feature_names == [f"t{i:03d}" for i in range(140)]
    np.testing.assert_array_equal(ecg.target_names, ["abnormal", "normal"])
    assert ecg.target_names[1] == "normal"
    assert "ECG5000" in ecg.DESCR and "2919" in ecg.DESCR


def test_ecg5000_rows_are_z_normalised(ecg):
    np.testing.assert_allclose(ecg.data.mean(axis=1), 0, atol=1e-4)
    np.testing.assert_allclose(ecg.data.std(axis=1, ddof=1), 1, atol=1e-4)


def test_ecg5000_row_order_kept(ecg):
    # source order: 2335 normal beats first, then 584 normal + 2081 abnormal
    assert (ecg.target[:2335] == 1).all()
    assert np.bincount(ecg.target[2335:]).tolist() == [2081, 584]


def test_ecg5000_return_X_y(ecg):
    X, y = load_ecg5000(return_X_y=True)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    np.testing.assert_array_equal(X, ecg.data)
    np.testing.assert_array_equal(y, ecg.target)


def test_ecg5000_as_frame(ecg):
    bunch = load_ecg5000(as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert isinstance(bunch.target, pd.Series)
    assert isinstance(bunch.frame, pd.DataFrame)
    assert bunch.frame.shape == (5000, 141)
    assert list(bunch.frame.columns) == ecg.feature_names + ["target"]
    assert list(bunch.data.columns) == ecg.feature_names
    assert bunch.target.name == "target"
    np.testing.assert_array_equal(bunch.data.to_numpy(), ecg.data)
    np.testing.assert_array_equal(bunch.target.to_numpy(), ecg.target)

    X, y = load_ecg5000(as_frame=True, return_X_y=True)
    assert isinstance(X, pd.DataFrame) and X.shape == (5000, 140)
    assert isinstance(y, pd.Series) and int(y.sum()) == 2919


@pytest.mark.skipif(SHARED_DATA is None, reason="shared data folder not available")
def test_ecg5000_matches_shared_source(ecg):
    with np.load(SHARED_DATA / "ecg5000" / "ecg5000_all5000_binary.npz") as src:
        X_src, y_abnormal = src["X"], src["y_abnormal"]
    np.testing.assert_array_equal(ecg.data, X_src.astype(np.float32))
    np.testing.assert_allclose(ecg.data, X_src, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ecg.target, 1 - y_abnormal)


# --------------------------------------------------------------------------- MNIST test


def test_mnist_test_bunch(mnist):
    assert mnist.images.shape == (10000, 28, 28)
    assert mnist.data.shape == (10000, 784)
    assert mnist.images.dtype == np.float32 and mnist.data.dtype == np.float32
    assert mnist.data.min() == 0.0 and mnist.data.max() == 1.0
    np.testing.assert_array_equal(mnist.data, mnist.images.reshape(10000, -1))
    assert mnist.target.shape == (10000,)
    assert np.issubdtype(mnist.target.dtype, np.integer)
    assert np.bincount(mnist.target).tolist() == MNIST_COUNTS
    np.testing.assert_array_equal(mnist.target_names, np.arange(10))
    assert len(mnist.feature_names) == 784
    assert mnist.feature_names[29] == "pixel_1_1"
    assert mnist.frame is None
    assert "MNIST" in mnist.DESCR


def test_mnist_test_pixels_are_byte_values_over_255(mnist):
    # the mean pixel of the MNIST test set is 33.791 / 255; every value is k / 255
    assert mnist.data.mean() * 255 == pytest.approx(33.791, abs=1e-3)
    k = mnist.data[:100] * 255
    np.testing.assert_allclose(k, np.round(k), atol=1e-4)
    assert mnist.target[:5].tolist() == [7, 2, 1, 0, 4]


def test_mnist_test_return_X_y_and_as_frame(mnist):
    X, y = load_mnist_test(return_X_y=True)
    assert isinstance(X, np.ndarray) and X.shape == (10000, 784)
    np.testing.assert_array_equal(y, mnist.target)

    bunch = load_mnist_test(as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame) and bunch.data.shape == (10000, 784)
    assert isinstance(bunch.target, pd.Series)
    assert bunch.frame.shape == (10000, 785) and bunch.frame.columns[-1] == "target"
    assert isinstance(bunch.images, np.ndarray)
    np.testing.assert_array_equal(bunch.data.iloc[:3].to_numpy(), mnist.data[:3])


@pytest.mark.skipif(SHARED_DATA is None, reason="shared data folder not available")
def test_mnist_test_matches_shared_source(mnist):
    images = _read_idx_gz(SHARED_DATA / "mnist" / "t10k-images-idx3-ubyte.gz", ndim=3)
    labels = _read_idx_gz(SHARED_DATA / "mnist" / "t10k-labels-idx1-ubyte.gz", ndim=1)
    np.testing.assert_array_equal(mnist.images, images / np.float32(255))
    np.testing.assert_array_equal(mnist.target, labels)


# --------------------------------------------------------------------------- _make_bundled


@pytest.mark.skipif(SHARED_DATA is None, reason="shared data folder not available")
def test_make_bundled_reproduces_bundled_files(tmp_path, ecg, mnist, capsys):
    _make_bundled.main([str(SHARED_DATA), "--out", str(tmp_path)])
    assert "ecg5000.npz" in capsys.readouterr().out
    with np.load(tmp_path / "ecg5000.npz") as npz:
        assert sorted(npz.files) == ["X", "target"]
        np.testing.assert_array_equal(npz["X"], ecg.data)
        np.testing.assert_array_equal(npz["target"], ecg.target)
    with np.load(tmp_path / "mnist_test.npz") as npz:
        assert npz["images"].dtype == np.uint8
        np.testing.assert_array_equal(npz["images"] / np.float32(255), mnist.images)
        np.testing.assert_array_equal(npz["target"], mnist.target)


def test_make_bundled_checks_sha256(tmp_path):
    for rel in _make_bundled._SHA256:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"not the data")
    with pytest.raises(ValueError, match="sha256"):
        _make_bundled.main([str(tmp_path), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- Fashion-MNIST


def _write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.tobytes())


def _tiny_split(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels


@pytest.fixture
def tiny_fashion(tmp_path):
    """A data_home holding tiny Fashion-MNIST files: 5 train and 3 test images."""
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    splits = {"train": _tiny_split(5, 0), "test": _tiny_split(3, 1)}
    for prefix, split in (("train", "train"), ("t10k", "test")):
        images, labels = splits[split]
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return tmp_path, splits


def _no_download(*args, **kwargs):
    raise AssertionError(f"unexpected download {args}")


def test_fashion_reads_cache_without_download(tiny_fashion, monkeypatch):
    data_home, splits = tiny_fashion
    monkeypatch.setattr(fm, "_download", _no_download)
    bunch = fetch_fashion_mnist(data_home=data_home)
    for split, n in (("train", 5), ("test", 3)):
        images, labels = splits[split]
        assert bunch[f"images_{split}"].shape == (n, 28, 28)
        assert bunch[f"data_{split}"].shape == (n, 784)
        assert bunch[f"data_{split}"].dtype == np.float32
        np.testing.assert_allclose(bunch[f"images_{split}"], images / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(
            bunch[f"data_{split}"], images.reshape(n, -1) / np.float32(255)
        )
        np.testing.assert_array_equal(bunch[f"target_{split}"], labels)
        assert np.issubdtype(bunch[f"target_{split}"].dtype, np.integer)
    assert bunch.data_train.min() == 0.0 and bunch.data_train.max() == 1.0
    assert list(bunch.target_names) == list(fm._TARGET_NAMES)
    assert bunch.target_names[0] == "T-shirt/top" and bunch.target_names[9] == "Ankle boot"
    assert "Fashion-MNIST" in bunch.DESCR


def test_fashion_return_X_y(tiny_fashion, monkeypatch):
    data_home, splits = tiny_fashion
    monkeypatch.setattr(fm, "_download", _no_download)
    (X_train, y_train), (X_test, y_test) = fetch_fashion_mnist(data_home=data_home, return_X_y=True)
    assert X_train.shape == (5, 784) and X_test.shape == (3, 784)
    np.testing.assert_array_equal(y_train, splits["train"][1])
    np.testing.assert_array_equal(y_test, splits["test"][1])


def test_fashion_default_data_home_honours_scikit_learn_data(tiny_fashion, monkeypatch):
    data_home, splits = tiny_fashion
    monkeypatch.setattr(fm, "_download", _no_download)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(data_home))
    bunch = fetch_fashion_mnist()
    np.testing.assert_array_equal(bunch.target_test, splits["test"][1])


def test_fashion_missing_without_download_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(fm, "_download", _no_download)
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST files missing") as excinfo:
        fetch_fashion_mnist(data_home=tmp_path, download_if_missing=False)
    message = str(excinfo.value)
    assert str(tmp_path / "fashion-mnist") in message
    for fname in FILES:
        assert fname in message
    assert "download_if_missing=False" in message


def test_fashion_one_missing_file_is_reported(tiny_fashion, monkeypatch):
    data_home, _ = tiny_fashion
    monkeypatch.setattr(fm, "_download", _no_download)
    (data_home / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(OSError, match=r"missing from .*: t10k-labels-idx1-ubyte\.gz \("):
        fetch_fashion_mnist(data_home=data_home, download_if_missing=False)


def test_fashion_offline_download_failure_raises(tmp_path, monkeypatch):
    calls = []

    def offline(fname, origin, folder):
        calls.append(fname)
        raise Exception(f"URL fetch failure on {origin}: None -- no network")

    monkeypatch.setattr(fm, "_download", offline)
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST files missing") as excinfo:
        fetch_fashion_mnist(data_home=tmp_path)
    message = str(excinfo.value)
    assert str(tmp_path / "fashion-mnist") in message
    assert all(fname in message for fname in FILES)
    assert "download failed" in message and "no network" in message
    assert isinstance(excinfo.value.__cause__, Exception)
    assert calls == [FILES[0]]


def test_fashion_downloads_only_missing_files(tiny_fashion, tmp_path, monkeypatch):
    data_home, splits = tiny_fashion
    folder = data_home / "fashion-mnist"
    stash = tmp_path / "stash"
    stash.mkdir()
    for fname in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / fname).rename(stash / fname)
    calls = []

    def fake_download(fname, origin, target_folder):
        calls.append((fname, origin, Path(target_folder)))
        (stash / fname).rename(Path(target_folder) / fname)
        return str(Path(target_folder) / fname)

    monkeypatch.setattr(fm, "_download", fake_download)
    bunch = fetch_fashion_mnist(data_home=data_home)
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert calls == [
        ("train-images-idx3-ubyte.gz", base + "train-images-idx3-ubyte.gz", folder),
        ("t10k-labels-idx1-ubyte.gz", base + "t10k-labels-idx1-ubyte.gz", folder),
    ]
    np.testing.assert_array_equal(bunch.target_test, splits["test"][1])
    assert all((folder / fname).is_file() for fname in FILES)


def test_fashion_download_uses_keras_get_file(tmp_path, monkeypatch):
    calls = []

    class FakeUtils:
        @staticmethod
        def get_file(fname, origin, cache_subdir):
            calls.append((fname, origin, cache_subdir))
            return str(Path(cache_subdir, fname))

    class FakeKeras:
        utils = FakeUtils

    monkeypatch.setitem(sys.modules, "keras", FakeKeras)
    path = fm._download("a.gz", "https://example.invalid/a.gz", tmp_path)
    assert calls == [("a.gz", "https://example.invalid/a.gz", str(tmp_path))]
    assert Path(path) == tmp_path / "a.gz"


def test_fashion_corrupt_cache_raises_value_error(tiny_fashion, monkeypatch):
    data_home, _ = tiny_fashion
    monkeypatch.setattr(fm, "_download", _no_download)
    folder = data_home / "fashion-mnist"
    # labels file with an images header
    _write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros((5, 28, 28)))
    with pytest.raises(ValueError, match="IDX"):
        fetch_fashion_mnist(data_home=data_home)
    # label count disagreeing with the image count
    _write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(4))
    with pytest.raises(ValueError, match="4 labels"):
        fetch_fashion_mnist(data_home=data_home)


def test_read_idx_rejects_truncated_payload(tmp_path):
    path = tmp_path / "x.gz"
    header = bytes([0, 0, 0x08, 1]) + np.array([10], dtype=">u4").tobytes()
    with gzip.open(path, "wb") as fh:
        fh.write(header + bytes(9))
    with pytest.raises(ValueError, match="10,"):
        _read_idx_gz(path, ndim=1)
