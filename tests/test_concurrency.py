"""Concurrency: one fitted estimator shared by threads; estimators fitted in parallel."""

import copy
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import fast
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_THREADS = 8
PARAMS = fast(epochs=2, n_components=None)


def _data(seed, n=60, n_features=4):
    return np.random.default_rng(seed).normal(size=(n, n_features))


@pytest.fixture(scope="module")
def fitted():
    """A dense detector and transformer (numpy engine) and a conv2d one (TensorFlow)."""
    X = _data(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            "detector": ReconstructionOutlierDetector(**PARAMS).fit(X),
            "transformer": AutoencoderTransformer(**PARAMS).fit(X),
            "conv2d": AutoencoderTransformer(
                **PARAMS, architecture="conv2d", input_shape=(2, 2, 1)).fit(X),
        }


def _calls(fitted):
    det, ae, conv = fitted["detector"], fitted["transformer"], fitted["conv2d"]
    return {
        "score_samples": det.score_samples,
        "predict": det.predict,
        "decision_function": det.decision_function,
        "transform": ae.transform,
        "inverse_transform": lambda X: ae.inverse_transform(ae.transform(X)),
        "reconstruct": ae.reconstruct,
        "conv2d.transform": conv.transform,
        "conv2d.score_samples": conv.score_samples,
    }


def _run_together(functions):
    """Call every function in its own thread, all released at once by a barrier."""
    barrier = threading.Barrier(len(functions))

    def run(fn):
        barrier.wait(timeout=60)
        return fn()

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return [f.result() for f in [pool.submit(run, fn) for fn in functions]]


def test_parallel_predictions_equal_serial_ones(fitted):
    # fresh copies first: their forward passes are set up by the racing threads themselves
    copies = {name: copy.deepcopy(est) for name, est in fitted.items()}
    fresh_calls, calls = _calls(copies), _calls(fitted)
    # a different input per thread, of different lengths, float64 and float32 mixed
    inputs = [_data(10 + i, n=7 + 31 * i).astype(np.float32 if i % 2 else np.float64)
              for i in range(N_THREADS)]
    for name in calls:
        first = _run_together([lambda X=X, c=fresh_calls[name]: c(X) for X in inputs])
        serial = [calls[name](X) for X in inputs]
        again = _run_together([lambda X=X, c=calls[name]: c(X) for X in inputs])
        for parallel in (first, again):
            for got, want in zip(parallel, serial, strict=True):
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want, err_msg=name)


def test_mixed_methods_from_many_threads_on_one_estimator(fitted):
    """Every thread calls every method in its own order, so the calls interleave."""
    calls = _calls(fitted)
    X = _data(3, n=50)
    serial = {name: call(X) for name, call in calls.items()}
    names = list(calls)

    def worker(offset):
        order = names[offset % len(names):] + names[:offset % len(names)]
        return {name: calls[name](X) for name in order * 3}

    results = _run_together([lambda i=i: worker(i) for i in range(N_THREADS)])
    for result in results:
        for name, want in serial.items():
            np.testing.assert_array_equal(result[name], want, err_msg=name)


def test_estimators_fitted_in_parallel_equal_serial_fits():
    makers = [
        lambda: ReconstructionOutlierDetector(**PARAMS).fit(_data(1)),
        lambda: DenoisingAutoencoder(**{**PARAMS, "random_state": 7}).fit(_data(2)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        serial = [make() for make in makers]
        parallel = _run_together(makers)
    X = _data(4)
    for got, want in zip(parallel, serial, strict=True):
        assert got.history_ == want.history_
        for w_got, w_want in zip(got.model_.get_weights(), want.model_.get_weights(),
                                 strict=True):
            np.testing.assert_array_equal(w_got, w_want)
        np.testing.assert_array_equal(got.score_samples(X), want.score_samples(X))
    assert parallel[0].threshold_ == serial[0].threshold_
