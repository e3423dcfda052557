"""Inference and training speed of skae against raw Keras on the same network (issue 5).

Prints, in one run (absolute times drift on shared machines: read the ratios):

1. single-row latency (median, p99) of every inference method, against ``Model.predict``,
   ``Model.predict_on_batch`` and a direct model call on the same network, with the cost of
   input validation (``validate_data``) and of the bare forward pass;
2. throughput on 10^4, 10^5 and 10^6 rows x 100 features against ``Model.predict`` with a
   large batch, and the peak extra memory of the largest (tracemalloc and RSS);
3. fit time against raw Keras ``Model.fit`` on the same architecture, epochs, batch size;
4. time and RSS over many consecutive fits of a tiny model in one process.

Usage::

    python benchmarks/speed.py            # full run (~20 min on a loaded 2-core machine)
    python benchmarks/speed.py --quick    # smaller sizes, fewer repeats and fits
    python benchmarks/speed.py --only compare --base /tmp/old   # vs another checkout
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import sys
import threading
import time
import tracemalloc
import warnings
from functools import partial

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skae import (  # noqa: E402
    AutoencoderTransformer,
    DenoisingAutoencoder,
    ReconstructionOutlierDetector,
)
from skae._inference import chunk_rows  # noqa: E402

N_FEATURES = 100


# ---------------------------------------------------------------------------- helpers
def _times(fn, repeats: int, warmup: int = 3) -> np.ndarray:
    for _ in range(warmup):
        fn()
    out = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - start
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakRSS:
    """Highest RSS seen (sampled every millisecond) while the block runs, minus the start."""

    def __enter__(self):
        gc.collect()
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())
        self.delta = self.peak - self.start


def _traced_peak_mb(fn) -> float:
    """Peak bytes allocated through Python/numpy while ``fn`` runs (tracemalloc), in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / 2**20


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f}"


def _header(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 86 - len(title)))


# ---------------------------------------------------------------------------- 1. latency
def _widths(model: keras.Model) -> str:
    """``in-h1-...-out`` widths of a dense autoencoder."""
    widths = [int(model.inputs[0].shape[-1])]
    for sub in model.layers:
        for layer in getattr(sub, "layers", []):
            if isinstance(layer, keras.layers.Dense):
                widths.append(int(layer.units))
    return "-".join(map(str, widths))


def _latency_of(name, est, methods, row, n, n_predict) -> tuple[float, float]:
    """Print one estimator's latency table; its slowest median and smallest speed-up."""
    model = est.model_
    row32 = row.astype(np.float32)
    print(f"-- {name}: Dense {_widths(model)}, engine {est._passes.engines['reconstruct']}")
    rows = {
        "Model.predict": _times(lambda m=model: m.predict(row32, verbose=0), n_predict),
        "Model.predict_on_batch": _times(lambda m=model: m.predict_on_batch(row32), n),
        "model(x) direct call": _times(lambda m=model: m(row32, training=False), n),
        "  validate_data (check_is_fitted + validate_data)": _times(
            lambda e=est: e._validated(row), n
        ),
        "  forward pass alone": _times(lambda e=est: e._passes.reconstruct(row), n),
    }
    skae_rows = {f"{name}.{m}": _times(fn, n) for m, fn in methods.items()}
    predict_med = np.median(rows["Model.predict"])
    pob_med = np.median(rows["Model.predict_on_batch"])
    for label, ts in {**rows, **skae_rows}.items():
        med = np.median(ts)
        print(f"{label:52s} {_us(med)} {_us(np.percentile(ts, 99))} "
              f"{predict_med / med:12.1f}x {pob_med / med:10.1f}x")
    medians = [float(np.median(ts)) for ts in skae_rows.values()]
    validation = np.median(rows["  validate_data (check_is_fitted + validate_data)"])
    print(f"   (validation is {validation / medians[0]:.0%} of {next(iter(skae_rows))}'s median)")
    return max(medians), predict_med / max(medians)


def latency(quick: bool) -> None:
    _header("1. single-row latency (microseconds; baselines on each estimator's own network)")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, N_FEATURES))
    common = {"epochs": 2, "random_state": 0}
    estimators = {
        "detector": ReconstructionOutlierDetector(**common).fit(X),
        "transformer": AutoencoderTransformer(**common).fit(X),
        "denoiser": DenoisingAutoencoder(**common).fit(X),
    }
    row = X[:1].copy()
    code = estimators["transformer"].transform(row)
    n = 300 if quick else 1000
    n_predict = 20 if quick else 50
    det, ae, dae = estimators.values()
    methods = {
        "detector": {
            "score_samples": lambda: det.score_samples(row),
            "decision_function": lambda: det.decision_function(row),
            "predict": lambda: det.predict(row),
        },
        "transformer": {
            "transform": lambda: ae.transform(row),
            "inverse_transform": lambda: ae.inverse_transform(code),
        },
        "denoiser": {"predict": lambda: dae.predict(row)},
    }
    print(f"{n} calls per method ({n_predict} for Model.predict), one float64 row of "
          f"{N_FEATURES} features")
    print(f"{'call':52s} {'median':>9s} {'p99':>9s} {'x vs predict':>13s} {'x vs p_o_b':>11s}")
    worst, worst_ratio = 0.0, np.inf
    for name, est in estimators.items():
        slowest, ratio = _latency_of(name, est, methods[name], row, n, n_predict)
        worst, worst_ratio = max(worst, slowest), min(worst_ratio, ratio)
    print(f"slowest skae method: median {worst * 1e6:.1f} us (target <= 1000 us: "
          f"{'met' if worst <= 1e-3 else 'MISSED'}); smallest speed-up over Model.predict: "
          f"{worst_ratio:.0f}x (target >= 20x: {'met' if worst_ratio >= 20 else 'MISSED'})")


# ---------------------------------------------------------------------------- 2. throughput
def throughput(quick: bool) -> None:
    _header("2. throughput, rows x 100 features (rows per second)")
    rng = np.random.default_rng(1)
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    X_all = rng.standard_normal((sizes[-1], N_FEATURES))
    det = ReconstructionOutlierDetector(epochs=2, random_state=0).fit(X_all[:5000])
    model = det.model_
    print(f"detector network Dense {_widths(model)}; baseline Model.predict(batch_size=8192) "
          "on float32 (its own dtype). skae: score_samples (validation, scaling, network, "
          "errors) on float64 input and float32 input (large chunks in the network's float32), "
          "reconstruct on float64; reconstruction_error on float64 (the fused error engine: "
          "the score of isolation_weight=0, without the isolation forest). Calls "
          "interleaved; best and median of the repeats.")
    print(f"{'rows':>9s} {'':6s} {'Model.predict':>14s} {'score_samples f64':>18s} "
          f"{'ratio':>6s} {'score_samples f32':>18s} {'ratio':>6s} {'reconstruct f64':>16s} "
          f"{'ratio':>6s} {'error f64':>10s} {'ratio':>6s}")
    for n in sizes:
        X = X_all[:n]
        X32 = X.astype(np.float32)
        repeats = 3 if n >= 1_000_000 else (3 if quick else 7)
        calls = {
            "keras": partial(model.predict, X32, batch_size=8192, verbose=0),
            "f64": partial(det.score_samples, X),
            "f32": partial(det.score_samples, X32),
            "rec": partial(det.reconstruct, X),
            "err": partial(det.reconstruction_error, X),
        }
        timings = {key: [] for key in calls}
        for fn in calls.values():  # warm-up
            fn()
        for _ in range(repeats):
            for key, fn in calls.items():
                start = time.perf_counter()
                fn()
                timings[key].append(time.perf_counter() - start)
        for label, agg in (("best", np.min), ("median", np.median)):
            t = {key: float(agg(v)) for key, v in timings.items()}
            print(f"{n:9d} {label:6s} {n / t['keras']:14,.0f} {n / t['f64']:18,.0f} "
                  f"{t['keras'] / t['f64']:5.2f}x {n / t['f32']:18,.0f} "
                  f"{t['keras'] / t['f32']:5.2f}x {n / t['rec']:16,.0f} "
                  f"{t['keras'] / t['rec']:5.2f}x {n / t['err']:10,.0f} "
                  f"{t['keras'] / t['err']:5.2f}x")
        del calls, X32
    print("ratio = skae throughput / Model.predict throughput (>= 1 means no worse)")

    _extra_memory(det, X_all[: sizes[-1]])


def _extra_memory(det, X) -> None:
    """Print the peak extra memory of score_samples on X, against Model.predict."""
    n = len(X)
    model = det.model_
    X32 = X.astype(np.float32)
    rows = chunk_rows(n, det._passes.row_bytes + 16 * N_FEATURES)
    print(f"\npeak extra memory on {n:,} rows (input {X.nbytes / 2**20:.0f} MiB float64; "
          f"skae works in chunks of {rows} rows):")
    out_mb = n * 8 / 2**20
    traced = _traced_peak_mb(lambda: det.score_samples(X))
    print(f"  score_samples, tracemalloc peak: {traced:8.1f} MiB "
          f"(of which the result itself: {out_mb:.1f} MiB)")
    with _PeakRSS() as skae_rss:
        det.score_samples(X)
    with _PeakRSS() as keras_rss:
        model.predict(X32, batch_size=8192, verbose=0)
    print(f"  score_samples, peak RSS increase: {skae_rss.delta:8.1f} MiB")
    print(f"  Model.predict(batch_size=8192), peak RSS increase: {keras_rss.delta:8.1f} MiB "
          f"(its output alone: {n * N_FEATURES * 4 / 2**20:.0f} MiB)")
    half = X[: n // 10]
    traced_part = _traced_peak_mb(lambda: det.score_samples(half))
    print(f"  score_samples, tracemalloc peak on {n // 10:,} rows: {traced_part:.1f} MiB "
          f"(result {out_mb / 10:.1f} MiB): the extra memory does not grow with n_samples")


def _load_package(path: str, name: str = "skae_base"):
    """Import the ``skae`` package found at ``path`` (another checkout) under ``name``."""
    init = os.path.join(path, "skae", "__init__.py")
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[os.path.dirname(init)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _fitted_pair(package, X) -> tuple:
    """A detector and a transformer of ``package`` fitted on X, as the other sections."""
    det = package.ReconstructionOutlierDetector(epochs=2, random_state=0).fit(X)
    ae = package.AutoencoderTransformer(epochs=2, random_state=0).fit(X)
    return det, ae


_COMPARED = ("score f64", "score f32", "reconstruct f64", "reconstruct f32", "transform f64",
             "transform f32")


def _compared_calls(det, ae, X, X32) -> dict:
    return {
        "score f64": partial(det.score_samples, X),
        "score f32": partial(det.score_samples, X32),
        "reconstruct f64": partial(det.reconstruct, X),
        "reconstruct f32": partial(det.reconstruct, X32),
        "transform f64": partial(ae.transform, X),
        "transform f32": partial(ae.transform, X32),
    }


def compare(base_path: str, quick: bool, sizes: list[int] | None = None) -> None:
    """Throughput of this checkout and of the one at ``base_path``, interleaved.

    Every repeat times ``Model.predict`` and then each method on both checkouts, one
    right after the other (which goes first alternates), and keeps the ratio of each to
    the ``Model.predict`` of the same repeat: the load of a shared machine moves all of a
    repeat's figures together, so medians of these ratios are steadier than ratios of
    medians.
    """
    _header(f"2b. throughput ratios vs Model.predict, this checkout vs {base_path}")
    rng = np.random.default_rng(1)
    if sizes is None:
        sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    X_all = rng.standard_normal((sizes[-1], N_FEATURES))
    versions = {"base": _fitted_pair(_load_package(base_path), X_all[:5000]),
                "new": _fitted_pair(sys.modules["skae"], X_all[:5000])}
    model = versions["new"][0].model_
    print(f"detector/transformer networks Dense {_widths(model)}; Model.predict(batch_size="
          "8192) on float32; cells: median over repeats of t(Model.predict) / t(method) "
          "timed in the same repeat (>= 1: no slower than Model.predict)")
    print(f"{'rows':>9s} {'method':16s} {'base':>7s} {'new':>7s} {'new/base':>9s}")
    for n in sizes:
        X, X32 = X_all[:n], X_all[:n].astype(np.float32)
        calls = {v: _compared_calls(*pair, X, X32) for v, pair in versions.items()}
        keras_call = partial(model.predict, X32, batch_size=8192, verbose=0)
        repeats = 3 if n >= 1_000_000 else (3 if quick else 7)
        ratios = {(v, m): [] for v in calls for m in _COMPARED}
        for r in range(repeats + 1):  # the first round warms up
            start = time.perf_counter()
            keras_call()
            t_keras = time.perf_counter() - start
            for method in _COMPARED:
                for v in (("base", "new") if r % 2 else ("new", "base")):
                    start = time.perf_counter()
                    calls[v][method]()
                    if r:
                        ratios[v, method].append(t_keras / (time.perf_counter() - start))
        for method in _COMPARED:
            b, w = (float(np.median(ratios[v, method])) for v in ("base", "new"))
            print(f"{n:9d} {method:16s} {b:6.2f}x {w:6.2f}x {w / b:8.2f}x", flush=True)
        del calls, X32


# ---------------------------------------------------------------------------- 3. fit
def _raw_dense_autoencoder(n_in, hidden, n_components, seed) -> keras.Model:
    """The dense architecture skae builds (relu hidden layers, linear code and output),
    written in plain Keras."""
    init = keras.initializers.GlorotUniform(seed=seed)
    widths = [*hidden, n_components, *reversed(hidden)]
    activations = ["relu"] * len(hidden) + ["linear"] + ["relu"] * len(hidden)
    inputs = keras.Input((n_in,))
    x = inputs
    for width, activation in zip(widths, activations, strict=True):
        x = keras.layers.Dense(width, activation=activation, kernel_initializer=init)(x)
    return keras.Model(inputs, keras.layers.Dense(n_in, kernel_initializer=init)(x))


def _raw_keras_fit(X32, hidden, n_components, epochs, batch_size, seed, build=True):
    model = _raw_dense_autoencoder(X32.shape[1], hidden, n_components, seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    start = time.perf_counter()
    model.fit(X32, X32, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return time.perf_counter() - start


def fit_overhead(quick: bool) -> None:
    _header("3. fit time: skae fit vs raw Keras Model.fit on the same network")
    rng = np.random.default_rng(2)
    cases = [
        ("5000 x 100, default net, 10 epochs, batch 128", 5000, 100, (100, 50), 10, 10, 128),
        ("1000 x 20, default net, 10 epochs, batch 128", 1000, 20, (20, 10), 5, 10, 128),
    ]
    repeats = 2 if quick else 3
    print(f"{'case':48s} {'keras build+fit':>15s} {'keras fit':>10s} {'skae fit':>9s} "
          f"{'skae/keras':>10s}")
    for name, n, d, hidden, k, epochs, bs in cases:
        X = rng.standard_normal((n, d))
        X32 = X.astype(np.float32)
        raw_total, raw_fit, skae_fit = [], [], []
        for r in range(repeats):
            start = time.perf_counter()
            raw_fit.append(_raw_keras_fit(X32, hidden, k, epochs, bs, seed=r))
            raw_total.append(time.perf_counter() - start)
            est = AutoencoderTransformer(
                hidden_layer_sizes=hidden, n_components=k, epochs=epochs, batch_size=bs,
                early_stopping=False, random_state=r,
            )
            start = time.perf_counter()
            est.fit(X)
            skae_fit.append(time.perf_counter() - start)
        total, fit, ours = np.median(raw_total), np.median(raw_fit), np.median(skae_fit)
        print(f"{name:48s} {total:14.2f}s {fit:9.2f}s {ours:8.2f}s {ours / total:9.2f}x"
              f"   (vs Model.fit alone: {ours / fit:.2f}x)")
    print("skae/keras = skae fit (validation, build, compile, train, threshold) / raw Keras "
          "build + compile + Model.fit; target <= 1.10x")


# ---------------------------------------------------------------------------- 4. many fits
def many_fits(quick: bool) -> None:
    n_fits = 200 if quick else 1000
    _header(f"4. {n_fits} consecutive fits of a tiny model in one process")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 5))
    checkpoints = sorted({1, 10, 50, *range(100, n_fits + 1, 100)})
    times = []
    print(f"AutoencoderTransformer(hidden_layer_sizes=(4,), n_components=2, epochs=2, "
          f"batch_size=16) on {X.shape}")
    print(f"{'fit #':>6s} {'mean time of the last 10':>25s} {'RSS MiB':>9s} "
          f"{'gc objects':>11s}")
    rss = {}
    for i in range(1, n_fits + 1):
        est = AutoencoderTransformer(
            hidden_layer_sizes=(4,), n_components=2, epochs=2, batch_size=16,
            early_stopping=False, random_state=i,
        )
        start = time.perf_counter()
        est.fit(X)
        est.score_samples(X)
        times.append(time.perf_counter() - start)
        del est
        if i in checkpoints:
            gc.collect()
            rss[i] = _rss_mb()
            print(f"{i:6d} {np.mean(times[-10:]) * 1e3:22.1f} ms {rss[i]:9.1f} "
                  f"{len(gc.get_objects()):11d}")
    window = min(100, n_fits // 4)
    early = np.median(times[1 : 1 + window])
    late = np.median(times[-window:])
    first = checkpoints[2] if len(checkpoints) > 2 else 1
    per_fit_kb = (rss[n_fits] - rss[first]) * 1024 / (n_fits - first)
    print(f"median fit time, fits 2-{1 + window}: {early * 1e3:.1f} ms; last {window}: "
          f"{late * 1e3:.1f} ms; ratio late/early {late / early:.2f}")
    print(f"RSS growth from fit {first} to fit {n_fits}: {rss[n_fits] - rss[first]:.1f} MiB "
          f"({per_fit_kb:.1f} KiB per fit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument(
        "--only", choices=["latency", "throughput", "fit", "many", "compare"], default=None,
        help="run one section only",
    )
    parser.add_argument(
        "--base", default=None, metavar="PATH",
        help="also compare throughput with the skae package of another checkout at PATH, "
        "interleaved in this process (e.g. a git worktree of an older commit)",
    )
    parser.add_argument(
        "--rows", type=int, nargs="+", default=None,
        help="numbers of rows compared with --base (default: 10^4, 10^5, 10^6)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    sections = {"latency": latency, "throughput": throughput, "fit": fit_overhead,
                "many": many_fits}
    for name, section in sections.items():
        if args.only in (None, name):
            section(args.quick)
    if args.base is not None:
        compare(args.base, args.quick, args.rows)


if __name__ == "__main__":
    main()
