"""Score label-free view-weighting rules on the views dumped by ``view_study.py``.

Every rule turns each view's training scores into a weight (no label is read), and the
test score is the weighted average of the views' tail scores (``-log(1 - rank)``, the
rank among the training scores), as the detector's combiner computes it, or for the
rules of ``COMBINERS`` another combination of them. The script prints, for each
collection folder given, the mean ROC-AUC and AP of every rule, and with
``--per-table`` the per-table ROC-AUC. A rule that needs a view a folder's files lack
(``mcd`` in dumps made before it was added) prints as nan.

    python benchmarks/view_weighting.py /tmp/views/ad-c /tmp/views/ot-c /tmp/views/sy-c
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adbench import half_of  # noqa: E402

VIEWS = ("error", "isolation", "knn", "lof", "mcd")


def _tail(train: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Tail score of each score's rank among the training scores (as skae._hybrid)."""
    from skae._hybrid import fit_rank_grid, tail_score, to_rank

    return tail_score(to_rank(fit_rank_grid(train), scores))


def _fixed(**weights: float) -> Callable:
    def rule(train: dict[str, np.ndarray]) -> dict[str, float]:
        return weights

    rule.views = tuple(weights)
    return rule


def _needed(rule: Callable) -> tuple[str, ...]:
    """The views a rule reads: a fixed rule's own, the others' the first three."""
    return getattr(rule, "views", ("error", "isolation", "knn"))


def _tail_excess(train: dict[str, np.ndarray], views=("error", "isolation", "knn"),
                 power: float = 1.0) -> dict[str, float]:
    """Weight by how far each view's top 1 % stands out of its bulk, scale-free."""
    weights = {}
    for view in views:
        s = np.log(np.maximum(train[view], 1e-12)) if view != "isolation" else train[view]
        q50, q75, q99 = np.quantile(s, [0.5, 0.75, 0.99])
        weights[view] = max((q99 - q50) / max(q75 - q50, 1e-12), 1e-6) ** power
    return weights


def _agreement(train: dict[str, np.ndarray], views=("error", "isolation", "knn")) -> dict:
    """Weight by each view's rank correlation with the others' mean tail score."""
    tails = {v: _tail(train[v], train[v]) for v in views}
    weights = {}
    for view in views:
        others = np.mean([tails[o] for o in views if o != view], axis=0)
        weights[view] = max(np.corrcoef(tails[view], others)[0, 1], 1e-6)
    return weights


RULES: dict[str, Callable] = {
    "default(0.3e+0.7i)": _fixed(error=0.3, isolation=0.7),
    "error": _fixed(error=1.0),
    "isolation": _fixed(isolation=1.0),
    "knn": _fixed(knn=1.0),
    "lof": _fixed(lof=1.0),
    "e+k": _fixed(error=0.5, knn=0.5),
    "e+i+k": _fixed(error=1 / 3, isolation=1 / 3, knn=1 / 3),
    "e+i+k+l": _fixed(error=0.25, isolation=0.25, knn=0.25, lof=0.25),
    "e+k+l": _fixed(error=1 / 3, knn=1 / 3, lof=1 / 3),
    "0.3e+0.4i+0.3k": _fixed(error=0.3, isolation=0.4, knn=0.3),
    "tail_excess": _tail_excess,
    "tail_excess^2": lambda t: _tail_excess(t, power=2.0),
    "agreement": _agreement,
    "max(e,i)": _fixed(error=1.0, isolation=1.0),
    "max(e,i,k)": _fixed(error=1.0, isolation=1.0, knn=1.0),
    "max(0.3e,0.7i)": _fixed(error=0.3, isolation=0.7),
    "mean+max(e,i)": _fixed(error=0.3, isolation=0.7),
    "mcd": _fixed(mcd=1.0),
    "0.3e+0.4i+0.3m": _fixed(error=0.3, isolation=0.4, mcd=0.3),
    "0.2e+0.5i+0.3m": _fixed(error=0.2, isolation=0.5, mcd=0.3),
    "e+i+m": _fixed(error=1 / 3, isolation=1 / 3, mcd=1 / 3),
    "0.5i+0.5m": _fixed(isolation=0.5, mcd=0.5),
    "0.3e+0.7m": _fixed(error=0.3, mcd=0.7),
}


def _weighted_mean(weights: dict[str, float], tails: dict[str, np.ndarray]) -> np.ndarray:
    """Fisher's rule, as the detector: the weighted mean of the tail scores."""
    total = sum(weights.values())
    return sum(w / total * tails[v] for v, w in weights.items())


def _weighted_max(weights: dict[str, float], tails: dict[str, np.ndarray]) -> np.ndarray:
    """Tippett's rule: the strongest evidence of any view, each scaled by its weight."""
    top = max(weights.values())
    return np.max([w / top * tails[v] for v, w in weights.items()], axis=0)


def _mean_and_max(weights: dict[str, float], tails: dict[str, np.ndarray]) -> np.ndarray:
    """Half the weighted mean, half the unweighted maximum."""
    return 0.5 * _weighted_mean(weights, tails) + 0.5 * _weighted_max(
        dict.fromkeys(weights, 1.0), tails)


#: Rules that do not combine their views by the weighted mean.
COMBINERS: dict[str, Callable] = {
    "max(e,i)": _weighted_max, "max(e,i,k)": _weighted_max, "max(0.3e,0.7i)": _weighted_max,
    "mean+max(e,i)": _mean_and_max,
}


def evaluate(folder: Path, rules: dict[str, Callable]) -> dict[str, dict[str, tuple]]:
    """ROC-AUC and AP of every rule on every table of ``folder``."""
    results: dict[str, dict[str, tuple]] = {}
    for path in sorted(folder.glob("*.npz")):
        with np.load(path) as data:
            views = [v for v in VIEWS if f"{v}_train" in data]
            train = {v: data[f"{v}_train"] for v in views}
            test = {v: data[f"{v}_test"] for v in views}
            y = data["y_test"]
        tails = {v: _tail(train[v], test[v]) for v in views}
        results[path.stem] = {}
        for name, rule in rules.items():
            weights = rule(train) if set(_needed(rule)) <= set(views) else None
            if weights is None:
                results[path.stem][name] = (float("nan"), float("nan"))
                continue
            score = COMBINERS.get(name, _weighted_mean)(weights, tails)
            results[path.stem][name] = (roc_auc_score(y, score),
                                        average_precision_score(y, score))
    return results


def main(argv: list[str] | None = None) -> int:
    """Print every rule's means on every folder given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--per-table", action="store_true")
    args = parser.parse_args(argv)
    for folder in args.folders:
        results = evaluate(folder, RULES)
        groups = {"all": list(results)}
        if any(name in results for name in ("6_cardio", "14_glass")):
            groups["A"] = [t for t in results if half_of(t) == "A"]
            groups["B"] = [t for t in results if half_of(t) == "B"]
        print(f"\n{folder}  ({len(results)} tables)")
        print(f"{'rule':<20}" + "".join(f"{'AUC ' + g:>9}{'AP ' + g:>9}" for g in groups))
        for name in RULES:
            line = f"{name:<20}"
            for tables in groups.values():
                line += "".join(f"{np.mean([results[t][name][i] for t in tables]):>9.4f}"
                                for i in (0, 1))
            print(line)
        if args.per_table:
            print(f"{'table':<20}" + "".join(f"{n[:9]:>10}" for n in RULES))
            for table, row in results.items():
                print(f"{table:<20}" + "".join(f"{row[n][0]:>10.4f}" for n in RULES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
