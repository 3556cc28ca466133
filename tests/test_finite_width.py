"""Tests of physbook.finite_width: exact correlators, Monte Carlo, effective couplings, deep recursion."""
import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from physbook import finite_width as fw
from physbook import stats
import physbook as pb

XS4 = np.array([0.3, -0.7, 1.2, 2.0])
HYP = dict(sigma_w2=1.5, sigma_b2=0.4, sigma_a2=0.8)


# ----------------------------------------------------------------------------- Gaussian moments
def test_relu_moments_closed_forms():
    K = 1.7
    for p, exact in [(1, np.sqrt(K / (2 * np.pi))), (2, K / 2), (4, 1.5 * K ** 2), (6, 7.5 * K ** 3)]:
        assert fw.gaussian_moment([[K]], p, "relu").ravel()[0] == pytest.approx(exact, rel=1e-12)


def test_linear_moments_are_isserlis_in_rank_2_and_rank_3():
    rng = np.random.default_rng(0)
    for d in (1, 2):   # scalar inputs with bias: rank 2 (polar rule); 2-d inputs: rank 3 (Gauss-Hermite)
        X = rng.normal(size=(4, d))
        K = 0.4 + 1.5 * X @ X.T / d
        E4 = fw.gaussian_moment(K, 4, "linear")
        exact = K[0, 1] * K[2, 3] + K[0, 2] * K[1, 3] + K[0, 3] * K[1, 2]
        assert E4[0, 1, 2, 3] == pytest.approx(exact, rel=1e-10)
        assert fw.gaussian_moment(K, 3, "linear")[0, 1, 2] == pytest.approx(0.0, abs=1e-12)


def test_two_point_closed_forms_agree_with_quadrature():
    for act in ("relu", "erf", "tanh"):
        K0 = HYP["sigma_b2"] + HYP["sigma_w2"] * np.outer(XS4, XS4)
        quad = HYP["sigma_b2"] + HYP["sigma_a2"] * fw.gaussian_moment(K0, 2, act)
        np.testing.assert_allclose(fw.two_point(XS4, act, **HYP), quad, rtol=1e-11, atol=1e-13)


def test_erf_two_point_against_scipy():
    x, y = 0.5, -1.3
    G = fw.two_point([x, y], "erf", 2.0, 0.2, 1.0)
    k = np.array([[0.2 + 2 * x * x, 0.2 + 2 * x * y], [0.2 + 2 * x * y, 0.2 + 2 * y * y]])
    L = np.linalg.cholesky(k)
    val = integrate.dblquad(lambda u2, u1: special.erf(L[0, 0] * u1) * special.erf(L[1, 0] * u1 + L[1, 1] * u2)
                            * np.exp(-(u1 ** 2 + u2 ** 2) / 2) / (2 * np.pi), -12, 12, -12, 12,
                            epsabs=1e-13, epsrel=1e-12)[0]
    assert G[0, 1] == pytest.approx(0.2 + val, abs=1e-9)


# ----------------------------------------------------------------------------- exact four-point function
def _indep_E4(act, K):
    """Independent E[s1 s2 s3 s4] for rank-2 K: Cholesky factor + scipy adaptive quadrature."""
    L = np.linalg.cholesky(K[:2, :2])
    coef = np.linalg.solve(L, K[:2, :].copy()).T          # rows c_i with z_i = c_i . u
    if act == "relu":
        def ang(t):
            w = np.array([np.cos(t), np.sin(t)])
            return np.prod(np.maximum(coef @ w, 0.0)) / (2 * np.pi)
        kinks = sorted(np.mod(np.arctan2(-coef[:, 0], coef[:, 1]) + np.array([[0], [np.pi]]), 2 * np.pi).ravel())
        val = integrate.quad(ang, 0, 2 * np.pi, points=kinks, limit=400, epsabs=1e-14, epsrel=1e-13)[0]
        return 8.0 * val                                   # E|u|^4 = 8 for u ~ N(0, 1_2)

    def f(u2, u1):
        z = coef @ np.array([u1, u2])
        return np.prod(special.erf(z)) * np.exp(-(u1 ** 2 + u2 ** 2) / 2) / (2 * np.pi)
    return integrate.dblquad(f, -11, 11, -11, 11, epsabs=1e-13, epsrel=1e-12)[0]


@pytest.mark.parametrize("act", ["relu", "erf"])
def test_four_point_equals_independent_quadrature(act):
    xs = XS4[:4]
    sw, sb, sa, N = 1.5, 0.4, 0.8, 7
    K = sb + sw * np.outer(xs, xs)
    pair = fw.two_point(xs, act, sw, sb, 1.0) - sb       # E[s_i s_j] (checked above)
    e4 = _indep_E4(act, K)
    indep = sa ** 2 / N * (3 * e4 - pair[0, 1] * pair[2, 3] - pair[0, 2] * pair[1, 3] - pair[0, 3] * pair[1, 2])
    G4 = fw.four_point_connected(xs, N, act, sw, sb, sa)
    assert G4[0, 1, 2, 3] == pytest.approx(indep, abs=1e-8)


def test_four_point_coincident_relu_and_linear():
    # ReLU, one input, K = 1: 3 (3/2 - 1/4) / N ; linear: kappa_4 of a product of normals is 6 K^2 / N
    assert fw.four_point_connected([1.0], 10, "relu")[0, 0, 0, 0] == pytest.approx(0.375, rel=1e-12)
    assert fw.four_point_connected([2.0], 5, "linear", 1.0, 0.0, 1.0)[0, 0, 0, 0] == pytest.approx(6 * 16 / 5)


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(["relu", "erf", "tanh"]), st.integers(1, 500),
       st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_four_point_symmetry_scaling_and_positivity(act, N, xs):
    G = fw.four_point_connected(xs, N, act, 1.2, 0.3, 1.0)
    for perm in itertools.permutations(range(4)):
        np.testing.assert_allclose(G.transpose(perm), G, atol=1e-13)
    G1 = fw.four_point_connected(xs, 1, act, 1.2, 0.3, 1.0)
    np.testing.assert_allclose(G * N, G1, rtol=1e-10, atol=1e-14)
    # at coincident points G4c = 3 Var(s^2) sigma_a^4 / N >= 0: a scale mixture of Gaussians
    assert np.all(np.einsum("iiii->i", G) >= -1e-14)


def test_six_point_linear_coincident_and_scaling():
    assert fw.six_point_connected([1.0], 1, "linear").ravel()[0] == pytest.approx(120.0)
    G6 = fw.six_point_connected(XS4[:2], 3, "erf", **HYP)
    np.testing.assert_allclose(G6 * 9, fw.six_point_connected(XS4[:2], 1, "erf", **HYP), rtol=1e-12)
    np.testing.assert_allclose(G6, G6.transpose(2, 0, 1, 5, 3, 4), atol=1e-14)


# ----------------------------------------------------------------------------- Monte Carlo
@pytest.mark.parametrize("N", [4, 16, 64])
def test_mc_four_point_within_four_errors(N):
    mc = fw.mc_correlators(XS4, N, 200_000, "relu", **HYP, max_order=4, seed=N)
    G2 = fw.two_point(XS4, "relu", **HYP)
    G4 = fw.four_point_connected(XS4, N, "relu", **HYP)
    assert np.all(np.abs(mc.g2.mean - G2) < 4 * mc.g2.error)
    for idx in [(0, 1, 2, 3), (3, 3, 3, 3), (0, 0, 2, 2), (1, 2, 2, 3)]:
        assert abs(mc.g4.mean[idx] - G4[idx]) < 4 * mc.g4.error[idx], idx
    assert mc.g4.error[3, 3, 3, 3] < 0.25 * G4[3, 3, 3, 3]    # the test has power


def test_mc_six_point_direct_and_kernel_estimators():
    # direct moments of f need a strongly non-Gaussian case; the kernel estimator resolves erf
    for act, hyp, est, n, power in (("relu", (1.0, 0.5, 1.0), "direct", 200_000, 0.2),
                                    ("erf", tuple(HYP.values()), "kernel", 50_000, 0.2)):
        G6 = fw.six_point_connected([1.5], 4, act, *hyp).ravel()[0]
        mc = fw.mc_correlators([1.5], 4, n, act, *hyp, estimator=est, seed=5)
        assert abs(mc.g6.mean.ravel()[0] - G6) < 4 * mc.g6.error.ravel()[0], est
        assert mc.g6.error.ravel()[0] < power * abs(G6), est


def test_mc_million_networks_chunked():
    mc = fw.mc_correlators([1.0], 2, 1_000_000, "relu", max_order=4, chunk_size=50_000, seed=0)
    assert mc.n_networks == 1_000_000
    assert abs(mc.g4.mean.ravel()[0] - 3.75 / 2) < 4 * mc.g4.error.ravel()[0]
    assert mc.g6 is None


def test_mc_layerwise_sampler_matches_explicit_weights():
    """The conditional-Gaussian layer sampler against networks with explicit weight matrices."""
    rng = np.random.default_rng(1)
    M, N, xs = 40_000, 6, np.array([0.5, -1.0])
    W1 = rng.normal(size=(M, N, 1)) * np.sqrt(2.0)
    b1 = rng.normal(size=(M, N)) * np.sqrt(0.1)
    h = np.maximum(W1[..., 0][:, :, None] * xs[None, None, :] + b1[..., None], 0)      # (M, N, 2)
    W2 = rng.normal(size=(M, N, N)) * np.sqrt(2.0 / N)
    b2 = rng.normal(size=(M, N)) * np.sqrt(0.1)
    h2 = np.maximum(np.einsum("mij,mja->mia", W2, h) + b2[..., None], 0)
    G = 0.1 + 2.0 / N * np.einsum("mia,mib->mab", h2, h2)   # output kernel given the hidden layers
    ref = stats.jackknife(lambda g: np.mean(g[0] * g[1]) - g[0].mean() * g[1].mean()
                          + 2 * g[2].var(), np.stack([G[:, 0, 0], G[:, 1, 1], G[:, 0, 1]]))
    mc = fw.mc_correlators(xs, N, 100_000, "relu", 2.0, 0.1, 2.0, depth=2, max_order=4,
                           estimator="kernel", seed=2)
    assert abs(mc.g4.mean[0, 0, 1, 1] - ref.mean) < 4 * np.hypot(ref.error, mc.g4.error[0, 0, 1, 1])
    assert ref.error < 0.1 * ref.mean
    np.testing.assert_allclose(mc.g2.mean, G.mean(0), rtol=0.02)


def test_mc_reproducible_with_seed():
    a = fw.mc_correlators([0.5, 1.0], 3, 1000, "tanh", max_order=6, seed=11)
    b = fw.mc_correlators([0.5, 1.0], 3, 1000, "tanh", max_order=6, seed=11)
    np.testing.assert_array_equal(a.g6.mean, b.g6.mean)


# ----------------------------------------------------------------------------- effective action
def test_quartic_coupling_single_input_and_amputation():
    lam = fw.quartic_coupling([1.0], 10, "relu")
    assert lam.ravel()[0] == pytest.approx(-6.0)
    xs = XS4[:3]
    K = fw.two_point(xs, "erf", **HYP)
    lam = fw.quartic_coupling(xs, 5, "erf", **HYP)
    back = -np.einsum("ae,bf,cg,dh,efgh->abcd", K, K, K, K, lam)
    np.testing.assert_allclose(back, fw.four_point_connected(xs, 5, "erf", **HYP), atol=1e-12)


def test_edgeworth_density_moments():
    f = np.linspace(-12, 12, 24001)
    df = f[1] - f[0]
    p = fw.edgeworth_density(f, [1.0], 8, "relu")
    K = fw.two_point([1.0], "relu")[0, 0]
    k4 = fw.four_point_connected([1.0], 8, "relu").ravel()[0]
    assert np.sum(p) * df == pytest.approx(1.0, abs=1e-9)
    assert np.sum(f ** 2 * p) * df == pytest.approx(K, abs=1e-9)
    assert np.sum(f ** 4 * p) * df == pytest.approx(3 * K ** 2 + k4, abs=1e-8)


def test_edgeworth_density_two_inputs_reproduces_mixed_cumulant():
    xs = np.array([0.4, 1.1])
    g = np.linspace(-9, 9, 721)
    F1, F2 = np.meshgrid(g, g, indexing="ij")
    p = fw.edgeworth_density(np.stack([F1, F2], -1), xs, 6, "erf", **HYP)
    dA = (g[1] - g[0]) ** 2
    K = fw.two_point(xs, "erf", **HYP)
    G4 = fw.four_point_connected(xs, 6, "erf", **HYP)
    assert np.sum(p) * dA == pytest.approx(1.0, abs=1e-8)
    m22 = np.sum(F1 ** 2 * F2 ** 2 * p) * dA
    assert m22 == pytest.approx(K[0, 0] * K[1, 1] + 2 * K[0, 1] ** 2 + G4[0, 0, 1, 1], abs=1e-7)


def test_edgeworth_beats_gaussian_on_small_width_histogram():
    rng = np.random.default_rng(3)
    N, M = 4, 400_000
    z = rng.normal(size=(M, N)) * np.sqrt(1.5)             # x = 1, sigma_w2 = 1, sigma_b2 = 0.5
    f = (np.einsum("mi,mi->m", rng.normal(size=(M, N)), np.maximum(z, 0)) / np.sqrt(N)
         + np.sqrt(0.5) * rng.normal(size=M))
    edges = np.linspace(-4, 4, 41)
    counts, _ = np.histogram(f, edges)
    mid, width = (edges[1:] + edges[:-1]) / 2, edges[1] - edges[0]
    K = fw.two_point([1.0], "relu", 1.0, 0.5)[0, 0]
    exp_edge = M * width * fw.edgeworth_density(mid, [1.0], N, "relu", 1.0, 0.5)
    exp_gauss = M * width * np.exp(-mid ** 2 / (2 * K)) / np.sqrt(2 * np.pi * K)
    chi_e = np.sum((counts - exp_edge) ** 2 / exp_edge)
    chi_g = np.sum((counts - exp_gauss) ** 2 / exp_gauss)
    assert chi_e < 0.5 * chi_g


# ----------------------------------------------------------------------------- deep networks
def test_deep_vertex_relu_linear_growth_and_depth_one():
    dv = fw.deep_vertex([1.0], 5, "relu", sigma_w2=2.0)
    ratio = dv.vertices[:, 0, 0, 0, 0] / dv.kernels[:, 0, 0] ** 2
    np.testing.assert_allclose(ratio, 5.0 * np.arange(6), atol=1e-7)
    xs = XS4[:3]
    np.testing.assert_allclose(fw.deep_four_point_connected(xs, 1, 9, "erf", 1.5, 0.4, 0.8),
                               fw.four_point_connected(xs, 9, "erf", 1.5, 0.4, 0.8), atol=1e-12)


def test_deep_vertex_linear_network_closed_form():
    # linear MLP: V' = 2 C_W^2 K^2 + C_W^2 V and K' = C_b + C_W K
    dv = fw.deep_vertex([1.0], 3, "linear", sigma_w2=0.9, sigma_b2=0.2)
    K, V = 0.2 + 0.9, 0.0
    for layer in range(3):
        V = 2 * 0.81 * K ** 2 + 0.81 * V
        K = 0.2 + 0.9 * K
        assert dv.vertices[layer + 1].ravel()[0] == pytest.approx(V, rel=1e-8)


@pytest.mark.parametrize("act,sw,sb", [("relu", 2.0, 0.0), ("tanh", 1.0, 0.0)])
def test_deep_recursion_vs_monte_carlo_depth_3(act, sw, sb):
    N = 300
    mc = fw.mc_correlators([1.0], N, 30_000, act, sw, sb, sw, depth=3, max_order=4,
                           estimator="kernel", seed=7)
    th = fw.deep_four_point_connected([1.0], 3, N, act, sw, sb).ravel()[0]
    est, err = mc.g4.mean.ravel()[0], mc.g4.error.ravel()[0]
    assert err < 0.02 * th
    assert abs(est / th - 1) < 0.05


def test_deep_recursion_two_inputs_vs_monte_carlo():
    xs = np.array([0.5, -1.0])
    N = 300
    mc = fw.mc_correlators(xs, N, 30_000, "relu", 2.0, 0.1, 2.0, depth=3, max_order=4,
                           estimator="kernel", seed=8)
    th = fw.deep_four_point_connected(xs, 3, N, "relu", 2.0, 0.1)
    for idx in [(0, 0, 1, 1), (0, 1, 0, 1), (0, 0, 0, 1)]:
        assert abs(mc.g4.mean[idx] / th[idx] - 1) < 0.05, idx


# ----------------------------------------------------------------------------- diagrams, training
def test_draw_diagrams_counts():
    import matplotlib.pyplot as plt
    for order, n in [(0, 1), (1, 1), (2, 2)]:
        axes = pb.plotting.feynman_diagrams(order)
        assert len(axes) == n
        plt.close("all")
    axes = pb.plotting.feynman_diagrams(1)
    assert len(axes[0].lines) == 4 + 4 + 1                  # legs, external points, vertex
    plt.close("all")


def test_ntk_change_shrinks_like_one_over_width():
    x = np.linspace(-1, 1, 6)
    small = fw.ntk_change(x, np.sin(3 * x), 64, "erf", n_networks=32, n_steps=30, learning_rate=0.3,
                          seed=0).mean()
    large = fw.ntk_change(x, np.sin(3 * x), 1024, "erf", n_networks=32, n_steps=30, learning_rate=0.3,
                          seed=1).mean()
    assert 10 < small / large < 26                         # 1/N predicts 16, 1/sqrt(N) predicts 4


def test_ntk_change_without_training_is_zero():
    x = np.array([-0.5, 0.3, 0.9])
    r0 = fw.ntk_change(x, np.zeros(3), 5, "tanh", n_networks=1, n_steps=1, learning_rate=1e-9, seed=4)
    assert r0[0] < 1e-7                                    # no training, no change


@pytest.mark.parametrize("scaling", ["ntk", "mean_field"])
def test_train_ensemble_equals_autodiff_gradient_descent_and_jacobian_ntk(scaling):
    # Independent reference: the same initial draws (same Generator order), jax.grad for the steps and
    # the NTK as the learning-rate weighted Gram matrix of jax.jacobian.
    import jax
    import jax.numpy as jnp
    x, y, xt = np.array([-0.8, -0.1, 0.5, 0.9]), np.array([0.3, -0.2, 0.4, 0.1]), np.array([0.2, -0.6])
    M, N, steps, lr, sw, sb, sa = 3, 5, 4, 0.2, 1.3, 0.2, 0.8
    res = fw.trained_ensemble(x, y, xt, N, "tanh", parameterization=scaling, n_networks=M, n_steps=steps,
                            learning_rate=lr, sigma_w2=sw, sigma_b2=sb, sigma_a2=sa, seed=11)
    rng = np.random.default_rng(11)
    w, bi, a, b = (rng.normal(size=(M, 1, N))[:, 0], rng.normal(size=(M, N)), rng.normal(size=(M, N)),
                   rng.normal(size=M))
    ca, lr_h = (np.sqrt(sa / N), lr) if scaling == "ntk" else (np.sqrt(sa) / N, lr * N)
    rates = (lr_h, lr_h, lr_h, lr)

    def f(p, xs):
        w, bi, a, b = p
        return np.sqrt(sb) * b + ca * jnp.tanh(np.sqrt(sw) * xs[:, None] * w + np.sqrt(sb) * bi) @ a

    def loss(p):
        return 0.5 * jnp.mean((f(p, x) - y) ** 2)

    def ntk(p):
        J = jax.jacobian(lambda q: f(q, x))(p)
        return sum(r / lr * Jp.reshape(len(x), -1) @ Jp.reshape(len(x), -1).T for r, Jp in zip(rates, J))

    for m in range(M):
        p = (jnp.asarray(w[m]), jnp.asarray(bi[m]), jnp.asarray(a[m]), jnp.asarray(b[m]))
        th0 = ntk(p)
        for _ in range(steps):
            g = jax.grad(loss)(p)
            p = tuple(q - r * gq for q, r, gq in zip(p, rates, g))
        np.testing.assert_allclose(res.outputs[m], f(p, xt), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(res.loss[m], loss(p), rtol=1e-10)
        th = ntk(p)
        np.testing.assert_allclose(res.ntk_change[m], np.linalg.norm(th - th0) / np.linalg.norm(th0), rtol=1e-8)


def test_mean_field_scaling_learns_features_at_any_width_and_collapses_the_ensemble():
    x = np.linspace(-1, 1, 6)
    y = np.sin(3 * x)
    kw = dict(parameterization="mean_field", n_networks=32, n_steps=30, learning_rate=0.3)
    small = fw.ntk_change(x, y, 64, "erf", seed=0, **kw).mean()
    large = fw.ntk_change(x, y, 1024, "erf", seed=1, **kw).mean()
    assert 0.6 < small / large < 2.0                       # NTK scaling gives ~16 here (test above)
    assert large > 0.05
    var = [fw.trained_ensemble(x, y, [0.3], N, "erf", seed=N, **{**kw, "n_networks": 4000}).outputs.var()
           for N in (4, 32)]
    assert 5.0 < var[0] / var[1] < 11.0                    # G2 ~ 1/N: 8 at leading order



# ----------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_with_argument_names():
    with pytest.raises(ValueError, match="activation"):
        fw.two_point([1.0], "sigmoid")
    with pytest.raises(ValueError, match="width"):
        fw.four_point_connected([1.0], 0)
    with pytest.raises(TypeError, match="width"):
        fw.four_point_connected([1.0], 2.0)
    with pytest.raises(ValueError, match="sigma_w2"):
        fw.two_point([1.0], "relu", -1.0)
    with pytest.raises(ValueError, match="sigma_b2"):
        fw.six_point_connected([1.0], 2, "relu", 1.0, -0.1)
    with pytest.raises(ValueError, match="xs"):
        fw.two_point(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="xs"):
        fw.two_point([np.nan])
    with pytest.raises(ValueError, match="n_networks"):
        fw.mc_correlators([1.0], 2, 1)
    with pytest.raises(ValueError, match="max_order"):
        fw.mc_correlators([1.0], 2, 100, max_order=5)
    with pytest.raises(ValueError, match="estimator"):
        fw.mc_correlators([1.0], 2, 100, estimator="fast")
    with pytest.raises(ValueError, match="depth"):
        fw.mc_correlators([1.0], 2, 100, depth=0)
    with pytest.raises(ValueError, match="chunk_size"):
        fw.mc_correlators([1.0], 2, 100, chunk_size=0)
    with pytest.raises(ValueError, match="xs"):
        fw.quartic_coupling([1.0, 1.0], 3)
    with pytest.raises(ValueError, match="f must have shape"):
        fw.edgeworth_density(np.zeros((5, 3)), [1.0, 2.0], 3)
    with pytest.raises(ValueError, match="order"):
        pb.plotting.feynman_diagrams(3)
    with pytest.raises(ValueError, match="y_train"):
        fw.ntk_change([0.0, 1.0], [1.0], 4)
    with pytest.raises(ValueError, match="learning_rate"):
        fw.ntk_change([0.0, 1.0], [1.0, 0.0], 4, learning_rate=0.0)
    with pytest.raises(ValueError, match="parameterization"):
        fw.ntk_change([0.0, 1.0], [1.0, 0.0], 4, parameterization="mup")
    with pytest.raises(ValueError, match="x_test"):
        fw.trained_ensemble(np.zeros((2, 2)), [1.0, 0.0], [0.5], 4)
    with pytest.raises(ValueError, match="cov"):
        fw.gaussian_moment([[1.0, 0.5], [0.4, 1.0]], 2)
    with pytest.raises(ValueError, match="cov"):
        fw.gaussian_moment([[1.0, 2.0], [2.0, 1.0]], 2)
    with pytest.raises(ValueError, match="order"):
        fw.gaussian_moment([[1.0]], 7)


@pytest.mark.parametrize("act", ["relu", "erf"])
def test_cross_check_with_nngp_module(act):
    """two_point is the one-hidden-layer NNGP kernel (readout variance = sigma_w2)."""
    nngp = pytest.importorskip("physbook.nngp")
    xs = np.array([[0.3], [-0.7], [1.2]])
    try:
        K = nngp.nngp_kernel(xs, xs, depth=1, activation=act, sigma_w2=1.5, sigma_b2=0.4)
    except TypeError:
        pytest.skip("physbook.nngp.nngp_kernel has a different signature")
    np.testing.assert_allclose(np.asarray(K), fw.two_point(xs, act, 1.5, 0.4, 1.5), rtol=1e-8)


def test_sample_outputs_moments_and_deep_relu_exact_kurtosis():
    f = fw.sample_outputs(XS4[:2], 5, 200_000, "erf", **HYP, seed=3)
    G2 = fw.two_point(XS4[:2], "erf", **HYP)
    assert np.all(np.abs(np.cov(f.T, bias=True) - G2) < 0.02 * np.abs(G2).max())
    # ReLU without biases: E f^4 / (E f^2)^2 = 3 (1 + 5/N)^L exactly (Hanin-Nica)
    g = fw.sample_outputs([1.0], 6, 400_000, "relu", 2.0, 0.0, 2.0, depth=3, seed=4)[:, 0]
    est = stats.jackknife(lambda v: np.mean(v ** 4) / np.mean(v ** 2) ** 2, g)
    assert abs(est.mean - 3 * (1 + 5 / 6) ** 3) < 4 * est.error
    with pytest.raises(ValueError, match="n_networks"):
        fw.sample_outputs([1.0], 2, 0)


def test_sample_kernels_fluctuations_give_the_four_point_function():
    G = fw.sample_kernels(XS4[:2], 6, 100_000, "tanh", **HYP, seed=9)
    th = fw.four_point_connected(XS4[:2], 6, "tanh", **HYP)
    est = stats.jackknife(lambda a, b: np.mean(a * b) - a.mean() * b.mean(), G[:, 0, 0], G[:, 1, 1])
    cov = stats.jackknife(lambda c: c.var(), G[:, 0, 1])
    assert abs(est.mean + 2 * cov.mean - th[0, 0, 1, 1]) < 4 * (est.error + 2 * cov.error)
    np.testing.assert_allclose(G.mean(0), fw.two_point(XS4[:2], "tanh", **HYP), rtol=5e-3)
