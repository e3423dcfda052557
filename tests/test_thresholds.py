"""Threshold strategies: the rules on known errors, parameter validation, fit_threshold,
and labelled GridSearchCV with scikit-learn's own scorers."""


import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.validation import NotFittedError

from skae import ReconstructionOutlierDetector
from skae._thresholds import check_threshold_params, error_threshold

#: Tiny networks, no validation pass; enough epochs to separate the outliers below.
FAST = {"hidden_layer_sizes": (8,), "n_components": 2, "epochs": 10, "early_stopping": False,
        "random_state": 0}


def _rule(errors, contamination="auto", threshold="mean_std", n_std=1.0):
    return error_threshold(errors, contamination=contamination, threshold=threshold, n_std=n_std)


@pytest.fixture(scope="module")
def labelled():
    """Inliers on a 2-D plane in 6-D (y=+1) and 10% scattered outliers (y=-1), shuffled."""
    rng = np.random.default_rng(1)
    inliers = rng.normal(size=(270, 2)) @ rng.normal(size=(2, 6))
    inliers += 0.05 * rng.normal(size=inliers.shape)
    outliers = rng.uniform(-4, 4, size=(30, 6))
    X = np.vstack([inliers, outliers])
    y = np.r_[np.ones(270, dtype=int), -np.ones(30, dtype=int)]
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    return (X - X.mean(0)) / X.std(0), y


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One network cache for the module: tests that fit the same network share it."""
    return tmp_path_factory.mktemp("networks")


@pytest.fixture
def fast_params(cache):
    return {**FAST, "memory": cache}


# ---------------------------------------------------------------- the rules, on known errors
def test_mean_std_rule_values():
    errors = np.array([1.0, 2.0, 3.0, 4.0])
    std = np.sqrt(1.25)  # population standard deviation
    assert _rule(errors) == pytest.approx(2.5 + std)
    assert _rule(errors, n_std=3.0) == pytest.approx(2.5 + 3 * std)
    assert _rule(errors, n_std=0.0) == pytest.approx(2.5)


def test_median_mad_rule_values():
    errors = np.array([1.0, 2.0, 3.0, 4.0, 100.0])  # median 3, MAD 1
    assert _rule(errors, threshold="median_mad") == pytest.approx(3 + 1.482602218505602)
    assert _rule(errors, threshold="median_mad", n_std=2.5) == pytest.approx(
        3 + 2.5 * 1.482602218505602
    )


def test_median_mad_resists_outliers_that_inflate_mean_std():
    rng = np.random.default_rng(0)
    clean = rng.normal(1.0, 0.1, size=1000)
    dirty = np.r_[clean, np.full(20, 50.0)]  # 2% huge training errors
    mad_shift = _rule(dirty, threshold="median_mad") - _rule(clean, threshold="median_mad")
    std_shift = _rule(dirty) - _rule(clean)
    assert mad_shift < 0.05 < 5 < std_shift
    # with normal errors, the robust rule estimates the same spread as mean_std
    assert _rule(clean, threshold="median_mad") == pytest.approx(_rule(clean), rel=0.02)


@pytest.mark.parametrize("contamination", [0.01, 0.05, 0.1, 0.25, 0.5])
def test_contamination_flags_that_fraction(contamination):
    errors = np.random.default_rng(0).permutation(np.arange(101.0))
    threshold = _rule(errors, contamination=contamination)
    assert np.count_nonzero(errors > threshold) == round(100 * contamination)
    # the same place as IsolationForest's offset_: a percentile of the scores (-errors)
    assert -threshold == pytest.approx(np.percentile(-errors, 100 * contamination))


@pytest.mark.parametrize("threshold", ["mean_std", "median_mad", 0.5, 1000.0])
@pytest.mark.parametrize("n_std", [0.0, 3.0])
def test_contamination_takes_precedence_over_threshold(threshold, n_std):
    errors = np.random.default_rng(0).exponential(size=200)
    expected = np.percentile(errors, 90.0)
    got = _rule(errors, contamination=0.1, threshold=threshold, n_std=n_std)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("value", [0.25, 3, np.float32(0.5), 0.0])
def test_fixed_threshold_is_used_as_is(value):
    errors = np.array([1.0, 2.0, 3.0])
    assert _rule(errors, threshold=value, n_std=7.0) == float(value)


@pytest.mark.parametrize(
    "errors, message",
    [
        (np.array([]), "non-empty 1-D"),
        (np.ones((3, 2)), "non-empty 1-D"),
        (np.array([1.0, np.nan, 2.0]), "1 of 3 reconstruction errors are NaN or infinite"),
        (np.array([1.0, np.inf]), "NaN or infinite"),
    ],
)
def test_bad_errors_are_rejected(errors, message):
    with pytest.raises(ValueError, match=message):
        _rule(errors)


def test_unknown_rule_is_rejected():
    with pytest.raises(
        ValueError, match=r"threshold must be one of \['log_mean_std', 'mean_std', 'median_mad'\]"
    ):
        _rule(np.ones(3), threshold="percentile")


# --------------------------------------------------------------------------- the log rule


def test_log_mean_std_rule_values():
    errors = np.array([0.5, 1.0, 2.0, 8.0, 0.01])
    logs = np.log(np.maximum(errors, np.quantile(errors, 0.25)))  # 0.01 counts as Q1, 0.5
    expected = np.exp(logs.mean() + 2.0 * logs.std())
    assert _rule(errors, threshold="log_mean_std", n_std=2.0) == pytest.approx(expected)
    assert _rule(errors, threshold="log_mean_std", n_std=0.0) == pytest.approx(
        np.exp(logs.mean())  # the geometric mean
    )


@pytest.mark.parametrize("rule, k", [("log_mean_std", 2.0), ("mean_std", 1.0),
                                     ("median_mad", 1.0)])
def test_n_std_none_is_the_rules_own_multiplier(rule, k):
    errors = np.random.default_rng(0).lognormal(size=200)
    assert _rule(errors, threshold=rule, n_std=None) == _rule(errors, threshold=rule, n_std=k)


@pytest.mark.parametrize("draw", [
    lambda rng: rng.lognormal(sigma=2.0, size=2000),
    lambda rng: rng.pareto(1.5, size=2000),
    lambda rng: rng.exponential(size=2000),
    lambda rng: np.r_[rng.uniform(1, 2, size=1900), rng.uniform(1e3, 1e4, size=100)],
])
def test_log_rule_never_flags_more_than_cantelli_allows(draw):
    errors = draw(np.random.default_rng(0))
    for k in (1.0, 2.0, 3.0):
        share = np.mean(errors > _rule(errors, threshold="log_mean_std", n_std=k))
        assert share <= 1.0 / (1.0 + k**2)


def test_log_rule_ignores_the_errors_unit_and_power():
    errors = np.random.default_rng(0).lognormal(sigma=1.5, size=500)
    flagged = errors > _rule(errors, threshold="log_mean_std", n_std=None)
    for transformed in (1e-4 * errors, 250.0 * errors, np.sqrt(errors), errors**3):
        limit = _rule(transformed, threshold="log_mean_std", n_std=None)
        assert_array_equal(transformed > limit, flagged)


def test_log_rule_with_exact_reconstructions():
    assert _rule(np.zeros(5), threshold="log_mean_std", n_std=None) == 0.0
    errors = np.r_[np.zeros(5), np.full(95, 1.0), [50.0]]  # a few rows reconstructed exactly
    limit = _rule(errors, threshold="log_mean_std", n_std=None)
    assert np.isfinite(limit) and 1.0 <= limit < 50.0


# --------------------------------------------------------------------------- sample weights


@pytest.mark.parametrize("rule", ["log_mean_std", "mean_std", "median_mad"])
def test_equal_weights_give_the_unweighted_threshold(rule):
    errors = np.random.default_rng(0).lognormal(size=101)
    unweighted = _rule(errors, threshold=rule, n_std=None)
    weighted = error_threshold(errors, contamination="auto", threshold=rule, n_std=None,
                               sample_weight=np.full(101, 3.0))
    assert weighted == unweighted


@pytest.mark.parametrize("rule", ["mean_std"])
def test_integer_weights_count_as_repeated_rows(rule):
    rng = np.random.default_rng(0)
    errors, weights = rng.lognormal(size=50), rng.integers(0, 4, size=50)
    weighted = error_threshold(errors, contamination="auto", threshold=rule, n_std=None,
                               sample_weight=weights)
    assert weighted == pytest.approx(_rule(np.repeat(errors, weights), threshold=rule,
                                           n_std=None))


def test_weighted_contamination_and_median():
    errors = np.array([1.0, 2.0, 3.0, 4.0])
    weights = np.array([1.0, 1.0, 1.0, 5.0])
    # a weighted 60th percentile: 3 / 8 of the weight lies below 4
    assert error_threshold(errors, contamination=0.4, threshold="mean_std", n_std=1.0,
                           sample_weight=weights) == 4.0
    with pytest.raises(ValueError, match="sample_weight is 0 for every row"):
        error_threshold(errors, contamination=0.4, threshold="mean_std", n_std=1.0,
                        sample_weight=np.zeros(4))


@pytest.mark.parametrize("name", ["contamination", "threshold", "n_std"])
def test_booleans_are_rejected(name):
    params = {"contamination": "auto", "threshold": "mean_std", "n_std": 1.0, name: True}
    with pytest.raises(ValueError, match=f"{name} must be a number"):
        check_threshold_params(**params)


# ---------------------------------------------------------------- validation in the detector
@pytest.mark.parametrize(
    "params, name",
    [
        ({"contamination": 0.6}, "contamination"),
        ({"contamination": 0.0}, "contamination"),
        ({"contamination": "10%"}, "contamination"),
        ({"threshold": "percentile"}, "threshold"),
        ({"threshold": -1.0}, "threshold"),
        ({"threshold": np.inf}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"n_std": -0.5}, "n_std"),
        ({"n_std": np.nan}, "n_std"),
        ({"n_std": False}, "n_std"),
    ],
)
def test_bad_threshold_parameters_fail_before_training(params, name, count_training, labelled):
    X, _ = labelled
    X_before = X.copy()
    with pytest.raises(ValueError, match=name):
        ReconstructionOutlierDetector(**params).fit(X)
    assert count_training == []
    np.testing.assert_array_equal(X, X_before)


# ---------------------------------------------------------------- rules inside the detector
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"threshold": "median_mad", "n_std": 2.0},
        {"threshold": 0.3},
        {"contamination": 0.1, "threshold": "median_mad"},
    ],
    ids=["default", "median_mad", "fixed", "contamination"],
)
def test_offset_comes_from_training_errors(params, labelled, fast_params):
    X, _ = labelled
    det = ReconstructionOutlierDetector(**params, **fast_params).fit(X)
    merged = {"contamination": "auto", "threshold": "log_mean_std", "n_std": None, **params}
    expected = error_threshold(-det.score_samples(X), **merged)
    assert det.threshold_ == pytest.approx(expected, rel=1e-6)
    assert det.offset_ == -det.threshold_
    flagged = det.predict(X) == -1
    np.testing.assert_array_equal(flagged, -det.score_samples(X) > det.threshold_)
    if "contamination" in params:
        assert flagged.mean() == pytest.approx(0.1, abs=1 / len(X))


def test_fit_threshold_moves_only_the_threshold(labelled, fast_params, count_training):
    X, _ = labelled
    det = ReconstructionOutlierDetector(**fast_params).fit(X)
    scores, weights = det.score_samples(X), det.model_.get_weights()
    n_trained = len(count_training)
    det.set_params(contamination=0.2)
    assert det.offset_ == -error_threshold(  # set_params alone changes nothing
        -det.score_samples(X), contamination="auto", threshold="log_mean_std", n_std=None
    )
    assert det.fit_threshold(X) is det
    assert len(count_training) == n_trained
    np.testing.assert_array_equal(det.score_samples(X), scores)
    for before, after in zip(weights, det.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    assert (det.predict(X) == -1).mean() == pytest.approx(0.2, abs=1 / len(X))


def test_fit_threshold_with_normal_label_uses_normal_rows(labelled, fast_params):
    X, y = labelled
    det = ReconstructionOutlierDetector(normal_label=1, contamination=0.05, **fast_params)
    det.fit(X, y)
    fitted = det.threshold_
    det.fit_threshold(X, y)  # same rows and parameters as fit: same threshold
    assert det.threshold_ == pytest.approx(fitted, rel=1e-6)
    expected = np.percentile(-det.score_samples(X[y == 1]), 95.0)
    assert det.threshold_ == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="needs labels"):
        det.fit_threshold(X)


def test_fit_threshold_takes_the_documented_sample_weight(labelled, fast_params):
    X, _ = labelled
    weights = np.where(np.arange(len(X)) % 4 == 0, 3.0, 1.0)
    det = ReconstructionOutlierDetector(contamination=0.1, **fast_params)
    fitted = det.fit(X, sample_weight=weights).threshold_
    # the same rows and weights as fit: the same threshold; without them, another one
    assert det.fit_threshold(X, sample_weight=weights).threshold_ == pytest.approx(fitted)
    repeated = np.repeat(X, weights.astype(int), axis=0)  # integer weights repeat rows
    expected = det.fit_threshold(repeated).threshold_
    assert det.fit_threshold(X, None, weights).threshold_ == pytest.approx(expected, rel=1e-9)
    assert det.fit_threshold(X).threshold_ != pytest.approx(expected, rel=1e-6)


def test_fit_threshold_errors(labelled, fast_params):
    X, _ = labelled
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ReconstructionOutlierDetector(**fast_params).fit_threshold(X)
    det = ReconstructionOutlierDetector(**fast_params).fit(X)
    offset = det.offset_
    with pytest.raises(ValueError, match="contamination"):
        det.set_params(contamination=0.9).fit_threshold(X)
    with pytest.raises(ValueError, match="features"):
        det.set_params(contamination=0.1).fit_threshold(X[:, :3])
    assert det.offset_ == offset
    # a threshold from a handful of rows (fit refuses fewer than 10 as well)
    with pytest.raises(ValueError, match="minimum of 10 is required"):
        det.fit_threshold(X[:3])
    assert det.offset_ == offset


# ---------------------------------------------------------------- labelled search, sklearn scorers
SCORERS = {
    "f1": "f1",  # F1 of the +1 (normal) class
    "f1_anomaly": make_scorer(f1_score, pos_label=-1),
    "roc_auc": "roc_auc",
    "average_precision": "average_precision",
    "balanced_accuracy": "balanced_accuracy",
}


@pytest.mark.parametrize("normal_label", [None, 1])
def test_grid_search_with_sklearn_scorers(normal_label, labelled, fast_params):
    X, y = labelled
    det = ReconstructionOutlierDetector(normal_label=normal_label, **fast_params)
    contaminations = [0.02, 0.1, 0.3]
    search = GridSearchCV(
        det, {"contamination": contaminations}, scoring=SCORERS, refit="balanced_accuracy",
        cv=KFold(2),
    ).fit(X, y)
    results = search.cv_results_
    for name in SCORERS:
        assert np.all(np.isfinite(results[f"mean_test_{name}"])), name
    # ranking metrics read decision_function, which a threshold only shifts
    for name in ("roc_auc", "average_precision"):
        np.testing.assert_allclose(results[f"mean_test_{name}"], results[f"mean_test_{name}"][0])
    assert results["mean_test_roc_auc"][0] > 0.8  # the detector separates the outliers
    # label-based metrics do depend on the threshold
    assert np.ptp(results["mean_test_balanced_accuracy"]) > 0
    assert search.best_params_["contamination"] in contaminations
    # the refitted detector thresholded the rows it trained on: normal ones with normal_label
    best = search.best_estimator_
    rows = X if normal_label is None else X[y == 1]
    expected = np.percentile(-best.score_samples(rows), 100 * (1 - best.contamination))
    assert best.threshold_ == pytest.approx(expected, rel=1e-6)


def test_single_scorer_search_picks_a_threshold(labelled, fast_params):
    X, y = labelled
    search = GridSearchCV(
        ReconstructionOutlierDetector(**fast_params),
        {"threshold": ["mean_std", "median_mad"], "n_std": [1.0, 3.0]},
        scoring="f1", cv=KFold(2),
    ).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])


def test_a_weighted_quantile_counts_a_row_of_integer_weight_as_copies():
    from skae._thresholds import _quantile

    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 40))
        values, weights = rng.normal(size=n), rng.integers(0, 4, size=n).astype(float)
        weights[0] = max(weights[0], 1.0)
        q = float(rng.random())
        assert _quantile(values, weights, q) == pytest.approx(
            np.quantile(np.repeat(values, weights.astype(int)), q), abs=1e-12)
        assert _quantile(values, np.ones(n), q) == pytest.approx(np.quantile(values, q))


def test_a_weighted_quantile_of_fractional_weights_depends_on_their_ratios_only():
    from skae._thresholds import _quantile

    rng = np.random.default_rng(1)
    values = rng.lognormal(size=1000)
    weights = rng.dirichlet(np.ones(1000))  # sums to 1: must not collapse to the minimum
    level = _quantile(values, weights, 0.9)
    assert level == pytest.approx(_quantile(values, weights * 1000, 0.9))
    assert level == pytest.approx(_quantile(values, weights / 300, 0.9))
    assert np.mean(values > level) == pytest.approx(0.1, abs=0.03)
