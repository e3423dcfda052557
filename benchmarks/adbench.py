"""Benchmark skae's outlier detector on the ADBench "Classical" datasets.

Follows the protocol of ``BENCHMARKS.md`` section 3 (ADBench's unsupervised setting) and
runs, side by side in one process, one run:

- ``skae``: :class:`skae.ReconstructionOutlierDetector` with library defaults
  (``random_state=0``, or ``--random-state``), anomaly score ``-score_samples``;
- ``skae-<ingredient>``: the same with one ingredient of the default design switched off
  (an ablation; see ``ABLATIONS``; skipped when the installed skae lacks the parameter);
- ``iforest``: :class:`sklearn.ensemble.IsolationForest`, the mean score of
  ``random_state`` 0, 1 and 2 (time: the three fits and scores);
- ``pca``: PCA reconstruction error with ``n_components`` = half the features, rounded up;
- ``mcd``: Mahalanobis distance under a ``MinCovDet`` fit (after PCA to 50 dimensions when
  the table is wider);
- ``knn``: distance to the 5th nearest training row;
- ``lof``: ``LocalOutlierFactor(n_neighbors=20, novelty=True)`` (scikit-learn's defaults);
- ``pyod_ae``: PyOD's ``AutoEncoder`` with its defaults (torch; ``verbose=0`` only hides its
  progress bar), only when ``pyod`` and ``torch`` are installed, else skipped with a note.
  It runs in a separate worker process, because torch and TensorFlow thread pools slow
  each other down badly in one process; its time is measured inside the worker.

Protocol, for every ``*.npz`` file (keys ``X``, ``y``; ``y == 1`` is an anomaly):

1. if the dataset has more than 10,000 rows, keep a stratified subsample of 10,000
   (``train_test_split(..., train_size=10000, stratify=y, random_state=0)``);
2. 70/30 stratified train/test split with ``random_state=0``;
3. ``StandardScaler`` fit on the train part, then ``np.nan_to_num``;
4. each detector is fit on the train part **without labels** (it contains anomalies) and
   scores the test part;
5. with ``--protocol novelty`` (ADBench's and DTE's semi-supervised setting), steps 2 and
   4 change: the train part is a random half of the normal rows (``random_state=0``) and
   holds no anomaly, the test part is the other half plus every anomaly; the skae
   detectors are told so (``normal_label=0``, all labels 0), as a user with clean rows is;
6. ROC-AUC and average precision of the anomaly score on the test part; the time reported
   is fit + score.

The 33 tables are split into two fixed halves, alternating by sorted name: half ``A``
(used to design the defaults) and half ``B`` (held out). Means are printed over all
datasets run and over each half, with the wins / ties / losses (ROC-AUC, a tie being a
difference of at most 0.005) of every skae variant against ``iforest``.

Usage
-----
From the repository root::

    python benchmarks/adbench.py                                   # everything
    python benchmarks/adbench.py --half A --detectors skae iforest # quick design loop
    python benchmarks/adbench.py --protocol novelty               # clean training rows
    python benchmarks/adbench.py --datasets 6_cardio 14_glass --markdown /tmp/ad.md
    python benchmarks/adbench.py --half A --csv a.csv  # in one shell ...
    python benchmarks/adbench.py --half B --csv b.csv  # ... and in another
    python benchmarks/adbench.py --from-csv a.csv b.csv --markdown results.md

Options: ``--data`` (default ``../shared/data/adbench`` relative to the repository
root), ``--protocol {contaminated,novelty}``, ``--half {A,B,all}``, ``--datasets``
(by name, with or without ``.npz``),
``--detectors`` (names above; ``skae-all`` selects every ablation), ``--random-state``
(of the skae detectors), ``--csv PATH`` (one row
per dataset and detector), ``--markdown PATH`` (the printed tables as Markdown),
``--from-csv PATHS`` (print the tables of saved rows, running nothing). The script exits
with a message when the data folder is absent.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import functools
import importlib.util
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.covariance import MinCovDet
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "adbench"
MAX_ROWS = 10_000
# The 33 tables of BENCHMARKS.md: the fixed halves are defined on these names.
HALF_NAMES = (
    "10_cover 11_donors 12_fault 14_glass 16_http 17_InternetAds 18_Ionosphere 19_landsat "
    "1_ALOI 20_letter 21_Lymphography 23_mammography 24_mnist 25_musk 26_optdigits "
    "27_PageBlocks 29_Pima 2_annthyroid 30_satellite 31_satimage-2 32_shuttle 33_skin "
    "34_smtp 38_thyroid 39_vertebral 40_vowels 41_Waveform 42_WBC 44_Wilt 45_wine "
    "6_cardio 7_Cardiotocography 8_celeba"
).split()

# A scorer takes (X_train, X_test) and returns (anomaly scores for X_test, higher = more
# anomalous; seconds spent in fit + score).
Scorer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]


PROTOCOLS = ("contaminated", "novelty")


def load_dataset(path: Path, protocol: str = "contaminated",
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load one ``.npz`` file and apply the protocol's sampling and scaling.

    Parameters
    ----------
    path : Path
        ``.npz`` file with keys ``X`` and ``y``.
    protocol : {"contaminated", "novelty"}
        ``"contaminated"``: a 70/30 stratified split, the train part keeping its
        anomalies. ``"novelty"``: the train part is a random half of the normal rows, the
        test part the other half plus every anomaly.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Scaled (``StandardScaler`` fit on the train part, then
        ``np.nan_to_num``) train and test parts and their labels.
    """
    with np.load(path) as data:
        X = np.asarray(data["X"], dtype=np.float64)
        y = np.asarray(data["y"]).astype(int).ravel()
    if len(X) > MAX_ROWS:
        X, _, y, _ = train_test_split(
            X, y, train_size=MAX_ROWS, stratify=y, random_state=0
        )
    if protocol == "novelty":
        normal = np.flatnonzero(y == 0)
        train = np.random.default_rng(0).choice(normal, len(normal) // 2, replace=False)
        test = np.setdiff1d(np.arange(len(y)), train)
        X_train, X_test, y_train, y_test = X[train], X[test], y[train], y[test]
    else:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
    scaler = StandardScaler().fit(X_train)
    X_train = np.nan_to_num(scaler.transform(X_train))
    X_test = np.nan_to_num(scaler.transform(X_test))
    return X_train, X_test, y_train, y_test


def _timed(fit_score: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Scorer:
    def score(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, float]:
        start = time.perf_counter()
        scores = fit_score(X_train, X_test)
        return scores, time.perf_counter() - start

    return score


#: The share of test rows the last skae detector's ``predict`` flagged (-1); read by _run.
_FLAGGED: dict[str, float] = {}


# Ingredients of the default design, each switched off in turn by these parameters.
ABLATIONS: dict[str, dict[str, object]] = {
    "no_ensemble": {"n_estimators": 1},  # one network on all the columns
    "no_bagging": {"max_features": 1.0},  # 8 members, all on every column
    "rank_combination": {"score_combination": "rank"},  # average ranks, not tail scores
    "no_isolation": {"isolation_weight": 0.0},  # score = the ensemble's reconstruction error
    "no_autoencoder": {"isolation_weight": 1.0},  # score = the isolation forest's alone
    "no_error_normalization": {"error_normalization": False},  # plain mean squared error
    "no_neighbours": {"neighbour_weight": 0.0},  # no kNN distance nor local outlier factor
    # the previous design: one network scored by its error
    "plain": {"n_estimators": 1, "isolation_weight": 0.0, "neighbour_weight": 0.0},
}


#: ``random_state`` of every skae detector (``--random-state``).
SKAE_RANDOM_STATE = 0
#: ``--protocol``: under ``"novelty"`` the skae detectors are told that their training rows
#: are normal, as a user who has such rows does (``normal_label=0``, all labels 0).
PROTOCOL = "contaminated"


def _skae_scorer(**overrides) -> Scorer:
    from skae import ReconstructionOutlierDetector  # lazy: may not exist yet

    params = ReconstructionOutlierDetector().get_params()
    unknown = set(overrides) - set(params)
    if unknown:
        raise ImportError(f"this skae has no parameter {', '.join(sorted(unknown))}")

    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        if PROTOCOL == "novelty":
            det = ReconstructionOutlierDetector(random_state=SKAE_RANDOM_STATE,
                                                normal_label=0, **overrides)
            det.fit(X_train, np.zeros(len(X_train), dtype=int))
        else:
            det = ReconstructionOutlierDetector(random_state=SKAE_RANDOM_STATE, **overrides)
            det.fit(X_train)
        scores = -np.asarray(det.score_samples(X_test), dtype=np.float64)
        _FLAGGED["share"] = float(np.mean(scores > -det.offset_))  # predict's rule
        return scores

    return _timed(fit_score)


def _iforest_scorer() -> Scorer:
    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        scores = [IsolationForest(random_state=seed).fit(X_train).score_samples(X_test)
                  for seed in (0, 1, 2)]
        return -np.mean(scores, axis=0)

    return _timed(fit_score)


def _pca_scorer() -> Scorer:
    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        # half the features, rounded up (as in the BENCHMARKS.md reference figures)
        n_components = max(1, (X_train.shape[1] + 1) // 2)
        pca = PCA(n_components=n_components, random_state=0).fit(X_train)
        recon = pca.inverse_transform(pca.transform(X_test))
        return np.sum((X_test - recon) ** 2, axis=1)

    return _timed(fit_score)


def _mcd_scorer() -> Scorer:
    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        if X_train.shape[1] > 50:
            pca = PCA(n_components=50, random_state=0).fit(X_train)
            X_train, X_test = pca.transform(X_train), pca.transform(X_test)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # singular covariance warnings on binary tables
            mcd = MinCovDet(random_state=0).fit(X_train)
        return mcd.mahalanobis(X_test)

    return _timed(fit_score)


def _knn_scorer() -> Scorer:
    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        nn = NearestNeighbors(n_neighbors=5).fit(X_train)
        return nn.kneighbors(X_test)[0][:, -1]

    return _timed(fit_score)


def _lof_scorer() -> Scorer:
    def fit_score(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        lof = LocalOutlierFactor(n_neighbors=20, novelty=True).fit(X_train)
        return -lof.score_samples(X_test)

    return _timed(fit_score)


def _pyod_worker_init() -> None:
    import torch  # noqa: F401
    from pyod.models.auto_encoder import AutoEncoder  # noqa: F401


def _pyod_fit_score(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, float]:
    """Fit PyOD's AutoEncoder (defaults) and score; runs in the worker process."""
    from pyod.models.auto_encoder import AutoEncoder

    start = time.perf_counter()
    det = AutoEncoder(verbose=0)  # verbose=0 only silences the progress bar
    det.fit(X_train)
    scores = np.asarray(det.decision_function(X_test), dtype=np.float64)
    return scores, time.perf_counter() - start


def _pyod_ae_scorer() -> Scorer:
    # torch's and TensorFlow's thread pools slow each other down badly when they share a
    # process (observed: 50x on 2 cores), so PyOD runs in its own worker process; the time
    # reported is measured inside the worker, around fit + score only.
    for module in ("torch", "pyod"):
        if importlib.util.find_spec(module) is None:
            raise ImportError(f"{module} is not installed")
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_pyod_worker_init)
    atexit.register(pool.shutdown)
    pool.submit(_pyod_worker_init).result()  # fail early if the imports fail

    def score(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, float]:
        return pool.submit(_pyod_fit_score, X_train, X_test).result()

    return score


FACTORIES: dict[str, Callable[[], Scorer]] = {
    "skae": _skae_scorer,
    **{f"skae-{name}": functools.partial(_skae_scorer, **overrides)
       for name, overrides in ABLATIONS.items()},
    "iforest": _iforest_scorer,
    "pca": _pca_scorer,
    "mcd": _mcd_scorer,
    "knn": _knn_scorer,
    "lof": _lof_scorer,
    "pyod_ae": _pyod_ae_scorer,
}
ALL_DETECTORS = tuple(FACTORIES)


def build_scorers(names: list[str]) -> dict[str, Scorer]:
    """Import the requested detectors, skipping (with a note) those that fail.

    Parameters
    ----------
    names : list of str
        Detector names, a subset of ``ALL_DETECTORS``.

    Returns
    -------
    dict
        Detector name -> scorer, in the requested order.
    """
    scorers: dict[str, Scorer] = {}
    for name in names:
        try:
            scorers[name] = FACTORIES[name]()
        except Exception as exc:  # ImportError, or a broken optional install
            print(f"note: skipping {name!r}: cannot import it ({type(exc).__name__}: {exc})")
    return scorers


def _dataset_key(path: Path) -> tuple[int, str]:
    prefix = path.stem.split("_", 1)[0]
    return (int(prefix) if prefix.isdigit() else 10**9, path.stem)


def find_datasets(data_dir: Path, names: list[str] | None) -> list[Path]:
    """List the ``.npz`` files to run, in ADBench order.

    Parameters
    ----------
    data_dir : Path
        Folder holding the ``.npz`` files.
    names : list of str or None
        Dataset names (with or without ``.npz``); ``None`` means all.

    Returns
    -------
    list of Path
    """
    paths = sorted(data_dir.glob("*.npz"), key=_dataset_key)
    if names is None:
        return paths
    wanted = {n.removesuffix(".npz") for n in names}
    missing = wanted - {p.stem for p in paths}
    if missing:
        print(f"note: datasets not found in {data_dir}: {', '.join(sorted(missing))}")
    return [p for p in paths if p.stem in wanted]


def select_half(paths: list[Path], half: str) -> list[Path]:
    """Keep one of the two fixed halves of the datasets.

    The datasets sorted by name (plain string order) alternate between half ``"A"``
    (1st, 3rd, ...: used to design) and half ``"B"`` (2nd, 4th, ...: held out); ``"all"``
    keeps every dataset. The halves do not depend on which datasets were requested.

    Parameters
    ----------
    paths : list of Path
        Dataset files.
    half : {"A", "B", "all"}
        Which half to keep.

    Returns
    -------
    list of Path
    """
    if half == "all":
        return paths
    return [p for p in paths if half_of(p.stem) == half]


def half_of(name: str, names: list[str] | None = None) -> str:
    """``"A"`` or ``"B"``: the half of the 33 ADBench tables that dataset ``name`` is in."""
    names = sorted(names or HALF_NAMES)
    if name not in names:
        return "B"  # a table outside the 33 counts as held out
    return "AB"[names.index(name) % 2]


TIE = 0.005  # ROC-AUC differences up to this are ties


def _run(paths: list[Path], scorers: dict[str, Scorer],
         protocol: str = "contaminated") -> list[dict[str, object]]:
    """Run every scorer on every dataset, printing one ROC-AUC line per dataset."""
    names = list(scorers)
    header = f"{'dataset':<20}{'half':>5}{'rows':>7}{'d':>6}" + "".join(
        f"{name[:13]:>14}" for name in names)
    print("ROC-AUC (time in the tables below)")
    print(header)
    rows: list[dict[str, object]] = []
    for path in paths:
        X_train, X_test, _, y_test = load_dataset(path, protocol)
        n_rows = len(X_train) + len(X_test)
        half = half_of(path.stem)
        line = f"{path.stem:<20}{half:>5}{n_rows:>7}{X_train.shape[1]:>6}"
        for name in names:
            _FLAGGED.clear()
            scores, elapsed = scorers[name](X_train, X_test)
            scores = np.nan_to_num(np.asarray(scores, dtype=np.float64).ravel())
            auc = roc_auc_score(y_test, scores)
            rows.append({"dataset": path.stem, "half": half, "protocol": protocol, "rows": n_rows,
                         "features": X_train.shape[1], "detector": name, "roc_auc": auc,
                         "ap": average_precision_score(y_test, scores), "time_s": elapsed,
                         "anomaly_share": float(np.mean(y_test)),
                         "flagged_share": _FLAGGED.get("share", float("nan"))})
            line += f"{auc:>14.4f}"
        print(line, flush=True)
    return rows


def _table(rows, names, datasets, key: str, fmt: str) -> list[str]:
    """A Markdown table: one line per dataset, one column per detector."""
    value = {(r["dataset"], r["detector"]): r[key] for r in rows}
    lines = ["| dataset | half | " + " | ".join(names) + " |",
             "|---|---|" + "---:|" * len(names)]
    for ds, half in datasets:
        cells = " | ".join(format(value[ds, n], fmt) for n in names)
        lines.append(f"| {ds} | {half} | {cells} |")
    return lines


def _flagging_detectors(rows, names) -> list[str]:
    """The detectors whose rows carry the share of test rows their ``predict`` flagged."""
    return [n for n in names if any(np.isfinite(float(r.get("flagged_share", "nan")))
                                    for r in rows if r["detector"] == n)]


def _flag_table(rows, names, datasets, truth) -> list[str]:
    """The flagged share of each skae detector per dataset, beside the true anomaly share."""
    value = {(r["dataset"], r["detector"]): float(r["flagged_share"]) for r in rows}
    lines = ["| dataset | half | " + " | ".join(names) + " | anomalies |",
             "|---|---|" + "---:|" * (len(names) + 1)]
    for ds, half in datasets:
        cells = " | ".join(f"{value[ds, n]:.3f}" for n in names)
        lines.append(f"| {ds} | {half} | {cells} | {truth[ds]:.3f} |")
    return lines


def _summary(rows, names) -> list[str]:
    """Means overall and per half, total time, and wins/ties/losses against iforest."""
    groups = {"all": None, "A": "A", "B": "B"}
    lines = ["| detector | " + " | ".join(
        f"ROC-AUC {g} | AP {g}" for g in groups) + " | total time (s) |",
        "|---|" + "---:|" * (2 * len(groups) + 1)]
    for name in names:
        cells = []
        for half in groups.values():
            mine = [r for r in rows if r["detector"] == name and half in (None, r["half"])]
            cells += [f"{np.mean([r['roc_auc'] for r in mine]):.4f}" if mine else "-",
                      f"{np.mean([r['ap'] for r in mine]):.4f}" if mine else "-"]
        total = sum(r["time_s"] for r in rows if r["detector"] == name)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {total:.1f} |")
    if "iforest" in names:
        ref = {r["dataset"]: r["roc_auc"] for r in rows if r["detector"] == "iforest"}
        lines += ["", f"Wins / ties / losses against iforest (ROC-AUC, tie: within {TIE}):", ""]
        for name in (n for n in names if n.startswith("skae")):
            counts = {}
            for half in groups.values():
                diffs = [r["roc_auc"] - ref[r["dataset"]] for r in rows
                         if r["detector"] == name and half in (None, r["half"])]
                counts[half] = (sum(d > TIE for d in diffs), sum(abs(d) <= TIE for d in diffs),
                                sum(d < -TIE for d in diffs))
            lines.append(f"- {name}: " + ", ".join(
                f"{g} {w}/{t}/{lo}" for g, (w, t, lo) in zip(groups, counts.values(), strict=True)))
    flagged = _flagging_detectors(rows, names)
    if flagged:
        lines += ["", "Share of the test rows flagged by `predict` against their true share of "
                      "anomalies (means over the tables; |gap|: mean absolute difference):", ""]
        for name in flagged:
            mine = [r for r in rows if r["detector"] == name]
            share = np.array([float(r["flagged_share"]) for r in mine])
            truth = np.array([float(r["anomaly_share"]) for r in mine])
            lines.append(f"- {name}: flagged {share.mean():.1%}, anomalies {truth.mean():.1%}, "
                         f"|gap| {np.abs(share - truth).mean():.1%}, tables flagging more "
                         f"than twice their anomalies {int(np.sum(share > 2 * truth))}/{len(mine)}")
    if "skae" in names and "pyod_ae" in names:
        tot = {n: sum(r["time_s"] for r in rows if r["detector"] == n) for n in names}
        if tot["pyod_ae"] > 0:
            lines.append(f"\nTime ratio skae / pyod_ae: {tot['skae'] / tot['pyod_ae']:.3f}")
    return lines


def _report(rows, names, markdown: Path | None) -> None:
    """Print the means; with ``markdown``, write them and the per-dataset tables there."""
    datasets = list(dict.fromkeys((r["dataset"], r["half"]) for r in rows))
    summary = _summary(rows, names)
    report = [f"## Means over {len(datasets)} datasets (half A: design, half B: held out)",
              "", *summary, "",
              "## ROC-AUC", "", *_table(rows, names, datasets, "roc_auc", ".4f"), "",
              "## Average precision", "", *_table(rows, names, datasets, "ap", ".4f"), "",
              "## Fit + score time (s)", "", *_table(rows, names, datasets, "time_s", ".2f")]
    flagged = _flagging_detectors(rows, names)
    if flagged:
        truth = {r["dataset"]: float(r["anomaly_share"]) for r in rows}
        report += ["", "## Share of test rows flagged by predict (last column: true share)", "",
                   *_flag_table(rows, flagged, datasets, truth)]
    print()
    print("\n".join(report[:len(summary) + 3]))
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text("\n".join(report) + "\n")
        print(f"tables saved to {markdown}")


def _read_rows(paths: list[Path]) -> list[dict[str, object]]:
    rows = []
    for path in paths:
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                for key in ("roc_auc", "ap", "time_s"):
                    row[key] = float(row[key])
                rows.append(row)
    return sorted(rows, key=lambda r: _dataset_key(Path(r["dataset"])))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", "--data-dir", dest="data", type=Path,
                        default=DEFAULT_DATA_DIR,
                        help=f"folder of ADBench .npz files (default: {DEFAULT_DATA_DIR})")
    parser.add_argument("--random-state", type=int, default=0,
                        help="random_state of the skae detectors (default 0)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="contaminated",
                        help="contaminated: train on 70 %% of the rows, anomalies "
                             "included (default); novelty: train on half the normal rows")
    parser.add_argument("--half", choices=("A", "B", "all"), default="all",
                        help="run one fixed half of the datasets only")
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="subset of datasets by name, e.g. 6_cardio 14_glass")
    parser.add_argument("--detectors", nargs="+", default=list(ALL_DETECTORS),
                        choices=(*ALL_DETECTORS, "skae-all"), help="subset of detectors")
    parser.add_argument("--csv", type=Path, default=None, help="save per-dataset rows here")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="save the tables as Markdown here")
    parser.add_argument("--from-csv", type=Path, nargs="+", default=None,
                        help="run nothing: print the tables of rows saved with --csv "
                             "(e.g. the two halves run as separate processes)")
    args = parser.parse_args(argv)
    global SKAE_RANDOM_STATE, PROTOCOL
    SKAE_RANDOM_STATE, PROTOCOL = args.random_state, args.protocol
    if args.from_csv is not None:
        rows = _read_rows(args.from_csv)
        _report(rows, list(dict.fromkeys(r["detector"] for r in rows)), args.markdown)
        return 0

    if not args.data.is_dir():
        print(f"ADBench data folder not found: {args.data}\n"
              "Pass --data pointing to a folder of ADBench 'Classical' .npz files.")
        return 0
    paths = select_half(find_datasets(args.data, args.datasets), args.half)
    if not paths:
        print(f"No .npz datasets to run in {args.data}.")
        return 0
    wanted = []
    for name in args.detectors:
        wanted += [n for n in ALL_DETECTORS if n.startswith("skae-")] if name == "skae-all" \
            else [name]
    scorers = build_scorers(list(dict.fromkeys(wanted)))
    if not scorers:
        print("No detector could be imported; nothing to run.")
        return 1
    names = list(scorers)
    print(f"protocol: {args.protocol}")
    rows = _run(paths, scorers, args.protocol)
    _report(rows, names, args.markdown)
    if args.csv is not None:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"rows saved to {args.csv}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
