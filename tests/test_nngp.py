"""Tests of physbook.nngp: closed forms against independent quadrature and Monte Carlo,
positive semi-definiteness, finite-width convergence rates, GP regression and NTK dynamics."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import physbook  # noqa: F401  (turns on float64 in JAX)
from physbook import gp, nngp

RNG = np.random.default_rng(1234)
X3 = np.array([[1.0, 0.2, -0.4], [0.3, -1.1, 0.5], [-0.7, 0.6, 0.9], [0.2, 0.1, -0.1]])


def _input_kernel(x, sigma_w2, sigma_b2):
    return sigma_b2 + sigma_w2 * x @ x.T / x.shape[1]


def _pair_expectation(f, q1, q2, k, quadrant=False):
    """E[f(u, v)] for (u, v) ~ N(0, [[q1, k], [k, q2]]) by adaptive 2-D integration (scipy)."""
    dist = scipy.stats.multivariate_normal(mean=[0, 0], cov=[[q1, k], [k, q2]])
    lim = 12.0 * np.sqrt(max(q1, q2))
    lo = 0.0 if quadrant else -lim
    val, _ = integrate.dblquad(lambda v, u: f(u, v) * dist.pdf([u, v]), lo, lim, lo, lim,
                               epsabs=1e-13, epsrel=1e-12)
    return val


# ----------------------------------------------------------------------------- closed forms

@pytest.mark.parametrize("sigma_w2, sigma_b2", [(2.0, 0.0), (1.3, 0.4)])
def test_relu_kernels_equal_independent_quadrature(sigma_w2, sigma_b2):
    x = X3[:3]
    K0 = _input_kernel(x, sigma_w2, sigma_b2)
    K = np.asarray(nngp.nngp_kernel(x, depth=1, sigma_w2=sigma_w2, sigma_b2=sigma_b2))
    T = np.asarray(nngp.ntk_kernel(x, depth=1, sigma_w2=sigma_w2, sigma_b2=sigma_b2))
    for i, j in [(0, 0), (0, 1), (1, 2)]:
        q1, q2, k = K0[i, i], K0[j, j], K0[i, j]
        if i == j:  # E[relu(u)^2] = q/2 exactly; the quadrature below needs a non-degenerate pair
            e, edot = q1 / 2, 0.5
        else:  # on the positive quadrant ReLU is smooth: adaptive quadrature converges fast
            e = _pair_expectation(lambda u, v: u * v, q1, q2, k, quadrant=True)
            edot = _pair_expectation(lambda u, v: 1.0, q1, q2, k, quadrant=True)
        assert K[i, j] == pytest.approx(sigma_b2 + sigma_w2 * e, abs=1e-8)
        assert T[i, j] == pytest.approx(sigma_b2 + sigma_w2 * e + sigma_w2 * edot * K0[i, j], abs=1e-8)


def test_erf_and_tanh_depth1_equal_independent_quadrature():
    x = X3[:2]
    sigma_w2, sigma_b2 = 1.5, 0.2
    K0 = _input_kernel(x, sigma_w2, sigma_b2)
    q1, q2, k = K0[0, 0], K0[1, 1], K0[0, 1]
    for name, f in [("erf", scipy.special.erf), ("tanh", np.tanh)]:
        K = nngp.nngp_kernel(x, depth=1, activation=name, sigma_w2=sigma_w2, sigma_b2=sigma_b2)
        e = _pair_expectation(lambda u, v: f(u) * f(v), q1, q2, k)
        assert float(K[0, 1]) == pytest.approx(sigma_b2 + sigma_w2 * e, abs=1e-8), name


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("kernel", [nngp.nngp_kernel, nngp.ntk_kernel])
def test_erf_closed_form_equals_gauss_hermite(depth, kernel):
    x = X3 / np.linalg.norm(X3, axis=1, keepdims=True) * np.sqrt(3)
    closed = kernel(x, depth=depth, activation="erf", sigma_w2=1.7, sigma_b2=0.2)
    for rule in ("trapezoid", "hermite"):
        quad = kernel(x, depth=depth, activation=lambda z: jax.scipy.special.erf(z),
                      sigma_w2=1.7, sigma_b2=0.2, n_quad=128, quadrature=rule)
        np.testing.assert_allclose(closed, quad, rtol=0, atol=1e-8)


def test_quadrature_refines_itself_for_steep_activations():
    x = 3.0 * X3  # pre-activation variances q ~ 10-30: erf(sqrt(q) z) is steep on the Gaussian's scale
    closed = nngp.nngp_kernel(x, depth=2, activation="erf", sigma_w2=2.0)
    for rule in ("trapezoid", "hermite"):
        quad = nngp.nngp_kernel(x, depth=2, activation=jax.scipy.special.erf, sigma_w2=2.0, n_quad=24,
                                quadrature=rule)
        assert float(jnp.abs(quad - closed).max()) < 1e-8, rule
    q0 = 2.0 * float(np.max(np.sum(x * x, 1))) / 3
    nodes = {rule: nngp._refine(jax.scipy.special.erf, (24, rule), q0, 2, 2.0, 0.0, False)[0]
             for rule in ("trapezoid", "hermite")}
    assert 24 < nodes["trapezoid"] < nodes["hermite"]


def test_relu_closed_form_approached_by_quadrature_of_a_kink():
    """Gauss-Hermite converges slowly at the ReLU kink, but it converges to the arc-cosine kernel."""
    errors = [float(jnp.abs(nngp.nngp_kernel(X3, depth=2, activation=jax.nn.relu, n_quad=n, quadrature="hermite")
                            - nngp.nngp_kernel(X3, depth=2)).max()) for n in (16, 64, 256)]
    assert errors[2] < errors[1] < errors[0] and errors[2] < 1e-3


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_kernels_equal_monte_carlo_over_a_million_units(activation):
    sigma_w2, sigma_b2, n_units = 1.8, 0.3, 1_000_000
    x = X3[:3]
    rng = np.random.default_rng(7)
    h = (x @ rng.normal(size=(3, n_units))) * np.sqrt(sigma_w2 / 3) + np.sqrt(sigma_b2) * rng.normal(size=n_units)
    if activation == "relu":
        phi, dphi = np.maximum(h, 0), (h > 0).astype(float)
    else:
        phi, dphi = scipy.special.erf(h), 2 / np.sqrt(np.pi) * np.exp(-h**2)
    K0 = _input_kernel(x, sigma_w2, sigma_b2)
    K = np.asarray(nngp.nngp_kernel(x, depth=1, activation=activation, sigma_w2=sigma_w2, sigma_b2=sigma_b2))
    T = np.asarray(nngp.ntk_kernel(x, depth=1, activation=activation, sigma_w2=sigma_w2, sigma_b2=sigma_b2))
    for i, j in [(0, 0), (0, 1), (0, 2), (1, 2)]:
        s = sigma_b2 + sigma_w2 * phi[i] * phi[j]
        assert abs(s.mean() - K[i, j]) < 4 * s.std() / np.sqrt(n_units)
        t = s + sigma_w2 * K0[i, j] * dphi[i] * dphi[j]
        assert abs(t.mean() - T[i, j]) < 4 * t.std() / np.sqrt(n_units)


def test_depth_zero_is_the_linear_kernel_and_depth_recursion_composes():
    K0 = nngp.nngp_kernel(X3, depth=0, sigma_w2=1.5, sigma_b2=0.1)
    np.testing.assert_allclose(K0, _input_kernel(X3, 1.5, 0.1), atol=1e-14)
    # ReLU diagonal recursion in closed form: q_{l+1} = sigma_b2 + sigma_w2 q_l / 2.
    q = np.diag(_input_kernel(X3, 1.5, 0.1))
    for _ in range(4):
        q = 0.1 + 1.5 * q / 2
    np.testing.assert_allclose(nngp.nngp_kernel(X3, depth=4, sigma_w2=1.5, sigma_b2=0.1, diagonal=True), q, rtol=1e-13)


def test_diagonal_matches_full_and_no_nan_at_equal_or_zero_inputs():
    x = np.vstack([X3, X3[:1], np.zeros((1, 3))])
    for act, kernel in [("relu", nngp.nngp_kernel), ("relu", nngp.ntk_kernel), ("erf", nngp.ntk_kernel),
                        ("tanh", nngp.ntk_kernel)]:
        full = np.asarray(kernel(x, depth=3, activation=act, sigma_w2=2.0, sigma_b2=0.0))
        diag = np.asarray(kernel(x, depth=3, activation=act, sigma_w2=2.0, sigma_b2=0.0, diagonal=True))
        assert np.all(np.isfinite(full))
        np.testing.assert_allclose(np.diag(full), diag, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(full[0], full[4], rtol=1e-12)  # x[4] == x[0]
        assert np.all(full[-1] == 0)  # the zero input carries no signal without bias (phi(0) = 0)
    pair = nngp.nngp_kernel(X3, X3[::-1], depth=2, diagonal=True)
    np.testing.assert_allclose(pair, np.diag(np.asarray(nngp.nngp_kernel(X3, X3[::-1], depth=2))), rtol=1e-13)


def test_cross_kernel_is_the_block_of_the_joint_kernel_and_float32():
    joint = nngp.nngp_kernel(np.vstack([X3, -X3]), depth=3, activation="erf", sigma_w2=2.0, sigma_b2=0.1)
    cross = nngp.nngp_kernel(X3, -X3, depth=3, activation="erf", sigma_w2=2.0, sigma_b2=0.1)
    np.testing.assert_allclose(cross, joint[:4, 4:], rtol=1e-12)
    single = nngp.ntk_kernel(X3, depth=3, dtype=np.float32)
    assert single.dtype == jnp.float32
    np.testing.assert_allclose(single, nngp.ntk_kernel(X3, depth=3), rtol=2e-5)


@settings(max_examples=12, deadline=None)
@given(depth=st.integers(0, 4), activation=st.sampled_from(["relu", "erf", "tanh"]),
       sigma_w2=st.floats(0.1, 4.0), sigma_b2=st.floats(0.0, 1.0), scale=st.floats(0.01, 10.0),
       seed=st.integers(0, 2**31))
def test_kernels_are_symmetric_positive_semidefinite(depth, activation, sigma_w2, sigma_b2, scale, seed):
    # Fixed shape (one compilation per activation); near-duplicate rows probe the x1 = x2 edge.
    # Large inputs make tanh quadrature refine to many nodes (slow): keep |x| <= 2 there.
    scale = min(scale, 2.0) if activation == "tanh" else scale
    x = scale * np.random.default_rng(seed).normal(size=(6, 3))
    x[5] = x[4] * (1 + 1e-9)
    for kernel in (nngp.nngp_kernel, nngp.ntk_kernel):
        K = np.asarray(kernel(x, depth=depth, activation=activation, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                              n_quad=48))
        np.testing.assert_allclose(K, K.T, rtol=0, atol=1e-13 * np.abs(K).max())  # exact on CPU
        # Round-off near coinciding inputs is amplified to ~sqrt(eps) by the arccos: allow 1e-8.
        assert np.linalg.eigvalsh(K).min() >= -1e-8 * np.abs(K).max()


# ----------------------------------------------------------------------------- signal propagation

def test_fixed_point_relu_closed_form_and_tanh_self_consistency():
    fp = nngp.fixed_point(activation="relu", sigma_w2=np.array([0.5, 1.0, 1.5]), sigma_b2=0.3)
    np.testing.assert_allclose(fp.q, 0.3 / (1 - np.array([0.5, 1.0, 1.5]) / 2), rtol=1e-10)
    np.testing.assert_allclose(fp.chi, [0.25, 0.5, 0.75], rtol=1e-14)
    assert np.isinf(nngp.fixed_point(activation="relu", sigma_w2=3.0, sigma_b2=0.1).q)
    fp = nngp.fixed_point(activation="tanh", sigma_w2=2.5, sigma_b2=0.2, n_quad=250)
    z = np.linspace(-12, 12, 200001)
    w = scipy.stats.norm.pdf(z) * (z[1] - z[0])
    q, chi = float(fp.q), float(fp.chi)
    assert q == pytest.approx(0.2 + 2.5 * np.sum(w * np.tanh(np.sqrt(q) * z) ** 2), rel=1e-9)
    assert chi == pytest.approx(2.5 * np.sum(w / np.cosh(np.sqrt(q) * z) ** 4), rel=1e-9)
    # erf without bias: q* = 0 below the edge of chaos sigma_w2 = pi/4, where chi = 4 sigma_w2 / pi.
    fp = nngp.fixed_point(activation="erf", sigma_w2=0.5, sigma_b2=0.0, n_iter=2000)
    assert float(fp.q) < 1e-12 and float(fp.chi) == pytest.approx(2 / np.pi, rel=1e-9)


def test_correlation_map_fixes_one_and_its_slope_is_chi():
    fp = nngp.fixed_point(activation="tanh", sigma_w2=1.7, sigma_b2=0.1)
    c = nngp.correlation_map(np.array([1.0, 1.0 - 1e-5]), q=float(fp.q), activation="tanh",
                             sigma_w2=1.7, sigma_b2=0.1, n_quad=200)
    assert float(c[0]) == pytest.approx(1.0, abs=1e-12)
    assert float((c[0] - c[1]) / 1e-5) == pytest.approx(float(fp.chi), rel=1e-3)


# ----------------------------------------------------------------------------- finite networks

def test_random_network_variances_scale_with_fan_in():
    net = nngp.random_network((50, 400, 300, 1), "tanh", sigma_w2=2.0, sigma_b2=0.5, seed=0)
    for w in net.weights[:2]:  # 20000 and 120000 entries: relative standard error < 1%
        assert float(jnp.var(w)) * w.shape[0] == pytest.approx(2.0, rel=0.04)
    assert float(jnp.var(net.biases[0])) == pytest.approx(0.5, rel=0.25)
    again = nngp.random_network((50, 400, 300, 1), "tanh", sigma_w2=2.0, sigma_b2=0.5, seed=0)
    assert np.array_equal(net.weights[1], again.weights[1])
    assert net(np.ones((7, 50))).shape == (7, 1)


def test_one_hidden_layer_ensemble_covariance_is_exact_at_any_width():
    """E[f(x) f(x')] = K^1 exactly for one hidden layer, even at width 3 (1/fan_in scaling)."""
    x = X3[:3]
    n = 40_000
    f = np.asarray(nngp.sample_outputs(x, width=3, depth=1, n_networks=n, sigma_w2=1.5, sigma_b2=0.2, seed=3))
    K = np.asarray(nngp.nngp_kernel(x, depth=1, sigma_w2=1.5, sigma_b2=0.2))
    for i, j in [(0, 0), (1, 1), (0, 1), (1, 2)]:
        s = f[:, i] * f[:, j]
        assert abs(s.mean() - K[i, j]) < 4 * s.std() / np.sqrt(n)
    assert abs(f.mean(0)).max() < 4 * f.std(0).max() / np.sqrt(n)
    np.testing.assert_array_equal(f[:5], nngp.sample_outputs(x, 3, 1, n, sigma_w2=1.5, sigma_b2=0.2, seed=3)[:5])


def test_deep_ensemble_covariance_approaches_nngp():
    x = X3[:2]
    f = np.asarray(nngp.sample_outputs(x, width=64, depth=2, n_networks=3000, activation="erf",
                                       sigma_w2=2.0, sigma_b2=0.1, seed=11))
    K = np.asarray(nngp.nngp_kernel(x, depth=2, activation="erf", sigma_w2=2.0, sigma_b2=0.1))
    C = f.T @ f / f.shape[0]
    se = np.sqrt((K**2 + np.outer(np.diag(K), np.diag(K))) / f.shape[0])
    assert np.all(np.abs(C - K) < 4 * se + 0.05 * np.abs(K))  # 4 SE plus an O(1/N) allowance


def test_empirical_kernel_error_falls_as_inverse_square_root_of_width():
    widths = [32, 128, 512, 2048]
    K = np.asarray(nngp.nngp_kernel(X3, depth=1, sigma_w2=2.0, sigma_b2=0.1))
    rms = []
    for i, n in enumerate(widths):
        err = [np.asarray(nngp.empirical_kernel(nngp.random_network((3, n, 1), "relu", 2.0, 0.1, seed=100 * i + s), X3)) - K
               for s in range(24)]
        rms.append(np.sqrt(np.mean(np.square(err))))
    slope = np.polyfit(np.log(widths), np.log(rms), 1)[0]
    assert abs(slope + 0.5) < 0.1


def test_empirical_ntk_equals_scaled_jacobian_and_converges():
    net = nngp.random_network((3, 7, 5, 1), "tanh", sigma_w2=1.5, sigma_b2=0.3, seed=5)
    theta = np.asarray(nngp.empirical_ntk(net, X3))

    def f(params, x):
        return nngp.Network(params[0], params[1], "tanh", 1.5, 0.3)(x)[:, 0]

    jac = jax.jacobian(f)((net.weights, net.biases), jnp.asarray(X3))
    flat = [np.reshape(j, (4, -1)) for j in jac[0]] + [np.reshape(j, (4, -1)) for j in jac[1]]
    rates = [1.5 / w.shape[0] for w in net.weights] + [0.3] * len(net.biases)
    ref = sum(r * j @ j.T for r, j in zip(rates, flat))
    np.testing.assert_allclose(theta, ref, rtol=1e-12)
    wide = nngp.random_network((3, 4096, 1), "erf", sigma_w2=1.5, sigma_b2=0.3, seed=6)
    T = np.asarray(nngp.ntk_kernel(X3, depth=1, activation="erf", sigma_w2=1.5, sigma_b2=0.3))
    np.testing.assert_allclose(nngp.empirical_ntk(wide, X3), T, atol=0.06 * np.abs(T).max())


def test_one_gradient_step_moves_f_by_minus_eta_theta_residual():
    net = nngp.random_network((3, 16, 16, 1), "erf", sigma_w2=1.2, sigma_b2=0.2, seed=2)
    y = np.array([0.5, -0.3, 0.1, 0.8])
    eta = 1e-5
    f0 = np.asarray(net(X3)[:, 0])
    f1 = np.asarray(nngp.train_network(net, X3, y, n_steps=1, learning_rate=eta).params(X3)[:, 0])
    predicted = -eta * np.asarray(nngp.empirical_ntk(net, X3)) @ (f0 - y)
    np.testing.assert_allclose(f1 - f0, predicted, rtol=1e-3)


def test_wide_network_training_follows_the_ntk_prediction():
    x = np.linspace(-1.0, 1.0, 6)
    y = np.sin(2 * x)
    xt = np.linspace(-1.5, 1.5, 7)
    net = nngp.random_network((1, 4096, 1), "relu", sigma_w2=2.0, sigma_b2=0.2, seed=9)
    t, eta = 5.0, 0.01
    trained = nngp.train_network(net, x, y, n_steps=int(t / eta), learning_rate=eta).params
    T = nngp.ntk_kernel(x, depth=1, sigma_w2=2.0, sigma_b2=0.2)
    Tx = nngp.ntk_kernel(xt, x, depth=1, sigma_w2=2.0, sigma_b2=0.2)
    pred = nngp.ntk_predict(T, Tx, y, t, f0_train=net(x[:, None])[:, 0], f0_test=net(xt[:, None])[:, 0])
    assert float(jnp.abs(trained(xt[:, None])[:, 0] - pred).max()) < 0.05


def test_rbf_kernel_values():
    x = np.array([[0.0, 0.0], [1.0, 1.0]])
    K = np.asarray(nngp.rbf_kernel(x, lengthscale=2.0, variance=3.0))
    np.testing.assert_allclose(K, [[3.0, 3 * np.exp(-2 / 8)], [3 * np.exp(-2 / 8), 3.0]], rtol=1e-14)
    assert nngp.rbf_kernel(np.arange(3.0), np.arange(5.0)).shape == (3, 5)


def test_ntk_predict_limits_and_finite_time_formula():
    x = np.linspace(-1, 1, 5)
    xt = np.array([-0.5, 0.3, 1.4])
    T = np.asarray(nngp.ntk_kernel(x, depth=2, sigma_w2=2.0, sigma_b2=0.1))
    Tx = np.asarray(nngp.ntk_kernel(xt, x, depth=2, sigma_w2=2.0, sigma_b2=0.1))
    y, f0, g0 = np.sin(3 * x), 0.1 * x, np.array([0.2, -0.1, 0.05])
    regression = gp.posterior(T, Tx, np.diag(np.asarray(nngp.ntk_kernel(xt, depth=2, sigma_w2=2.0, sigma_b2=0.1))),
                                   y, 0.0).mean
    np.testing.assert_allclose(nngp.ntk_predict(T, Tx, y, np.inf), regression, rtol=1e-9, atol=1e-12)
    out = nngp.ntk_predict(T, Tx, y, np.array([0.0, 0.7, np.inf]), f0_train=f0, f0_test=g0)
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out[0], g0, atol=1e-14)
    direct = g0 + Tx @ np.linalg.solve(T, (np.eye(5) - scipy.linalg.expm(-0.7 * T)) @ (y - f0))
    np.testing.assert_allclose(out[1], direct, rtol=1e-9)
    np.testing.assert_allclose(out[2], g0 + Tx @ np.linalg.solve(T, y - f0), rtol=1e-9)
    np.testing.assert_allclose(nngp.ntk_predict(T, T, y, 1e6), y, atol=1e-6)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(depth=-1), ValueError, "depth"),
    (dict(depth=2.0), TypeError, "depth"),
    (dict(activation="sigmoid"), ValueError, "activation"),
    (dict(activation=3), TypeError, "activation"),
    (dict(activation=lambda z: z.sum()), ValueError, "activation"),
    (dict(sigma_w2=0.0), ValueError, "sigma_w2"),
    (dict(sigma_b2=-0.1), ValueError, "sigma_b2"),
    (dict(n_quad=1000, quadrature="hermite"), ValueError, "n_quad"),
    (dict(quadrature="simpson"), ValueError, "quadrature"),
    (dict(dtype=np.int32), ValueError, "dtype"),
    (dict(x2=np.ones((3, 2))), ValueError, "x2"),
    (dict(x2=np.ones((2, 3)), diagonal=True), ValueError, "diagonal"),
])
def test_kernel_bad_input(kwargs, error, match):
    for kernel in (nngp.nngp_kernel, nngp.ntk_kernel):
        with pytest.raises(error, match=match):
            kernel(X3, **kwargs)


def test_bad_inputs_elsewhere():
    with pytest.raises(ValueError, match="x1"):
        nngp.nngp_kernel(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="x1"):
        nngp.nngp_kernel(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="lengthscale"):
        nngp.rbf_kernel(X3, lengthscale=-1.0)
    with pytest.raises(ValueError, match="rho"):
        nngp.correlation_map(np.array([1.5]), q=1.0)
    with pytest.raises(ValueError, match="sigma_w2"):
        nngp.fixed_point(sigma_w2=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="widths"):
        nngp.random_network((3,), seed=0)
    with pytest.raises(ValueError, match="widths"):
        nngp.random_network((3, 0, 1), seed=0)
    with pytest.raises(TypeError, match="widths"):
        nngp.random_network(5, seed=0)
    with pytest.raises(ValueError, match="seed"):
        nngp.sample_outputs(X3, 4, 1, 10, seed=-1)
    with pytest.raises(ValueError, match="depth"):
        nngp.sample_outputs(X3, 4, 0, 10)
    with pytest.raises(TypeError, match="network"):
        nngp.empirical_kernel("net", X3)
    net = nngp.random_network((3, 4, 1), seed=0)
    with pytest.raises(ValueError, match="x1"):
        nngp.empirical_ntk(net, np.ones((2, 5)))
    with pytest.raises(ValueError, match="y"):
        nngp.train_network(net, X3, np.ones(3), n_steps=1, learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        nngp.train_network(net, X3, np.ones(4), n_steps=1, learning_rate=0.0)


def test_ntk_bad_input():
    K, Kx, y = np.eye(3), np.ones((2, 3)), np.ones(3)
    with pytest.raises(ValueError, match="t must"):
        nngp.ntk_predict(K, Kx, y, -1.0)
    with pytest.raises(ValueError, match="singular"):
        nngp.ntk_predict(np.ones((3, 3)), Kx, y, np.inf)
    with pytest.raises(ValueError, match="f0_test"):
        nngp.ntk_predict(K, Kx, y, 1.0, f0_test=np.ones(3))
