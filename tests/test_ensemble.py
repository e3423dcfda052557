"""The feature-bagged ensemble: one dense network of block-masked members."""

import keras
import numpy as np
import pytest

from skae._architectures import split_autoencoder
from skae._dense_forward import dense_chain
from skae._ensemble import MemberMask, build_bagged_autoencoder, feature_subsets


def test_subsets_cover_every_column_and_respect_the_smallest_size():
    for seed in range(20):
        subsets = feature_subsets(9, 4, 0.5, seed=seed)
        assert sorted(set().union(*subsets)) == list(range(9))
        assert len(subsets) == 4
        assert all(len(s) >= 5 for s in subsets)
        assert all(s == sorted(set(s)) for s in subsets)


def test_subsets_differ_between_members_and_follow_the_seed():
    subsets = feature_subsets(30, 8, 0.5, seed=0)
    assert len({tuple(s) for s in subsets}) == 8
    assert subsets == feature_subsets(30, 8, 0.5, seed=0)
    assert subsets != feature_subsets(30, 8, 0.5, seed=1)


def test_full_subsets_without_bagging():
    assert feature_subsets(4, 3, 1.0, seed=0) == [[0, 1, 2, 3]] * 3
    assert feature_subsets(4, 1, 0.2, seed=0) == [[0, 1, 2, 3]]


def _weights(model, part, name):
    return model.get_layer(part).get_layer(name).kernel.numpy()


@pytest.fixture
def trained():
    subsets = [[0, 1, 2], [2, 3, 4], [0, 4]]
    ae = build_bagged_autoencoder(5, subsets, hidden_layer_sizes=(4,), n_components=2, seed=0)
    ae.compile(optimizer="adam", loss="mse")
    X = np.random.default_rng(0).normal(size=(128, 5)).astype("float32")
    ae.fit(X, X, epochs=3, batch_size=32, verbose=0)
    return ae, subsets, X


def test_members_stay_separate_through_training(trained):
    ae, subsets, _ = trained
    first = _weights(ae, "encoder", "encoder_dense_0")  # (5, 12): columns -> members' units
    for m, cols in enumerate(subsets):
        block = first[:, 4 * m:4 * (m + 1)]
        outside = [c for c in range(5) if c not in cols]
        assert np.all(block[outside] == 0)
        assert np.all(block[cols] != 0)
    code = _weights(ae, "encoder", "code")  # (12, 6): block diagonal
    for m in range(3):
        assert np.all(code[4 * m:4 * (m + 1), 2 * m:2 * (m + 1)] != 0)
        assert np.all(code[4 * m:4 * (m + 1)][:, [c for c in range(6) if c // 2 != m]] == 0)
    last = _weights(ae, "decoder", "reconstruction")  # (12, 5): members' units -> columns
    for m, cols in enumerate(subsets):
        outside = [c for c in range(5) if c not in cols]
        assert np.all(last[4 * m:4 * (m + 1)][:, outside] == 0)


def test_a_member_output_ignores_columns_it_does_not_see(trained):
    ae, _, X = trained
    encoder, _ = split_autoencoder(ae)
    codes = encoder.predict_on_batch(X[:4])
    moved = X[:4].copy()
    moved[:, 1] += 5.0  # column 1 belongs to member 0 only
    moved_codes = encoder.predict_on_batch(moved)
    np.testing.assert_allclose(moved_codes[:, 2:], codes[:, 2:], rtol=1e-6)
    assert not np.allclose(moved_codes[:, :2], codes[:, :2])


def test_one_plain_chain_with_the_fast_engine_and_safe_loading(trained, tmp_path):
    ae, _, X = trained
    chain = dense_chain(ae)
    assert chain is not None
    np.testing.assert_allclose(chain.numpy_call(X[:7]), ae.predict_on_batch(X[:7]), atol=1e-5)
    path = tmp_path / "ensemble.keras"
    ae.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(loaded.predict_on_batch(X), ae.predict_on_batch(X))
    constraint = loaded.get_layer("encoder").get_layer("encoder_dense_0").kernel_constraint
    assert isinstance(constraint, MemberMask) and constraint.rows == [[0, 1, 2], [2, 3, 4], [0, 4]]


def test_initial_weights_follow_the_seed():
    def first(seed):
        ae = build_bagged_autoencoder(6, [[0, 1, 2, 3], [2, 3, 4, 5]], hidden_layer_sizes=(3,),
                                      n_components=2, seed=seed)
        return _weights(ae, "encoder", "encoder_dense_0")

    np.testing.assert_array_equal(first(0), first(0))
    assert not np.array_equal(first(0), first(1))


def test_mask_of_blocks_and_of_column_lists():
    mask = MemberMask(rows=2, cols=[[0], [0, 1]], n_members=2).mask((4, 2))
    np.testing.assert_array_equal(mask, [[1, 0], [1, 0], [1, 1], [1, 1]])
