"""Design study for the tabular outlier detector (prototypes, not the package's code).

Trains feature-bagged autoencoder ensembles as ONE set of stacked weights (k members,
each seeing its own random feature subset through a fixed mask) in one TensorFlow loop and
compares variants on the ADBench protocol of ``adbench.py``. Used to choose the design of
``ReconstructionOutlierDetector``; the package does not depend on it.

Usage::

    python benchmarks/adbench_design_study.py --half A --variants fb8 fb8_trim iforest3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adbench import DEFAULT_DATA_DIR, find_datasets, load_dataset, select_half  # noqa: E402


def _robust_scale(X_train):
    from skae._scaling import FeatureScaling  # the detector's own robust scaling

    scaling = FeatureScaling.robust(X_train)
    return scaling.center, scaling.scale


def _masks(d, k, rng, low):
    masks = np.zeros((k, d), dtype=np.float32)
    for m in range(k):
        if k == 1 or low >= 1.0:
            masks[m] = 1
            continue
        size = int(rng.integers(max(1, int(np.ceil(low * d))), d + 1))
        masks[m, rng.choice(d, size=size, replace=False)] = 1
    uncovered = masks.sum(axis=0) == 0
    for j in np.flatnonzero(uncovered):
        masks[rng.integers(k), j] = 1
    return masks


def train_ensemble(X, *, k=8, low=0.5, trim=0.0, joint=False, seed=0, steps=150,
                   act="tanh", lr=1e-3):
    """Return a function rows -> per-member per-feature squared errors (k, n, d) and
    the averaged reconstruction errors (n, d)."""
    import tensorflow as tf

    n, d = X.shape
    rng = np.random.default_rng(seed)
    masks = _masks(d, k, rng, low)
    h = int(min(128, max(8, d)))
    c = int(min(32, max(2, d // 4)))
    init = tf.keras.initializers.GlorotUniform

    def glorot(shape, s):
        fan_in, fan_out = shape[-2], shape[-1]
        lim = np.sqrt(6.0 / (fan_in + fan_out))
        return tf.Variable(rng.uniform(-lim, lim, size=shape).astype(np.float32))

    del init
    W = [glorot((k, d, h), 0), glorot((k, h, c), 1), glorot((k, c, h), 2), glorot((k, h, d), 3)]
    B = [tf.Variable(np.zeros((k, 1, w), np.float32)) for w in (h, c, h, d)]
    M = tf.constant(masks)
    count = tf.constant(np.maximum(masks.sum(axis=0), 1.0))
    fn = getattr(tf.nn, act) if act != "linear" else (lambda z: z)
    variables = W + B
    opt = tf.keras.optimizers.Adam(lr)

    def forward(x):
        z = tf.einsum("bd,kdh->kbh", x, W[0] * M[:, :, None]) + B[0]
        z = fn(z)
        z = fn(tf.einsum("kbh,khc->kbc", z, W[1]) + B[1])
        z = fn(tf.einsum("kbc,kch->kbh", z, W[2]) + B[2])
        return tf.einsum("kbh,khd->kbd", z, W[3]) + B[3]  # (k, b, d)

    def loss_fn(x):
        out = forward(x)
        if joint:
            avg = tf.reduce_sum(out * M[:, None, :], axis=0) / count
            e = tf.reduce_mean(tf.square(avg - x), axis=1)[None]  # (1, b)
        else:
            e = tf.reduce_sum(tf.square(out - x[None]) * M[:, None, :], axis=2)
            e = e / tf.reduce_sum(M, axis=1)[:, None]  # (k, b)
        if trim > 0:
            b = tf.shape(e)[1]
            keep = tf.maximum(1, tf.cast(tf.math.floor((1 - trim) * tf.cast(b, tf.float32)),
                                         tf.int32))
            kth = tf.sort(e, axis=1)[:, keep - 1: keep]
            w = tf.stop_gradient(tf.cast(e <= kth, tf.float32))
            return tf.reduce_sum(tf.reduce_sum(e * w, axis=1) / tf.reduce_sum(w, axis=1))
        return tf.reduce_sum(tf.reduce_mean(e, axis=1))

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = loss_fn(x)
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables, strict=True))
        return loss

    bs = int(min(256, max(16, n // 8)))
    bs = min(bs, n)
    steps_per_epoch = -(-n // bs)
    epochs = int(min(500, max(5, -(-steps // steps_per_epoch))))
    Xf = X.astype(np.float32)
    for _ in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, bs):
            step(tf.constant(Xf[order[i:i + bs]]))

    @tf.function
    def fwd(x):
        return forward(x)

    def signed(rows):
        x = rows.astype(np.float32)
        out = fwd(tf.constant(x)).numpy().astype(np.float64)
        avg = (out * masks[:, None, :]).sum(axis=0) / masks.sum(axis=0).clip(1)
        return avg - x

    def errors(rows):
        x = rows.astype(np.float32)
        out = fwd(tf.constant(x)).numpy().astype(np.float64)
        member = np.square(out - x[None]) * masks[:, None, :]
        avg = (out * masks[:, None, :]).sum(axis=0) / masks.sum(axis=0).clip(1)
        return member, np.square(avg - x), masks

    errors.signed = signed
    return errors


def _robust_z(train_scores, scores):
    med = np.median(train_scores)
    q75, q25 = np.percentile(train_scores, [75, 25])
    return (scores - med) / max(q75 - q25, 1e-12)


def _ecdf(train_scores, scores):
    ref = np.sort(train_scores)
    return np.searchsorted(ref, scores, side="right") / len(ref)


def ae_scores(X_train, X_test, *, score="member", combine="mean", **kw):
    """Anomaly scores (higher = anomalous) for test and train rows."""
    center, scale = _robust_scale(X_train)
    Xtr, Xte = (X_train - center) / scale, (X_test - center) / scale
    errors = train_ensemble(Xtr, **kw)
    m_tr, a_tr, masks = errors(Xtr)
    m_te, a_te, _ = errors(Xte)
    if score.startswith("ifres"):  # isolation forest on the inputs and signed residuals
        fs = np.sqrt(np.median(a_tr, axis=0) + 1e-12)
        r_tr, r_te = _residuals(errors, Xtr) / fs, _residuals(errors, Xte) / fs
        if score == "ifres_signed":
            r_tr, r_te = _signed(errors, Xtr) / fs, _signed(errors, Xte) / fs
        if score in ("ifres", "ifres_signed"):
            r_tr, r_te = np.hstack([Xtr, r_tr]), np.hstack([Xte, r_te])
        if score == "ifres_groups":  # one feature per member: RMS of its columns' residuals
            def groups(r):
                return np.sqrt((r ** 2) @ masks.T / masks.sum(axis=1))

            r_tr, r_te = np.hstack([Xtr, groups(r_tr)]), np.hstack([Xte, groups(r_te)])
        return iforest_scores(r_tr, r_te)
    if score == "avg":  # standard skae scoring of the averaged reconstruction
        fs = np.median(a_tr, axis=0)
        fs = fs + 1e-3 * np.median(fs) + 1e-6 * a_tr.mean() + 1e-300
        return (a_te / fs).mean(axis=1), (a_tr / fs).mean(axis=1)
    # per member: per-feature median normalisation, mean over its features
    fs = np.median(m_tr, axis=1, keepdims=True)  # (k, 1, d)
    fs = fs + 1e-3 * np.median(fs) + 1e-6 * m_tr.mean() + 1e-300
    nfeat = masks.sum(axis=1)[:, None]
    r_tr = ((m_tr / fs) * masks[:, None, :]).sum(axis=2) / nfeat  # (k, n)
    r_te = ((m_te / fs) * masks[:, None, :]).sum(axis=2) / nfeat
    if combine == "mean":
        return r_te.mean(axis=0), r_tr.mean(axis=0)
    if combine == "z":
        z_te = np.stack([_robust_z(a, b) for a, b in zip(r_tr, r_te, strict=True)])
        z_tr = np.stack([_robust_z(a, a) for a in r_tr])
        return z_te.mean(axis=0), z_tr.mean(axis=0)
    if combine == "rank":
        z_te = np.stack([_ecdf(a, b) for a, b in zip(r_tr, r_te, strict=True)])
        z_tr = np.stack([_ecdf(a, a) for a in r_tr])
        return z_te.mean(axis=0), z_tr.mean(axis=0)
    raise ValueError(combine)


def _residuals(errors, X):
    _, sq, _ = errors(X)
    return np.sqrt(sq)


def _signed(errors, X):
    return errors.signed(X)


def iforest_scores(X_train, X_test, seeds=(0, 1, 2)):
    from sklearn.ensemble import IsolationForest

    te, tr = 0.0, 0.0
    for s in seeds:
        f = IsolationForest(random_state=s).fit(X_train)
        te = te - f.score_samples(X_test) / len(seeds)
        tr = tr - f.score_samples(X_train) / len(seeds)
    return te, tr


def knn_scores(X_train, X_test):
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=6).fit(X_train)
    return nn.kneighbors(X_test, 5)[0][:, -1], nn.kneighbors(X_train, 6)[0][:, -1]


def pca_scores(X_train, X_test):
    from sklearn.decomposition import PCA

    pca = PCA(n_components=max(1, (X_train.shape[1] + 1) // 2), random_state=0).fit(X_train)

    def err(X):
        return np.sum((X - pca.inverse_transform(pca.transform(X))) ** 2, axis=1)

    return err(X_test), err(X_train)


PEERS = {"iforest3": iforest_scores, "knn": knn_scores, "pca": pca_scores}


def hybrid(parts, how):
    te = []
    for p_te, p_tr in parts:
        if how == "z":
            te.append(_robust_z(p_tr, p_te))
        elif how == "logz":
            te.append(_robust_z(np.log(p_tr + 1e-12), np.log(p_te + 1e-12)))
        else:
            te.append(_ecdf(p_tr, p_te))
    return np.mean(te, axis=0)


VARIANTS = {
    "single": dict(k=1, low=1.0),
    "single_ifres": dict(k=1, low=1.0, score="ifres"),
    "single_ifresonly": dict(k=1, low=1.0, score="ifres_only"),
    "fbj_ifres": dict(k=8, low=0.5, joint=True, score="ifres"),
    "fbj_ifsgn": dict(k=8, low=0.5, joint=True, score="ifres_signed"),
    "fbj_ifgrp": dict(k=8, low=0.5, joint=True, score="ifres_groups"),
    "fb8": dict(k=8, low=0.5),
    "fb8_avg": dict(k=8, low=0.5, score="avg"),
    "fb8_joint": dict(k=8, low=0.5, joint=True, score="avg"),
    "fb8_z": dict(k=8, low=0.5, combine="z"),
    "fb8_rank": dict(k=8, low=0.5, combine="rank"),
    "fb8_trim": dict(k=8, low=0.5, trim=0.1),
    "fb8_trim2": dict(k=8, low=0.5, trim=0.2),
    "seed8": dict(k=8, low=1.0),
    "fb16": dict(k=16, low=0.5),
    "fb8_relu": dict(k=8, low=0.5, act="relu"),
}


def run_variant(name, X_train, X_test, cache):
    if name in PEERS:
        if name not in cache:
            cache[name] = PEERS[name](X_train, X_test)
        return cache[name][0]
    base, _, mix = name.partition("+")
    if base not in cache:
        cache[base] = ae_scores(X_train, X_test, **VARIANTS[base])
    if not mix:
        return cache[base][0]
    if "iforest3" not in cache:
        cache["iforest3"] = iforest_scores(X_train, X_test)
    return hybrid([cache[base], cache["iforest3"]], mix)


def main(argv=None):
    from sklearn.metrics import average_precision_score, roc_auc_score

    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    p.add_argument("--half", choices=["A", "B", "all"], default="A")
    p.add_argument("--variants", nargs="+", default=["fb8", "iforest3"])
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--dump", type=Path, default=None,
                   help="folder: save every variant's train and test scores per dataset")
    args = p.parse_args(argv)
    paths = select_half(find_datasets(args.data_dir, args.datasets), args.half)
    res = {v: [] for v in args.variants}
    times = {v: 0.0 for v in args.variants}
    print(f"{'dataset':<20}" + "".join(f"{v[:15]:>16}" for v in args.variants), flush=True)
    for path in paths:
        X_train, X_test, _, y_test = load_dataset(path)
        cache = {}
        line = f"{path.stem:<20}"
        for v in args.variants:
            t = time.perf_counter()
            s = run_variant(v, X_train, X_test, cache)
            times[v] += time.perf_counter() - t
            s = np.nan_to_num(s)
            auc, ap = roc_auc_score(y_test, s), average_precision_score(y_test, s)
            res[v].append((auc, ap))
            if args.dump is not None and v in cache:
                args.dump.mkdir(parents=True, exist_ok=True)
                np.savez(args.dump / f"{path.stem}__{v}.npz", test=cache[v][0],
                         train=cache[v][1], y_test=y_test)
            line += f"{auc:>9.4f}/{ap:.3f}"[:16].rjust(16)
        print(line, flush=True)
    print(f"means over {len(paths)} (half {args.half}):")
    for v in args.variants:
        a = np.array(res[v])
        print(f"  {v:<22} AUC {a[:, 0].mean():.4f}  AP {a[:, 1].mean():.4f}  "
              f"time {times[v]:.1f}s")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
