"""Tests of physbook.scaling: block spins, MCRG, sphere spectra, learning curves, width scaling."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import special

import physbook as pb
from physbook import scaling as sc

TC = pb.ising.critical_temperature()


def relu_ntk(a, b):
    return pb.nngp.ntk_kernel(a, b, depth=1, activation="relu", sigma_w2=2.0, sigma_b2=0.1)


def brute_majority(s, b):
    """Per-block reference: the sign of each block sum, ties marked 0."""
    L0, L1 = s.shape[-2] // b, s.shape[-1] // b
    out = np.zeros(s.shape[:-2] + (L0, L1), dtype=int)
    for idx in np.ndindex(s.shape[:-2]):
        for I in range(L0):
            for J in range(L1):
                out[idx + (I, J)] = np.sign(s[idx][b * I:b * I + b, b * J:b * J + b].sum())
    return out


# ----------------------------------------------------------------------------- block spins

@pytest.mark.parametrize("b", [2, 3, 4])
def test_majority_equals_brute_force_per_block(b):
    s = pb.ising.random_spins((3, 4 * b, 2 * b), seed=1)
    got = sc.block_spin(s, b, seed=2)
    ref = brute_majority(s, b)
    assert got.dtype == np.int8 and got.shape == (3, 4, 2)
    decided = ref != 0
    assert np.array_equal(got[decided], ref[decided])
    assert np.all(np.abs(got) == 1)                     # ties become +1 or -1
    if b % 2:
        assert decided.all()


def test_zero_temperature_state_is_fixed():
    for sign in (1, -1):
        s = sign * np.ones((2, 16, 16), dtype=np.int8)
        for b in (2, 4):
            for rule in ("majority", "decimation"):
                assert np.array_equal(sc.block_spin(s, b, rule, seed=0), s[:, : 16 // b, : 16 // b])


def test_decimation_picks_first_corner():
    s = pb.ising.random_spins((2, 12, 12), seed=3)
    assert np.array_equal(sc.block_spin(s, 3, "decimation"), s[:, ::3, ::3])
    assert np.array_equal(sc.block_spin(s, 2, "decimation"), s[:, 0::2, 0::2])


def test_tie_breaks_are_fair_and_seeded():
    s = np.tile(np.array([[1, -1], [-1, 1]], dtype=np.int8), (50, 50))    # every 2x2 block ties
    a, b = sc.block_spin(s, 2, seed=5), sc.block_spin(s, 2, seed=5)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, sc.block_spin(s, 2, seed=6))
    n = a.size
    assert abs(np.mean(a == 1) - 0.5) < 5 * 0.5 / np.sqrt(n)


def test_coarse_grain_levels():
    levels = sc.coarse_grain(pb.ising.random_spins((2, 32, 32), seed=0), 3, seed=1)
    assert [x.shape for x in levels] == [(2, 32, 32), (2, 16, 16), (2, 8, 8), (2, 4, 4)]
    s = pb.ising.random_spins((2, 32, 32), seed=2)
    assert np.array_equal(sc.coarse_grain(s, 2, rule="decimation")[2], s[:, ::4, ::4])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(0, 5))
def test_odd_block_symmetries(seed, m, shift):
    """For odd b (no ties): blocking commutes with spin flip and with translations by whole blocks."""
    b = 3
    s = pb.ising.random_spins((3 * m, 3 * (m + 1)), seed=seed)
    blocked = sc.block_spin(s, b)
    assert np.array_equal(sc.block_spin(-s, b), -blocked)
    rolled = np.roll(s, b * shift, axis=-1)
    assert np.array_equal(sc.block_spin(rolled, b), np.roll(blocked, shift, axis=-1))


# ----------------------------------------------------------------------------- MCRG

def brute_operators(s):
    L0, L1 = s.shape
    nn = nnn = plaq = three = 0
    for i in range(L0):
        for j in range(L1):
            r, dn = s[i, (j + 1) % L1], s[(i + 1) % L0, j]
            dr, dl = s[(i + 1) % L0, (j + 1) % L1], s[(i + 1) % L0, (j - 1) % L1]
            nn += s[i, j] * (r + dn)
            nnn += s[i, j] * (dr + dl)
            corners = [s[i, j], r, dn, dr]
            plaq += np.prod(corners)
            three += sum(np.prod(corners[:k] + corners[k + 1:]) for k in range(4))
    return [nn, nnn, plaq, s.sum(), three]


def test_mcrg_operators_against_loops():
    for seed in range(3):
        s = pb.ising.random_spins((6, 4), seed=seed)
        assert np.allclose(sc.mcrg_operators(s), brute_operators(s.astype(int)))
    checker = np.indices((4, 4)).sum(axis=0) % 2 * 2 - 1
    assert sc.mcrg_operators(checker.astype(np.int8)).tolist() == [-32.0, 32.0, 16.0, 0.0, 0.0]
    batch = pb.ising.random_spins((2, 3, 8, 8), seed=4)
    assert sc.mcrg_operators(batch).shape == (2, 3, 5)


def test_ising_configurations_shape_order_and_energy():
    s = sc.ising_configurations(8, 2.5, 64, n_chains=16, algorithm="metropolis", n_between=5, seed=0)
    assert s.shape == (64, 8, 8) and s.dtype == np.int8
    # independent chains, equilibrium: the mean energy agrees with Kaufman's exact value (5 sigma)
    e = pb.ising.energy(s)
    assert abs(e.mean() - pb.ising.exact_finite(8, 2.5).energy) < 5 * e.std() / np.sqrt(16) + 0.01
    assert np.array_equal(s, sc.ising_configurations(8, 2.5, 64, n_chains=16, algorithm="metropolis",
                                                     n_between=5, seed=0))


def test_mcrg_exponents_small_lattice():
    """L = 32 at Tc: y_h within 0.03 of 15/8 and y_t within 0.15 of 1 at level 2 (5 standard errors apart)."""
    s = sc.ising_configurations(32, TC, 1024, n_chains=128, n_between=8, n_burn=40, seed=11)
    r = sc.mcrg(s, 3, n_blocks=16, seed=12)
    assert r.y_t.mean.shape == (3,) and r.even_matrices.shape == (3, 3, 3) and r.odd_matrices.shape == (3, 2, 2)
    assert abs(r.y_h.mean[1] - 15 / 8) < 0.03 + 5 * r.y_h.error[1]
    assert abs(r.y_t.mean[1] - 1.0) < 0.05 + 5 * r.y_t.error[1]
    # a disordered lattice (T = infinity) has no relevant thermal direction: y_t far below 1
    hot = pb.ising.random_spins((1024, 32, 32), seed=13)
    r_hot = sc.mcrg(hot, 2, n_blocks=16, seed=14)
    assert r_hot.y_t.mean[0] < 0.5


def test_mcrg_is_reproducible_and_validates():
    s = sc.ising_configurations(16, TC, 64, n_chains=16, seed=0)
    a, b = sc.mcrg(s, 2, n_blocks=4, seed=1), sc.mcrg(s, 2, n_blocks=4, seed=1)
    assert np.array_equal(a.y_t.mean, b.y_t.mean) and np.array_equal(a.y_h.error, b.y_h.error)
    with pytest.raises(ValueError, match="below side 4"):
        sc.mcrg(s, 3)
    with pytest.raises(ValueError, match="n_samples, L, L"):
        sc.mcrg(s[0], 1)
    with pytest.raises(ValueError, match="n_blocks"):
        sc.mcrg(s, 1, n_blocks=1000)


# ----------------------------------------------------------------------------- sphere harmonics

def test_multiplicities():
    k = np.arange(8)
    assert sc.multiplicity(3, k).tolist() == (2 * k + 1).tolist()
    assert sc.multiplicity(4, k).tolist() == ((k + 1) ** 2).tolist()
    for d in (3, 5, 7):   # harmonics of degree <= K span the restrictions of polynomials of degree <= K
        K = 6
        total = special.comb(K + d - 1, d - 1, exact=True) + special.comb(K + d - 2, d - 1, exact=True)
        assert sc.multiplicity(d, np.arange(K + 1)).sum() == total


def test_gegenbauer_normalisation_and_orthogonality():
    t = np.linspace(-1, 1, 7)
    for k in range(6):
        assert np.allclose(sc.gegenbauer(k, 3, t), special.eval_legendre(k, t))
    for d in (3, 5):
        x, w = special.roots_gegenbauer(40, (d - 2) / 2)
        w = w / w.sum()
        for k in range(5):
            assert np.isclose(sc.gegenbauer(k, d, 1.0), 1.0)
            for l in range(5):
                inner = np.sum(w * sc.gegenbauer(k, d, x) * sc.gegenbauer(l, d, x))
                assert np.isclose(inner, (k == l) / sc.multiplicity(d, [k])[0], atol=1e-12)


@pytest.mark.parametrize("d", [3, 4, 6])
def test_sphere_eigenvalues_reconstruct_the_kernel(d):
    spec = sc.sphere_eigenvalues(relu_ntk, d, 200)
    t = np.linspace(-0.95, 0.95, 9)
    recon = sum(spec.multiplicities[k] * spec.eigenvalues[k] * sc.gegenbauer(k, d, t) for k in range(201))
    direct = sc._kernel_on_t(relu_ntk, d, t)
    assert np.max(np.abs(recon - direct)) < 1e-4
    assert 0 <= spec.tail < 1e-2 and np.all(spec.eigenvalues >= 0)
    # the full trace: k(1) = sum N lambda + tail
    assert np.isclose(spec.multiplicities @ spec.eigenvalues + spec.tail, sc._kernel_on_t(relu_ntk, d, np.ones(1))[0])


def test_sphere_eigenvalues_polynomial_kernel_exact():
    spec = sc.sphere_eigenvalues(lambda a, b: (1 + a @ b.T) ** 3, 5, 5)
    assert np.allclose(spec.eigenvalues[4:], 0, atol=1e-13) and spec.tail < 1e-12
    # Funk-Hecke by Monte Carlo: the integral operator maps a zonal harmonic to lambda_k times itself
    x = sc.sample_sphere(40000, 5, seed=0)
    u = np.eye(5)[0]
    x0 = sc.sample_sphere(3, 5, seed=1)
    for k in (1, 2, 3):
        f = sc.gegenbauer(k, 5, x @ u)
        vals = (1 + x0 @ x.T) ** 3 * f
        mc, err = vals.mean(axis=1), vals.std(axis=1) / np.sqrt(len(x))
        assert np.all(np.abs(mc - spec.eigenvalues[k] * sc.gegenbauer(k, 5, x0 @ u)) < 5 * err + 1e-12)


def test_sphere_kernel_matches_the_kernel():
    K = sc.sphere_kernel(relu_ntk, 4)
    x = sc.sample_sphere(50, 4, seed=2)
    assert np.max(np.abs(K(x, x) - np.asarray(relu_ntk(x, x)))) < 1e-7


def test_harmonic_target_power_per_degree():
    a = np.array([0.0, 1.0, 0.5, 0.0, 0.25])
    f = sc.harmonic_target(a, 4, n_directions=8, seed=3)
    x = sc.sample_sphere(200000, 4, seed=4)
    y = f(x)
    assert abs(np.mean(y**2) - np.sum(a**2)) < 5 * np.std(y**2) / np.sqrt(len(x))
    # power in degree 2: E_x[f(x) P_2(x.z)] N(d,2) reproduces the degree-2 part at z; check its mean square
    z = sc.sample_sphere(64, 4, seed=5)
    proj = (sc.gegenbauer(2, 4, z @ x.T) * y).mean(axis=1) * sc.multiplicity(4, [2])[0]
    assert abs(np.mean(proj**2) - a[2] ** 2) < 0.1 * a[2] ** 2 + 0.02
    assert np.allclose(f(x[:10]), sc.harmonic_target(a, 4, n_directions=8, seed=3)(x[:10]))


# ----------------------------------------------------------------------------- learning curves

def test_theory_single_degenerate_mode_closed_form():
    """One eigenvalue lam with multiplicity M: kappa solves n = M lam/(lam+kappa) + delta/kappa (a quadratic)."""
    lam, M, delta, v2, n, s2 = 0.5, 20.0, 0.3, 2.0, 7, 0.1
    # n kappa^2 + (n lam - M lam - delta) kappa - delta lam = 0
    kappa = np.max(np.roots([n, n * lam - M * lam - delta, -delta * lam]).real)
    L = lam / (lam + kappa)
    e0 = n / (n - M * L**2)
    th = sc.learning_curve_theory([lam], [np.sqrt(v2)], n, delta, s2, multiplicities=[M])
    assert np.isclose(th.kappa, kappa) and np.isclose(th.overfitting, e0)
    assert np.isclose(th.error, e0 * ((1 - L) ** 2 * v2 + s2) - s2)
    assert np.isclose(th.test_mse, th.error + s2)


@settings(max_examples=30, deadline=None)
@given(st.floats(1.2, 3.0), st.floats(1e-6, 1.0), st.integers(1, 200))
def test_theory_conservation_and_monotonicity(alpha, ridge, n):
    lam = np.arange(1, 3001) ** -alpha
    v = np.sqrt(lam)
    th = sc.learning_curve_theory(lam, v, [n, n + 10], ridge)
    L = lam / (lam + th.kappa[:, None])
    assert np.allclose(L.sum(axis=1) + ridge / th.kappa, [n, n + 10], rtol=1e-8)   # learnability budget
    assert th.error[1] <= th.error[0] + 1e-15 and np.all(th.kappa > 0)
    assert np.all(th.overfitting >= 1)


def test_theory_agrees_with_measured_curve():
    """d = 4, ReLU NTK: the eigenlearning theory within 25 % of the measured error (it is asymptotic)."""
    d = 4
    spec = sc.sphere_eigenvalues(relu_ntk, d, 200)
    deg = np.arange(201)
    a = np.where((deg > 0) & (deg <= 30), np.maximum(deg, 1) ** -2.0, 0.0)
    target = sc.harmonic_target(a[:31], d, n_directions=32, seed=0)
    ns = [20, 100]
    lc = sc.learning_curve(sc.sphere_kernel(relu_ntk, d), lambda n, seed: sc.sample_sphere(n, d, seed=seed),
                           target, ns, ridge=1e-4, n_test=300, n_trials=[32, 12], seed=1)
    th = sc.learning_curve_theory(spec.eigenvalues, a, ns, 1e-4 + spec.tail, multiplicities=spec.multiplicities)
    ratio = lc.error.mean / th.error
    assert np.all(np.abs(ratio - 1) < 0.25 + 5 * lc.error.error / th.error), ratio
    assert lc.error.mean[1] < 0.5 * lc.error.mean[0]


def test_learning_curve_exact_for_finite_rank_kernel_and_seeded():
    kernel = lambda a, b: (1 + a @ b.T) ** 2            # degrees 0, 1, 2 on S^2: 9 modes
    sampler = lambda n, seed: sc.sample_sphere(n, 3, seed=seed)
    target = lambda x: x[:, 0] * x[:, 1] + 0.5 * x[:, 2]
    lc = sc.learning_curve(kernel, sampler, target, [4, 30], ridge=1e-9, n_test=200, n_trials=3, seed=0)
    assert lc.error.mean[0] > 1e-3 and lc.error.mean[1] < 1e-12
    again = sc.learning_curve(kernel, sampler, target, [4, 30], ridge=1e-9, n_test=200, n_trials=3, seed=0)
    assert np.array_equal(lc.error.mean, again.error.mean)
    # with label noise the fit is worse than without
    noisy = sc.learning_curve(kernel, sampler, target, [30], ridge=1e-3, noise=0.1, n_test=200, n_trials=3, seed=0)
    assert noisy.error.mean[0] > 1e-4


# ----------------------------------------------------------------------------- width scaling

def test_random_feature_error_width_scaling():
    d = 4
    x, xt = sc.sample_sphere(32, d, seed=0), sc.sample_sphere(200, d, seed=1)
    deg = np.arange(31)
    f = sc.harmonic_target(np.where(deg > 0, np.maximum(deg, 1) ** -2.0, 0.0), d, seed=2)
    ws = sc.random_feature_error(x, f(x), xt, f(xt), [256, 1024, 4096], ridge=1e-2, n_draws=16, seed=3)
    # infinite-width error = kernel regression with the NNGP kernel of physbook.nngp
    kern = dict(depth=1, activation="relu", sigma_w2=2.0)
    K = np.asarray(pb.nngp.nngp_kernel(x, **kern)) + 1e-2 * np.eye(32)
    pred = np.asarray(pb.nngp.nngp_kernel(xt, x, **kern)) @ np.linalg.solve(K, f(x))
    assert np.isclose(ws.infinite_width_error, np.mean((pred - f(xt)) ** 2))
    assert ws.excess.mean[0] > 5 * ws.excess.error[0] and np.all(np.diff(ws.excess.mean) < 0)
    assert abs(ws.exponent.mean - 1) < 0.1 + 5 * ws.exponent.error
    again = sc.random_feature_error(x, f(x), xt, f(xt), [256, 1024, 4096], ridge=1e-2, n_draws=16, seed=3)
    assert np.array_equal(ws.error.mean, again.error.mean)


# ----------------------------------------------------------------------------- bad input

def test_bad_inputs_name_the_argument():
    s = np.ones((4, 4), dtype=np.int8)
    with pytest.raises(ValueError, match="spins"):
        sc.block_spin(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="divisible by b"):
        sc.block_spin(np.ones((6, 6), dtype=np.int8), 4)
    with pytest.raises(ValueError, match="b must be an integer >= 2"):
        sc.block_spin(s, 1)
    with pytest.raises(TypeError, match="b must be an integer"):
        sc.block_spin(s, 2.0)
    with pytest.raises(ValueError, match="rule"):
        sc.block_spin(s, 2, "average")
    with pytest.raises(ValueError, match="n_configs must be a multiple"):
        sc.ising_configurations(8, 2.5, 10, n_chains=4)
    with pytest.raises(ValueError, match="T must be"):
        sc.ising_configurations(8, -1.0, 8, n_chains=4)
    with pytest.raises(ValueError, match="d must be"):
        sc.multiplicity(2, [1])
    with pytest.raises(TypeError, match="kernel_fn must be callable"):
        sc.sphere_eigenvalues("relu", 3, 4)
    with pytest.raises(ValueError, match="eigenvalues must be non-negative"):
        sc.learning_curve_theory([1.0, -0.1], [1.0, 1.0], 1)
    with pytest.raises(ValueError, match="target_coefficients must have the shape"):
        sc.learning_curve_theory([1.0, 0.5], [1.0], 1)
    with pytest.raises(ValueError, match="with ridge = 0, n must be below"):
        sc.learning_curve_theory([1.0, 0.5], [1.0, 1.0], 5)
    with pytest.raises(ValueError, match="ridge must be a non-negative"):
        sc.learning_curve_theory([1.0, 0.5], [1.0, 1.0], 1, ridge=-1.0)
    with pytest.raises(ValueError, match="n must contain positive integers"):
        sc.learning_curve_theory([1.0, 0.5], [1.0, 1.0], 0.5, ridge=0.1)
    with pytest.raises(TypeError, match="sampler must be callable"):
        sc.learning_curve(relu_ntk, None, lambda x: x[:, 0], [10])
    with pytest.raises(ValueError, match="n_trials must be >= 2"):
        sc.learning_curve(relu_ntk, lambda n, seed: sc.sample_sphere(n, 3, seed=seed), lambda x: x[:, 0], [10],
                          n_trials=1)
    x = sc.sample_sphere(5, 3, seed=0)
    with pytest.raises(ValueError, match="activation"):
        sc.random_feature_error(x, x[:, 0], x, x[:, 0], [10], activation="tanh")
    with pytest.raises(ValueError, match="matching lengths"):
        sc.random_feature_error(x, x[:4, 0], x, x[:, 0], [10])
