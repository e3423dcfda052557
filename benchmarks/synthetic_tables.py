"""Build synthetic outlier-detection tables with known structure, for ``adbench.py``.

Each kind of table plants anomalies of one known sort, so a detector's result says which
sort it sees and which it misses. Nothing here was used to choose skae's defaults: the
tables check them. Every table is written as an ADBench-style ``.npz`` file (``X``,
``y``; ``y == 1`` is an anomaly) into one folder, which ``adbench.py --data`` then runs
with its usual protocol::

    python benchmarks/synthetic_tables.py /tmp/synthetic_tables
    python benchmarks/adbench.py --data /tmp/synthetic_tables --markdown synthetic.md

The kinds (each built with seeds 0 and 1, named ``<kind>-<seed>``):

- ``credit``: a credit-card-like table, 50,000 rows x 30 columns, 1 % anomalies. 28
  columns come from 6 latent factors through non-linear links (each column a random mix of
  the factors, of their squares and of ``tanh`` of them, plus noise), then a ``time``
  column (seconds over two days, with a daily cycle in the row density) and a
  lognormal ``amount`` that grows with one factor. An anomaly breaks the factor structure
  in 6 of the 28 columns (their values are redrawn from the other rows' marginals, so each
  column alone looks ordinary) and has its amount inflated 3-10x.
- ``density``: 8 Gaussian clusters in 10 dimensions whose spreads differ by a factor of
  20, 5,000 rows, 2 % anomalies. An anomaly sits just outside a tight cluster, at a
  distance from its centre that is ordinary inside a loose cluster: a local-density
  anomaly, which a global distance or density threshold misses.
- ``manifold``: rows on a curved 3-dimensional surface embedded in 24 dimensions (a
  random smooth map of 3 latent coordinates, plus small noise), 5,000 rows, 2 %
  anomalies. An anomaly is a normal row pushed off the surface, perpendicular to it, by a
  distance comparable to the surface's local spread: every coordinate stays inside its
  usual range, only the structure is broken (an off-manifold anomaly).

With 6 tables the means move by several points when one table changes a lot: read the
per-table figures too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from other_tables import write_tables  # noqa: E402

KINDS = ("credit", "density", "manifold")
SEEDS = (0, 1)


def _shuffled(rng, X, y):
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.float64)


def credit_table(seed: int, n_rows: int = 50_000, share: float = 0.01):
    """The credit-card-like table: ``(X, y)``, 30 columns, ``share`` anomalies."""
    rng = np.random.default_rng(seed)
    n_factors, n_mixed = 6, 28
    factors = rng.standard_normal((n_rows, n_factors))
    basis = np.c_[factors, factors ** 2 - 1.0, np.tanh(2.0 * factors)]
    mix = rng.standard_normal((basis.shape[1], n_mixed)) * (
        rng.random((basis.shape[1], n_mixed)) < 0.4)
    X = basis @ mix + 0.1 * rng.standard_normal((n_rows, n_mixed))
    # a daily cycle in how many transactions happen: more by day than by night
    hours = (rng.vonmises(0.0, 1.0, n_rows) / (2 * np.pi) + 0.5) * 24.0
    time = (rng.integers(0, 2, n_rows) * 24.0 + hours) * 3600.0
    amount = np.exp(3.0 + 0.6 * factors[:, 0] + 0.5 * rng.standard_normal(n_rows))
    y = np.zeros(n_rows, dtype=int)
    anomalies = rng.choice(n_rows, int(round(share * n_rows)), replace=False)
    y[anomalies] = 1
    normal = np.flatnonzero(y == 0)
    for row in anomalies:
        columns = rng.choice(n_mixed, 6, replace=False)
        X[row, columns] = X[rng.choice(normal, 6), columns]  # each from another normal row
        amount[row] *= rng.uniform(3.0, 10.0)
    return _shuffled(rng, np.c_[X, time, amount], y)


def density_table(seed: int, n_rows: int = 5_000, share: float = 0.02):
    """Clusters of very different spreads; anomalies just outside the tight ones."""
    rng = np.random.default_rng(seed)
    n_clusters, dim = 8, 10
    centres = rng.uniform(-10.0, 10.0, (n_clusters, dim))
    spreads = np.geomspace(0.1, 2.0, n_clusters)
    n_anomalies = int(round(share * n_rows))
    labels = rng.integers(0, n_clusters, n_rows - n_anomalies)
    normal = centres[labels] + spreads[labels, None] * rng.standard_normal((len(labels), dim))
    # anomalies around the four tightest clusters, at 4-6 of their spreads from the
    # centre: far outside those clusters, well inside the usual reach of the loose ones
    tight = rng.integers(0, 4, n_anomalies)
    direction = rng.standard_normal((n_anomalies, dim))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    radius = spreads[tight] * np.sqrt(dim) * rng.uniform(2.0, 3.0, n_anomalies)
    anomalous = centres[tight] + radius[:, None] * direction
    X = np.r_[normal, anomalous]
    y = np.r_[np.zeros(len(normal)), np.ones(n_anomalies)]
    return _shuffled(rng, X, y)


def _surface(latent, weights):
    """A smooth map of the latent coordinates into the ambient space."""
    first, second, third = weights
    return np.sin(latent @ first) + np.tanh(latent @ second) + 0.3 * (latent @ third)


def manifold_table(seed: int, n_rows: int = 5_000, share: float = 0.02):
    """Rows on a curved 3-d surface in 24 dimensions; anomalies pushed off it."""
    rng = np.random.default_rng(seed)
    latent_dim, dim = 3, 24
    weights = [rng.standard_normal((latent_dim, dim)) for _ in range(3)]
    latent = rng.uniform(-1.5, 1.5, (n_rows, latent_dim))
    X = _surface(latent, weights)
    n_anomalies = int(round(share * n_rows))
    anomalies = rng.choice(n_rows, n_anomalies, replace=False)
    # the surface's tangent space at each anomaly, by finite differences; the push is in
    # a random direction orthogonal to it
    eps = 1e-4
    tangents = np.stack([
        (_surface(latent[anomalies] + eps * np.eye(latent_dim)[k], weights)
         - X[anomalies]) / eps for k in range(latent_dim)], axis=2)
    push = rng.standard_normal((n_anomalies, dim))
    for i in range(n_anomalies):
        q, _ = np.linalg.qr(tangents[i])
        push[i] -= q @ (q.T @ push[i])
    push /= np.linalg.norm(push, axis=1, keepdims=True)
    local_spread = X.std(axis=0).mean()
    X[anomalies] += rng.uniform(0.5, 1.0, (n_anomalies, 1)) * local_spread * push
    X += 0.05 * rng.standard_normal(X.shape)
    y = np.zeros(n_rows)
    y[anomalies] = 1
    return _shuffled(rng, X, y)


BUILDERS = {"credit": credit_table, "density": density_table, "manifold": manifold_table}


def build_tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every table, by name: ``(X, y)`` with ``y == 1`` for the anomalies."""
    return {f"{kind}-{seed}": BUILDERS[kind](seed) for kind in KINDS for seed in SEEDS}


def main(argv: list[str] | None = None) -> int:
    """Write every table as ``<folder>/<name>.npz``."""
    return write_tables(build_tables, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
