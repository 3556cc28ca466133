"""Tests of physbook.phi4: exact small cases, the free theory, Jacobians, exactness of the samplers."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from physbook import phi4
from physbook.stats import Estimate

# --------------------------------------------------------------------------- action


def _action_loop(phi, m2, lam):
    L = phi.shape[0]
    s = 0.0
    for i, j in itertools.product(range(L), range(L)):
        x = phi[i, j]
        s += (phi[(i + 1) % L, j] - x) ** 2 + (phi[i, (j + 1) % L] - x) ** 2
        s += m2 * x ** 2 + lam * x ** 4
    return s


@settings(max_examples=15, deadline=None)
@given(L=st.integers(2, 5), m2=st.floats(-5, 5), lam=st.floats(0, 10), seed=st.integers(0, 2**31))
def test_action_equals_double_loop(L, m2, lam, seed):
    phi = np.random.default_rng(seed).normal(size=(3, L, L))
    got = np.asarray(phi4.action(phi, m2, lam))
    want = np.array([_action_loop(p, m2, lam) for p in phi])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_action_tutorial_form_and_batching():
    # S = sum_x [-2 sum_mu phi(x) phi(x+mu) + (4 + m2) phi^2 + lam phi^4]
    phi = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    hop = sum(phi * np.roll(phi, -1, axis=a) for a in (-1, -2)).sum(axis=(-2, -1))
    want = -2 * hop + ((4 - 1.5) * phi**2 + 0.7 * phi**4).sum(axis=(-2, -1))
    got = phi4.action(phi, -1.5, 0.7)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    # constant field: only the potential survives
    assert float(phi4.action(np.full((4, 4), 2.0), -4.0, 8.0)) == pytest.approx(16 * (-16 + 128))


def test_force_is_gradient_of_action():
    phi = jnp.asarray(np.random.default_rng(1).normal(size=(2, 5, 5)))
    grad = jax.grad(lambda p: phi4._action(p, -4.0, 8.0).sum())(phi)
    np.testing.assert_allclose(np.asarray(phi4._force(phi, -4.0, 8.0)), np.asarray(grad), rtol=1e-12)


# --------------------------------------------------------------------------- free theory


def test_free_propagator_equals_matrix_inverse():
    L, m2 = 4, 0.7
    V = L * L
    K = np.zeros((V, V))
    for i, j in itertools.product(range(L), range(L)):
        a = i * L + j
        K[a, a] = 4 + m2
        for b in (((i + 1) % L) * L + j, ((i - 1) % L) * L + j, i * L + (j + 1) % L, i * L + (j - 1) % L):
            K[a, b] -= 1
    # S = phi^T K phi  ->  covariance (2K)^-1
    cov = np.linalg.inv(2 * K)
    G = phi4.free_propagator(L, m2)
    np.testing.assert_allclose(G.ravel(), cov[0], rtol=1e-12, atol=1e-14)
    assert G.sum() == pytest.approx(1 / (2 * m2))   # zero momentum: chi = 1/(2 m2)


def test_hmc_free_field_matches_exact_propagator():
    L, m2 = 6, 0.5
    res = phi4.hmc(L, m2, 0.0, 1500, step_size=0.15, n_leapfrog=10, n_chains=8, n_burn=100, seed=3)
    assert 0.6 < res.acceptance < 1.0
    G = phi4.free_propagator(L, m2)
    obs = phi4.measure(res.samples)
    assert obs.phi2.contains(G[0, 0], 4.0), (obs.phi2, G[0, 0])
    z = np.abs(obs.G.mean - G) / obs.G.error
    assert np.all(z < 4.0), z.max()
    # a wrong convention (a factor 1/2 in the action) would be many sigma away
    assert not obs.phi2.contains(2 * G[0, 0], 4.0)


def test_hmc_ordered_start_in_the_broken_phase():
    """Chains started at +v and -v stay ordered: |M|/V near the mean-field minimum, both signs."""
    v = np.sqrt(8.0 / 2.0)                      # m2 = -8, lam = 1: uniform field minimum phi^2 = -m2/(2 lam)
    start = np.concatenate([np.full((2, 6, 6), v), np.full((2, 6, 6), -v)])
    res = phi4.hmc(6, -8.0, 1.0, 200, step_size=0.05, n_leapfrog=10, n_chains=4, n_burn=50,
                   seed=2, phi0=start)
    m = phi4.magnetization(res.samples)
    assert np.all(m[:2] > 0.5) and np.all(m[2:] < -0.5)
    assert np.abs(m).mean() == pytest.approx(v, rel=0.15)


def test_hmc_records_action_and_is_reproducible():
    a = phi4.hmc(4, -4.0, 8.0, 50, n_chains=3, n_burn=10, seed=5)
    b = phi4.hmc(4, -4.0, 8.0, 50, n_chains=3, n_burn=10, seed=5)
    assert a.samples.shape == (3, 50, 4, 4) and a.action.shape == (3, 50)
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_allclose(a.action, np.asarray(phi4.action(a.samples, -4.0, 8.0)), rtol=1e-10)


# --------------------------------------------------------------------------- the flow


def _random_flow(L, dtype=jnp.float64, seed=0, z2=False):
    """A flow with O(1) random weights (far from the identity), in float64."""
    flow = phi4.init_flow(L, n_layers=4, widths=(6, 5), kernel_size=3, seed=seed)
    rng = np.random.default_rng(seed + 1)
    weights = []
    for kernel, bias in flow.weights:
        weights.append((jnp.asarray(kernel, dtype) + 0.3 * jnp.asarray(rng.normal(size=kernel.shape), dtype),
                        0.3 * jnp.asarray(rng.normal(size=bias.shape), dtype)))
    scalars = [-0.4, 0.3, 0.2] + ([0.7, 1.5] if z2 else [])
    return phi4.FlowParams(weights, jnp.array(scalars, dtype), L, z2)


@pytest.mark.parametrize("layer", [0, 1])
def test_coupling_logdet_equals_jacobian(layer):
    L = 4
    flow = _random_flow(L)
    x = jnp.asarray(np.random.default_rng(2).normal(size=(1, L, L)))

    def f(v):
        return phi4.coupling(flow, v.reshape(1, L, L), layer)[0].ravel()

    J = jax.jit(jax.jacfwd(f))(x.ravel())
    sign, logabs = jnp.linalg.slogdet(J)
    y, ld = phi4.coupling(flow, x, layer)
    assert float(sign) > 0
    assert abs(float(ld[0]) - float(logabs)) < 1e-5
    assert abs(float(ld[0])) > 0.1   # the check is not trivially 0 = 0
    # frozen sites pass unchanged: even layers freeze the sites with x1 + x2 odd
    frozen = (np.add.outer(np.arange(L), np.arange(L)) % 2) == (0 if layer % 2 else 1)
    np.testing.assert_array_equal(np.asarray(y)[0][frozen], np.asarray(x)[0][frozen])


def test_site_and_zero_mode_layers_match_their_formulas():
    flow = _random_flow(4)
    z = jnp.asarray(np.random.default_rng(6).normal(size=(2, 4, 4)))
    empty = phi4.FlowParams([(k[:0], b[:0]) for k, b in flow.weights], flow.scalars, 4)
    phi, ld = phi4.flow_forward(empty, z)   # no coupling layers: site-wise map then zero mode
    delta, a, b = np.exp(np.asarray(flow.scalars))
    y = a * np.sinh(delta * np.arcsinh(np.asarray(z)))
    want = y + (b - 1) * y.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(np.asarray(phi), want, rtol=1e-10)
    dy = a * delta * np.cosh(delta * np.arcsinh(np.asarray(z))) / np.sqrt(1 + np.asarray(z) ** 2)
    np.testing.assert_allclose(np.asarray(ld), np.log(dy).sum(axis=(1, 2)) + np.log(b), rtol=1e-10)


@pytest.mark.parametrize("z2", [False, True])
def test_whole_flow_logdet_and_log_q(z2):
    L = 4
    flow = _random_flow(L, z2=z2)
    z = jnp.asarray(np.random.default_rng(4).normal(size=(L, L)))
    J = jax.jit(jax.jacfwd(lambda v: phi4.flow_forward(flow, v.reshape(1, L, L))[0].ravel()))(z.ravel())
    _, logabs = jnp.linalg.slogdet(J)
    _, ld = phi4.flow_forward(flow, z[None])
    assert abs(float(ld[0]) - float(logabs)) < 1e-8


def test_z2_flow_is_exactly_equivariant():
    """f(-z) = -f(z) with the same log-det, so q(-phi) = q(phi); a plain flow is not odd."""
    z = jnp.asarray(np.random.default_rng(5).normal(size=(3, 6, 6)))
    for z2 in (True, False):
        flow = _random_flow(6, z2=z2)
        a, la = phi4.flow_forward(flow, z)
        b, lb = phi4.flow_forward(flow, -z)
        odd = float(jnp.abs(a + b).max())
        if z2:
            assert odd < 1e-12 and float(jnp.abs(la - lb).max()) < 1e-12, odd
            assert float(jnp.abs(a).max()) > 0.5          # not trivially zero
        else:
            assert odd > 1e-2, odd
    # init_flow's kind: five scalars, the vacuum start, z2 kept by at_size
    flow = phi4.init_flow(6, n_layers=2, widths=4, z2=True, lam=3.0, m2=-4.0, seed=0)
    assert flow.z2 and flow.scalars.shape == (5,) and "z2=True" in repr(flow)
    assert flow.at_size(4).z2
    # the vacuum layer starts at the mean-field vacuum v = sqrt(-m2 / (2 lam))
    assert float(flow.scalars[3]) == pytest.approx(np.sqrt(4.0 / 6.0), rel=1e-6)


def test_vacuum_layer_matches_its_formula():
    flow = _random_flow(4, z2=True)
    empty = phi4.FlowParams([(k[:0], b[:0]) for k, b in flow.weights], flow.scalars, 4, True)
    z = jnp.asarray(np.random.default_rng(7).normal(size=(5, 4, 4)))
    phi, ld = phi4.flow_forward(empty, z)   # site-wise map, vacuum split, zero-mode rescaling
    delta, a, b = np.exp(np.asarray(flow.scalars[:3]))
    c, kappa = float(flow.scalars[3]), float(np.exp(flow.scalars[4]))
    y = a * np.sinh(delta * np.arcsinh(np.asarray(z)))
    ybar = y.mean(axis=(1, 2), keepdims=True)
    y2 = y + c * np.tanh(kappa * ybar)
    want = y2 + (b - 1) * y2.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(np.asarray(phi), want, rtol=1e-10)
    dy = a * delta * np.cosh(delta * np.arcsinh(np.asarray(z))) / np.sqrt(1 + np.asarray(z) ** 2)
    g_prime = 1 + c * kappa / np.cosh(kappa * ybar[:, 0, 0]) ** 2
    np.testing.assert_allclose(np.asarray(ld), np.log(dy).sum(axis=(1, 2)) + np.log(g_prime) + np.log(b),
                               rtol=1e-10)


def test_z2_flow_mcmc_mixes_the_vacua():
    """Broken phase (m2=-4, lam=3, L=4): the symmetric flow gives <M> = 0 and <sign M> = 0, and
    the same <|M|> as HMC (which needs ~4000 trajectories per tunnelling here)."""
    L, m2, lam = 4, -4.0, 3.0
    flow = phi4.init_flow(L, n_layers=4, widths=8, lam=lam, m2=m2, z2=True, seed=0)
    flow = phi4.train_flow(flow, m2, lam, n_steps=200, batch_size=64, learning_rate=4e-3, seed=1).params
    res = phi4.flow_mcmc(flow, 4000, m2=m2, lam=lam, seed=2)
    m = phi4.magnetization(res.samples)
    for x in (m, np.sign(m)):
        est = Estimate(x.mean(), np.sqrt(2 * stats_tau(x) * x.var() / x.size))
        assert abs(est.mean) < 5 * est.error, est
    assert np.mean(np.sign(m) > 0) > 0.3 and np.mean(np.sign(m) < 0) > 0.3
    v = np.sqrt(-m2 / (2 * lam))
    ref = phi4.hmc(L, m2, lam, 1000, step_size=0.1, n_chains=4, n_burn=50, seed=3,
                   phi0=np.repeat([v, -v], 2)[:, None, None] * np.ones((4, L, L)))
    a, b = phi4.measure(res.samples).abs_m, phi4.measure(ref.samples).abs_m
    assert abs(a.mean - b.mean) < 5 * np.hypot(a.error, b.error), (a, b)


def stats_tau(x):
    from physbook.stats import integrated_time
    return integrated_time(x)


def test_tunnelling_time_counts_changes_of_vacuum():
    m = np.array([[0.6, 0.1, -0.2, -0.7, -0.1, 0.8],      # + + + - - +: 2 changes
                  [0.1, 0.2, 0.9, 0.3, -0.3, -0.4]])      # . . + + + +: flicker only, 0 changes
    est = phi4.tunnelling_time(m, threshold=0.5)
    assert est.mean == pytest.approx(12 / 2) and est.error == pytest.approx(12 / 2 ** 1.5)
    frozen = phi4.tunnelling_time(np.full((3, 50), 0.7), threshold=0.5)
    assert frozen.mean == 150 and frozen.error == np.inf
    # a random +-1 sequence changes vacuum with probability 1/2 per step
    flips = np.random.default_rng(0).choice([-1.0, 1.0], size=(4, 5000))
    assert phi4.tunnelling_time(flips, threshold=0.5).contains(2.0, 5.0)


def test_identity_flow_gives_gaussian_log_q():
    flow = phi4.init_flow(4, n_layers=2, widths=3, seed=0)
    flow = phi4.FlowParams([(k * 0, b) for k, b in flow.weights], flow.scalars, 4)
    phi, logq = phi4.flow_sample(flow, 20, seed=1)
    want = -0.5 * (np.asarray(phi, np.float64) ** 2).sum(axis=(1, 2)) - 8 * np.log(2 * np.pi)
    np.testing.assert_allclose(np.asarray(logq), want, rtol=1e-5)
    assert phi.dtype == jnp.float32


def test_flow_is_translation_equivariant():
    flow = _random_flow(6, jnp.float32)
    z = jnp.asarray(np.random.default_rng(0).normal(size=(2, 6, 6)), jnp.float32)
    a, la = phi4.flow_forward(flow, z)
    shift = (2, 4)   # even shifts keep the checkerboard colours
    b, lb = phi4.flow_forward(flow, jnp.roll(z, shift, axis=(1, 2)))
    # and the same weights act on another lattice size
    c, _ = phi4.flow_forward(flow.at_size(4), z[:, :4, :4])
    assert c.shape == (2, 4, 4)
    np.testing.assert_allclose(np.asarray(jnp.roll(a, shift, axis=(1, 2))), np.asarray(b), atol=1e-5)
    np.testing.assert_allclose(np.asarray(la), np.asarray(lb), rtol=1e-5)


# --------------------------------------------------------------------------- ESS and exact sampling


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 50), shift=st.floats(-500, 500), seed=st.integers(0, 2**31))
def test_ess_bounds_and_shift_invariance(n, shift, seed):
    lw = np.random.default_rng(seed).normal(size=n) * 2
    e = phi4.ess(lw)
    assert 1 / n - 1e-12 <= e <= 1 + 1e-12
    assert phi4.ess(lw + shift) == pytest.approx(e, rel=1e-9)
    w = np.exp(lw - lw.max())
    assert e == pytest.approx(w.mean() ** 2 / (w**2).mean(), rel=1e-9)


def test_ess_extremes():
    assert phi4.ess(np.zeros(7)) == pytest.approx(1.0)
    assert phi4.ess(np.array([0.0, -800.0, -800.0, -800.0])) == pytest.approx(0.25)
    np.testing.assert_allclose(phi4.ess(np.zeros((3, 5))), np.ones(3))


def test_flow_mcmc_is_exact_for_the_free_field():
    """An imperfect (briefly trained) flow + Metropolis-Hastings reproduces the exact <phi^2>."""
    L, m2 = 4, 1.0
    flow = phi4.init_flow(L, n_layers=2, widths=4, seed=0)
    flow = phi4.train_flow(flow, m2, 0.0, n_steps=150, batch_size=64, learning_rate=1e-2, seed=1).params
    res = phi4.flow_mcmc(flow, 8000, m2=m2, lam=0.0, seed=2)
    assert 0.05 < res.acceptance < 0.99
    G = phi4.free_propagator(L, m2)
    obs = phi4.measure(res.samples)
    assert obs.phi2.contains(G[0, 0], 4.0), (obs.phi2, G[0, 0])
    assert obs.chi2.contains(G.sum(), 4.0), (obs.chi2, G.sum())
    # the raw proposals are biased: the flow alone is not exact
    phi, _ = phi4.flow_sample(flow, 8000, seed=2)
    raw = Estimate(float(np.mean(np.asarray(phi, np.float64) ** 2)), obs.phi2.error)
    assert abs(raw.mean - G[0, 0]) > abs(obs.phi2.mean - G[0, 0])
    # the chain repeats the current state exactly when it rejects
    t = int(np.flatnonzero(~res.accepted)[0])
    np.testing.assert_array_equal(res.samples[t], res.samples[t - 1])


@pytest.fixture(scope="module")
def tutorial_flow():
    flow = phi4.init_flow(8, n_layers=8, widths=(8,), kernel_size=3, lam=8.0, seed=0)
    return phi4.train_flow(flow, -4.0, 8.0, n_steps=500, batch_size=64, learning_rate=3e-3, seed=1)


def test_training_lowers_the_loss(tutorial_flow):
    loss = tutorial_flow.history.loss
    assert loss[-100:].mean() < loss[:10].mean() - 1.0
    assert np.all(np.isfinite(loss)) and tutorial_flow.history.ess.shape == loss.shape


def test_flow_mcmc_agrees_with_hmc_at_the_tutorial_point(tutorial_flow):
    res = phi4.flow_mcmc(tutorial_flow.params, 12000, m2=-4.0, lam=8.0, seed=3)
    ref = phi4.hmc(8, -4.0, 8.0, 1500, step_size=0.15, n_leapfrog=10, n_chains=8, n_burn=100, seed=4)
    a, b = phi4.measure(res.samples), phi4.measure(ref.samples)
    for name in ("chi2", "abs_m"):
        x, y = getattr(a, name), getattr(b, name)
        assert abs(x.mean - y.mean) < 3 * np.hypot(x.error, y.error), (name, x, y)
    assert phi4.ess(res.log_w) > 0.01


# --------------------------------------------------------------------------- observables


def test_measure_white_noise():
    rng = np.random.default_rng(0)
    obs = phi4.measure(rng.normal(size=(2, 2000, 4, 4)))
    assert obs.phi2.contains(1.0, 4.0)
    assert obs.chi2.contains(1.0, 4.0)
    assert obs.energy.contains(0.0, 4.0)
    assert obs.G.mean.shape == (4, 4) and obs.G.error.shape == (4, 4)
    # |M|/V of V Gaussian sites: E|N(0, 1/V)| = sqrt(2/(pi V))
    assert obs.abs_m.contains(np.sqrt(2 / (np.pi * 16)), 4.0)


def test_magnetization_and_two_point_by_hand():
    phi = np.random.default_rng(3).normal(size=(4, 4))
    C = phi4.two_point(phi)
    want = np.array([[np.mean(phi * np.roll(phi, (-a, -b), axis=(0, 1))) for b in range(4)]
                     for a in range(4)])
    np.testing.assert_allclose(C, want, atol=1e-12)
    assert phi4.magnetization(phi) == pytest.approx(phi.mean())


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, match", [
    (lambda: phi4.action(np.ones((4, 5)), 1.0, 1.0), "phi"),
    (lambda: phi4.action(np.ones(4), 1.0, 1.0), "phi"),
    (lambda: phi4.action(np.full((4, 4), np.nan), 1.0, 1.0), "phi"),
    (lambda: phi4.action(np.ones((4, 4)), float("nan"), 1.0), "m2"),
    (lambda: phi4.action(np.ones((4, 4)), 1.0, -1.0), "lam"),
    (lambda: phi4.free_propagator(4, 0.0), "m2"),
    (lambda: phi4.free_propagator(1, 1.0), "L"),
    (lambda: phi4.hmc(4, 1.0, 1.0, 0), "n_samples"),
    (lambda: phi4.hmc(4, 1.0, 1.0, 10, step_size=-0.1), "step_size"),
    (lambda: phi4.hmc(4, 1.0, 1.0, 10, n_leapfrog=0), "n_leapfrog"),
    (lambda: phi4.hmc(4, 1.0, 1.0, 10, n_chains=0), "n_chains"),
    (lambda: phi4.hmc(4, 1.0, 1.0, 10, n_chains=2, phi0=np.ones((3, 4, 4))), "phi0"),
    (lambda: phi4.init_flow(5, seed=0), "L"),
    (lambda: phi4.init_flow(4, n_layers=3, seed=0), "n_layers"),
    (lambda: phi4.init_flow(4, kernel_size=2, seed=0), "kernel_size"),
    (lambda: phi4.init_flow(4, widths=(), seed=0), "widths"),
    (lambda: phi4.init_flow(4, widths=(0,), seed=0), "widths"),
    (lambda: phi4.train_flow(phi4.init_flow(4, 2, 2, seed=0), 1.0, 1.0, n_steps=0), "n_steps"),
    (lambda: phi4.train_flow(phi4.init_flow(4, 2, 2, seed=0), 1.0, 1.0, learning_rate=0.0), "learning_rate"),
    (lambda: phi4.flow_sample(phi4.init_flow(4, 2, 2, seed=0), 0, seed=0), "n"),
    (lambda: phi4.ess(np.array([0.0, np.nan])), "log_w"),
    (lambda: phi4.coupling(phi4.init_flow(4, 2, 2, seed=0), np.ones((1, 4, 4)), 2), "layer"),
    (lambda: phi4.coupling(phi4.init_flow(4, 2, 2, seed=0), np.ones((1, 6, 6)), 0), "phi"),
    (lambda: phi4.flow_forward(phi4.init_flow(4, 2, 2, seed=0), np.ones((4, 4))), "z"),
    (lambda: phi4.init_flow(4, lam=-1.0, seed=0), "lam"),
    (lambda: phi4.init_flow(4, seed=0).at_size(5), "L"),
    (lambda: phi4.flow_mcmc(phi4.init_flow(4, 2, 2, seed=0), 1, m2=1.0, lam=0.0, seed=0), "n"),
    (lambda: phi4.measure(np.ones((5, 4, 4))), "n_blocks"),
    (lambda: phi4.measure(np.ones((2, 2, 30, 4, 4))), "samples"),
    (lambda: phi4.tunnelling_time(np.ones(5), threshold=0.0), "threshold"),
    (lambda: phi4.tunnelling_time(np.array([0.1, np.nan]), threshold=0.5), "m"),
    (lambda: phi4.init_flow(4, z2=True, m2=float("nan"), seed=0), "m2"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: phi4.flow_sample({"w": 1}, 3, seed=0), "params"),
    (lambda: phi4.flow_mcmc(None, 10, m2=1.0, lam=0.0, seed=0), "params"),
    (lambda: phi4.action("abc", 1.0, 1.0), "phi"),
    (lambda: phi4.hmc(4.0, 1.0, 1.0, 10), "L"),
    (lambda: phi4.hmc(4, "x", 1.0, 10), "m2"),
    (lambda: phi4.init_flow(4, z2="yes", seed=0), "z2"),
])
def test_bad_input_raises_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_hmc_runs_arrays_of_couplings_in_one_call():
    m2, lam = np.array([[-1.0], [2.0]]), np.array([0.5, 1.0, 2.0])        # broadcast to (2, 3)
    res = phi4.hmc(4, m2, lam, 60, n_chains=3, n_burn=20, seed=7)
    assert res.samples.shape == (2, 3, 3, 60, 4, 4) and res.action.shape == (2, 3, 3, 60)
    assert res.acceptance.shape == (2, 3) and np.all((res.acceptance > 0.3) & (res.acceptance <= 1))
    # each coupling's recorded action is the action of its own samples at its own couplings
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(res.action[i, j], phi4.action(res.samples[i, j], m2[i, 0], lam[j]),
                                       rtol=1e-10)
    # the couplings act: at fixed lam a larger m2 gives a narrower field
    phi2 = (res.samples ** 2).mean(axis=(2, 3, 4, 5))
    assert np.all(phi2[0] > phi2[1]), phi2
    with pytest.raises(ValueError, match="broadcast"):
        phi4.hmc(4, [1.0, 2.0], [1.0, 2.0, 3.0], 10)
    with pytest.raises(ValueError, match="lam"):
        phi4.hmc(4, 1.0, [1.0, -2.0], 10)
