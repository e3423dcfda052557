"""How to combine the ensemble's reconstruction error with an isolation forest's score.

The study behind the detector's default ``score_combination="tail"`` and
``isolation_weight=0.7``. For every ADBench table (the protocol of ``adbench.py``) it fits
the detector with ``isolation_weight=0`` (so its score is the reconstruction error alone)
as one network (``plain``) and as the default 8-member ensemble (``ens8``), and
scikit-learn's ``IsolationForest`` (mean score of seeds 0, 1, 2) on the same rows; then it
combines the two scores offline, as the detector does (``skae._hybrid``: training ranks on
a quantile grid, averaged as they are or as tail scores, back to the error's scale), for
several weights of the isolation score. It prints the mean ROC-AUC and average precision
over each half of the tables and over all, and the wins / ties / losses against
IsolationForest.

Usage
-----
From the repository root::

    python benchmarks/adbench_tail_study.py                  # fit, save scores, report
    python benchmarks/adbench_tail_study.py --scores /tmp/s  # keep the scores there
    python benchmarks/adbench_tail_study.py --scores /tmp/s --no-fit  # report only

``--data`` is the ADBench folder (default as in ``adbench.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adbench import DEFAULT_DATA_DIR, TIE, find_datasets, half_of, load_dataset  # noqa: E402

VARIANTS = {"plain": {"n_estimators": 1}, "ens8": {"n_estimators": 8}}
WEIGHTS = (0.5, 2 / 3, 0.7, 0.75)


def dump_scores(data: Path, out: Path) -> None:
    """Fit the variants and IsolationForest on every table; save their scores."""
    from skae import ReconstructionOutlierDetector

    out.mkdir(parents=True, exist_ok=True)
    for path in find_datasets(data, None):
        X_train, X_test, _, y_test = load_dataset(path)
        saved = {"y_test": y_test}
        for tag, params in VARIANTS.items():
            det = ReconstructionOutlierDetector(random_state=0, isolation_weight=0.0,
                                                **params).fit(X_train)
            saved[f"train_{tag}"] = -det.score_samples(X_train)
            saved[f"test_{tag}"] = -det.score_samples(X_test)
        forests = [IsolationForest(random_state=s).fit(X_train) for s in (0, 1, 2)]
        saved["train_if"] = -np.mean([f.score_samples(X_train) for f in forests], axis=0)
        saved["test_if"] = -np.mean([f.score_samples(X_test) for f in forests], axis=0)
        np.savez(out / f"{path.stem}.npz", **saved)
        print(f"scored {path.stem}", flush=True)


def combine(errors, isolation, weight: float, how: str) -> np.ndarray:
    """The detector's combination of (train, test) score pairs; returns test scores."""
    from skae._hybrid import fit_rank_grid, from_rank, tail_score, to_rank

    grids = fit_rank_grid(errors[0]), fit_rank_grid(isolation[0])

    def mix(e, i):
        ranks = to_rank(grids[0], e), to_rank(grids[1], i)
        if how == "tail":
            ranks = tuple(tail_score(r) for r in ranks)
        return (1 - weight) * ranks[0] + weight * ranks[1]

    combined_grid = fit_rank_grid(mix(errors[0], isolation[0]))
    return from_rank(grids[0], to_rank(combined_grid, mix(errors[1], isolation[1])))


def report(scores: Path) -> None:
    """Print means per half and W/T/L against IsolationForest for every combination."""
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for file in sorted(scores.glob("*.npz")):
        d = np.load(file)
        y = d["y_test"]
        iso = (d["train_if"], d["test_if"])
        candidates = {"iforest": iso[1]}
        for tag in VARIANTS:
            err = (d[f"train_{tag}"], d[f"test_{tag}"])
            candidates[f"{tag} error"] = err[1]
            for how in ("rank", "tail"):
                for w in WEIGHTS:
                    candidates[f"{tag} {how} w={w:.2f}"] = combine(err, iso, w, how)
        for name, s in candidates.items():
            results.setdefault(name, {})[file.stem] = (roc_auc_score(y, s),
                                                      average_precision_score(y, s))
    tables = list(results["iforest"])
    print(f"{len(tables)} tables; means of ROC-AUC and AP over half A, half B and all")
    print(f"{'score':<24}{'ROC A':>8}{'ROC B':>8}{'ROC all':>8}{'AP A':>8}{'AP B':>8}"
          f"{'AP all':>8}   W/T/L vs iforest")
    for name, per in results.items():
        cells = []
        for k in (0, 1):
            for half in ("A", "B", "all"):
                vals = [per[t][k] for t in tables if half in ("all", half_of(t))]
                cells.append(f"{np.mean(vals):8.4f}" if vals else f"{'-':>8}")
        diffs = [per[t][0] - results["iforest"][t][0] for t in tables]
        wtl = (sum(x > TIE for x in diffs), sum(abs(x) <= TIE for x in diffs),
               sum(x < -TIE for x in diffs))
        print(f"{name:<24}" + "".join(cells) + f"   {wtl[0]}/{wtl[1]}/{wtl[2]}")


def main(argv: list[str] | None = None) -> int:
    """Fit (unless ``--no-fit``), then report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--scores", type=Path, default=None,
                        help="folder for the saved scores (default: a temporary folder)")
    parser.add_argument("--no-fit", action="store_true", help="report saved scores only")
    args = parser.parse_args(argv)
    scores = args.scores or Path(tempfile.mkdtemp(prefix="skae_tail_study_"))
    if not args.no_fit:
        if not args.data.is_dir():
            print(f"ADBench data folder not found: {args.data}; pass --data.")
            return 0
        dump_scores(args.data, scores)
    report(scores)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
