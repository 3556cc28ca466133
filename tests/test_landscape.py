"""Tests of physbook.landscape against closed forms, exact enumeration and exact laws."""
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from physbook import landscape as ls
import physbook as pb


def quad(A):
    A = jnp.asarray(A)
    return lambda x: 0.5 * x @ A @ x


def double_well(x):
    return (x[0] ** 2 - 1.0) ** 2


# ----------------------------------------------------------------------------
# gradient flow
# ----------------------------------------------------------------------------
def _random_quadratic(seed, d, lam_lo=1.0, lam_hi=10.0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = rng.uniform(lam_lo, lam_hi, size=d)
    lam[0] = lam_hi  # pin lambda_max
    return Q @ np.diag(lam) @ Q.T, lam, rng.normal(size=d)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 5), f=st.floats(0.3, 0.95))
def test_gd_converges_below_two_over_lambda_max(seed, d, f):
    A, lam, x0 = _random_quadratic(seed, d)
    path = ls.gradient_flow(quad(A), x0, learning_rate=f * 2 / lam.max(), n_steps=400)
    assert np.linalg.norm(path[-1]) < 1e-6 * np.linalg.norm(x0)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 5), f=st.floats(1.1, 1.5))
def test_gd_diverges_above_two_over_lambda_max(seed, d, f):
    A, lam, x0 = _random_quadratic(seed, d)
    path = ls.gradient_flow(quad(A), x0, learning_rate=f * 2 / lam.max(), n_steps=200)
    assert np.all(np.isfinite(path))
    assert np.linalg.norm(path[-1]) > 1e3 * np.linalg.norm(x0)
    # the top mode flips sign every step: the oscillation seen in the chapter
    top = np.linalg.eigh(A)[1][:, -1]
    c = path[-3:] @ top
    assert c[0] * c[1] < 0 and c[1] * c[2] < 0


def test_gd_matches_the_exact_linear_map():
    A, lam, x0 = _random_quadratic(3, 4)
    lr, n = 0.15, 25
    path = ls.gradient_flow(quad(A), x0, learning_rate=lr, n_steps=n)
    exact = np.linalg.matrix_power(np.eye(4) - lr * A, n) @ x0
    np.testing.assert_allclose(path[n], exact, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(path[0], x0)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_a_plain_loop(nesterov):
    A, _, x0 = _random_quadratic(5, 3)
    lr, beta, n = 0.05, 0.8, 30
    path = ls.gradient_flow(quad(A), x0, learning_rate=lr, momentum=beta, n_steps=n, nesterov=nesterov)
    x, v = x0.copy(), np.zeros(3)
    for t in range(n):
        g = A @ (x + beta * v) if nesterov else A @ x
        v = beta * v - lr * g
        x = x + v
        np.testing.assert_allclose(path[t + 1], x, rtol=1e-12, atol=1e-14)


def test_heavy_ball_reaches_the_optimal_rate():
    # Polyak: lr = 4/(sqrt(L)+sqrt(m))^2, beta = ((sqrt(k)-1)/(sqrt(k)+1))^2 -> rate sqrt(beta)
    m, L = 1.0, 100.0
    A = np.diag([m, L])
    lr = 4 / (np.sqrt(L) + np.sqrt(m)) ** 2
    beta = ((np.sqrt(L / m) - 1) / (np.sqrt(L / m) + 1)) ** 2
    path = ls.gradient_flow(quad(A), [1.0, 1.0], learning_rate=lr, momentum=beta, n_steps=200)
    norms = np.linalg.norm(path, axis=-1)
    rate = (norms[200] / norms[100]) ** (1 / 100)
    assert abs(rate - np.sqrt(beta)) < 0.01
    plain = ls.gradient_flow(quad(A), [1.0, 1.0], learning_rate=2 / (m + L), n_steps=200)
    assert np.linalg.norm(plain[-1]) > 1e3 * norms[-1]


def test_gradient_flow_batches_lead():
    x0 = np.arange(12.0).reshape(2, 3, 2)
    path = ls.gradient_flow(quad(np.eye(2)), x0, learning_rate=0.1, n_steps=5)
    assert path.shape == (2, 3, 6, 2)
    np.testing.assert_allclose(path[..., -1, :], 0.9 ** 5 * x0, rtol=1e-12)


# ----------------------------------------------------------------------------
# Langevin
# ----------------------------------------------------------------------------
def _double_well_cdf(T):
    grid = np.linspace(-3.0, 3.0, 20001)
    w = np.exp(-((grid ** 2 - 1) ** 2) / T)
    cdf = integrate.cumulative_trapezoid(w, grid, initial=0.0)
    cdf /= cdf[-1]
    return lambda x: np.interp(x, grid, cdf)


@pytest.mark.parametrize("metropolis", [False, True])
def test_langevin_samples_boltzmann_on_a_double_well(metropolis):
    # all walkers start on top of the barrier and must find the Boltzmann law
    T = 0.5
    x0 = np.zeros((4000, 1))
    xs = ls.langevin(double_well, x0, T=T, learning_rate=2e-3, n_steps=4000, seed=1, thin=4000,
                     metropolis=metropolis)
    final = xs[:, -1, 0]
    assert stats.kstest(final, _double_well_cdf(T)).pvalue > 0.01
    # the test has power: the wrong temperature is rejected
    assert stats.kstest(final, _double_well_cdf(1.5 * T)).pvalue < 1e-3


def test_langevin_gaussian_variance_and_reproducibility():
    A = np.diag([1.0, 4.0])
    x0 = np.zeros((3000, 2))
    a = ls.langevin(quad(A), x0, T=0.5, learning_rate=0.01, n_steps=800, seed=7, thin=400)
    b = ls.langevin(quad(A), x0, T=0.5, learning_rate=0.01, n_steps=800, seed=7, thin=400)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (3000, 2, 2)
    var = a[:, -1].var(axis=0)
    err = var * np.sqrt(2 / 3000)
    # ULA on a Gaussian: exact stationary variance T / (lam (1 - lr lam / 2))
    exact = 0.5 / (np.diag(A) * (1 - 0.01 * np.diag(A) / 2))
    assert np.all(np.abs(var - exact) < 4 * err)


# ----------------------------------------------------------------------------
# stationary points and classification
# ----------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4), data=st.data())
def test_classify_quadratic_forms(seed, d, data):
    signs = np.array(data.draw(st.lists(st.sampled_from([-1, 1]), min_size=d, max_size=d)))
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = signs * rng.uniform(0.5, 3.0, size=d)
    s = ls.classify(quad(Q @ np.diag(lam) @ Q.T), np.zeros(d))
    n_neg = int((lam < 0).sum())
    assert s.index == n_neg and s.n_flat == 0
    expected = "minimum" if n_neg == 0 else "maximum" if n_neg == d else "saddle"
    assert s.kind == expected
    np.testing.assert_allclose(s.eigenvalues, np.sort(lam), atol=1e-12)
    # the unstable directions span the negative eigenspace
    neg_space = Q[:, lam < 0]
    P = s.unstable @ s.unstable.T
    np.testing.assert_allclose(P, neg_space @ neg_space.T, atol=1e-10)


def test_classify_degenerate_cases_honestly():
    monkey = lambda x: x[0] ** 3 - 3 * x[0] * x[1] ** 2  # noqa: E731
    s = ls.classify(monkey, [0.0, 0.0])
    assert s.kind == "degenerate" and s.n_flat == 2 and s.index == 0
    s = ls.classify(lambda x: x[0] ** 2 + x[1] ** 4, [0.0, 0.0])
    assert s.kind == "degenerate" and s.n_flat == 1 and s.index == 0
    s = ls.classify(lambda x: x[0] ** 2 - x[1] ** 4, [0.0, 0.0])
    assert s.kind == "degenerate" and s.n_flat == 1
    # a flat direction does not hide a certain saddle
    s = ls.classify(lambda x: x[0] ** 2 - x[1] ** 2 + x[2] ** 4, [0.0, 0.0, 0.0])
    assert s.kind == "saddle" and s.index == 1 and s.n_flat == 1
    s = ls.classify(lambda x: (x ** 2).sum(), [0.5, 0.0])
    assert s.kind == "not stationary"
    assert s.grad_norm == pytest.approx(1.0)


def test_classify_batch():
    pts = np.array([[-1.0, -1.0], [-1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    f = lambda x: ((x ** 2 - 1) ** 2).sum()  # noqa: E731
    s = ls.classify(f, pts)
    assert s.kind.tolist() == ["minimum", "saddle", "maximum", "minimum"]
    assert s.index.tolist() == [0, 1, 2, 0]
    assert s.eigenvalues.shape == (4, 2) and s.eigenvectors.shape == (4, 2, 2)
    with pytest.raises(ValueError, match="single point"):
        _ = s.unstable


def test_stationary_points_egg_crate_and_monkey_saddle():
    f = lambda x: ((x ** 2 - 1) ** 2).sum()  # noqa: E731
    starts = np.random.default_rng(0).uniform(-1.6, 1.6, size=(200, 2))
    pts = ls.stationary_points(f, starts)
    assert len(pts) == 9
    expect = {(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)}
    assert {tuple(np.round(p).astype(int)) for p in pts} == expect
    np.testing.assert_allclose(pts, np.round(pts), atol=1e-9)
    kinds = ls.classify(f, pts).kind.tolist()
    assert kinds.count("minimum") == 4 and kinds.count("saddle") == 4
    assert kinds[-1] == "maximum"  # sorted by loss: the maximum is last

    monkey = lambda x: x[0] ** 3 - 3 * x[0] * x[1] ** 2  # noqa: E731
    pts = ls.stationary_points(monkey, starts)
    assert pts.shape == (1, 2) and np.abs(pts).max() < 1e-6
    # a start exactly on a stationary point with a singular Hessian stays there
    pts = ls.stationary_points(monkey, np.zeros((1, 2)))
    np.testing.assert_array_equal(pts, np.zeros((1, 2)))


def _tied_autoencoder(X):
    X = jnp.asarray(X)
    return lambda w: 0.5 * jnp.mean(jnp.sum((X - jnp.outer(X @ w, w)) ** 2, axis=1))


def _data(seed=0, n=200, scales=(3.0, 2.0, 1.0)):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return rng.normal(size=(n, 3)) * np.array(scales) @ Q.T


def test_linear_autoencoder_critical_points_baldi_hornik():
    X = _data()
    loss = _tied_autoencoder(X)
    lam, U = np.linalg.eigh(X.T @ X / len(X))          # ascending
    starts = np.random.default_rng(1).normal(size=(120, 3))
    pts = ls.stationary_points(loss, starts)
    assert len(pts) == 7                                  # 0 and +-u_k
    s = ls.classify(loss, pts)
    for p, kind, index in zip(pts, s.kind, s.index):
        if np.linalg.norm(p) < 1e-8:
            assert kind == "maximum" and index == 3
            continue
        k = int(np.argmax(np.abs(U.T @ p)))               # which principal direction
        np.testing.assert_allclose(abs(U[:, k] @ p), 1.0, atol=1e-9)
        assert index == 2 - k                              # larger eigenvalues above it
        assert kind == ("minimum" if k == 2 else "saddle")
        # the unstable directions are the principal directions with larger variance
        pos = pts.tolist().index(p.tolist())
        if index:
            V = s.eigenvectors[pos][:, : index]
            np.testing.assert_allclose(V @ V.T, U[:, k + 1:] @ U[:, k + 1:].T, atol=1e-8)
        np.testing.assert_allclose(s.eigenvalues[pos][:index], np.sort(lam[k] - lam[k + 1:]),
                                   rtol=1e-9)


def test_untied_autoencoder_scaling_symmetry_is_a_flat_direction():
    X = jnp.asarray(_data())
    loss = lambda p: 0.5 * jnp.mean(jnp.sum((X - jnp.outer(X @ p[:3], p[3:])) ** 2, axis=1))  # noqa: E731
    lam, U = np.linalg.eigh(np.asarray(X.T @ X) / X.shape[0])
    top, mid = U[:, 2], U[:, 1]
    s = ls.classify(loss, np.concatenate([2.0 * top, top / 2.0]))
    assert s.kind == "degenerate" and s.index == 0 and s.n_flat == 1
    flat = s.eigenvectors[:, np.argmin(np.abs(s.eigenvalues))]
    scaling = np.concatenate([2.0 * top, -top / 2.0])
    assert abs(flat @ scaling) / np.linalg.norm(scaling) == pytest.approx(1.0, abs=1e-8)
    s = ls.classify(loss, np.concatenate([mid, mid]))
    assert s.kind == "saddle" and s.index >= 1 and s.n_flat == 1
    s = ls.classify(loss, np.zeros(6))
    assert s.kind == "saddle" and s.index == 3
    np.testing.assert_allclose(s.eigenvalues, np.concatenate([-lam[::-1], lam]), atol=1e-10)


# ----------------------------------------------------------------------------
# level shift, damped Newton, SCF
# ----------------------------------------------------------------------------
def test_shifted_newton_step_formula():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(5, 4, 4))
    H = B + np.swapaxes(B, 1, 2)
    g = rng.normal(size=(5, 4))
    mu = 7.5
    step = ls.shifted_newton_step(g, H, mu)
    direct = -np.linalg.solve(H + mu * np.eye(4), g[..., None])[..., 0]
    np.testing.assert_allclose(step, direct, rtol=1e-10)
    big = ls.shifted_newton_step(g[0], H[0], 1e9)
    np.testing.assert_allclose(big, -g[0] / 1e9, rtol=1e-7)
    A = np.diag([1.0, 4.0])
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(x + ls.shifted_newton_step(A @ x, A, 0.0), 0.0, atol=1e-15)
    with pytest.raises(ValueError, match="shift"):
        ls.shifted_newton_step([1.0, 1.0], A, -1.0)
    with pytest.raises(ValueError, match="hess"):
        ls.shifted_newton_step([1.0, 1.0], [[1.0, 2.0], [0.0, 1.0]], 0.0)
    with pytest.raises(ValueError, match="hess"):
        ls.shifted_newton_step([1.0, 1.0, 1.0], A, 0.0)


def test_damped_newton_escapes_the_saddle_that_newton_finds():
    f = lambda x: ((x ** 2 - 1) ** 2).sum()  # noqa: E731
    x0 = np.array([0.3, 0.9])            # near the saddle (0, 1)
    newton = ls.stationary_points(f, x0[None])
    np.testing.assert_allclose(newton, [[0.0, 1.0]], atol=1e-9)
    run = ls.damped_newton(f, x0, shift=1.0, n_steps=60)
    np.testing.assert_allclose(run.x[-1], [1.0, 1.0], atol=1e-10)
    assert np.all(np.diff(run.loss) <= 1e-15)
    assert run.shift[-1] < 1e-6 < run.shift[0]
    assert run.x.shape == (61, 2) and run.loss.shape == (61,)


def test_hubbard_dimer_stability_analysis():
    t, U = 1.0, 4.0
    f = lambda p: ls.hubbard_dimer_energy(p, t=t, U=U)  # noqa: E731
    rhf = np.array([np.pi / 4, np.pi / 4])
    assert float(f(rhf)) == pytest.approx(-2 * t + U / 2)
    s = ls.classify(f, rhf)
    # in the angles, the Hessian is 4 [[t, U/2], [U/2, t]]: eigenvalues 4(t -+ U/2)
    assert s.kind == "saddle" and s.index == 1
    np.testing.assert_allclose(s.eigenvalues, [4 * (t - U / 2), 4 * (t + U / 2)], atol=1e-12)
    np.testing.assert_allclose(np.abs(s.unstable[:, 0]), [2 ** -0.5] * 2, atol=1e-12)
    assert s.unstable[0, 0] * s.unstable[1, 0] < 0   # spin (not charge) direction
    run = ls.damped_newton(f, rhf + 0.01 * s.unstable[:, 0], n_steps=40)
    uhf = run.x[-1]
    assert run.loss[-1] == pytest.approx(-2 * t ** 2 / U, abs=1e-12)
    a = np.cos(2 * uhf)
    np.testing.assert_allclose(np.abs(a), np.sqrt(1 - 4 * t ** 2 / U ** 2), atol=1e-9)
    assert a[0] * a[1] < 0
    assert ls.classify(f, uhf).kind == "minimum"
    assert ls.hubbard_dimer_exact(t=t, U=U) < -2 * t ** 2 / U
    assert ls.hubbard_dimer_exact(t=t, U=U) == pytest.approx(U / 2 - np.sqrt(U ** 2 / 4 + 4))
    # below U = 2t the restricted solution is the minimum
    g = lambda p: ls.hubbard_dimer_energy(p, t=1.0, U=1.5)  # noqa: E731
    assert ls.classify(g, rhf).kind == "minimum"


def test_scf_two_cycles_without_shift_and_converges_with_it():
    t, U = 1.0, 4.0
    phi = 0.5 * np.arccos([0.3, 0.1])     # a guess with the same sign of imbalance for both spins
    plain = ls.hubbard_dimer_scf(phi, t=t, U=U, shift=0.0, n_iter=100)
    a = np.cos(2 * plain.angles)
    assert np.abs(a[-1] - a[-3]).max() < 1e-10            # period 2 ...
    assert np.abs(a[-1] - a[-2]).max() > 1.0               # ... not a fixed point
    assert abs(plain.energy[-1] - plain.energy[-2]) < 1e-10 and plain.energy[-1] > 0
    shifted = ls.hubbard_dimer_scf(phi, t=t, U=U, shift=2.0, n_iter=100)
    a = np.cos(2 * shifted.angles)
    assert np.abs(a[-1] - a[-2]).max() < 1e-10
    assert shifted.energy[-1] == pytest.approx(-2 * t ** 2 / U, abs=1e-10)
    # a symmetric (charge-only) guess converges, with shift, to the restricted saddle
    sym = ls.hubbard_dimer_scf(0.5 * np.arccos([0.1, 0.1]), t=t, U=U, shift=2.0, n_iter=100)
    assert sym.energy[-1] == pytest.approx(-2 * t + U / 2, abs=1e-10)
    batch = ls.hubbard_dimer_scf(np.stack([phi, phi]), t=t, U=U, shift=2.0, n_iter=3)
    assert batch.angles.shape == (2, 4, 2) and batch.energy.shape == (2, 4)


# ----------------------------------------------------------------------------
# normal modes, receptance, PCA
# ----------------------------------------------------------------------------
def _chain(n):
    return 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)


def test_normal_modes_of_a_chain_and_mass_orthonormality():
    n = 8
    modes = ls.normal_modes(_chain(n))
    k = np.arange(1, n + 1)
    np.testing.assert_allclose(modes.omega, 2 * np.sin(k * np.pi / (2 * (n + 1))), rtol=1e-12)
    j = np.arange(1, n + 1)
    np.testing.assert_allclose(np.abs(modes.vectors[:, 0]),
                               np.sqrt(2 / (n + 1)) * np.sin(j * np.pi / (n + 1)), atol=1e-12)
    M = np.diag(np.linspace(1.0, 3.0, n))
    m = ls.normal_modes(_chain(n), M)
    V = m.vectors
    np.testing.assert_allclose(V.T @ M @ V, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(V.T @ _chain(n) @ V, np.diag(m.omega2), atol=1e-12)
    with pytest.raises(ValueError, match="unstable"):
        _ = ls.normal_modes(-_chain(3)).omega


@pytest.mark.parametrize("damping", [0.0, 0.3, (0.2, 0.05)])
def test_receptance_modal_sum_equals_direct_inversion(damping):
    n = 6
    K, M = _chain(n), np.diag(np.linspace(1.0, 2.0, n))
    alpha, beta = (damping, 0.0) if np.ndim(damping) == 0 else damping
    omega = np.array([0.05, 0.7, 1.3, 2.9])
    H = ls.receptance(omega, K, M, damping)
    assert H.shape == (4, n, n)
    C = alpha * M + beta * K
    for w, h in zip(omega, H):
        np.testing.assert_allclose(h, np.linalg.inv(K - w ** 2 * M + 1j * w * C), rtol=1e-9)


def test_pca_equals_covariance_eigendecomposition():
    X = _data(seed=4, n=500) + 5.0
    p = pb.stats.pca(X)
    lam, V = np.linalg.eigh(np.cov(X.T))
    np.testing.assert_allclose(p.variances, lam[::-1], rtol=1e-10)
    np.testing.assert_allclose(np.abs(p.components @ V[:, ::-1]), np.eye(3), atol=1e-10)
    np.testing.assert_allclose(p.mean, X.mean(0))
    two = pb.stats.pca(X, n_components=2)
    assert two.components.shape == (2, 3)
    batch = pb.stats.pca(np.stack([X, 2 * X]))
    np.testing.assert_allclose(batch.variances[1], 4 * p.variances, rtol=1e-10)


def test_pca_of_thermal_fluctuations_gives_normal_modes():
    # Boltzmann exp(-x K x / 2T) has covariance T K^-1: PCA modes = normal modes
    n, T = 5, 0.5
    K = _chain(n)
    rng = np.random.default_rng(0)
    X = rng.multivariate_normal(np.zeros(n), T * np.linalg.inv(K), size=20000)
    p, modes = pb.stats.pca(X), ls.normal_modes(K)
    np.testing.assert_allclose(p.variances, T / modes.omega2, rtol=0.05)
    overlap = np.abs(p.components[0] @ modes.vectors[:, 0])
    assert overlap > 0.999


# ----------------------------------------------------------------------------
# coarse-graining
# ----------------------------------------------------------------------------
def _abc(k_ab, k_ba, k_bc):
    return ls.generator([[0, k_ab, 0], [k_ba, 0, k_bc], [0, 0, 0]])


def test_effective_rate_matches_slowest_eigenvalue():
    k_ab, k_ba, k_bc = 10.0, 20.0, 0.1
    Q = _abc(k_ab, k_ba, k_bc)
    rates = ls.relaxation_rates(Q)
    assert rates[0] == pytest.approx(0.0, abs=1e-12)
    s = k_ab + k_ba + k_bc
    exact = (s - np.sqrt(s ** 2 - 4 * k_ab * k_bc)) / 2
    assert rates[1] == pytest.approx(exact, rel=1e-10)
    k_eff = ls.effective_rate(k_ab, k_ba, k_bc)
    assert abs(k_eff / rates[1] - 1) < 0.01
    # and it fails when the separation of time scales is lost
    assert abs(ls.effective_rate(1.0, 1.0, 1.0) / ls.relaxation_rates(_abc(1, 1, 1))[1] - 1) > 0.2


def test_first_passage_times_match_the_exact_mean():
    k_ab, k_ba, k_bc = 10.0, 20.0, 1.0
    Q = _abc(k_ab, k_ba, k_bc)
    tau = ls.first_passage_times(Q, 0, 2, n_walkers=20000, seed=3)
    # exact mean first-passage times: -Q_TT m = 1 on the transient states
    m = np.linalg.solve(-Q[:2, :2], np.ones(2))
    err = tau.std() / np.sqrt(tau.size)
    assert abs(tau.mean() - m[0]) < 4 * err
    np.testing.assert_array_equal(tau, ls.first_passage_times(Q, 0, 2, n_walkers=20000, seed=3))


# ----------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------
def test_bad_inputs_name_the_argument():
    f = lambda x: (x ** 2).sum()  # noqa: E731
    with pytest.raises(ValueError, match="learning_rate"):
        ls.gradient_flow(f, [1.0], learning_rate=-0.1, n_steps=3)
    with pytest.raises(ValueError, match="momentum"):
        ls.gradient_flow(f, [1.0], learning_rate=0.1, momentum=1.0, n_steps=3)
    with pytest.raises(TypeError, match="n_steps"):
        ls.gradient_flow(f, [1.0], learning_rate=0.1, n_steps=3.0)
    with pytest.raises(TypeError, match="nesterov"):
        ls.gradient_flow(f, [1.0], learning_rate=0.1, n_steps=3, nesterov="yes")
    with pytest.raises(TypeError, match="loss"):
        ls.gradient_flow(3.0, [1.0], learning_rate=0.1, n_steps=3)
    with pytest.raises(ValueError, match="loss must return a scalar"):
        ls.gradient_flow(lambda x: x ** 2, [1.0, 2.0], learning_rate=0.1, n_steps=3)
    with pytest.raises(ValueError, match="loss must accept"):
        ls.gradient_flow(lambda x: x @ jnp.ones(3), [1.0, 2.0], learning_rate=0.1, n_steps=3)
    with pytest.raises(ValueError, match="x0"):
        ls.gradient_flow(f, [np.nan], learning_rate=0.1, n_steps=3)
    with pytest.raises(ValueError, match="T"):
        ls.langevin(f, [0.0], T=0.0, learning_rate=0.1, n_steps=2, seed=0)
    with pytest.raises(ValueError, match="n_steps must be a multiple of thin"):
        ls.langevin(f, [0.0], T=1.0, learning_rate=0.1, n_steps=5, thin=2, seed=0)
    with pytest.raises(TypeError, match="seed"):
        ls.langevin(f, [0.0], T=1.0, learning_rate=0.1, n_steps=2, seed="abc")
    with pytest.raises(ValueError, match="gtol"):
        ls.stationary_points(f, [[1.0]], gtol=-1.0)
    with pytest.raises(ValueError, match="tol"):
        ls.classify(f, [1.0], tol=0.0)
    with pytest.raises(ValueError, match="shift"):
        ls.damped_newton(f, [1.0], shift=-1.0)
    with pytest.raises(ValueError, match="decrease"):
        ls.damped_newton(f, [1.0], decrease=1.5)
    with pytest.raises(ValueError, match="angles0"):
        ls.hubbard_dimer_scf([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="shift"):
        ls.hubbard_dimer_scf([0.1, 0.2], shift=-1.0)
    with pytest.raises(ValueError, match="U"):
        ls.hubbard_dimer_energy(np.zeros(2), U=-1.0)
    with pytest.raises(ValueError, match="angles"):
        ls.hubbard_dimer_energy(np.zeros(3))
    with pytest.raises(ValueError, match="t"):
        ls.hubbard_dimer_exact(t=0.0)
    with pytest.raises(ValueError, match="K must be symmetric"):
        ls.normal_modes([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="M must be positive definite"):
        ls.normal_modes(np.eye(2), -np.eye(2))
    with pytest.raises(ValueError, match="damping"):
        ls.receptance(1.0, np.eye(2), damping=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="damping"):
        ls.receptance(1.0, np.eye(2), damping=-0.1)
    with pytest.raises(ValueError, match="omega"):
        ls.receptance(1.0, np.eye(2))
    with pytest.raises(ValueError, match="n_components"):
        pb.stats.pca(np.zeros((5, 3)), n_components=4)
    with pytest.raises(ValueError, match="X"):
        pb.stats.pca(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="rates"):
        ls.generator([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="Q"):
        ls.relaxation_rates([[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="k_bc"):
        ls.effective_rate(1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="target"):
        ls.first_passage_times(ls.generator([[0, 1.0], [1.0, 0]]), 0, 2, n_walkers=3)
    with pytest.raises(ValueError, match="absorbing"):
        ls.first_passage_times(_abc(1.0, 1.0, 1.0), 1, 0, n_walkers=50, seed=0)


def test_shifted_newton_path_interpolates_between_newton_and_gradient_descent():
    A = np.diag([1.0, 4.0])
    x0 = np.array([1.0, 1.0])
    newton = ls.shifted_newton(quad(A), x0, shift=0.0, n_steps=3)
    assert newton.shape == (4, 2)
    np.testing.assert_allclose(newton[1], 0.0, atol=1e-12)           # Newton: one step on a quadratic
    mu = 1e4
    damped = ls.shifted_newton(quad(A), x0, shift=mu, n_steps=5)
    gd = ls.gradient_flow(quad(A), x0, learning_rate=1 / mu, n_steps=5)
    np.testing.assert_allclose(damped, gd, rtol=1e-3)                   # huge shift: GD with step 1/mu
    # per mode, each step multiplies by mu / (lambda + mu)
    path = ls.shifted_newton(quad(A), x0, shift=2.0, n_steps=4)
    np.testing.assert_allclose(path[:, 0], (2 / 3) ** np.arange(5), rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], (2 / 6) ** np.arange(5), rtol=1e-12)
    batch = ls.shifted_newton(quad(A), np.stack([x0, -x0]), shift=2.0, n_steps=4)
    np.testing.assert_allclose(batch[1], -path, rtol=1e-12)
    with pytest.raises(ValueError, match="shift"):
        ls.shifted_newton(quad(A), x0, shift=-1.0, n_steps=2)
