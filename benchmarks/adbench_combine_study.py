"""Score-combination study on the scores saved by ``adbench_design_study.py --dump``.

Every combination maps each detector's score to its training rows' distribution (so
that a row's combined score depends on that row only) and then combines:

- ``rank``: mean of the empirical CDF values (rank-averaging);
- ``z``: mean of robust z-scores ``(s - median) / IQR``;
- ``logz``: the same on ``log(s)``;
- ``fisher``: sum of ``-log p``, ``p`` the training rows' tail probability of the score,
  with an exponential tail fitted to the top 10% beyond the largest training scores;
- ``max``: the largest robust z-score;
- ``grid``: ``skae._hybrid.to_rank`` (ranks on a quantile grid, growing beyond it).

Usage::

    python benchmarks/adbench_combine_study.py /tmp/h13_scores
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adbench import half_of  # noqa: E402


def robust_z(train, s):
    med = np.median(train)
    q75, q25 = np.percentile(train, [75, 25])
    return (s - med) / max(q75 - q25, 1e-12 * (1 + abs(med)), 1e-300)


def ecdf(train, s):
    return np.searchsorted(np.sort(train), s, side="right") / len(train)


def neg_log_tail(train, s, q=0.1):
    """-log of the tail probability, exponential beyond the training (1-q) quantile."""
    ref = np.sort(train)
    n = len(ref)
    surv = (n - np.searchsorted(ref, s, side="left") + 1) / (n + 1)
    cut = np.quantile(ref, 1 - q)
    excess = ref[ref > cut] - cut
    beta = excess.mean() if excess.size else 1.0
    beta = max(beta, 1e-12 * (1 + abs(cut)), 1e-300)
    tail = q * np.exp(-(s - cut) / beta)
    p = np.where(s > cut, tail, surv)
    return -np.log(np.clip(p, 1e-300, 1))


def combine(parts, how, weights=None):
    from skae._hybrid import fit_rank_grid, to_rank

    maps = {"rank": ecdf, "z": robust_z, "fisher": neg_log_tail,
            "grid": lambda a, b: to_rank(fit_rank_grid(a), b),
            "logz": lambda a, b: robust_z(np.log(a + 1e-12), np.log(b + 1e-12)),
            "max": robust_z}
    if how.startswith("grid") and how != "grid":  # gridmax, or grid<w>: weight of the last part
        out = np.stack([maps["grid"](tr, te) for tr, te in parts])
        if how == "gridmax":
            return out.max(axis=0)
        weights = np.r_[np.ones(len(parts) - 1), float(how[4:])]
        return (weights[:, None] * out).sum(axis=0) / weights.sum()
    out = np.stack([maps[how](tr, te) for tr, te in parts])
    if how == "max":
        return out.max(axis=0)
    return out.mean(axis=0)


HOWS = ("rank", "grid", "gridmax", "grid1.5", "grid2", "grid0.7", "z", "logz", "fisher", "max")


def main(folder: str) -> None:
    folder = Path(folder)
    files = sorted(folder.glob("*.npz"))
    data: dict[str, dict[str, tuple]] = {}
    for f in files:
        ds, v = f.stem.split("__")
        with np.load(f) as z:
            data.setdefault(ds, {})[v] = (z["train"], z["test"], z["y_test"])
    variants = sorted({v for d in data.values() for v in d})
    aes = [v for v in variants if v not in ("iforest3", "knn", "pca")]
    datasets = sorted(d for d in data if set(data[d]) >= set(variants))
    print(f"{len(datasets)} complete datasets; variants {variants}")
    combos = [(v,) for v in variants]
    for ae in aes:
        combos += [(ae, "iforest3"), (ae, "iforest3", "knn"), (ae, "knn")]
    combos += [("iforest3", "knn")]
    combos += [(ae, "knn", "iforest3") for ae in aes]
    rows = []
    for combo, how in itertools.product(combos, HOWS):
        if len(combo) == 1 and how != "rank":
            continue
        res = {"A": [], "B": []}
        for ds in datasets:
            y = data[ds][combo[0]][2]
            if len(combo) == 1:
                s = data[ds][combo[0]][1]
            else:
                s = combine([data[ds][v][:2] for v in combo], how)
            s = np.nan_to_num(s)
            res[half_of(ds)].append((roc_auc_score(y, s), average_precision_score(y, s)))
        a, b = np.array(res["A"]), np.array(res["B"])
        name = "+".join(combo) + ("" if len(combo) == 1 else f" [{how}]")
        rows.append((name, a[:, 0].mean(), a[:, 1].mean(), b[:, 0].mean(), b[:, 1].mean(),
                     np.r_[a[:, 0], b[:, 0]].mean(), np.r_[a[:, 1], b[:, 1]].mean()))
    print(f"{'combination':<40}{'AUC A':>8}{'AP A':>8}{'AUC B':>8}{'AP B':>8}"
          f"{'AUC all':>9}{'AP all':>8}")
    for r in sorted(rows, key=lambda r: -r[1]):
        print(f"{r[0]:<40}" + "".join(f"{x:>8.4f}" for x in r[1:]))


if __name__ == "__main__":
    main(sys.argv[1])
