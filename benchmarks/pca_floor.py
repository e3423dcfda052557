"""The PCA floor: ``AutoencoderTransformer`` and ``DenoisingAutoencoder`` against PCA.

For each dataset and each ``n_components`` in (2, 8, 16, 32) below the feature count, one
table row: held-out reconstruction MSE of the transformer with its PCA floor (``floor``)
and without it (``plain``, today's network: a subclass with ``_pca_floor = False``) and of
``PCA``, their ratios to PCA, the logistic-regression accuracy on the codes where labels
exist, and fit times. A second table: the default denoiser's PSNR (Gaussian noise 0.2,
held-out rows) against projecting the noisy rows on ``PCA(16)``, dense with and without
the floor, and conv2d on MNIST.

Datasets: scikit-learn's 8x8 digits (pixels / 16), the MNIST test images bundled in
``skae.datasets``, two tables (ADBench's ``--tables`` from ``--data`` if present, else
scikit-learn's breast-cancer and wine tables, standardised) and a Swiss roll embedded
non-linearly in 12 dimensions. Splits are seeded; fit times are wall-clock on a shared
machine, compared within one run only.

Usage::

    python benchmarks/pca_floor.py
    python benchmarks/pca_floor.py --data ../shared/data/adbench --tables 6_cardio 45_wine
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_swiss_roll
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderTransformer, DenoisingAutoencoder
from skae.datasets import load_mnist_test

SIZES = (2, 8, 16, 32)
NOISE = 0.2


class PlainTransformer(AutoencoderTransformer):
    """Today's network: no linear path."""

    _pca_floor = False


class PlainDenoiser(DenoisingAutoencoder):
    """Today's denoiser network: no linear path."""

    _pca_floor = False


def _split(X, y, seed=0):
    return train_test_split(X, y, test_size=0.3, random_state=seed)


def _tables(data: str | None, names: list[str]) -> dict:
    out = {}
    for name in names:
        path = Path(data or "") / f"{name}.npz"
        if data and path.exists():
            npz = np.load(path)
            X = StandardScaler().fit_transform(npz["X"].astype(float))
            out[name] = (X, None)
    if len(out) < 2:
        for name, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine)):
            X, y = loader(return_X_y=True)
            out[name] = (StandardScaler().fit_transform(X), y)
    return dict(list(out.items())[:2])


def _swiss_roll(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    P, t = make_swiss_roll(n, noise=0.05, random_state=seed)
    P = (P - P.mean(0)) / P.std(0)
    W = rng.normal(size=(3, 12))
    return np.tanh(P @ W / 2) + 0.3 * np.sin(P @ W), None


def datasets(args) -> dict:
    digits = load_digits()
    mnist = load_mnist_test()
    rows = args.mnist_rows
    out = {"digits": (digits.data / 16.0, digits.target),
           "mnist": (mnist.data[:rows].astype(float), mnist.target[:rows])}
    out.update(_tables(args.data, args.tables))
    out["swiss_roll_12d"] = _swiss_roll()
    return out


def _timed_fit(est, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X)
        seconds = time.perf_counter() - start
    collapsed = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return seconds, collapsed


def _accuracy(Z_train, y_train, Z_test, y_test):
    if y_train is None:
        return np.nan
    clf = LogisticRegression(max_iter=2000).fit(Z_train, y_train)
    return clf.score(Z_test, y_test)


def transformer_row(name, k, X_train, X_test, y_train, y_test, seed):
    row = {"dataset": name, "k": k}
    pca = PCA(k, random_state=seed)
    start = time.perf_counter()
    pca.fit(X_train)
    row["pca_s"] = time.perf_counter() - start
    row["pca_mse"] = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    row["pca_acc"] = _accuracy(pca.transform(X_train), y_train, pca.transform(X_test), y_test)
    for label, cls in (("plain", PlainTransformer), ("floor", AutoencoderTransformer)):
        ae = cls(n_components=k, random_state=seed)
        row[f"{label}_s"], row[f"{label}_collapsed"] = _timed_fit(ae, X_train)
        rec = ae.inverse_transform(ae.transform(X_test))
        row[f"{label}_mse"] = np.mean((rec - X_test) ** 2)
        row[f"{label}_acc"] = _accuracy(ae.transform(X_train), y_train, ae.transform(X_test),
                                        y_test)
    return row


def _psnr(clean, restored):
    return float(np.mean(10 * np.log10(1.0 / np.mean((clean - restored) ** 2, axis=1))))


def denoise_row(name, X_train, X_test, seed, shape=None):
    noisy = X_test + NOISE * np.random.default_rng(seed + 1).normal(size=X_test.shape)
    pca = PCA(16, random_state=seed).fit(X_train)
    row = {"dataset": name, "noisy_db": _psnr(X_test, noisy),
           "pca16_db": _psnr(X_test, pca.inverse_transform(pca.transform(noisy)))}
    candidates = [("plain", PlainDenoiser, {}), ("floor", DenoisingAutoencoder, {})]
    if shape is not None:
        candidates.append(("conv2d", DenoisingAutoencoder,
                           {"architecture": "conv2d", "input_shape": shape}))
    for label, cls, params in candidates:
        dae = cls(noise_level=NOISE, random_state=seed, **params)
        row[f"{label}_s"], row[f"{label}_collapsed"] = _timed_fit(dae, X_train)
        row[f"{label}_db"] = _psnr(X_test, dae.predict(noisy))
    return row


def _print_transformer(rows):
    print("\nTransformer: held-out reconstruction MSE, ratios to PCA (<= 1 meets the floor), "
          "accuracy of a logistic regression on the codes, fit seconds")
    head = (f"{'dataset':<16}{'k':>3} {'PCA mse':>9} {'plain/PCA':>9} {'floor/PCA':>9} "
            f"{'PCA acc':>8} {'plain':>7} {'floor':>7} {'PCA s':>6} {'plain s':>8} "
            f"{'floor s':>8} {'floor/plain s':>13}")
    print(head)
    for r in rows:
        flags = "".join(" collapsed:" + lab for lab in ("plain", "floor") if r[f"{lab}_collapsed"])
        print(f"{r['dataset']:<16}{r['k']:>3} {r['pca_mse']:>9.5f} "
              f"{r['plain_mse'] / r['pca_mse']:>9.3f} {r['floor_mse'] / r['pca_mse']:>9.3f} "
              f"{r['pca_acc']:>8.3f} {r['plain_acc']:>7.3f} {r['floor_acc']:>7.3f} "
              f"{r['pca_s']:>6.2f} {r['plain_s']:>8.1f} {r['floor_s']:>8.1f} "
              f"{r['floor_s'] / r['plain_s']:>13.2f}{flags}")
    ratios = np.array([r["floor_s"] / r["plain_s"] for r in rows])
    worst = max(r["floor_mse"] / r["pca_mse"] for r in rows)
    total = sum(r["floor_s"] for r in rows) / sum(r["plain_s"] for r in rows)
    print(f"floor: worst MSE ratio to PCA {worst:.3f}; fit time floor/plain: mean "
          f"{ratios.mean():.2f}, total {total:.2f}")


def _print_denoiser(rows):
    print(f"\nDenoiser (default parameters, noise_level={NOISE}): held-out PSNR (dB) of the "
          "restored noisy rows; PCA(16) projects the noisy rows")
    print(f"{'dataset':<10}{'noisy':>7}{'PCA(16)':>8}{'plain':>7}{'floor':>7}{'conv2d':>7}"
          f"{'floor-PCA':>10}{'plain s':>8}{'floor s':>8}{'conv2d s':>9}")
    for r in rows:
        conv = f"{r['conv2d_db']:>7.2f}" if "conv2d_db" in r else f"{'-':>7}"
        conv_s = f"{r['conv2d_s']:>9.1f}" if "conv2d_s" in r else f"{'-':>9}"
        print(f"{r['dataset']:<10}{r['noisy_db']:>7.2f}{r['pca16_db']:>8.2f}{r['plain_db']:>7.2f}"
              f"{r['floor_db']:>7.2f}{conv}{r['floor_db'] - r['pca16_db']:>10.2f}"
              f"{r['plain_s']:>8.1f}{r['floor_s']:>8.1f}{conv_s}")


#: The ADBench tables beside this checkout (as ``adbench.py``'s default).
_DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "adbench"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(_DEFAULT_DATA),
                        help=f"folder of ADBench .npz tables (default: {_DEFAULT_DATA})")
    parser.add_argument("--tables", nargs=2, default=["6_cardio", "18_Ionosphere"])
    parser.add_argument("--mnist-rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=[],
                        help="parts to skip: transformer, denoiser")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    data = datasets(args)
    if "transformer" not in args.skip:
        rows = []
        for name, (X, y) in data.items():
            X_train, X_test, y_train, y_test = _split(X, y if y is not None else np.zeros(len(X)),
                                                      args.seed)
            labels = (y_train, y_test) if y is not None else (None, None)
            for k in (k for k in SIZES if k < X.shape[1]):
                rows.append(transformer_row(name, k, X_train, X_test, *labels, args.seed))
                print(rows[-1], flush=True)
        _print_transformer(rows)
    if "denoiser" not in args.skip:
        rows = []
        for name, shape in (("digits", None), ("mnist", (28, 28, 1))):
            X, y = data[name]
            X_train, X_test, _, _ = _split(X, y, args.seed)
            rows.append(denoise_row(name, X_train, X_test, args.seed, shape))
            print(rows[-1], flush=True)
        _print_denoiser(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
