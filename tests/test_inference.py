"""Inference engines, bounded-memory batching, no retracing, and leak-free refits (issue 5)."""

import gc
import logging
import pickle
import threading

import keras
import numpy as np
import pytest
import sklearn
import tensorflow as tf
from numpy.testing import assert_allclose

from skae import (
    AutoencoderTransformer,
    DenoisingAutoencoder,
    ReconstructionOutlierDetector,
    _inference,
)
from skae._dense_forward import dense_chain
from skae._inference import _Combined, _Engines, _Vectors, apply_batched, chunk_rows

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"epochs": 2, "hidden_layer_sizes": (8,), "n_components": 2, "random_state": 0}
F32 = {"rtol": 1e-5, "atol": 1e-5}  # float32 network vs float64 numpy engine
TAIL_F32 = {"rtol": 1e-4, "atol": 1e-4}


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 6))


@pytest.fixture(scope="module")
def fitted(X):
    return {
        # scored by the fused error engine (the default's combined score: see
        # test_the_combined_score_is_per_row_and_chunked_by_working_memory)
        "detector": ReconstructionOutlierDetector(isolation_weight=0.0, **FAST).fit(X),
        "transformer": AutoencoderTransformer(**FAST).fit(X),
        "denoiser": DenoisingAutoencoder(**FAST).fit(X),
    }


@pytest.fixture(scope="module")
def conv(X):
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(30, 16))
    est = AutoencoderTransformer(
        architecture="conv2d", input_shape=(4, 4), hidden_layer_sizes=(2,), epochs=1,
        random_state=0,
    )
    return est.fit(images), images


def _methods(est):
    names = ["score_samples", "decision_function", "predict", "transform", "reconstruct"]
    return [getattr(est, n) for n in names if hasattr(est, n)]


def _keras_out(model, X):
    return model(X.astype(np.float32), training=False).numpy()


# ------------------------------------------------------------------ engine choice
def test_dense_architecture_uses_dense_engine_and_conv2d_the_keras_graph(fitted, conv):
    for est in fitted.values():
        assert set(est._passes.engines.values()) == {"dense"}
    assert set(conv[0]._passes.engines.values()) == {"graph"}


@pytest.mark.parametrize("name", ["detector", "transformer", "denoiser"])
def test_dense_engine_matches_keras_model(fitted, X, name):
    est = fitted[name]  # the engines, before any scaling of the estimator
    assert_allclose(est._passes.network(X), _keras_out(est.model_, X), **F32)
    if hasattr(est, "transform"):
        assert_allclose(est.transform(X), _keras_out(est.encoder_, X), **F32)
        codes = est.transform(X)
        assert_allclose(est.inverse_transform(codes), _keras_out(est.decoder_, codes), **F32)


def test_conv2d_graph_engine_matches_keras_model(conv):
    est, images = conv
    assert_allclose(est.reconstruct(images), _keras_out(est.model_, images), **F32)
    assert_allclose(est.transform(images), _keras_out(est.encoder_, images), **F32)


# ------------------------------------------------------------------ activations and layers
ACTIVATIONS = [
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "softplus", "softsign",
    "silu", "swish", "gelu", "tanh", "sigmoid", "hard_sigmoid", "hard_silu", "exponential",
    "mish", "softmax", "log_softmax", "log_sigmoid", "hard_tanh", "tanh_shrink",
]


def _chain_model(*hidden_layers, n_in=5):
    inputs = keras.Input((n_in,))
    x = inputs
    for layer in hidden_layers:
        x = layer(x)
    return keras.Model(inputs, x)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_matches_keras(activation):
    init = keras.initializers.RandomNormal(stddev=1.0, seed=0)
    model = _chain_model(
        keras.layers.Dense(7, activation=activation, kernel_initializer=init,
                           bias_initializer=init),
        keras.layers.Dense(3, kernel_initializer=init),
    )
    X = np.random.default_rng(0).normal(scale=2.0, size=(50, 5))
    chain = dense_chain(model)
    assert chain is not None, f"{activation} should be supported"
    expected = _keras_out(model, X)
    in_numpy = chain.numpy_call(X)
    assert_allclose(in_numpy, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    # the TensorFlow float64 graph of the same steps (Keras's own activation) agrees closely
    assert_allclose(chain.graph_call(X), in_numpy, rtol=1e-10, atol=1e-12)
    for call in (chain.numpy_call, chain.graph_call):
        assert call(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.Activation("tanh"),
        keras.layers.ReLU(),
        keras.layers.ReLU(max_value=0.5),
        keras.layers.ReLU(threshold=0.3),
        keras.layers.ReLU(negative_slope=0.1),
        keras.layers.ReLU(negative_slope=0.1, max_value=1.0, threshold=0.2),
        keras.layers.LeakyReLU(negative_slope=0.3),
        keras.layers.ELU(alpha=0.5),
        keras.layers.Dropout(0.5),
        keras.layers.GaussianNoise(1.0),
        keras.layers.BatchNormalization(),
    ],
    ids=lambda layer: type(layer).__name__ + str(layer.get_config().get("max_value", "")),
)
def test_layers_match_keras_at_inference(layer):
    model = _chain_model(keras.layers.Dense(6), layer, keras.layers.Dense(4))
    if isinstance(layer, keras.layers.BatchNormalization):  # non-trivial moving statistics
        rng = np.random.default_rng(1)
        layer.set_weights([rng.uniform(0.5, 2, 6), rng.normal(size=6), rng.normal(size=6),
                           rng.uniform(0.5, 2, 6)])
    X = np.random.default_rng(0).normal(size=(30, 5))
    chain = dense_chain(model)
    assert chain is not None
    assert_allclose(chain.numpy_call(X), _keras_out(model, X), **F32)
    assert_allclose(chain.graph_call(X), chain.numpy_call(X), rtol=1e-10, atol=1e-12)


def test_chain_never_modifies_its_input():
    model = _chain_model(keras.layers.Activation("relu"), keras.layers.BatchNormalization(),
                         keras.layers.Dense(3))
    X = np.random.default_rng(0).normal(size=(10, 5))
    before = X.copy()
    chain = dense_chain(model)
    for data in (X, X.astype(np.float32)):
        chain.numpy_call(data)
        chain.graph_call(data)
    assert_allclose(X, before, rtol=0, atol=0)
    identity = dense_chain(_chain_model(keras.layers.Dropout(0.1)))
    out = identity.numpy_call(X)
    out[:] = 0  # the result is never the input itself
    assert_allclose(X, before, rtol=0, atol=0)


class _MyDense(keras.layers.Dense):
    def call(self, inputs, training=None):
        return super().call(inputs) * 2


@pytest.mark.parametrize(
    "build",
    [
        lambda: _chain_model(keras.layers.Dense(3, activation=lambda x: x * 2)),
        lambda: _chain_model(_MyDense(3)),
        lambda: _chain_model(keras.layers.Dense(4), keras.layers.LayerNormalization()),
        lambda: _chain_model(keras.layers.Dense(3, activation="relu", dtype="float16")),
    ],
    ids=["custom-activation", "subclassed-dense", "unknown-layer", "float16"],
)
def test_unsupported_networks_fall_back_to_tensorflow(build):
    assert dense_chain(build()) is None


def test_training_true_call_and_branching_graphs_fall_back():
    inputs = keras.Input((5,))
    x = keras.layers.Dense(4)(inputs)
    mc_dropout = keras.Model(inputs, keras.layers.Dropout(0.5)(x, training=True))
    assert dense_chain(mc_dropout) is None
    skip = keras.Model(inputs, keras.layers.Add()([keras.layers.Dense(5)(inputs), inputs]))
    assert dense_chain(skip) is None


def _user_model(meta, compile_kwargs):
    n = meta["n_features_in_"]
    inputs = keras.Input((n,))
    code = keras.layers.Dense(2)(keras.layers.LayerNormalization()(inputs))
    encoder = keras.Model(inputs, code, name="encoder")
    code_in = keras.Input((2,))
    decoder = keras.Model(code_in, keras.layers.Dense(n)(code_in), name="decoder")
    ae_in = keras.Input((n,))
    model = keras.Model(ae_in, decoder(encoder(ae_in)))
    model.compile(**compile_kwargs)
    return model


def test_user_model_with_unsupported_layer_uses_keras_graph_within_float32(X):
    est = ReconstructionOutlierDetector(model=_user_model, epochs=1, random_state=0).fit(X)
    assert est._passes.engines == {"encode": "graph", "decode": "dense", "reconstruct": "graph"}
    assert_allclose(est._passes.network(X), _keras_out(est.model_, X), **F32)
    by_row = np.concatenate([est.score_samples(X[i : i + 1]) for i in range(len(X))])
    assert_allclose(est.score_samples(X), by_row, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ subset invariance, dtypes
@pytest.mark.parametrize("name", ["detector", "transformer", "denoiser"])
def test_dense_path_is_subset_invariant_to_1e_7(fitted, X, name):
    """The check sklearn's check_methods_subset_invariance makes (atol 1e-7), and more."""
    est = fitted[name]
    for method in _methods(est):
        full = method(X[:20])
        by_row = np.concatenate([method(X[i : i + 1]) for i in range(20)])
        assert_allclose(full, by_row, rtol=1e-12, atol=1e-7)
        halves = np.concatenate([method(X[:7]), method(X[7:20])])
        assert_allclose(full, halves, rtol=1e-12, atol=1e-7)


@pytest.mark.parametrize("name", ["detector", "transformer", "denoiser"])
def test_subset_invariant_across_numpy_and_graph_evaluation(fitted, X, name):
    """Large calls run in the TensorFlow graph in the network's float32, single rows in numpy
    in float64: results agree to float32 rounding, and stay float64."""
    est = fitted[name]
    passes = est._passes
    engines = [passes.engines_of(n) for n in ("encode", "decode", "reconstruct")]
    limits = [e.numpy_max_rows for e in engines]
    differ = False
    try:
        for e in engines:
            e.numpy_max_rows = 4  # chunks of more than 4 rows use the graph
        for method in _methods(est):
            full = method(X[:20])
            by_row = np.concatenate([method(X[i : i + 1]) for i in range(20)])
            assert full.dtype == by_row.dtype
            assert_allclose(full, by_row, **F32)
            if full.dtype.kind == "f":  # scores, codes, rows: float64 as the input
                assert full.dtype == np.float64
                differ = differ or not np.array_equal(full, by_row)
        assert differ  # the graph really ran, in float32
    finally:
        for e, limit in zip(engines, limits, strict=True):
            e.numpy_max_rows = limit
    graphs = passes.engines_of("reconstruct").traced  # (output, scaled, square, input dtype)
    assert {key[0] for key in graphs} >= {"row_errors", "rows" if name == "detector" else "raw"}
    assert all(g.experimental_get_tracing_count() == 1 for g in graphs.values())
    assert all(e.graph_dtype == np.float32 for e in engines)  # float64 input, float32 graph


def test_numpy_runs_single_rows_and_graph_large_chunks(fitted):
    passes = fitted["detector"]._passes
    engines = passes.engines_of("reconstruct")
    n = engines.numpy_max_rows
    assert 1 <= n < 10**6
    calls = []
    numpy_call, function = engines._chain.numpy_call, engines.function
    engines._chain.numpy_call = lambda X: calls.append(("numpy", len(X))) or numpy_call(X)
    engines.function = lambda *args: calls.append(("graph", None)) or function(*args)
    combined = _Combined("raw", scale_in=False)
    try:
        for rows in (1, n, n + 1):
            out = engines.run(combined, np.zeros((rows, 6)), passes._vectors)
            assert out.shape == (rows, 6)
    finally:
        del engines._chain.numpy_call, engines.function
    assert calls == [("numpy", 1), ("numpy", n), ("graph", None)]


def test_output_dtype_follows_input_dtype(fitted, X):
    ae = fitted["transformer"]
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        assert ae.transform(Xd).dtype == dtype
        assert ae.reconstruct(Xd).dtype == dtype
        assert ae.inverse_transform(ae.transform(Xd)).dtype == dtype
        assert ae.score_samples(Xd).dtype == np.float64
    assert_allclose(ae.transform(X.astype(np.float32)), ae.transform(X), **F32)


def test_inputs_are_not_modified(fitted, X):
    data = X.copy()
    for est in fitted.values():
        for method in _methods(est):
            method(data)
    assert_allclose(data, X, rtol=0, atol=0)


# ------------------------------------------------------------------ batching
def _record_chunks(est, which="reconstruct"):
    engines = est._passes.engines_of(which)
    inner = engines.run
    sizes = []

    def recorder(combined, rows, vectors):
        sizes.append(rows.shape[0])
        return inner(combined, rows, vectors)

    engines.run = recorder
    return sizes, lambda: delattr(engines, "run")


@pytest.mark.parametrize("name", ["detector", "transformer", "denoiser"])
def test_tiny_working_memory_gives_same_results_in_small_chunks(fitted, X, name):
    est = fitted[name]
    expected = [method(X) for method in _methods(est)]
    sizes, restore = _record_chunks(est)
    try:
        with sklearn.config_context(working_memory=0.0005):  # about 500 bytes
            got = [method(X) for method in _methods(est)]
    finally:
        restore()
    assert sizes and max(sizes) < len(X)  # it really ran in chunks
    for a, b in zip(expected, got, strict=True):
        assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_the_combined_score_is_per_row_and_chunked_by_working_memory(X):
    """The default detector's score (reconstruction error combined with the isolation
    forest's) walks the rows in chunks bounded by working_memory; a row's score is the
    same alone, in a chunk, and whichever engine (numpy or the float32 graph) ran its
    network."""
    det = ReconstructionOutlierDetector(**FAST).fit(X)
    assert det.isolation_forest_ is not None
    X_big = np.random.default_rng(2).normal(size=(3000, 6))
    whole = det.score_samples(X_big)
    sizes, restore = _record_chunks(det)
    try:
        with sklearn.config_context(working_memory=0.05):
            chunked = det.score_samples(X_big)
    finally:
        restore()
    assert len(sizes) > 1 and max(sizes) < len(X_big) and sum(sizes) == len(X_big)
    # small chunks may take the float64 numpy engine; the steep tail score (-log(1 - rank))
    # can magnify the float32 rounding of a row's error tenfold
    assert_allclose(chunked, whole, **TAIL_F32)
    by_row = np.concatenate([det.score_samples(X_big[i:i + 1]) for i in range(0, 3000, 150)])
    assert_allclose(whole[::150], by_row, **TAIL_F32)


def test_chunks_are_bounded_by_working_memory_not_by_n_samples(fitted):
    est = fitted["detector"]
    X_big = np.random.default_rng(2).normal(size=(3000, 6))
    row_bytes = est._passes.row_bytes + 16 * 6
    sizes, restore = _record_chunks(est)
    try:
        with sklearn.config_context(working_memory=0.05):
            scores = est.score_samples(X_big)
            limit = chunk_rows(len(X_big), row_bytes)
    finally:
        restore()
    assert limit < len(X_big)
    assert max(sizes) <= limit and sum(sizes) == len(X_big)
    assert len(sizes) == -(-len(X_big) // limit)
    assert_allclose(scores, est.score_samples(X_big), **F32)  # chunks may run in numpy


@pytest.mark.parametrize("method", ["score_samples", "reconstruct", "transform"])
def test_overflowing_network_output_is_a_clear_error(fitted, X, method):
    est = fitted["transformer"]
    engines = est._passes.engines_of("encode" if method == "transform" else "reconstruct")
    inner = engines.run

    def overflow(combined, rows, vectors):
        out = np.array(inner(combined, rows, vectors))
        out[-1] = np.inf
        return out

    engines.run = overflow
    try:
        with pytest.raises(ValueError, match="overflow"):
            getattr(est, method)(X.astype(np.float32))
    finally:
        del engines.run


def _forward_threads() -> list:
    return [t for t in threading.enumerate() if t.name.startswith("skae-forward")]


def test_multi_chunk_passes_run_ahead_in_one_worker_thread_and_release_it(monkeypatch):
    monkeypatch.setattr(_inference, "MAX_CHUNK_ROWS", 7)
    X = np.random.default_rng(3).normal(size=(40, 3))
    threads = set()

    def fn(rows):
        threads.add(threading.current_thread().name)
        return np.sin(rows) * 3

    out = apply_batched(fn, X, 8, check_finite=True, dtype=np.float64)
    assert np.array_equal(out, np.sin(X) * 3)  # the very same values, in order
    workers = threads - {threading.current_thread().name}  # the first chunk runs here
    assert len(workers) == 1 and next(iter(workers)).startswith("skae-forward")
    assert not _forward_threads()  # joined before returning


def test_narrow_results_stay_in_the_callers_thread(monkeypatch):
    monkeypatch.setattr(_inference, "MAX_CHUNK_ROWS", 7)
    threads = set()

    def fn(rows):
        threads.add(threading.current_thread().name)
        return rows.sum(axis=1)

    out = apply_batched(fn, np.ones((40, 3)), 8)
    assert threads == {threading.current_thread().name}
    assert_allclose(out, np.full(40, 3.0))


def test_pipeline_holds_a_bounded_number_of_chunk_results(monkeypatch):
    import weakref

    monkeypatch.setattr(_inference, "MAX_CHUNK_ROWS", 2)
    alive, most = [], []

    def fn(rows):
        most.append(sum(ref() is not None for ref in alive))
        result = rows + 1.0
        alive.append(weakref.ref(result))
        return result

    out = apply_batched(fn, np.zeros((40, 2)), 8)
    assert len(alive) == 20 and np.array_equal(out, np.ones((40, 2)))
    # while the worker computes a chunk, only the chunks already queued before it live
    assert max(most) <= _inference.PIPELINE_DEPTH


def test_an_error_in_a_chunk_propagates_and_releases_the_worker(monkeypatch):
    monkeypatch.setattr(_inference, "MAX_CHUNK_ROWS", 5)
    calls = []

    def fn(rows):
        calls.append(len(rows))
        if len(calls) == 3:
            raise RuntimeError("chunk three failed")
        return rows.copy()

    with pytest.raises(RuntimeError, match="chunk three failed"):
        apply_batched(fn, np.ones((50, 2)), 8)
    assert not _forward_threads()
    assert len(calls) <= 3 + _inference.PIPELINE_DEPTH  # queued chunks are cancelled


def test_an_overflow_in_a_later_chunk_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_inference, "MAX_CHUNK_ROWS", 4)
    X = np.ones((20, 2))
    X[13, 1] = np.inf
    with pytest.raises(ValueError, match="not finite"):
        apply_batched(lambda rows: rows * 2, X, 8, check_finite=True)
    assert not _forward_threads()


def test_large_reconstruct_equals_its_chunks_one_by_one(fitted):
    est = fitted["detector"]
    X_big = np.random.default_rng(4).normal(size=(3 * _inference.MAX_CHUNK_ROWS + 5, 6))
    whole = est.reconstruct(X_big)
    step = _inference.MAX_CHUNK_ROWS
    parts = [est.reconstruct(X_big[i : i + step]) for i in range(0, len(X_big), step)]
    assert whole.dtype == np.float64
    assert np.array_equal(whole, np.concatenate(parts))
    assert not _forward_threads()


def test_chunk_rows_capped_whatever_working_memory(monkeypatch):
    monkeypatch.setattr(_inference, "MAX_CHUNK_ROWS", 7)
    calls = []
    out = apply_batched(lambda rows: calls.append(len(rows)) or rows * 2, np.ones((30, 2)), 8)
    assert max(calls) == 7 and sum(calls) == 30
    assert_allclose(out, 2 * np.ones((30, 2)))


def test_conv2d_batched_matches_unbatched(conv):
    est, images = conv
    expected = est.score_samples(images)
    sizes, restore = _record_chunks(est)
    try:  # room for 3 rows at a time
        with sklearn.config_context(working_memory=3 * est._passes.row_bytes / 2**20):
            got = est.score_samples(images)
    finally:
        restore()
    assert 1 <= max(sizes) <= 3 and sum(sizes) == len(images)
    assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ no retracing
class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_tensorflow_engine_traces_once_for_any_row_count(conv):
    est, images = conv
    handler = _Collect()
    tf.get_logger().addHandler(handler)
    try:
        for n in (1, 2, 3, 5, 8, 13, 21, 30):
            est.transform(images[:n])
            est.score_samples(images[:n])
        est.inverse_transform(est.transform(images[:4]))
    finally:
        tf.get_logger().removeHandler(handler)
    for name in ("encode", "reconstruct", "decode"):
        engines = est._passes.engines_of(name)
        assert engines.engine == "graph" and engines.numpy_max_rows == 0
        assert engines.traced
        assert all(f.experimental_get_tracing_count() == 1 for f in engines.traced.values())
    assert not [m for m in handler.messages if "retracing" in m]


def test_many_fitted_networks_trigger_no_frequent_retracing_warning():
    """TensorFlow counts traces per *code object*: one closure per fitted network would
    look like one function retraced on every call, and warn after five networks."""
    model = _chain_model(keras.layers.Dense(3, activation="relu"), keras.layers.Dense(5))
    conv_like = _chain_model(keras.layers.Dense(4), keras.layers.LayerNormalization())
    X = np.random.default_rng(0).normal(size=(6, 5))
    handler = _Collect()
    tf.get_logger().addHandler(handler)
    combined, vectors = _Combined("raw", scale_in=False), _Vectors(None, None, 5)
    try:
        for _ in range(8):  # a new network each time, as in a loop of fits
            for network in (model, conv_like):
                engines = _Engines(network)
                engines.numpy_max_rows = 0  # the graph for any chunk
                engines.run(combined, X, vectors)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in handler.messages if "retracing" in m]


# ------------------------------------------------------------------ snapshots stay current
def test_partial_fit_and_warm_start_refresh_the_numpy_weights(X):
    est = AutoencoderTransformer(**FAST, warm_start=True).fit(X)
    before = est.reconstruct(X)
    old_passes = est._passes
    est.partial_fit(X)
    assert est._passes is not old_passes
    after = est.reconstruct(X)
    assert not np.allclose(after, before)
    assert_allclose(after, _keras_out(est.model_, X), **F32)
    est.fit(X)  # warm_start=True: continues training
    assert_allclose(est.reconstruct(X), _keras_out(est.model_, X), **F32)


def test_unpickled_estimator_reads_its_weights_again(fitted, X):
    est = fitted["detector"]
    clone = pickle.loads(pickle.dumps(est))
    assert clone._passes.engines["reconstruct"] == "dense"
    assert_allclose(clone.score_samples(X), est.score_samples(X), rtol=1e-12)
    assert_allclose(clone._passes.network(X), _keras_out(clone.model_, X), **F32)


@pytest.mark.parametrize("evaluator", ["numpy", "graph"])
def test_threads_scoring_at_once_agree_with_sequential(fitted, X, evaluator):
    est = pickle.loads(pickle.dumps(fitted["detector"]))  # fresh passes: graph not traced yet
    if evaluator == "graph":  # the sequential reference, from a graph of its own
        reference = pickle.loads(pickle.dumps(est))
        reference._passes.engines_of("reconstruct").numpy_max_rows = 4
        expected = reference.score_samples(X)
        # all threads race to trace the same graph on their first call
        est._passes.engines_of("reconstruct").numpy_max_rows = 4
    else:
        expected = est.score_samples(X)
    results, errors = [None] * 8, []

    def work(i):
        try:
            for _ in range(20):
                results[i] = est.score_samples(X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for r in results:
        assert_allclose(r, expected, rtol=1e-12, atol=1e-12)
    if evaluator == "graph":  # score_samples of large chunks: the one-graph row errors
        graphs = est._passes.engines_of("reconstruct").traced
        assert len(graphs) == 1
        assert next(iter(graphs.values())).experimental_get_tracing_count() == 1


# ------------------------------------------------------------------ fits leave nothing behind
def test_traced_fits_leave_no_global_tensorflow_state(monkeypatch, X):
    """Each traced Keras fit used to leave a custom gradient (holding the whole traced train
    step) in TensorFlow's gradient registry and the optimizer's cond initialisers in the eager
    context, and numbered optimizers ("adam_1", ...) whose variables TF caches per name."""
    from tensorflow.python.eager import context
    from tensorflow.python.framework import ops

    from skae import _training

    monkeypatch.setattr(_training, "EAGER_MAX_STEPS", 0, raising=False)  # trace the train step
    registry = ops._gradient_registry._registry
    params = {**FAST, "early_stopping": False}

    def fit_and_drop():
        est = AutoencoderTransformer(**params).fit(X)
        name = est.model_.optimizer.name
        del est
        gc.collect()
        return name

    fit_and_drop()  # the first traced fit adds one-time op wrappers
    n_gradients = len(registry)
    n_functions = len(context.context().list_function_names())
    names = {fit_and_drop() for _ in range(2)}
    assert len(registry) == n_gradients
    assert len(context.context().list_function_names()) <= n_functions
    assert names == {"adam"}  # not "adam_1", "adam_2": TF caches kernels per variable name


def test_every_fit_creates_variables_of_the_same_names(X):
    """TensorFlow's eager kernel cache keeps ~35 KB per distinct variable name for the whole
    process: numbered names ("adam_7/iteration", from Keras's auto-naming of the optimizer
    and of a throwaway one scikeras makes to look up "adam") grew the process every fit."""

    def names_in_one_fit(seed):
        names = []

        def record(next_creator, **kwargs):
            variable = next_creator(**kwargs)
            names.append(variable.name)
            return variable

        with tf.variable_creator_scope(record):
            AutoencoderTransformer(**{**FAST, "random_state": seed}).fit(X)
        return names

    first, second = names_in_one_fit(0), names_in_one_fit(1)
    assert first and sorted(first) == sorted(second)



@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_large_chunks_score_in_one_graph_matching_row_by_row_numpy(X, loss):
    """Large chunks of score_samples / reconstruct run scaling, network and error (or the
    inverse scaling) in one TensorFlow graph; they agree with the numpy path of single rows
    (robust scaling and error normalisation included) to float32 rounding."""
    rng = np.random.default_rng(3)
    X_shifted = X * rng.uniform(0.5, 20, size=X.shape[1]) + rng.uniform(-50, 50, X.shape[1])
    det = ReconstructionOutlierDetector(**{**FAST, "loss": loss, "isolation_weight": 0.0})
    det.fit(X_shifted)
    assert det.scale_ is not None and det.feature_error_scale_ is not None
    engines = det._passes.engines_of("reconstruct")
    calls = []
    function = engines.function
    engines.function = lambda combined, dtype: calls.append(combined.output) or function(
        combined, dtype)
    try:
        engines.numpy_max_rows = 4
        scores, rows = det.score_samples(X_shifted), det.reconstruct(X_shifted)
        per_feature = det.reconstruction_error(X_shifted, per_feature=True)
    finally:
        del engines.function
        engines.numpy_max_rows = 10**6
    assert calls == ["row_errors", "rows", "feature_errors"]
    one_by_one = [det.score_samples(X_shifted[i : i + 1]) for i in range(len(X_shifted))]
    assert scores.dtype == rows.dtype == per_feature.dtype == np.float64
    assert_allclose(scores, np.concatenate(one_by_one), **F32)
    assert_allclose(rows, det.reconstruct(X_shifted), rtol=1e-5, atol=1e-4)
    assert_allclose(-per_feature.mean(axis=1), scores, **F32)
    assert_allclose(per_feature, det.reconstruction_error(X_shifted, per_feature=True), **F32)
    for graph in engines.traced.values():
        assert graph.experimental_get_tracing_count() == 1
