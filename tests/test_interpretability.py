"""physbook.interpretability: closed forms, geometry, a trained case, dictionaries, bad inputs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import physbook as pb
from physbook import interpretability as it


def _var(S):
    return (1 - S) / 3 - (1 - S) ** 2 / 4


# --------------------------------------------------------------------------- n = 2, m = 1 losses

@pytest.mark.parametrize("S", [0.0, 0.5, 0.9])
def test_dedicated_loss_is_the_variance_of_the_dropped_feature(S):
    p = it.ToyModel(np.array([[1.0, 0.0]]), np.array([0.0, (1 - S) / 2]))
    got = float(it.two_feature_loss(p, S, np.array([1.0, 2.5])))
    assert got == pytest.approx(2.5 * _var(S), abs=1e-13)


def test_antipodal_loss_closed_form_at_zero_sparsity():
    # both features on: the error on feature i is min(x1, x2), E min(u, v)^2 = 1/6
    p = it.ToyModel(np.array([[1.0, -1.0]]), np.zeros(2))
    assert float(it.two_feature_loss(p, 0.0, np.array([1.0, 3.0]))) == pytest.approx(4 / 6, abs=1e-13)
    # only one feature on at a time (S -> 1 limit per active pair): lone features are exact
    assert float(it.two_feature_loss(p, 0.999, np.array([1.0, 1.0]))) == pytest.approx(
        0.001 ** 2 * 2 / 6, rel=1e-10)


def test_exact_loss_against_monte_carlo():
    rng = np.random.default_rng(3)
    for k in range(3):
        W = rng.normal(size=(1, 2))
        b = 0.3 * rng.normal(size=2)
        S, imp = rng.uniform(0, 0.8), rng.uniform(0.5, 2.0, size=2)
        model = it.ToyModel(W, b)
        exact = float(it.two_feature_loss(model, S, imp))
        x = it.sample_features((200_000, 2), S, seed=k)
        per = ((x - np.asarray(it.toy_output(model, x))) ** 2) @ imp
        assert abs(per.mean() - exact) < 5 * per.std() / np.sqrt(per.size)


def test_candidates_and_phases_deep_inside_each_phase():
    S = np.array([0.0, 0.0, 0.98])
    r = np.array([0.2, 5.0, 1.0])
    L = it.two_feature_candidates(S, r)
    assert L.shape == (3, 3)
    np.testing.assert_allclose(L[:, 0], r * _var(S), atol=1e-14)
    np.testing.assert_allclose(L[:, 1], _var(S), atol=1e-14)
    assert L.argmin(-1).tolist() == [0, 1, 2]
    # the superposed candidate is at least as good as the symmetric start W = (1, -1), b = 0
    start = it.ToyModel(np.array([[1.0, -1.0]]), np.zeros(2))
    assert L[2, 2] <= float(it.two_feature_loss(start, 0.98, np.array([1.0, 1.0]))) + 1e-12


def test_trained_models_land_in_the_predicted_phase():
    # deep inside "feature 1 only" (dense, r = 0.3) and "superposition" (sparse, r = 1)
    S = np.array([[0.0] * 3, [0.97] * 3])
    r = np.array([[0.3] * 3, [1.0] * 3])
    imp = np.stack([np.ones_like(r), r], axis=-1)
    params, hist = it.train_toy_models(S, imp, 1, learning_rate=0.05, n_steps=600,
                                       batch_size=128, seed=1)
    assert params.W.shape == (2, 3, 1, 2) and hist.shape == (50, 2, 3)
    exact = np.asarray(it.two_feature_loss(params, S, imp))
    best = exact.argmin(-1)
    W = params.W[np.arange(2), best]
    predicted = it.two_feature_candidates(S[:, 0], r[:, 0]).argmin(-1)
    assert predicted.tolist() == [0, 2]
    assert it.classify_two_feature(W).tolist() == predicted.tolist()


def test_classify_two_feature():
    W = np.array([[[1.0, 0.05]], [[0.02, -0.9]], [[0.8, -1.0]], [[0.8, 1.0]], [[0.0, 0.0]]])
    assert it.classify_two_feature(W).tolist() == [0, 1, 2, 3, 3]


def test_absent_features_have_sparsity_one():
    S = np.array([[0.9, 0.9, 1.0]])
    x = it.sample_features((1000, 3), S[0], seed=0)
    assert np.all(x[:, 2] == 0) and (x[:, 0] > 0).mean() == pytest.approx(0.1, abs=0.04)
    params, _ = it.train_toy_models(S, np.ones((1, 3)), 2, n_steps=100, seed=0)
    assert params.W.shape == (1, 2, 3)


# --------------------------------------------------------------------------- geometry

def _polygon(k):
    a = 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(a), np.sin(a)])


@pytest.mark.parametrize("W, expected", [
    (np.array([[1.0, -1.0]]), [0.5, 0.5]),                              # antipodal pair
    (_polygon(5), [0.4] * 5),                                           # regular pentagon
    (_polygon(3), [2 / 3] * 3),                                         # triangle
    (np.eye(3), [1.0] * 3),                                             # orthogonal features
    (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), [1.0, 1.0, 0.0]),   # a dropped feature: 0
    (np.array([[1, 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, 1]]) / np.sqrt(3), [0.75] * 4),
])
def test_feature_dimensionality_of_known_geometries(W, expected):
    np.testing.assert_allclose(np.asarray(it.feature_dimensionality(W)), expected, atol=1e-12)


def test_feature_dimensionality_is_scale_invariant_and_batched():
    W = np.stack([_polygon(5), 3.0 * _polygon(5)])
    D = np.asarray(it.feature_dimensionality(W))
    assert D.shape == (2, 5)
    np.testing.assert_allclose(D, 0.4, atol=1e-12)


def test_thomson_points():
    u = it.thomson_points(4, 3, seed=0)
    G = u @ u.T
    np.testing.assert_allclose(G[~np.eye(4, dtype=bool)], -1 / 3, atol=1e-4)
    np.testing.assert_allclose(np.asarray(it.feature_dimensionality(u.T)), 0.75, atol=1e-4)


# --------------------------------------------------------------------------- dictionaries

def test_sae_metrics_of_a_perfect_dictionary():
    V = np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0]])   # two antipodal pairs
    p = it.SparseAutoencoder(V.T, np.zeros(4), V, np.zeros(2), np.ones(4))
    h = np.array([[1.0, 0.0], [0.0, 0.5]])
    m = it.sae_metrics(p, h, V)
    assert float(m.recovered) == 1.0 and float(m.relative_error) < 1e-12
    assert float(m.l0) == 1.0
    masked = p._replace(mask=np.array([1.0, 1.0, 0.0, 0.0]))
    assert float(it.sae_metrics(masked, h, V).recovered) == 0.5


def test_trained_sae_recovers_sparse_features_and_trades_error_for_sparsity():
    V = _polygon(4)
    x = it.sample_features((4000, 4), 0.9, seed=0)
    h = x @ V.T
    params, hist = it.train_sae(h, [2, 8], [[0.001], [0.1]], n_steps=1000, seed=0)
    assert params.W_dec.shape == (2, 2, 2, 8) and hist.shape == (50, 2, 2)
    m = it.sae_metrics(params, h, V)
    assert m.recovered[1, 1] == 1.0            # 8 atoms, strong L1: all four found
    assert m.recovered[1, 0] <= 0.5            # 2 atoms: a basis, not the features
    assert m.relative_error[1, 1] > m.relative_error[0, 1]     # sparser code, larger error
    assert m.l0[1, 1] < m.l0[0, 1]


# --------------------------------------------------------------------------- precision ladder

def test_precision_ladder_orders():
    x = np.linspace(-2, 2, 5)
    lad = it.precision_ladder(x, np.sin(x), [-1.0, 0.5], [8, 32], n_networks=1500, seed=0)
    assert lad.order0.mean.shape == (2,) and lad.mean_output.mean.shape == (2, 2)
    # order 0 residual = |c| / N to leading order, order 1 much smaller
    c = np.sqrt(np.mean(lad.correction ** 2))
    assert abs(32 * lad.order0.mean[1] - c) < 5 * 32 * lad.order0.error[1] + 0.1 * c
    assert np.all(lad.order1.mean < 0.5 * lad.order0.mean)
    # the kernel predictor uses the exact NNGP kernel of finite_width
    G = pb.finite_width.two_point(np.r_[x, -1.0, 0.5], "erf", 1.0, 0.1, 1.0)
    pred = G[5:, :5] @ np.linalg.solve(G[:5, :5] + 0.1 * np.eye(5), np.sin(x))
    np.testing.assert_allclose(lad.kernel_prediction, pred, atol=1e-10)


def test_fourth_moment_quadrature_matches_finite_width():
    x = np.array([-1.0, 0.3, 1.5])
    ours = it._moment4(x, 1.0, 0.1, "erf")
    ref = pb.finite_width.gaussian_moment(0.1 + np.outer(x, x), 4, "erf")
    np.testing.assert_allclose(ours, ref, atol=1e-8)


# --------------------------------------------------------------------------- jit and bad input

def test_building_blocks_work_under_jit():
    W = jnp.asarray(_polygon(5))
    p = it.ToyModel(W, jnp.zeros(5))
    x = jnp.asarray(it.sample_features((8, 5), 0.5, seed=0))
    np.testing.assert_allclose(jax.jit(it.toy_output)(p, x), it.toy_output(p, x), atol=1e-12)
    np.testing.assert_allclose(jax.jit(it.toy_loss)(p, x, jnp.ones(5)), it.toy_loss(p, x, jnp.ones(5)))
    np.testing.assert_allclose(jax.jit(it.feature_dimensionality)(W), 0.4, atol=1e-12)
    p2 = it.ToyModel(jnp.array([[1.0, -0.5]]), jnp.array([0.0, -0.1]))
    f = jax.jit(lambda q: it.two_feature_loss(q, 0.7, jnp.array([1.0, 2.0])))
    np.testing.assert_allclose(f(p2), it.two_feature_loss(p2, 0.7, jnp.array([1.0, 2.0])), atol=1e-14)
    sae = it.SparseAutoencoder(W.T, jnp.zeros(5), W, jnp.zeros(2), jnp.ones(5))
    h = x[:, :2]
    np.testing.assert_allclose(jax.jit(it.sae_encode)(sae, h), it.sae_encode(sae, h), atol=1e-12)
    f5 = it.sae_encode(sae, h)
    np.testing.assert_allclose(jax.jit(it.sae_decode)(sae, f5), it.sae_decode(sae, f5), atol=1e-12)


def test_bad_inputs_name_the_argument():
    p = it.ToyModel(np.array([[1.0, 0.0]]), np.zeros(2))
    with pytest.raises(ValueError, match="sparsity"):
        it.two_feature_loss(p, 1.2, np.ones(2))
    with pytest.raises(ValueError, match="sparsity"):
        it.sample_features((3, 2), -0.1)
    with pytest.raises(TypeError, match="params"):
        it.toy_output((np.eye(2), np.zeros(2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="n = 2, m = 1"):
        it.two_feature_loss(it.ToyModel(np.eye(2), np.zeros(2)), 0.5, np.ones(2))
    with pytest.raises(ValueError, match="x must have 2 features"):
        it.toy_output(p, np.ones((4, 3)))
    with pytest.raises(ValueError, match="importance"):
        it.train_toy_models(0.5, [1.0, -1.0], 1, n_steps=10)
    with pytest.raises(ValueError, match="n_hidden"):
        it.train_toy_models(0.5, [1.0, 1.0], 0, n_steps=10)
    with pytest.raises(ValueError, match="learning_rate"):
        it.train_toy_models(0.5, [1.0, 1.0], 1, learning_rate=0.0)
    with pytest.raises(TypeError, match="n_steps"):
        it.train_toy_models(0.5, [1.0, 1.0], 1, n_steps=10.0)
    with pytest.raises(ValueError, match="relative_importance"):
        it.two_feature_candidates(0.5, -1.0)
    with pytest.raises(ValueError, match="W must have shape"):
        it.classify_two_feature(np.ones((2, 3)))
    with pytest.raises(ValueError, match="threshold"):
        it.classify_two_feature(np.ones((1, 2)), threshold=1.5)
    with pytest.raises(ValueError, match="W must have at least 2"):
        it.feature_dimensionality(np.ones(3))
    with pytest.raises(ValueError, match="n_points"):
        it.thomson_points(1, 2)
    with pytest.raises(ValueError, match="n_atoms"):
        it.train_sae(np.ones((10, 2)), 0, 0.1, n_steps=10)
    with pytest.raises(ValueError, match="l1"):
        it.train_sae(np.ones((10, 2)), 3, -0.1, n_steps=10)
    with pytest.raises(ValueError, match="activations"):
        it.train_sae(np.ones(10), 3, 0.1, n_steps=10)
    sae = it.SparseAutoencoder(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="directions"):
        it.sae_metrics(sae, np.ones((5, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="widths"):
        it.precision_ladder([0.0, 1.0], [0.0, 1.0], [0.5], [0, 4])
    with pytest.raises(ValueError, match="ridge"):
        it.precision_ladder([0.0, 1.0], [0.0, 1.0], [0.5], [4], ridge=-1.0)
    with pytest.raises(ValueError, match="y_train"):
        it.precision_ladder([0.0, 1.0], [0.0], [0.5], [4])
    with pytest.raises(ValueError, match="activation"):
        it.precision_ladder([0.0, 1.0], [0.0, 1.0], [0.5], [4], activation="sigmoid")
