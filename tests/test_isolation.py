"""The flattened isolation forest scores exactly as scikit-learn's IsolationForest."""

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from skae._isolation import fit_isolation_forest, isolation_scores


@pytest.mark.parametrize("shape", [(300, 4), (2000, 30), (40, 1), (600, 3)])
def test_scores_equal_scikit_learn(shape):
    rng = np.random.default_rng(shape[0])
    X = rng.standard_t(3, size=shape)
    X_new = 3 * rng.normal(size=(500, shape[1]))
    forest = fit_isolation_forest(X, n_estimators=50, seed=7)
    reference = IsolationForest(n_estimators=50, random_state=7).fit(X)
    np.testing.assert_allclose(isolation_scores(forest, X_new),
                               -reference.score_samples(X_new), rtol=1e-12)


def test_ties_on_split_values_follow_scikit_learn():
    X = np.repeat(np.arange(10.0), 30)[:, None] * np.array([[1.0, -1.0]])  # many ties
    forest = fit_isolation_forest(X, seed=0)
    reference = IsolationForest(random_state=0).fit(X)
    np.testing.assert_allclose(isolation_scores(forest, X), -reference.score_samples(X))


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


def test_one_training_row():
    forest = fit_isolation_forest(np.ones((1, 2)), seed=0)
    reference = IsolationForest(random_state=0).fit(np.ones((1, 2)))
    np.testing.assert_allclose(isolation_scores(forest, np.zeros((3, 2))),
                               -reference.score_samples(np.zeros((3, 2))))
