"""Scaling out with Dask: distributed search, scoring from Dask arrays, out-of-core fit.

Prints, in one run (absolute times drift on shared machines: read the ratios):

1. **grid**: ``GridSearchCV`` of 8 candidates x 3 folds of the detector, serial
   (``n_jobs=1``) vs ``n_jobs=-1`` under ``joblib.parallel_backend("dask")`` on a
   2-worker ``LocalCluster`` (processes, one thread each), as a time ratio;
2. **score**: ``score_samples`` on 10^7 rows x 20 float32 features held in memory as
   NumPy vs the same rows as a Dask array generated block by block (threaded scheduler):
   rows per second (ratio) and peak RSS above the baseline of each process;
3. **ooc**: a Parquet file of 2 x 10^7 rows x 20 float32 columns (1.6 GB, 1% planted
   subtle planted outliers) written to a temporary directory, then an out-of-core ``fit`` of
   ``dask.dataframe.read_parquet(path)``: peak RSS above the interpreter's baseline
   (goal: < 1 GiB) and ROC-AUC on a labelled test set, against an in-memory fit of a
   10^6-row sample with the same number of gradient steps (goal: within 0.01).

Each scoring and fitting measurement runs in a fresh child process, so its peak RSS is its
own (the kernel's high-water mark, reset once the process is warm).

Usage::

    python benchmarks/scale.py --quick           # small sizes (a few minutes)
    python benchmarks/scale.py                   # the sizes above (~15-30 min, 4 GB disk)
    python benchmarks/scale.py --sections score --score-rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

N_FEATURES = 20
LATENT = 3
GIB = 1024**3


# ---------------------------------------------------------------------------- data
def _mixing() -> np.ndarray:
    return np.random.default_rng(12345).normal(size=(LATENT, N_FEATURES))


def make_rows(n: int, seed: int, outlier_fraction: float = 0.01):
    """Rows near a 3-D subspace of R^20 with planted outliers; float32, and 1 = outlier."""
    rng = np.random.default_rng(seed)
    X = np.tanh(rng.normal(size=(n, LATENT))) @ _mixing()
    X += 0.1 * rng.normal(size=X.shape)
    y = rng.uniform(size=n) < outlier_fraction
    # subtle outliers: twice the off-subspace noise variance of the other rows (far-out
    # rows would give every fit a ROC-AUC of 1.0 and compare nothing)
    X[y] += 0.1 * rng.normal(size=(int(y.sum()), N_FEATURES))
    return X.astype(np.float32), y.astype(np.int8)


def write_parquet(path: str, n_rows: int, row_group: int) -> None:
    """Write ``n_rows`` rows in row groups, never holding more than one in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [f"f{i}" for i in range(N_FEATURES)]
    writer = None
    for i, start in enumerate(range(0, n_rows, row_group)):
        X, _ = make_rows(min(row_group, n_rows - start), seed=1000 + i)
        table = pa.Table.from_arrays([pa.array(X[:, j]) for j in range(N_FEATURES)], names)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=row_group)
    writer.close()


# ---------------------------------------------------------------------------- memory
def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak() -> int:
    """Reset the kernel's peak-RSS mark (Linux); return the current RSS as the baseline."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # not Linux: the peak then includes everything before
        pass
    return _rss()


def _peak() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------------------- children
def _detector(**params):
    from skae import ReconstructionOutlierDetector

    return ReconstructionOutlierDetector(random_state=0, **params)


def child_score(kind: str, n_rows: int, chunk: int) -> dict:
    det = _detector(epochs=5).fit(make_rows(50_000, seed=1)[0])
    det.score_samples(make_rows(10, seed=2)[0])  # warm the forward pass
    if kind in ("numpy", "dask_from_numpy"):
        X, _ = make_rows(n_rows, seed=3, outlier_fraction=0.0)
        # the rows held in memory count, as they would for a user; not the temporaries
        # of generating them
        base = _reset_peak() - X.nbytes
        if kind == "dask_from_numpy":  # the same rows, as blocks: Dask's own overhead
            import dask.array as da

            X = da.from_array(X, chunks=(chunk, N_FEATURES))
        start = time.perf_counter()
        scores = det.score_samples(X)
        scores = scores.compute() if kind == "dask_from_numpy" else scores
    else:
        import dask.array as da

        rng = da.random.default_rng(3)
        X = rng.standard_normal((n_rows, N_FEATURES), chunks=(chunk, N_FEATURES),
                                dtype=np.float32)
        (X[:chunk].sum(axis=1)).compute()  # warm the scheduler
        base = _reset_peak()
        start = time.perf_counter()
        scores = det.score_samples(X).compute()
        elapsed = time.perf_counter() - start
        generate = time.perf_counter()
        X.sum(axis=1).compute()
        generation = time.perf_counter() - generate
        return {"seconds": elapsed, "generation_seconds": generation,
                "peak_above_base": _peak() - base, "n": int(scores.shape[0])}
    return {"seconds": time.perf_counter() - start, "peak_above_base": _peak() - base,
            "n": int(scores.shape[0])}


def _auc(det, n_test: int) -> float:
    from sklearn.metrics import roc_auc_score

    X, y = make_rows(n_test, seed=99, outlier_fraction=0.05)
    return float(roc_auc_score(y, -det.score_samples(X)))


def child_fit(kind: str, path: str, sample_rows: int, epochs: int, batch: int,
              n_test: int) -> dict:
    import dask.dataframe as dd

    import skae  # noqa: F401  (imports before the baseline)

    # TensorFlow warmed up, with a training graph traced (more than 8 steps: not eager)
    _detector(epochs=2, batch_size=32).fit(make_rows(2_000, seed=5)[0])
    base = _reset_peak()
    start = time.perf_counter()
    if kind == "ooc":
        rows = dd.read_parquet(path, split_row_groups=True)  # one block per row group
        det = _detector(epochs=epochs, batch_size=batch).fit(rows)
    else:
        import pyarrow.parquet as pq

        table = pq.ParquetFile(path).read_row_groups([0])  # the first row group
        X = table.to_pandas().to_numpy()[:sample_rows]
        det = _detector(epochs=epochs, batch_size=batch).fit(X)
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "peak_above_base": _peak() - base,
            "auc": _auc(det, n_test), "n_iter": det.n_iter_}


def _run_child(task: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(task)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"child {task['name']} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- sections
def section_grid(n_rows: int, epochs: int) -> None:
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.model_selection import GridSearchCV

    X, _ = make_rows(n_rows, seed=7)
    grid = {"n_components": [2, 4], "hidden_layer_sizes": [(16,), (32,)],
            "learning_rate": [1e-3, 3e-3]}  # 8 candidates

    def search():
        return GridSearchCV(_detector(epochs=epochs, batch_size=256), grid, cv=3,
                            n_jobs=-1)

    start = time.perf_counter()
    serial = GridSearchCV(_detector(epochs=epochs, batch_size=256), grid, cv=3).fit(X)
    t_serial = time.perf_counter() - start
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("skae").ReconstructionOutlierDetector)  # warm
        t_start = time.perf_counter() - start
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            spread = search().fit(X)
        t_dask = time.perf_counter() - start
    same = np.allclose(serial.cv_results_["mean_test_score"],
                       spread.cv_results_["mean_test_score"], rtol=1e-4)
    print(f"\n## 1. GridSearchCV, 8 candidates x 3 folds, {n_rows} rows x {N_FEATURES}, "
          f"{epochs} epochs")
    print("| run | seconds |\n|---|---|")
    print(f"| serial (n_jobs=1) | {t_serial:.1f} |")
    print(f"| 2-worker LocalCluster (n_jobs=-1) | {t_dask:.1f} |")
    print(f"| cluster start + worker warm-up (not included) | {t_start:.1f} |")
    print(f"speed-up serial / cluster: **{t_serial / t_dask:.2f}x**; same cv scores: {same}")


def section_score(n_rows: int, chunk: int) -> None:
    res = {kind: _run_child({"name": "score", "kind": kind, "n_rows": n_rows, "chunk": chunk})
           for kind in ("numpy", "dask_from_numpy", "dask")}
    print(f"\n## 2. score_samples on {n_rows:.0e} rows x {N_FEATURES} float32 "
          f"(Dask blocks of {chunk} rows, threaded scheduler)")
    print("| input | seconds | rows/s | peak RSS above baseline (MiB) |\n|---|---|---|---|")
    labels = {"numpy": "NumPy array in memory", "dask_from_numpy": "da.from_array(NumPy)",
              "dask": "Dask array, blocks generated"}
    for kind, r in res.items():
        print(f"| {labels[kind]} | {r['seconds']:.1f} | {n_rows / r['seconds']:.3g} | "
              f"{r['peak_above_base'] / 2**20:.0f} |")
    numpy_s, dask_s = res["numpy"]["seconds"], res["dask"]["seconds"]
    generation = res["dask"]["generation_seconds"]
    print(f"throughput Dask / NumPy: **{numpy_s / dask_s:.2f}x** (the Dask time includes "
          f"generating the blocks, {generation:.1f} s on their own); rows already in memory "
          f"scored as Dask blocks: {numpy_s / res['dask_from_numpy']['seconds']:.2f}x")


def section_ooc(n_rows: int, row_group: int, sample_rows: int, epochs: int, batch: int,
                workdir: str | None) -> None:
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = os.path.join(tmp, "rows.parquet")
        start = time.perf_counter()
        write_parquet(path, n_rows, row_group)
        t_write = time.perf_counter() - start
        size = os.path.getsize(path)
        steps = epochs * -(-n_rows // batch)
        sample_epochs = max(1, round(steps / -(-sample_rows // batch)))
        common = {"path": path, "sample_rows": sample_rows, "batch": batch, "n_test": 200_000}
        ooc = _run_child({"name": "fit", "kind": "ooc", "epochs": epochs, **common})
        mem = _run_child({"name": "fit", "kind": "sample", "epochs": sample_epochs, **common})
    print(f"\n## 3. Out-of-core fit of a Parquet file, {n_rows:.0e} rows x {N_FEATURES} float32 "
          f"({size / 1e9:.2f} GB, row groups of {row_group}, written in {t_write:.0f} s)")
    print("| fit | epochs | seconds | peak RSS above baseline (MiB) | ROC-AUC |\n"
          "|---|---|---|---|---|")
    print(f"| out-of-core, dd.read_parquet | {epochs} | {ooc['seconds']:.0f} | "
          f"{ooc['peak_above_base'] / 2**20:.0f} | {ooc['auc']:.4f} |")
    print(f"| in memory, {sample_rows:.0e}-row sample | {sample_epochs} | {mem['seconds']:.0f} | "
          f"{mem['peak_above_base'] / 2**20:.0f} | {mem['auc']:.4f} |")
    print(f"peak RSS < 1 GiB: {ooc['peak_above_base'] < GIB}; ROC-AUC difference "
          f"{ooc['auc'] - mem['auc']:+.4f} (goal within 0.01: "
          f"{abs(ooc['auc'] - mem['auc']) <= 0.01}); batch {batch}, same gradient steps")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a quick run")
    parser.add_argument("--sections", default="grid,score,ooc")
    parser.add_argument("--grid-rows", type=int)
    parser.add_argument("--grid-epochs", type=int)
    parser.add_argument("--score-rows", type=int)
    parser.add_argument("--score-chunk", type=int, default=500_000)
    parser.add_argument("--ooc-rows", type=int)
    parser.add_argument("--row-group", type=int)
    parser.add_argument("--sample-rows", type=int)
    parser.add_argument("--ooc-epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--workdir", help="where the Parquet file is written (a temp dir)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        task = json.loads(args.child)
        name = task.pop("name")
        result = child_score(**task) if name == "score" else child_fit(**task)
        print(json.dumps(result))
        return
    quick = args.quick
    sizes = {
        "grid_rows": args.grid_rows or (3_000 if quick else 20_000),
        "grid_epochs": args.grid_epochs or (3 if quick else 10),
        "score_rows": args.score_rows or (10**6 if quick else 10**7),
        "ooc_rows": args.ooc_rows or (10**6 if quick else 2 * 10**7),
        "row_group": args.row_group or (10**5 if quick else 10**6),
        "sample_rows": args.sample_rows or (10**5 if quick else 10**6),
    }
    print(f"# benchmarks/scale.py ({'--quick' if quick else 'default'} sizes: {sizes})")
    sections = args.sections.split(",")
    if "grid" in sections:
        section_grid(sizes["grid_rows"], sizes["grid_epochs"])
    if "score" in sections:
        section_score(sizes["score_rows"], min(args.score_chunk, sizes["score_rows"]))
    if "ooc" in sections:
        section_ooc(sizes["ooc_rows"], sizes["row_group"], sizes["sample_rows"],
                    args.ooc_epochs, args.batch_size, args.workdir)


if __name__ == "__main__":
    main()
