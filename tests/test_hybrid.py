"""Training ranks and their combination (skae/_hybrid.py)."""

import numpy as np

from skae._hybrid import TAIL_FLOOR, fit_rank_grid, from_rank, tail_score, to_rank


def test_ranks_round_trip_inside_and_beyond_the_training_range():
    grid = fit_rank_grid(np.random.default_rng(0).lognormal(size=500))
    scores = np.array([0.05, 0.5, 1.0, 3.0, grid[-1], grid[-1] * 2, grid[-1] * 10])
    ranks = to_rank(grid, scores)
    assert np.all(np.diff(ranks) > 0)
    assert ranks[-1] > ranks[-2] > 1.0  # beyond the highest training score it keeps growing
    np.testing.assert_allclose(from_rank(grid, ranks), scores, rtol=1e-9)


def test_tail_score_is_increasing_and_continuous_at_the_top():
    ranks = np.linspace(0.0, 1.5, 3001)
    scores = tail_score(ranks)
    assert np.all(np.diff(scores) > 0)
    below, above = tail_score(np.array([1.0 - 1e-9, 1.0 + 1e-9]))
    assert abs(above - below) < 1e-6
    assert tail_score(np.array([1.0]))[0] == -np.log(TAIL_FLOOR)


def test_tail_scores_let_one_strong_view_carry_the_row():
    """Ranks (0.999, 0.5) and (0.75, 0.75) average to the same rank; as tail scores the
    first, a row in the far tail of one view, is clearly more anomalous."""
    one_strong = tail_score(np.array([0.999, 0.5])).mean()
    both_middling = tail_score(np.array([0.75, 0.75])).mean()
    assert one_strong > both_middling + 0.5
