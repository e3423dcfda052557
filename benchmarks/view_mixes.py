"""Mean ROC-AUC / AP of fixed mixes of the error, isolation and MinCovDet views.

Reads the folders ``view_study.py`` writes (each table's training and test scores of every
view) and prints, per folder and per half of the 33 ADBench tables where they are there,
the means of each weighted average of the views' tail scores (as the detector's combiner)::

    python benchmarks/view_mixes.py /tmp/views/ad-c /tmp/views/ot-c /tmp/views/sy-c
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adbench import half_of  # noqa: E402
from view_weighting import _tail  # noqa: E402

MIXES: dict[str, dict[str, float]] = {
    "default 0.3e+0.7i": {"error": 0.3, "isolation": 0.7},
    "isolation": {"isolation": 1.0},
    "mcd": {"mcd": 1.0},
    "0.3e+0.4i+0.3m": {"error": 0.3, "isolation": 0.4, "mcd": 0.3},
    "0.2e+0.5i+0.3m": {"error": 0.2, "isolation": 0.5, "mcd": 0.3},
    "e+i+m": {"error": 1 / 3, "isolation": 1 / 3, "mcd": 1 / 3},
    "0.5i+0.5m": {"isolation": 0.5, "mcd": 0.5},
    "0.3e+0.7m": {"error": 0.3, "mcd": 0.7},
}


def evaluate(folder: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """ROC-AUC and AP of every mix on every table of ``folder``."""
    results = {}
    for path in sorted(folder.glob("*.npz")):
        with np.load(path) as data:
            y = data["y_test"]
            tails = {v: _tail(data[f"{v}_train"], data[f"{v}_test"])
                     for v in ("error", "isolation", "mcd")}
        results[path.stem] = {}
        for name, weights in MIXES.items():
            score = sum(w * tails[v] for v, w in weights.items())
            results[path.stem][name] = (roc_auc_score(y, score),
                                        average_precision_score(y, score))
    return results


def main(argv: list[str] | None = None) -> int:
    """Print every mix's means on every folder given."""
    for folder in map(Path, sys.argv[1:] if argv is None else argv):
        results = evaluate(folder)
        groups = {"all": list(results)}
        if "6_cardio" in results:
            for half in ("A", "B"):
                groups[half] = [t for t in results if half_of(t) == half]
        print(folder)
        for name in MIXES:
            cells = [f"{g}: {np.mean([results[t][name][0] for t in tables]):.4f} / "
                     f"{np.mean([results[t][name][1] for t in tables]):.4f}"
                     for g, tables in groups.items()]
            print(f"  {name:<18}  " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
