"""Tests of physbook.hopfield: exact small cases, invariants, Boltzmann statistics, capacity."""
import itertools

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from physbook import hopfield as hp
from physbook.data import letters


def random_patterns(P, N, seed):
    return np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), size=(P, N))


def hadamard(n):
    H = np.array([[1]])
    while H.shape[0] < n:
        H = np.block([[H, H], [H, -H]])
    return H.astype(np.int8)


def reference_async(states, W, theta, seed, n_sweeps):
    """Per-probe, per-neuron sequential dynamics in the order physbook uses (an oracle)."""
    n = W.shape[0]
    K = min(hp._BLOCK, n)
    n_pad = -(-n // K) * K
    key = hp.as_key(seed)
    out = states.astype(np.float64).copy()
    for t in range(n_sweeps):
        order = np.asarray(hp._order(hp._sweep_keys(jax.random.fold_in(key, t))[0], n, n_pad))
        for s in out:
            for i in order[order < n]:
                h = W[i] @ s - theta[i]
                s[i] = 1.0 if h > 0 else (-1.0 if h < 0 else s[i])
    return out.astype(np.int8)


# --- storage rules ---------------------------------------------------------------------------

def test_hebbian_exact_small_case():
    xi = np.array([[1, -1, 1], [1, 1, -1]])
    W = hp.hebbian(xi)
    expected = np.array([[0, 0, 0], [0, 0, -2], [0, -2, 0]]) / 3
    np.testing.assert_allclose(W, expected, atol=1e-15)


def test_pseudo_inverse_equals_hebbian_for_orthogonal_patterns():
    xi = hadamard(16)[1:6]
    np.testing.assert_allclose(hp.pseudo_inverse(xi), hp.hebbian(xi), atol=1e-12)


def test_pseudo_inverse_makes_correlated_letters_fixed_points_where_hebbian_fails():
    xi = letters("CATDOG").reshape(6, -1)
    for W, ok in ((hp.hebbian(xi), False), (hp.pseudo_inverse(xi), True)):
        fixed = np.all(np.sign(xi @ W) * xi > 0, axis=1)
        assert fixed.all() == ok
    # the projector property: W + diag = P with P @ xi.T = xi.T
    Wp = hp.pseudo_inverse(xi)
    proj = Wp + np.diag(np.diag(xi.T @ np.linalg.pinv(xi @ xi.T) @ xi))
    np.testing.assert_allclose(proj @ xi.T, xi.T, atol=1e-10)


# --- energy, overlap, corrupt ------------------------------------------------------------------

def test_energy_matches_double_sum_with_thresholds():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 5))
    W = W + W.T
    theta = rng.normal(size=5)
    s = random_patterns(3, 5, 1)
    expected = [-0.5 * sum(W[i, j] * x[i] * x[j] for i in range(5) for j in range(5))
                + sum(theta * x) for x in s]
    np.testing.assert_allclose(hp.energy(s, W, theta), expected, rtol=1e-12)


def test_overlap_and_corrupt_exact():
    xi = random_patterns(4, 50, 2)
    probes = hp.corrupt(xi, 0.2, seed=3)
    m = hp.overlap(probes, xi)
    np.testing.assert_allclose(np.diag(m), 1 - 2 * 10 / 50)
    np.testing.assert_array_equal(probes, hp.corrupt(xi, 0.2, seed=3))
    assert hp.corrupt(xi, 0.0, seed=3).tolist() == xi.tolist()
    assert (hp.corrupt(xi, 1.0, seed=3) == -xi).all()


# --- dynamics ----------------------------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_energy_never_increases_under_async_zero_temperature(seed):
    n, b = 10, 4  # fixed shapes: one compilation; W, theta, states and order vary
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n))
    W = W + W.T
    np.fill_diagonal(W, 0.0)
    theta = rng.normal(size=n) * rng.integers(0, 2)
    s = rng.choice(np.array([-1, 1], np.int8), size=(b, n))
    E = hp.energy(s, W, theta)
    for t in range(3):
        s = hp.update(s, W, theta=theta, seed=seed + t)
        E2 = hp.energy(s, W, theta)
        assert np.all(E2 <= E + 1e-12)
        E = E2
    res = hp.recall(s, W, theta=theta, seed=seed)
    assert np.all(np.diff(res.energies, axis=-1) <= 1e-12)
    h = res.states @ W - theta
    assert res.converged.all() and np.all(h * res.states >= -1e-12)  # single-flip local minima


@pytest.mark.parametrize("n", [7, 70])
def test_blocked_async_sweep_is_exactly_sequential(n):
    rng = np.random.default_rng(n)
    W = rng.normal(size=(n, n))
    W = W + W.T
    theta = 0.1 * rng.normal(size=n)
    s = random_patterns(3, n, 5)
    np.testing.assert_array_equal(hp.update(s, W, theta=theta, n_sweeps=2, seed=11),
                                  reference_async(s, W, theta, 11, 2))


def test_stored_pattern_is_fixed_point_at_low_load():
    xi = random_patterns(10, 500, 6)  # alpha = 0.02
    res = hp.recall(xi, hp.hebbian(xi), seed=0)
    assert (res.states == xi).all() and res.converged.all() and (res.n_sweeps == 0).all()
    np.testing.assert_allclose(res.energies[..., -1], hp.energy(xi, hp.hebbian(xi)))


def test_recall_restores_corrupted_patterns_and_is_batch_invariant():
    xi = random_patterns(20, 400, 7)  # alpha = 0.05
    W = hp.hebbian(xi)
    probes = hp.corrupt(np.concatenate([xi, xi]), 0.25, seed=8)  # 40 probes: staged batches
    res = hp.recall(probes, W, seed=9)
    assert np.mean(hp.overlap(res.states, xi)[np.arange(40), np.arange(40) % 20]) > 0.99
    for k in (0, 13, 39):
        single = hp.recall(probes[k], W, seed=9)
        np.testing.assert_array_equal(single.states, res.states[k])
        assert single.n_sweeps == res.n_sweeps[k]
        np.testing.assert_allclose(single.energies, res.energies[k, :single.energies.shape[-1]])
    np.testing.assert_allclose(res.energies[:, -1], hp.energy(res.states, W), atol=1e-9)
    assert res.states.shape == probes.shape and res.energies.shape[0] == 40


def test_sync_two_cycle_and_async_fixed_point():
    W = np.array([[0.0, 1.0], [1.0, 0.0]])
    s = np.array([1, -1])
    assert hp.update(s, W, rule="sync").tolist() == [-1, 1]
    assert hp.update(s, W, rule="sync", n_sweeps=2).tolist() == [1, -1]
    res = hp.recall(s, W, rule="sync")
    assert not res.converged and res.energies.shape[-1] <= 4
    res = hp.recall(s, W, rule="async", seed=0)
    assert res.converged and abs(res.states.sum()) == 2


def test_heat_bath_samples_the_boltzmann_distribution():
    n, T, chains = 4, 1.5, 4000
    rng = np.random.default_rng(12)
    W = 0.4 * rng.normal(size=(n, n))
    W = W + W.T
    np.fill_diagonal(W, 0.0)
    theta = 0.3 * rng.normal(size=n)
    configs = np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)
    p = np.exp(-hp.energy(configs, W, theta) / T)
    p /= p.sum()
    start = random_patterns(chains, n, 13)
    final = hp.update(start, W, theta=theta, T=T, n_sweeps=20, seed=13)
    codes = ((final + 1) // 2) @ (2 ** np.arange(n)[::-1])
    freq = np.bincount(codes, minlength=2**n) / chains
    sigma = np.sqrt(p * (1 - p) / chains)
    assert np.all(np.abs(freq - p) < 4 * sigma + 1e-3)
    wrong = np.exp(-2 * hp.energy(configs, W, theta) / T)  # a factor 2 in beta is caught
    assert np.max(np.abs(freq - wrong / wrong.sum()) / sigma) > 6


def test_recall_at_temperature_runs_exactly_n_sweeps():
    xi = random_patterns(2, 64, 14)
    res = hp.recall(xi, hp.hebbian(xi), T=0.5, n_sweeps=7, seed=0)
    assert res.energies.shape == (2, 8) and not res.converged.any()


# --- capacity ----------------------------------------------------------------------------------

def test_ags_theory():
    assert abs(hp.ALPHA_C - 0.1379) < 2e-4
    m = hp.ags_overlap([0.0, 0.05, 0.1, hp.ALPHA_C - 1e-6, 0.2])
    assert m[0] == 1.0 and m[-1] == 0.0
    assert abs(m[3] - 0.967) < 2e-3
    for a, mm in ((0.05, m[1]), (0.1, m[2])):
        y = special.erfinv(mm)
        assert abs(np.sqrt(2 * a) * y - hp._ags_rhs(y)) < 1e-10


def test_capacity_curve_drops_between_0p12_and_0p16_at_n_1000():
    cc = hp.capacity_curve(1000, [0.08, 0.2], n_trials=2, n_probes=16, seed=1)
    assert cc.overlaps.shape == (2, 2, 16)
    assert cc.overlap.mean[0] > 0.95 and cc.overlap.mean[1] < 0.5
    np.testing.assert_allclose(cc.alpha, [0.08, 0.2])


# --- dense and modern Hopfield -------------------------------------------------------------------

def test_dense_energy_degree_two_is_hebbian():
    xi = random_patterns(5, 30, 15)
    s = random_patterns(4, 30, 16)
    E_dense = hp.dense_energy(s, xi, n=2)
    np.testing.assert_allclose(E_dense, 60 * hp.energy(s, hp.hebbian(xi)) - 30 * 5, rtol=1e-12)
    np.testing.assert_allclose(hp.dense_energy(s, xi, interaction="exponential"),
                               -special.logsumexp(s @ xi.T.astype(float), axis=-1))


def test_dense_update_degree_two_equals_hebbian_update():
    xi = random_patterns(7, 50, 17)  # N even, P odd: no exact ties h = 0 to round either way
    s = hp.corrupt(xi, 0.3, seed=18)
    np.testing.assert_array_equal(hp.dense_update(s, xi, n=2, n_sweeps=2, seed=19),
                                  hp.update(s, hp.hebbian(xi), n_sweeps=2, seed=19))
    sync_dense = hp.dense_update(s, xi, n=2, rule="sync")
    np.testing.assert_array_equal(sync_dense, hp.update(s, hp.hebbian(xi), rule="sync"))


def test_dense_memory_retrieves_where_hebbian_fails():
    N, P = 100, 30  # alpha = 0.3, twice the classical capacity
    xi = random_patterns(P, N, 20)
    probes = hp.corrupt(xi, 0.1, seed=21)
    m_hebb = np.diag(hp.overlap(hp.recall(probes, hp.hebbian(xi), seed=22).states, xi)).mean()
    for kw in ({"n": 3}, {"interaction": "exponential"}):
        out = hp.dense_update(probes, xi, n_sweeps=3, seed=23, **kw)
        assert np.diag(hp.overlap(out, xi)).mean() > 0.99
        assert np.all(hp.dense_energy(out, xi, **kw) <= hp.dense_energy(probes, xi, **kw))
    assert m_hebb < 0.8


def test_softmax_update_is_one_attention_step():
    rng = np.random.default_rng(24)
    X = rng.normal(size=(12, 16))
    q = rng.normal(size=(5, 16))
    beta = 0.7
    att = jax.nn.dot_product_attention(q[None, :, None, :], X[None, :, None, :],
                                       X[None, :, None, :], scale=beta)
    np.testing.assert_allclose(hp.softmax_update(q, X, beta=beta), np.asarray(att)[0, :, 0, :],
                               atol=1e-6)
    new = hp.softmax_update(q, X, beta=beta)
    assert np.all(hp.softmax_energy(new, X, beta=beta) <= hp.softmax_energy(q, X, beta=beta))


# --- validation ----------------------------------------------------------------------------------

def test_bad_inputs_name_the_argument():
    xi = random_patterns(2, 6, 0)
    W = hp.hebbian(xi)
    cases = [
        (lambda: hp.hebbian([[1, 0, 1]]), ValueError, "patterns"),
        (lambda: hp.hebbian([1, -1, 1]), ValueError, "patterns"),
        (lambda: hp.energy(xi, np.ones((6, 5))), ValueError, "W"),
        (lambda: hp.energy(xi[:, :5], W), ValueError, "states"),
        (lambda: hp.energy(xi, W, theta=np.ones(3)), ValueError, "theta"),
        (lambda: hp.update(xi, W, rule="random"), ValueError, "rule"),
        (lambda: hp.update(xi, W, T=-1.0), ValueError, "T"),
        (lambda: hp.update(xi, W, n_sweeps=0), ValueError, "n_sweeps"),
        (lambda: hp.recall(xi, W, n_sweeps=1.5), TypeError, "n_sweeps"),
        (lambda: hp.update(xi, W * np.nan), ValueError, "W"),
        (lambda: hp.corrupt(xi, 1.5), ValueError, "fraction"),
        (lambda: hp.overlap(xi[:, :4], xi), ValueError, "states"),
        (lambda: hp.capacity_curve(100, [0.1, -0.1]), ValueError, "alphas"),
        (lambda: hp.capacity_curve(1, [0.1]), ValueError, "N"),
        (lambda: hp.capacity_curve(100, [0.1], noise=1.0), ValueError, "noise"),
        (lambda: hp.ags_overlap(-0.1), ValueError, "alpha"),
        (lambda: hp.dense_energy(xi, xi, interaction="cubic"), ValueError, "interaction"),
        (lambda: hp.dense_update(xi, xi, n=1), ValueError, "n"),
        (lambda: hp.softmax_update(xi[:, :3], xi), ValueError, "states"),
        (lambda: hp.softmax_update(xi, xi, beta=0.0), ValueError, "beta"),
    ]
    for call, exc, name in cases:
        with pytest.raises(exc, match=name):
            call()


def test_capacity_curve_of_one_trial_has_no_error_bar_rather_than_nan():
    """#26: never a silent NaN; one trial gives an infinite error, and the docs list the fields."""
    cc = hp.capacity_curve(60, [0.05], n_trials=1, n_probes=4, seed=0)
    assert cc._fields == ("alpha", "overlap", "overlaps")
    assert np.all(np.isinf(cc.overlap.error)) and np.all(np.isfinite(cc.overlap.mean))
