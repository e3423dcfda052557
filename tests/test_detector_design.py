"""The detector's default design: a feature-bagged ensemble whose reconstruction error is
combined with an isolation forest's score by training-rank tail scores."""

import pickle

import numpy as np
import pytest

from skae import ReconstructionOutlierDetector, load
from skae._ensemble import MemberMask
from skae._hybrid import from_rank, tail_score, to_rank
from skae._isolation import isolation_scores
from skae._views import View

SMALL = {"hidden_layer_sizes": (8,), "n_components": 2, "epochs": 5, "random_state": 0}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(300, 2))
    return latent @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))


def test_defaults():
    det = ReconstructionOutlierDetector()
    assert det.n_estimators == 8
    assert det.max_features == 0.5
    assert det.isolation_weight == det.neighbour_weight == "auto"
    assert det.score_combination == "tail"


def test_auto_weights_follow_whether_the_training_rows_are_known_normal(data):
    y = np.r_[np.zeros(290), np.ones(10)]
    contaminated = ReconstructionOutlierDetector(**SMALL).fit(data)
    assert (contaminated.isolation_weight_, contaminated.neighbour_weight_) == (0.7, 0.0)
    assert contaminated.views_ == ("reconstruction error", "isolation")
    assert contaminated.neighbours_ is None
    clean = ReconstructionOutlierDetector(**SMALL, normal_label=0).fit(data, y)
    assert (clean.isolation_weight_, clean.neighbour_weight_) == (0.0, 0.9)
    assert clean.views_ == ("reconstruction error", "kNN distance", "local outlier factor")
    assert clean.isolation_forest_ is None
    assert clean.neighbours_["rows"].shape == (290, 6)  # the normal rows only
    explicit = ReconstructionOutlierDetector(
        **SMALL, normal_label=0, isolation_weight=0.7, neighbour_weight=0.0).fit(data, y)
    assert explicit.views_ == ("reconstruction error", "isolation")


def test_neighbour_views_rank_a_far_row_first_and_match_scikit_learn(data):
    from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

    det = ReconstructionOutlierDetector(**SMALL, neighbour_weight=1.0).fit(data)
    state = det.neighbours_
    far = data[:1] + 50.0
    scores = det.score_samples(np.r_[far, data])
    assert scores[0] < scores[1:].min()
    standardised = ((data - det.center_) / det.scale_) / state["spread"]
    new = ((far - det.center_) / det.scale_) / state["spread"]
    from skae._views import KNNView, LocalOutlierView

    scaled_far = (far - det.center_) / det.scale_
    knn = NearestNeighbors(n_neighbors=5).fit(standardised).kneighbors(new)[0][:, -1]
    lof = -LocalOutlierFactor(novelty=True).fit(standardised).score_samples(new)
    np.testing.assert_allclose(KNNView().scores(state, scaled_far, None), knn)
    np.testing.assert_allclose(LocalOutlierView().scores(state, scaled_far, None), lof)


def test_the_default_is_the_ensemble_combined_with_isolation(data):
    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    assert det.n_components_ == 8 * 2  # 8 members side by side
    assert det.isolation_forest_ is not None
    assert not np.allclose(det.score_samples(data), -det.reconstruction_error(data))


def test_the_isolation_forest_grows_on_the_scaled_rows(data):
    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    forest = det.isolation_forest_
    inner = np.isfinite(forest["threshold"])
    assert forest["feature"][inner].max() < data.shape[1]  # the row's columns, nothing else
    scaled = (data - det.center_) / det.scale_
    levels = np.quantile(isolation_scores(forest, scaled), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(levels, det.isolation_grid_[[0, 500, 1000]])


def test_the_ensemble_is_one_network_of_masked_members(data):
    det = ReconstructionOutlierDetector(n_estimators=8, **SMALL).fit(data)
    dims = [layer.units for layer in det.encoder_.layers if hasattr(layer, "units")]
    assert dims == [8 * 8, 8 * 2]
    assert det.n_components_ == 16
    first = det.encoder_.get_layer("encoder_dense_0")
    assert isinstance(first.kernel_constraint, MemberMask)
    kernel = first.kernel.numpy()
    seen = [np.flatnonzero(np.any(kernel[:, 8 * m:8 * (m + 1)] != 0, axis=1)) for m in range(8)]
    assert all(len(cols) >= 3 for cols in seen)  # ceil(0.5 * 6) columns at least
    assert len({tuple(c) for c in seen}) > 1  # members see different columns
    assert set(np.concatenate(seen)) == set(range(6))


def test_one_estimator_is_the_plain_network(data):
    det = ReconstructionOutlierDetector(n_estimators=1, **SMALL).fit(data)
    dims = [layer.units for layer in det.encoder_.layers if hasattr(layer, "units")]
    assert dims == [8, 2]
    assert det.encoder_.get_layer("encoder_dense_0").kernel_constraint is None


def test_without_bagging_every_member_sees_every_column(data):
    det = ReconstructionOutlierDetector(n_estimators=8, max_features=1.0, **SMALL).fit(data)
    kernel = det.encoder_.get_layer("encoder_dense_0").kernel.numpy()
    assert np.all(kernel != 0)


def test_without_isolation_the_score_is_the_reconstruction_error(data):
    det = ReconstructionOutlierDetector(isolation_weight=0.0, **SMALL).fit(data)
    assert det.isolation_forest_ is None and det.error_grid_ is None
    np.testing.assert_allclose(det.score_samples(data), -det.reconstruction_error(data))


@pytest.mark.parametrize("combination", ["tail", "rank"])
def test_isolation_scores_have_the_training_errors_distribution(data, combination):
    det = ReconstructionOutlierDetector(isolation_weight=0.33, score_combination=combination,
                                        **SMALL).fit(data)
    scores = -det.score_samples(data)
    errors = det.reconstruction_error(data)
    assert not np.allclose(scores, errors)  # a different ranking ...
    levels = [0.1, 0.5, 0.9, 0.99]  # ... on the same scale
    np.testing.assert_allclose(np.quantile(scores, levels), np.quantile(errors, levels),
                               rtol=0.02)


@pytest.mark.parametrize("combination", ["tail", "rank"])
def test_the_score_is_the_documented_combination(data, combination):
    """Error and isolation score -> training ranks -> (tail scores) -> weighted average ->
    rank among the training rows' averages -> the training error at that rank."""
    det = ReconstructionOutlierDetector(score_combination=combination, isolation_weight=0.6,
                                        **SMALL).fit(data)
    rows = np.vstack([data[:20], 3 * data[:3], 10 * np.ones((1, 6))])
    errors = det.reconstruction_error(rows)
    isolation = isolation_scores(det.isolation_forest_, (rows - det.center_) / det.scale_)
    ranks = [to_rank(det.error_grid_, errors), to_rank(det.isolation_grid_, isolation)]
    if combination == "tail":
        ranks = [tail_score(r) for r in ranks]
    average = 0.4 * ranks[0] + 0.6 * ranks[1]
    expected = from_rank(det.error_grid_, to_rank(det.combined_grid_, average))
    np.testing.assert_allclose(-det.score_samples(rows), expected, rtol=1e-9)


def test_tail_and_rank_combinations_rank_rows_differently(data):
    tail = ReconstructionOutlierDetector(**SMALL).fit(data)
    rank = ReconstructionOutlierDetector(score_combination="rank", **SMALL).fit(data)
    np.testing.assert_array_equal(tail.encoder_.get_weights()[0], rank.encoder_.get_weights()[0])
    order_tail = np.argsort(tail.score_samples(data))
    order_rank = np.argsort(rank.score_samples(data))
    assert not np.array_equal(order_tail, order_rank)


def test_the_combination_changes_at_fit_not_at_set_params(data):
    det = ReconstructionOutlierDetector(contamination=0.1, **SMALL).fit(data)
    before = det.score_samples(data)
    det.set_params(score_combination="rank", isolation_weight=0.0)
    np.testing.assert_array_equal(det.score_samples(data), before)
    assert (det.predict(data) == -1).mean() == pytest.approx(0.1, abs=0.005)
    det.fit(data)
    assert det.isolation_forest_ is None and det.score_combination_ == "rank"
    np.testing.assert_allclose(det.score_samples(data), -det.reconstruction_error(data))


def test_a_file_with_an_earlier_isolation_forest_is_refused(data, tmp_path):
    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    for attr in ("isolation_weight_", "score_combination_"):  # as an earlier skae saved it
        vars(det).pop(attr)
    det.save(tmp_path / "old.skae")
    with pytest.raises(ValueError, match="earlier version of skae.*refit"):
        load(tmp_path / "old.skae")


def test_a_forest_splitting_on_missing_columns_is_refused(data, tmp_path):
    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    forest = det.isolation_forest_
    inner = np.flatnonzero(np.isfinite(forest["threshold"]))
    forest["feature"][inner[0]] = 2 * data.shape[1] - 1  # a residual column of old
    det.save(tmp_path / "bad.skae")
    with pytest.raises(ValueError, match="splits on a column outside the detector's 6"):
        load(tmp_path / "bad.skae")


def test_threshold_rules_apply_to_the_score(data):
    det = ReconstructionOutlierDetector(contamination=0.1, **SMALL).fit(data)
    assert (det.predict(data) == -1).mean() == pytest.approx(0.1, abs=0.005)
    np.testing.assert_allclose(det.decision_function(data),
                               det.score_samples(data) + det.threshold_)


def test_a_rows_score_does_not_depend_on_the_batch(data):
    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    batch = det.score_samples(data)
    alone = np.array([det.score_samples(data[i:i + 1])[0] for i in range(0, 300, 37)])
    np.testing.assert_allclose(alone, batch[::37], rtol=1e-9)


def test_far_rows_and_rows_off_the_structure_are_flagged(data):
    # the default training budget: after 5 epochs the members have not yet learnt the
    # relation between the columns, so a row breaking it is not yet unusual to them
    det = ReconstructionOutlierDetector(**{**SMALL, "epochs": "auto"}).fit(data)
    far = 10 * np.ones((1, 6))
    off = data[:1].copy()
    off[0, 0] += 6 * data[:, 0].std()  # breaks the correlation between columns
    assert det.predict(far)[0] == -1
    assert det.predict(off)[0] == -1
    assert det.score_samples(off)[0] < np.quantile(det.score_samples(data), 0.05)


def test_isolation_follows_random_state(data):
    a = ReconstructionOutlierDetector(**SMALL).fit(data)
    b = ReconstructionOutlierDetector(**SMALL).fit(data)
    np.testing.assert_array_equal(a.score_samples(data), b.score_samples(data))


def test_save_load_and_pickle_keep_the_scores(data, tmp_path):
    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    path = tmp_path / "det.skae"
    det.save(path)
    for copy in (load(path), pickle.loads(pickle.dumps(det))):
        np.testing.assert_array_equal(copy.score_samples(data), det.score_samples(data))
        assert copy.threshold_ == det.threshold_


@pytest.mark.parametrize(("params", "match"), [
    ({"n_estimators": 0}, "n_estimators"),
    ({"max_features": 0.0}, "max_features"),
    ({"max_features": 1.5}, "max_features"),
    ({"isolation_weight": 1.5}, "isolation_weight"),
    ({"isolation_weight": -0.1}, "isolation_weight"),
    ({"score_combination": "max"}, "score_combination"),
])
def test_invalid_design_parameters(data, params, match):
    with pytest.raises(ValueError, match=match):
        ReconstructionOutlierDetector(**params).fit(data)


class _DistanceView(View):
    """A third view for the test: the scaled row's distance to the training rows' median."""

    name = "distance"
    grid_attribute = "distance_grid_"
    state_attribute = "distance_center_"

    def fit(self, features, errors, *, draw_seed):
        return np.median(features, axis=0)

    def scores(self, state, features, errors):
        return np.linalg.norm(features - state, axis=1)


class _ThreeViewDetector(ReconstructionOutlierDetector):
    _views = (*ReconstructionOutlierDetector._views[:2], _DistanceView())

    def _view_weights(self):
        return (0.5, 0.25, 0.25)


def test_the_views_are_listed_and_a_new_view_is_one_class_and_one_entry(data):
    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    assert det.views_ == ("reconstruction error", "isolation")
    plain = ReconstructionOutlierDetector(isolation_weight=0.0, **SMALL).fit(data)
    assert plain.views_ == ("reconstruction error",)
    three = _ThreeViewDetector(**SMALL).fit(data)
    assert three.views_ == ("reconstruction error", "isolation", "distance")
    np.testing.assert_allclose(three.distance_center_, np.median((data - three.center_)
                                                                  / three.scale_, axis=0))
    assert three.distance_grid_.shape == three.error_grid_.shape
    far = np.vstack([data[:5], 10 * np.ones((1, 6))])
    scores = three.score_samples(far)
    assert scores[-1] < scores[:-1].min()  # far from every view's bulk
    assert not np.allclose(scores, det.score_samples(far))  # the third view counts
    again = pickle.loads(pickle.dumps(three))
    np.testing.assert_array_equal(again.score_samples(far), scores)
    assert {"distance_center_", "distance_grid_"} <= set(_ThreeViewDetector._saved_attributes)


@pytest.mark.parametrize("scores", [
    np.arange(11.0), np.r_[np.zeros(600), np.arange(400.0)], np.ones(50),
    np.r_[np.zeros(3), np.full(5, 2.0), np.linspace(2, 3, 200)],
])
def test_rank_runs_of_a_sorted_grid_are_numpys_unique(scores):
    """The sort-free runs of a non-decreasing grid give np.unique's values, first indices
    and counts, so the ranks stay exactly as they were."""
    from skae._hybrid import _runs, fit_rank_grid

    grid = fit_rank_grid(scores)
    for ours, numpys in zip(_runs(grid), np.unique(grid, return_index=True,
                                                   return_counts=True), strict=True):
        np.testing.assert_array_equal(ours, numpys)
    shuffled = np.random.default_rng(0).permutation(grid)  # not sorted: numpy's way
    for ours, numpys in zip(_runs(shuffled), np.unique(shuffled, return_index=True,
                                                       return_counts=True), strict=True):
        np.testing.assert_array_equal(ours, numpys)


def test_fitted_grids_are_frozen_and_their_rank_tables_memoised_safely(data, tmp_path):
    import gc

    from skae import _hybrid

    det = ReconstructionOutlierDetector(**SMALL).fit(data)
    for grid in (det.error_grid_, det.isolation_grid_, det.combined_grid_):
        assert not grid.flags.writeable  # an in-place change cannot make a memo stale
    scores = det.score_samples(data[:5])
    assert id(det.error_grid_) in _hybrid._TABLES
    det.save(tmp_path / "det.skae")
    loaded = load(tmp_path / "det.skae")
    assert not loaded.combined_grid_.flags.writeable
    np.testing.assert_array_equal(loaded.score_samples(data[:5]), scores)
    unpickled = pickle.loads(pickle.dumps(det))  # Dask and joblib workers get these
    assert not unpickled.error_grid_.flags.writeable
    np.testing.assert_array_equal(unpickled.score_samples(data[:5]), scores)
    writable = np.array(det.error_grid_)  # a caller's own grid: never memoised
    np.testing.assert_array_equal(to_rank(writable, data[:5, 0]),
                                  to_rank(det.error_grid_, data[:5, 0]))
    assert id(writable) not in _hybrid._TABLES
    key = id(det.error_grid_)
    del det
    gc.collect()
    assert key not in _hybrid._TABLES  # the entry left with its grid


def test_a_saved_or_unpickled_clean_detector_scores_the_same_with_frozen_rows(data, tmp_path):
    import skae

    y = np.zeros(len(data), dtype=int)
    det = ReconstructionOutlierDetector(**SMALL, normal_label=0).fit(data, y)
    assert not det.neighbours_["rows"].flags.writeable
    expected = det.score_samples(data[:20])
    skae.save(det, tmp_path / "clean.skae")
    for again in (pickle.loads(pickle.dumps(det)), skae.load(tmp_path / "clean.skae")):
        assert not again.neighbours_["rows"].flags.writeable  # its search is memoised
        np.testing.assert_array_equal(again.score_samples(data[:20]), expected)
