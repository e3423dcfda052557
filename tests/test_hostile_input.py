"""Hostile and odd input: every case works (finite, right shape) or fails clearly, untouched.

Property-based (hypothesis): shapes, dtypes, containers (numpy, lists, strings, sparse,
pandas with nullable and categorical dtypes) and values (NaN, inf, beyond float32, huge,
tiny, subnormal, constant columns, duplicated rows, one row, one feature). An input with a
problem must raise a ValueError or TypeError whose message names one of its problems; an
input without one must give finite outputs of the right shape. No other exception may
escape, and the input must be unchanged afterwards. Run with ``-s`` to see how many
examples ran.
"""

import collections
import copy
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import fast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning", "ignore::UserWarning",
    "ignore::FutureWarning", "ignore::RuntimeWarning",
)

N_FEATURES = 4
PARAMS = fast(epochs=1, hidden_layer_sizes=(6,))
F32_MAX = float(np.finfo(np.float32).max)

#: What the error message must mention for each problem an input has.
PROBLEM_MESSAGES = {
    "nonfinite": r"NaN|infinity",
    "beyond_float32": r"float32",
    "strings": r"convert string|could not convert",
    "sparse": r"[Ss]parse",
    "datetime": r"DType|datetime",
    "n_features": r"features",
    "1d": r"2D array",
    "3d": r"dim 3",
    "no_rows": r"0 sample",
}
#: What ``fit`` may (not must) say about an input whose values are within float32 but whose
#: squares (the loss) are not: training on it may diverge. Clean inputs get no allowance.
MAY_DIVERGE = r"diverged"
SQUARE_OVERFLOWS = float(np.sqrt(F32_MAX))
#: Containers that keep the drawn float values (others round, clip or reject them).
KEEPS_FLOATS = ["float64", "float32", "object", "list", "numeric-str", *(
    f"df-{k}" for k in ("float64", "Float64", "Int64", "boolean", "category",
                        "category-str", "object-str", "string", "datetime"))]

FINE = [0.0, -0.0, 1.0, -2.5, 1e-300, 5e-324, 1e-40, 1e6, -1e6, 1e30, -1e30]
BAD = [1e39, -1e39, 1e300, -1.7e308,  # finite but beyond float32
       np.nan, np.inf, -np.inf]
FINE_VALUES = st.one_of(st.floats(-5, 5, allow_nan=False), st.sampled_from(FINE))
VALUES = st.one_of(FINE_VALUES, st.sampled_from(BAD))

ARRAY_KINDS = ["float64", "float32", "float16", "int64", "uint8", "bool", "object", "list",
               "numeric-str"]
ODD_KINDS = ["str", "csr", "coo", "1d", "3d", "no-rows"]
PANDAS_KINDS = ["df-float64", "df-Float64", "df-Int64", "df-boolean", "df-category",
                "df-category-str", "df-object-str", "df-string", "df-datetime"]

RUNS = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_example_counts():
    yield
    total = sum(v for k, v in RUNS.items() if k[1] == "examples")
    print(f"\nhypothesis examples run in {__name__}: {total} -> " + ", ".join(
        f"{where} {what}: {n}" for (where, what), n in sorted(RUNS.items())))


def _value_problems(values: np.ndarray) -> set:
    """Problems of a float64 matrix of values."""
    problems = set()
    if not np.isfinite(values).all():
        problems.add("nonfinite")
    finite = values[np.isfinite(values)]
    if finite.size and np.abs(finite).max() > F32_MAX:
        problems.add("beyond_float32")
    return problems


def _container(kind: str, values: np.ndarray, draw):
    """``values`` in the container ``kind``, and the set of problems the result has."""
    with np.errstate(over="ignore", invalid="ignore"):
        if kind in ("float64", "object", "list", "numeric-str"):
            X = {"float64": values, "object": values.astype(object), "list": values.tolist(),
                 "numeric-str": values.astype(str)}[kind]
            return X, _value_problems(values)
        if kind in ("float32", "float16"):
            X = values.astype(kind)
            return X, _value_problems(X.astype(np.float64))
        safe = np.clip(np.nan_to_num(values), -1e18, 1e18)
        if kind == "int64":
            return safe.astype(np.int64), set()
        if kind == "uint8":
            return np.clip(safe, 0, 255).astype(np.uint8), set()
        if kind == "bool":
            return values > 0, set()
        if kind == "str":
            X = values.astype(str).astype(object)
            X[draw(st.integers(0, X.shape[0] - 1)), 0] = draw(st.sampled_from(["a", "", "x1"]))
            return X, {"strings"}
        if kind in ("csr", "coo"):
            return getattr(sp, f"{kind}_matrix")(np.nan_to_num(values)), {"sparse"}
        if kind == "1d":
            return values.ravel(), {"1d"}
        if kind == "3d":
            return values[:, :, None], {"3d"}
        if kind == "no-rows":
            return values[:0], {"no_rows"}
    return _dataframe(kind, values, draw)


def _dataframe(kind: str, values: np.ndarray, draw):
    """A DataFrame (integer column labels) whose first column has the dtype of ``kind``."""
    df = pd.DataFrame(values)
    col = values[:, 0]
    rest = _value_problems(values[:, 1:])
    with_na = draw(st.booleans())
    na_at = draw(st.integers(0, len(col) - 1))
    if kind == "df-float64":
        return df, _value_problems(values)
    if kind == "df-Float64":  # NaN becomes pd.NA; +-inf stay
        df[0] = pd.array(col, dtype="Float64")
        if with_na:
            df.loc[na_at, 0] = pd.NA
        return df, _value_problems(df[0].to_numpy(dtype=np.float64, na_value=np.nan)) | rest
    if kind in ("df-Int64", "df-boolean", "df-category"):
        ints = np.clip(np.nan_to_num(col), -1e9, 1e9).round()
        source = {"df-Int64": ints.astype(np.int64), "df-boolean": ints > 0,
                  "df-category": ints}[kind]
        dtype = {"df-Int64": "Int64", "df-boolean": "boolean", "df-category": "category"}[kind]
        series = pd.Series(source, dtype=dtype)
        if with_na:
            series[na_at] = pd.NA if kind != "df-category" else np.nan
        df[0] = series
        return df, rest | ({"nonfinite"} if with_na else set())
    if kind in ("df-category-str", "df-object-str", "df-string"):
        labels = np.where(np.nan_to_num(col) > 0, "up", "down")
        df[0] = {"df-category-str": pd.Categorical(labels), "df-object-str": labels.astype(object),
                 "df-string": pd.array(labels, dtype="string")}[kind]
        return df, rest | {"strings"}
    if kind == "df-datetime":
        df[0] = pd.date_range("2020-01-01", periods=len(col))
        return df, rest | {"datetime"}
    raise AssertionError(kind)


@st.composite
def cases(draw, kinds, n_features=N_FEATURES, rows=(1, 5)):
    """An input for an estimator expecting ``n_features`` columns (``rows`` rows, at least
    and at most), its problems, and whether it holds float32 values whose squares overflow
    float32."""
    kind = draw(st.sampled_from(kinds))
    n_rows = draw(st.integers(*rows))
    wrong_width = kind not in ("1d", "3d") and draw(st.integers(0, 5)) == 0
    n_cols = draw(st.sampled_from([c for c in range(1, 7) if c != n_features])) \
        if wrong_width else n_features
    elements = draw(st.sampled_from([FINE_VALUES, VALUES]))  # half the inputs are clean
    values = draw(hnp.arrays(np.float64, (n_rows, n_cols), elements=elements))
    if n_rows > 1 and draw(st.booleans()):
        values[-1] = values[0]  # duplicated rows
    if draw(st.booleans()):
        values[:, draw(st.integers(0, n_cols - 1))] = draw(elements)  # a constant column
    X, problems = _container(kind, values, draw)
    if wrong_width:
        problems = problems | {"n_features"}
    finite = np.abs(values[np.isfinite(values)])
    loss_overflows = kind in KEEPS_FLOATS and bool(
        np.any((finite > SQUARE_OVERFLOWS) & (finite <= F32_MAX)))
    return X, problems, loss_overflows


def _frozen(X):
    """A deep copy of X, to check that it was not modified."""
    return copy.deepcopy(X)


def _assert_unmodified(X, before):
    assert type(X) is type(before)
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, before)
    elif sp.issparse(X):
        assert X.format == before.format and X.shape == before.shape
        np.testing.assert_array_equal(X.toarray(), before.toarray())
    elif isinstance(X, np.ndarray):
        assert X.dtype == before.dtype and X.shape == before.shape
        assert [repr(v) for v in X.ravel().tolist()] == [repr(v) for v in before.ravel().tolist()]
    else:
        assert repr(X) == repr(before)


def _check_outcome(call, X, problems, where, may_fail=None):
    """Run ``call``; check success (finite, returned) or a clear ValueError/TypeError."""
    before = _frozen(X)
    expected = "|".join(PROBLEM_MESSAGES[p] for p in sorted(problems))
    try:
        result = call()
    except (ValueError, TypeError) as exc:
        RUNS[where, type(exc).__name__] += 1
        allowed = "|".join(filter(None, [expected, may_fail]))
        assert allowed, f"{type(exc).__name__} for an input without problems: {exc}"
        assert re.search(allowed, str(exc)), f"message does not name {sorted(problems)}: {exc}"
        result = None
    else:
        RUNS[where, "worked"] += 1
        assert not problems, f"input with problems {sorted(problems)} was accepted"
    _assert_unmodified(X, before)
    return result


# ---------------------------------------------------------------------- predict time
@pytest.fixture(scope="module")
def fitted():
    X = np.random.default_rng(0).normal(size=(40, N_FEATURES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            "transformer": AutoencoderTransformer(**PARAMS).fit(X),
            "denoiser": DenoisingAutoencoder(**PARAMS).fit(X),
            "detector": ReconstructionOutlierDetector(**PARAMS).fit(X),
        }


METHODS = {
    "transformer": ["score_samples", "reconstruction_error", "reconstruct", "transform",
                    "score"],
    "denoiser": ["score_samples", "reconstruct", "transform", "predict", "score"],
    "detector": ["score_samples", "decision_function", "predict", "score",
                 "reconstruction_error"],
}
CALLS = [(name, method) for name, methods in METHODS.items() for method in methods]


def _expected_shape(name, method, n_rows):
    if method == "score":
        return ()
    if method == "transform":
        return (n_rows, PARAMS["n_components"])
    if method == "reconstruct" or (name == "denoiser" and method == "predict"):
        return (n_rows, N_FEATURES)
    return (n_rows,)


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases(ARRAY_KINDS + ODD_KINDS + PANDAS_KINDS), call=st.sampled_from(CALLS))
def test_prediction_on_hostile_input_works_or_fails_clearly(fitted, case, call):
    X, problems, _ = case
    name, method = call
    RUNS["predict", "examples"] += 1
    result = _check_outcome(lambda: getattr(fitted[name], method)(X), X, problems, "predict")
    if result is not None:
        result = np.asarray(result)
        assert result.shape == _expected_shape(name, method, len(X))
        assert np.isfinite(result).all()
        if name == "detector" and method == "predict":
            assert set(result.tolist()) <= {-1, 1}


# ---------------------------------------------------------------------- fit time
FIT_KINDS = ["float64", "float32", "int64", "bool", "list", "df-Float64", "df-Int64",
             "df-boolean", "df-category", "df-object-str", "csr", "1d", "no-rows"]


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(n_features=st.integers(1, 3), data=st.data())
def test_fit_on_hostile_input_works_or_fails_clearly(n_features, data):
    # the detector's fewest training rows and a few more (fewer: tests/test_first_hour.py)
    X, problems, loss_overflows = data.draw(cases(FIT_KINDS, n_features=n_features,
                                                  rows=(10, 13)))
    problems = problems - {"n_features"}  # fit takes any width
    RUNS["fit", "examples"] += 1
    est = ReconstructionOutlierDetector(**PARAMS)
    may_fail = MAY_DIVERGE if loss_overflows else None
    fitted = _check_outcome(lambda: est.fit(X), X, problems, "fit", may_fail=may_fail)
    if fitted is None:
        assert not hasattr(est, "model_")
        return
    width = est.n_features_in_
    scores = est.score_samples(X)
    assert scores.shape == (len(X),) and np.isfinite(scores).all()
    assert np.isfinite(est.threshold_) and set(est.predict(X).tolist()) <= {-1, 1}
    assert est.reconstruct(X).shape == (len(X), width)


# ---------------------------------------------------------------------- explicit cases
@pytest.mark.parametrize(
    "X",
    [np.zeros((20, 3)), np.full((20, 3), 7.5),
     np.c_[np.random.default_rng(1).normal(size=(20, 2)), np.full(20, -3.0)],
     np.repeat(np.random.default_rng(2).normal(size=(1, 3)), 20, axis=0)],
    ids=["all-zero", "all-constant", "one-constant-column", "identical-rows"],
)
def test_zero_variance_features_give_finite_scores(X):
    det = ReconstructionOutlierDetector(**PARAMS).fit(X)
    assert np.isfinite(det.threshold_)
    for rows in (X, X[:1] + 1.0):
        assert np.isfinite(det.score_samples(rows)).all()
        assert np.isfinite(det.decision_function(rows)).all()
        assert set(det.predict(rows).tolist()) <= {-1, 1}


def test_beyond_float32_values_are_refused_by_name(fitted):
    with pytest.raises(ValueError, match=r"1e\+300.*float32"):
        fitted["detector"].score_samples(np.full((2, N_FEATURES), 1e300))
    with pytest.raises(ValueError, match="float32"):
        ReconstructionOutlierDetector(**PARAMS).fit(np.full((5, 2), -1e39))


def test_float32_input_near_float32_max_gives_finite_scores_or_a_clear_error(fitted):
    X = np.full((2, N_FEATURES), 3e38, dtype=np.float32)
    X[1, ::2] *= -1
    try:
        scores = fitted["transformer"].score_samples(X)
    except ValueError as exc:
        assert "overflow" in str(exc) or "float32" in str(exc)
    else:
        assert np.isfinite(scores).all()
