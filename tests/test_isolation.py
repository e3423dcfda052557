"""The flattened isolation forest: scored exactly as scikit-learn's IsolationForest, and
grown directly as arrays with scikit-learn's distribution of trees."""

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from skae._isolation import fit_isolation_forest, flatten_isolation_forest, isolation_scores
from skae._loaded_checks import check_forest


@pytest.mark.parametrize("shape", [(300, 4), (2000, 30), (40, 1), (600, 3)])
def test_scores_of_a_copied_forest_equal_scikit_learn(shape):
    rng = np.random.default_rng(shape[0])
    X = rng.standard_t(3, size=shape)
    X_new = 3 * rng.normal(size=(500, shape[1]))
    reference = IsolationForest(n_estimators=50, random_state=7).fit(X)
    forest = flatten_isolation_forest(reference)
    np.testing.assert_allclose(isolation_scores(forest, X_new),
                               -reference.score_samples(X_new), rtol=1e-12)


def test_ties_on_split_values_follow_scikit_learn():
    X = np.repeat(np.arange(10.0), 30)[:, None] * np.array([[1.0, -1.0]])  # many ties
    reference = IsolationForest(random_state=0).fit(X)
    np.testing.assert_allclose(isolation_scores(flatten_isolation_forest(reference), X),
                               -reference.score_samples(X))


@pytest.mark.parametrize("shape", [(2000, 30), (300, 4)])
def test_a_grown_forest_scores_as_scikit_learn_in_distribution(shape):
    # per row, the mean score over seeds of the grown forests and of scikit-learn's agree
    # within their seed-to-seed spread (rms z about 1); ties and a constant column included
    rng = np.random.default_rng(5)
    X = rng.standard_t(3, size=shape)
    X[:, 0] = np.round(X[:, 0])
    X[:, 1] = 0.0
    X_new = np.r_[X[:150], 3 * rng.normal(size=(150, shape[1]))]
    seeds = range(16)
    ours = np.array([isolation_scores(fit_isolation_forest(X, seed=s), X_new) for s in seeds])
    theirs = np.array([-IsolationForest(random_state=s).fit(X).score_samples(X_new)
                       for s in seeds])
    z = (ours.mean(0) - theirs.mean(0)) / np.sqrt((ours.var(0) + theirs.var(0)) / len(seeds))
    assert 0.6 < np.sqrt(np.mean(z ** 2)) < 1.5
    assert abs(z.mean()) < 1.0
    assert 0.85 < ours.std(0).mean() / theirs.std(0).mean() < 1.15


def test_a_grown_forest_passes_the_file_checks_and_never_splits_a_constant_column():
    X = np.random.default_rng(3).normal(size=(700, 5))
    X[:, 2] = 1.5
    forest = fit_isolation_forest(X, n_estimators=40, seed=0)
    check_forest(forest, 5)
    inner = np.isfinite(forest["threshold"])
    assert inner.any() and not (forest["feature"][inner] == 2).any()
    assert forest["depth"] == 8  # ceil(log2(256)) levels
    # identical rows cannot be split: every tree is one leaf of expected depth c(256)
    flat = fit_isolation_forest(np.ones((300, 3)), n_estimators=5, seed=0)
    assert flat["depth"] == 0 and not np.isfinite(flat["threshold"]).any()
    np.testing.assert_allclose(isolation_scores(flat, np.zeros((2, 3))), 0.5)


def test_a_grown_forest_follows_its_seed_only():
    X = np.random.default_rng(4).normal(size=(500, 3))
    state = np.random.get_state()  # noqa: NPY002 (the global state must not move)
    first = fit_isolation_forest(X, n_estimators=20, seed=1)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # noqa: NPY002
    again = fit_isolation_forest(X, n_estimators=20, seed=1)
    other = fit_isolation_forest(X, n_estimators=20, seed=2)
    assert all(np.array_equal(first[k], again[k]) for k in ("feature", "threshold", "path"))
    assert not np.array_equal(first["threshold"], other["threshold"])


def test_a_row_scores_the_same_alone_and_in_a_batch():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 5))
    forest = fit_isolation_forest(X, seed=0)
    batch = isolation_scores(forest, X)  # several chunks
    alone = np.array([isolation_scores(forest, X[i:i + 1])[0] for i in (0, 2047, 2048, 4999)])
    np.testing.assert_array_equal(alone, batch[[0, 2047, 2048, 4999]])


def test_far_rows_score_higher_and_forest_is_plain_data():
    X = np.random.default_rng(2).normal(size=(400, 3))
    forest = fit_isolation_forest(X, seed=3)
    scores = isolation_scores(forest, np.array([[0.0, 0.0, 0.0], [8.0, -8.0, 8.0]]))
    assert scores[1] > scores[0]
    assert all(isinstance(v, (np.ndarray, int, float)) for v in forest.values())


@pytest.mark.parametrize("n_rows", [1, 2, 5])
def test_tiny_training_sets_score_as_scikit_learn(n_rows):
    X = np.random.default_rng(n_rows).normal(size=(n_rows, 2))
    reference = -IsolationForest(random_state=0).fit(X).score_samples(np.zeros((3, 2)))
    scores = isolation_scores(fit_isolation_forest(X, seed=0), np.zeros((3, 2)))
    if n_rows <= 2:  # one tree shape only: identical scores
        np.testing.assert_allclose(scores, reference)
    else:
        np.testing.assert_allclose(scores, reference, atol=0.05)
