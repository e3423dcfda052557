"""Rebuild the bundled ``data/ecg5000.npz`` and ``data/mnist_test.npz``.

Usage::

    python -m skae.datasets._make_bundled /work/shared/data [--out DIR]

The source files are checked against the sha256 sums recorded in
``data/PROVENANCE.md`` before anything is written. See that file for what each
source is and where it comes from.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from ._base import _read_idx_gz

_DEFAULT_OUT = Path(__file__).resolve().parent / "data"

_SHA256 = {
    "ecg5000/ecg5000_all5000_binary.npz": (
        "f01fb5b4886a75b76355cb1d4cd4fbc8f4f99496fe36dcf44caa36d71a2af317"
    ),
    "mnist/t10k-images-idx3-ubyte.gz": (
        "ba05d2d6e06f59dd97d2d5378250478bb5c9b64296a5c2681700569121e3a2d7"
    ),
    "mnist/t10k-labels-idx1-ubyte.gz": (
        "94088eab8a64f51a9b34cc9716f54b6548ef8b2fd16ada6d1575091b933dbf4b"
    ),
}


def _check_sha256(source: Path) -> None:
    for rel, expected in _SHA256.items():
        digest = hashlib.sha256((source / rel).read_bytes()).hexdigest()
        if digest != expected:
            raise ValueError(f"sha256 of {source / rel} is {digest}, expected {expected}")


def _build_ecg5000(source: Path, out: Path) -> Path:
    """X float32 (5000, 140) in source row order; target uint8, 1 = normal."""
    with np.load(source / "ecg5000/ecg5000_all5000_binary.npz") as npz:
        X = npz["X"].astype(np.float32)
        target = (1 - npz["y_abnormal"]).astype(np.uint8)
    if X.shape != (5000, 140) or int(target.sum()) != 2919:
        raise ValueError(f"unexpected ECG5000 content: X {X.shape}, {target.sum()} normal")
    path = out / "ecg5000.npz"
    np.savez_compressed(path, X=X, target=target)
    return path


def _build_mnist_test(source: Path, out: Path) -> Path:
    """images uint8 (10000, 28, 28) and target uint8 (10000,), in file order."""
    images = _read_idx_gz(source / "mnist/t10k-images-idx3-ubyte.gz", ndim=3)
    target = _read_idx_gz(source / "mnist/t10k-labels-idx1-ubyte.gz", ndim=1)
    if images.shape != (10000, 28, 28) or target.shape != (10000,):
        raise ValueError(f"unexpected MNIST content: {images.shape}, {target.shape}")
    path = out / "mnist_test.npz"
    np.savez_compressed(path, images=images, target=target)
    return path


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the shared data folder (holds ecg5000/, mnist/)")
    parser.add_argument("--out", type=Path, default=_DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    _check_sha256(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (_build_ecg5000(args.source, args.out), _build_mnist_test(args.source, args.out)):
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
