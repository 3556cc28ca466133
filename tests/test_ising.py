"""Tests of physbook.ising: exact results, samplers against exact values (the RNG: test_random.py)."""
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import physbook as pb
from physbook import _ising_kernels as kern
from physbook import ising

TC = 2.0 / np.log(1.0 + np.sqrt(2.0))
TS = np.array([1.0, 1.8, 2.2, TC, 2.6, 3.5, 5.0])


# ------------------------------------------------------------------ exact results

def test_critical_temperature():
    assert ising.critical_temperature() == pytest.approx(2.269185314213022, abs=1e-14)


@pytest.mark.parametrize("L", [2, 3, 4])
def test_enumeration_equals_kaufman(L):
    en = ising.enumerate_exact(L, TS)
    ex = ising.exact_finite(L, TS)
    np.testing.assert_allclose(ex.energy, en.energy, atol=1e-10, rtol=0)
    np.testing.assert_allclose(ex.specific_heat, en.specific_heat, atol=1e-10, rtol=0)
    np.testing.assert_allclose(ex.free_energy, en.free_energy, atol=1e-10, rtol=0)


def test_enumeration_known_values():
    # 2 x 2 torus: the bond sum is 8 s1 s2... levels E = -8 (x2), +8 (x2), 0 (x12)
    T = 1.7
    b = 1 / T
    Z = 2 * np.exp(8 * b) + 2 * np.exp(-8 * b) + 12
    e = (-8 * 2 * np.exp(8 * b) + 8 * 2 * np.exp(-8 * b)) / Z / 4
    assert ising.enumerate_exact(2, T).energy == pytest.approx(e, abs=1e-12)
    # high-T limit: uncorrelated spins, Binder cumulant of N independent spins
    en = ising.enumerate_exact(4, 1e6)
    n = 16
    assert en.binder == pytest.approx(1 - (3 * n**2 - 2 * n) / (3 * n**2), abs=1e-4)
    assert en.energy == pytest.approx(0.0, abs=1e-4)


def test_exact_finite_converges_to_onsager():
    T = np.array([1.2, 1.8, 3.0, 4.5])
    ex = ising.exact_finite(256, T)
    np.testing.assert_allclose(ex.energy, ising.onsager_energy(T), atol=1e-10)
    np.testing.assert_allclose(ex.specific_heat, ising.onsager_specific_heat(T), atol=1e-8)
    # at Tc, c(L) = (8 Kc^2 / pi) ln L + const (Ferdinand and Fisher 1969): each doubling adds the same
    peaks = [ising.exact_finite(L, TC).specific_heat for L in (16, 32, 64, 128)]
    kc = np.log(1 + np.sqrt(2)) / 2
    np.testing.assert_allclose(np.diff(peaks), 8 * kc**2 / np.pi * np.log(2), rtol=0.02)


def test_onsager_specific_heat_is_derivative_of_energy():
    T = np.array([1.0, 1.7, 2.0, 2.5, 3.0, 4.0])
    d = 1e-5
    numeric = (ising.onsager_energy(T + d) - ising.onsager_energy(T - d)) / (2 * d)
    np.testing.assert_allclose(ising.onsager_specific_heat(T), numeric, rtol=1e-6)
    assert ising.onsager_energy(TC) == pytest.approx(-np.sqrt(2), abs=1e-12)
    assert ising.onsager_specific_heat(TC) == np.inf


def test_yang_magnetization():
    assert ising.yang_magnetization(0.5) == pytest.approx(1.0, abs=1e-6)
    assert ising.yang_magnetization(3.0) == 0.0
    assert ising.yang_magnetization(TC) == 0.0
    # beta = 1/8 near Tc: m ~ (1 - T/Tc)^(1/8) with amplitude 1.2224...
    t = 1e-6
    assert ising.yang_magnetization(TC * (1 - t)) / t**0.125 == pytest.approx(1.2224, rel=1e-3)
    out = ising.yang_magnetization(np.array([1.0, 2.0, 3.0]))
    assert out.shape == (3,) and out[0] > out[1] > out[2] == 0


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 4), st.floats(0.8, 6.0))
def test_enumeration_thermodynamic_identities(L, T):
    en = ising.enumerate_exact(L, T)
    assert en.specific_heat >= 0 and en.susceptibility >= 0
    assert -2 <= en.energy <= 2 and 0 <= en.abs_magnetization <= 1
    # c = dE/dT
    d = 1e-4
    dE = (ising.enumerate_exact(L, T + d).energy - ising.enumerate_exact(L, T - d).energy) / (2 * d)
    assert en.specific_heat == pytest.approx(dE, rel=1e-5, abs=1e-9)


# ------------------------------------------------------------------ random numbers
# (the counter-hash generator itself is tested in tests/test_random.py)

def test_seeds_give_different_observables():
    a = ising.simulate(4, 2.5, 100, n_chains=2, seed=50)
    b = ising.simulate(4, 2.5, 100, n_chains=2, seed=51)
    assert not np.array_equal(a.magnetization_series, b.magnetization_series)


# ------------------------------------------------------------------ states and observables

def test_random_spins():
    s = ising.random_spins((3, 8, 8), seed=0)
    assert s.dtype == np.int8 and s.shape == (3, 8, 8) and set(np.unique(s)) == {-1, 1}
    np.testing.assert_array_equal(s, ising.random_spins((3, 8, 8), seed=0))
    assert abs(ising.random_spins((100, 100), seed=1).mean()) < 0.05


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from([2, 4, 6]), st.floats(-1, 1), st.floats(-1, 1))
def test_energy_change_of_one_flip(seed, L, J, h):
    s = ising.random_spins((L, L), seed=seed)
    i, j = seed % L, (seed // L) % L
    nb = s[(i + 1) % L, j] + s[i - 1, j] + s[i, (j + 1) % L] + s[i, j - 1]
    t = s.copy()
    t[i, j] *= -1
    dE = (ising.energy(t, J, h) - ising.energy(s, J, h)) * L * L
    assert dE == pytest.approx(2 * s[i, j] * (J * nb + h), abs=1e-9)
    # symmetries: translation, and global flip with h -> -h
    assert ising.energy(np.roll(s, 1, 0), J, h) == pytest.approx(ising.energy(s, J, h))
    assert ising.energy(-s, J, -h) == pytest.approx(ising.energy(s, J, h))


def test_energy_and_magnetization_values():
    up = np.ones((2, 4, 4), dtype=np.int8)
    np.testing.assert_allclose(ising.energy(up, J=1.0, h=0.5), [-2.5, -2.5])
    stagger = np.indices((4, 4)).sum(0) % 2 * 2 - 1
    assert ising.energy(stagger) == 2.0
    assert ising.magnetization(up[0]) == 1.0 and ising.magnetization(stagger) == 0.0


# ------------------------------------------------------------------ kernels

@pytest.mark.parametrize("L", [2, 4, 6])
def test_split_merge_and_fields(L):
    s = jnp.asarray(ising.random_spins((2, L, L), seed=L)).astype(jnp.int32)
    q = kern.split(s)
    np.testing.assert_array_equal(kern.merge(*q), s)
    bonds, mags = kern.bond_sum_and_magnetization(q)
    np.testing.assert_allclose(-np.asarray(bonds) / L**2, ising.energy(np.asarray(s)))
    np.testing.assert_array_equal(mags, np.asarray(s).sum(axis=(1, 2)))


def test_zero_field_fast_path_is_the_same_chain():
    s = jnp.asarray(ising.random_spins((3, 8, 8), seed=4))
    args = (s, jnp.asarray([0.3, 0.44, 0.6]), 1.0, 0.0, jnp.uint32(5), jnp.uint32(6), 0, 20)
    fast = kern.run_local(*args, algorithm="metropolis", simple=True)
    general = kern.run_local(*args, algorithm="metropolis", simple=False)
    np.testing.assert_array_equal(fast, general)
    assert not np.array_equal(np.asarray(fast), np.asarray(s))


@pytest.mark.parametrize("ly", [6, 32, 64])
def test_packed_row_shifts_match_rolls(ly):
    rows = kern._Rows(ly)
    b = jnp.asarray(np.random.default_rng(ly).random((2, 3, ly)) < 0.5)
    np.testing.assert_array_equal(rows.unpack(rows.up(rows.pack(b))), jnp.roll(b, 1, -1))
    np.testing.assert_array_equal(rows.unpack(rows.down(rows.pack(b))), jnp.roll(b, -1, -1))
    np.testing.assert_array_equal(rows.count(rows.pack(b)), b.sum(axis=(1, 2)))


# ------------------------------------------------------------------ samplers: basic properties

@pytest.mark.parametrize("fn", [ising.metropolis, ising.heat_bath])
def test_local_samplers_shape_dtype_and_determinism(fn):
    s0 = ising.random_spins((2, 3, 8, 8), seed=0)
    a = fn(s0, 2.0, 5, seed=3)
    assert a.shape == s0.shape and a.dtype == jnp.int8
    assert set(np.unique(np.asarray(a))) <= {-1, 1}
    np.testing.assert_array_equal(a, fn(s0, 2.0, 5, seed=3))
    assert not np.array_equal(np.asarray(a), np.asarray(fn(s0, 2.0, 5, seed=4)))
    np.testing.assert_array_equal(fn(s0, 2.0, 0, seed=1), s0)


def test_generator_seed_advances_between_calls():
    s0 = ising.random_spins((4, 8, 8), seed=0)
    g = np.random.default_rng(1)
    a, b = ising.metropolis(s0, 3.0, 3, seed=g), ising.metropolis(s0, 3.0, 3, seed=g)
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(ising.metropolis(s0, 3.0, 3, seed=g1),
                                  ising.metropolis(s0, 3.0, 3, seed=g2))


def test_metropolis_limits():
    up = np.ones((8, 8), dtype=np.int8)
    # T -> 0: an aligned state never moves; a huge opposing field flips everything in one sweep
    np.testing.assert_array_equal(ising.metropolis(up, 0.05, 10, seed=0), up)
    np.testing.assert_array_equal(ising.metropolis(up, 0.05, 1, h=-10.0, seed=0), -up)
    # heat bath at T -> 0 with a field sets every spin along the field
    np.testing.assert_array_equal(ising.heat_bath(-up, 0.05, 1, h=10.0, seed=0), up)


def test_per_chain_temperatures():
    s0 = np.ones((2, 16, 8, 8), dtype=np.int8)
    T = np.array([[1.5], [4.0]])                      # broadcasts to the batch (2, 16)
    s = np.asarray(ising.metropolis(s0, T, 200, seed=5))
    e = ising.energy(s).mean(axis=1)
    ex = ising.exact_finite(8, [1.5, 4.0])
    # 16 independent chains per temperature: the sd of one chain's E/N is sqrt(c T^2 / N)
    err = np.sqrt(ex.specific_heat * np.array([1.5, 4.0]) ** 2 / 64 / 16)
    assert np.all(np.abs(e - ex.energy) < 5 * err), (e, ex.energy, err)
    assert e[0] < -1.8 and e[1] - e[0] > 1.0              # the two rows really ran at different T


def test_wolff_limits_and_per_chain_T():
    up = np.ones((3, 8, 8), dtype=np.int8)
    # p_add -> 1 (T -> 0): the cluster is the whole aligned lattice
    np.testing.assert_array_equal(ising.wolff(up, 0.01, 1, seed=0), -up)
    # p_add -> 0 (T -> inf): the cluster is the seed site alone
    s = np.asarray(ising.wolff(up, 1e9, 1, seed=0))
    assert np.all((s == -1).sum(axis=(1, 2)) == 1)
    mixed = np.asarray(ising.wolff(up, [0.01, 1e9, 0.01], 1, seed=0))
    assert list((mixed == -1).sum(axis=(1, 2))) == [64, 1, 64]
    odd = np.ones((6, 34), dtype=np.int8)  # dense (unpacked) path
    np.testing.assert_array_equal(ising.wolff(odd, 0.01, 1, seed=0), -odd)


# ------------------------------------------------------------------ samplers against exact values

def _z(est, exact):
    return abs(est.mean - exact) / est.error


@pytest.mark.parametrize("algorithm", ["metropolis", "heat_bath", "wolff"])
def test_simulate_matches_enumeration_L4(algorithm):
    for T in (1.8, 3.0):
        r = ising.simulate(4, T, 6000, algorithm=algorithm, n_chains=16, seed=11)
        ex = ising.enumerate_exact(4, T)
        for name in ("energy", "specific_heat", "abs_magnetization", "susceptibility", "binder"):
            assert _z(getattr(r, name), getattr(ex, name)) < 4, (algorithm, T, name)
        assert getattr(r, "energy").error < 0.01


@pytest.mark.parametrize("algorithm", ["metropolis", "heat_bath"])
def test_field_matches_enumeration(algorithm):
    r = ising.simulate(4, 2.5, 6000, algorithm=algorithm, n_chains=16, h=-0.3, seed=12)
    ex = ising.enumerate_exact(4, 2.5, h=-0.3)
    assert _z(r.magnetization, ex.magnetization) < 4 and ex.magnetization < -0.3
    assert _z(r.energy, ex.energy) < 4 and _z(r.susceptibility, ex.susceptibility) < 4


@pytest.mark.parametrize("L", [8, 16])
def test_simulate_matches_kaufman(L):
    Ts = [1.8, TC, 3.0]
    rs = ising.temperature_scan(L, Ts, 3000, n_chains=8, seed=13)
    ex = ising.exact_finite(L, Ts)
    for i, (e, c) in enumerate(zip(ex.energy, ex.specific_heat)):
        r = rs.at(i)
        assert _z(r.energy, e) < 3.5 and _z(r.specific_heat, c) < 3.5, (L, r.T)
    # the array-valued result agrees with its single-temperature views
    np.testing.assert_array_equal(rs.energy.mean, [rs.at(i).energy.mean for i in range(3)])
    assert rs.T.shape == (3,) and rs.energy_series.shape == (3, 8, 3000) and rs.spins.shape == (3, 8, L, L)
    w = ising.simulate(L, TC, 2000, algorithm="wolff", n_chains=8, seed=14)
    assert _z(w.energy, ex.energy[1]) < 3.5 and _z(w.specific_heat, ex.specific_heat[1]) < 3.5
    # critical slowing down: Wolff decorrelates much faster than Metropolis at Tc
    tau_w = w.tau_energy * w.mean_cluster_size
    assert w.tau_unit == "cluster" and rs.tau_unit == "sweep"
    assert rs.at(1).tau_magnetization > 2 * w.tau_magnetization * w.mean_cluster_size
    assert rs.at(1).tau_energy > 1.5 * tau_w


def test_simulate_result_fields():
    r = ising.simulate(8, 2.0, 100, n_chains=2, seed=0)
    assert r.energy_series.shape == (2, 100) == r.magnetization_series.shape
    assert r.spins.shape == (2, 8, 8) and r.L == 8 and r.T == 2.0
    assert isinstance(r.energy, pb.stats.Estimate)
    assert np.isnan(r.mean_cluster_size)
    a = ising.simulate(8, 2.0, 100, n_chains=2, seed=0)
    np.testing.assert_array_equal(a.energy_series, r.energy_series)


# ------------------------------------------------------------------ bad input

def test_bad_inputs():
    s = np.ones((4, 4), dtype=np.int8)
    with pytest.raises(ValueError, match="spins"):
        ising.metropolis(np.zeros((4, 4)), 2.0, 1)
    with pytest.raises(ValueError, match="spins must have even"):
        ising.metropolis(np.ones((5, 5), dtype=np.int8), 2.0, 1)
    with pytest.raises(ValueError, match="spins must have at least 2"):
        ising.heat_bath(np.ones(4, dtype=np.int8), 2.0, 1)
    with pytest.raises(ValueError, match="T must be positive"):
        ising.metropolis(s, -1.0, 1)
    with pytest.raises(ValueError, match="T must be finite|T must contain only finite"):
        ising.metropolis(s, np.nan, 1)
    with pytest.raises(ValueError, match="T must be a scalar or broadcastable"):
        ising.metropolis(np.ones((2, 4, 4), dtype=np.int8), [1.0, 2.0, 3.0], 1)
    with pytest.raises(ValueError, match="T must be a scalar or broadcastable"):
        ising.metropolis(s, [1.0, 2.0], 1)
    with pytest.raises(TypeError, match="n_sweeps"):
        ising.metropolis(s, 2.0, 1.5)
    with pytest.raises(ValueError, match="n_sweeps"):
        ising.heat_bath(s, 2.0, -1)
    with pytest.raises(TypeError, match="h"):
        ising.metropolis(s, 2.0, 1, h="x")
    with pytest.raises(ValueError, match="J"):
        ising.wolff(s, 2.0, 1, J=-1.0)
    with pytest.raises(ValueError, match="n_clusters"):
        ising.wolff(s, 2.0, -2)
    with pytest.raises(TypeError, match="seed"):
        ising.metropolis(s, 2.0, 1, seed="abc")
    with pytest.raises(ValueError, match="algorithm"):
        ising.simulate(8, 2.0, 100, algorithm="glauber")
    with pytest.raises(ValueError, match="L must be even"):
        ising.simulate(7, 2.0, 100)
    with pytest.raises(ValueError, match="n_sweeps"):
        ising.simulate(8, 2.0, 5)
    with pytest.raises(ValueError, match="T must be in"):
        ising.simulate(8, 0.0, 100)
    with pytest.raises(ValueError, match="wolff"):
        ising.simulate(8, 2.0, 100, algorithm="wolff", h=0.1)
    with pytest.raises(ValueError, match="init"):
        ising.simulate(8, 2.0, 100, init="hot")
    with pytest.raises(ValueError, match="L must be an integer <= 4"):
        ising.enumerate_exact(5, 2.0)
    with pytest.raises(ValueError, match="T must be a scalar or a 1-D"):
        ising.exact_finite(8, np.ones((2, 2)))
    with pytest.raises(ValueError, match="T must be positive"):
        ising.onsager_energy([1.0, -2.0])
    with pytest.raises(ValueError, match="shape"):
        ising.random_spins((0, 4))
