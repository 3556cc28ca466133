import jax
import numpy as np
import pytest

from physbook import random as pr


def test_same_int_seed_same_stream():
    a = pr.as_generator(7).normal(size=5)
    b = pr.as_generator(7).normal(size=5)
    c = pr.as_generator(8).normal(size=5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_generator_is_passed_through():
    rng = np.random.default_rng(0)
    assert pr.as_generator(rng) is rng


def test_none_gives_fresh_entropy():
    assert pr.seed_int(None) != pr.seed_int(None)


def test_keys():
    k = pr.as_key(5)
    assert k.shape == (2,) and k.dtype == np.uint32
    assert pr.as_key(k) is k
    assert np.array_equal(pr.as_key(5), pr.as_key(5))
    assert not np.array_equal(pr.as_key(5), pr.as_key(6))
    typed = jax.random.key(3)
    assert pr.as_key(typed) is typed
    # a key can seed numpy code too, deterministically
    assert pr.seed_int(k) == pr.seed_int(pr.as_key(5))


def test_generator_seeds_a_key_reproducibly():
    k1 = pr.as_key(np.random.default_rng(1))
    k2 = pr.as_key(np.random.default_rng(1))
    assert np.array_equal(k1, k2)


@pytest.mark.parametrize("bad", [-1, 1.5, "x", True])
def test_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        pr.seed_int(bad)


def test_spawn_independent_and_reproducible():
    a = [g.random() for g in pr.spawn(3, 4)]
    b = [g.random() for g in pr.spawn(3, 4)]
    assert a == b and len(set(a)) == 4
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        pr.spawn(0, 0)


# ------------------------------------------------------------------ the counter-hash generator
# physbook._hash_rng drives the Ising samplers and the Boltzmann-machine kernels. Every statistical
# test below is a 5-sigma test (two-sided false-alarm rate 5.7e-7 per assertion, about 3e-5 for the
# ~50 assertions of this section): the streams are deterministic, so a pass is reproducible, and a
# real defect of the generator (a bias of 1e-3 in the mean, a correlation of 1e-2) fails by far.
import jax.numpy as jnp
from scipy import stats as sps

from physbook import _hash_rng as hr

Z = 5.0


def _stream(seed=7, steps=4, n=1 << 16):
    """uint32 words of ``steps`` consecutive steps of ``n`` sites (the Ising layout)."""
    k0, k1 = hr.seed_words(seed)
    idx = jnp.arange(n, dtype=jnp.uint32)
    return np.asarray(jax.vmap(lambda t: hr.uniform_bits(idx, t, k0, k1))(jnp.arange(steps)))


def _unit(b):
    return (b.astype(np.float64) + 0.5) / 2**32


def test_hash_is_a_bijection_on_a_sample():
    x = jnp.arange(1 << 20, dtype=jnp.uint32) * jnp.uint32(2654435761)
    assert np.unique(np.asarray(hr.hash32(x))).size == 1 << 20
    # the exact-integer twin used for seeds agrees with the array version
    vals = [0, 1, 2**31, 2**32 - 1, 123456789]
    assert [hr._hash32_np(v) for v in vals] == [int(w) for w in np.asarray(hr.hash32(
        jnp.asarray(vals, dtype=jnp.uint32)))]


def test_determinism():
    assert np.array_equal(_stream(3), _stream(3))
    key = hr.words(pr.as_key(11))
    a = np.asarray(hr.uniform(hr.fold(key, 5), (100, 7)))
    assert np.array_equal(a, np.asarray(hr.uniform(hr.fold(key, 5), (100, 7))))
    # seed_words(s) are the words of the raw JAX key (s >> 32, s & 0xFFFFFFFF)
    for s in (0, 5, 2**32 + 3, 2**62 + 17):
        raw = jnp.asarray([s >> 32, s & 0xFFFFFFFF], dtype=jnp.uint32)
        assert tuple(int(w) for w in hr.words(raw)) == tuple(int(w) for w in hr.seed_words(s))
    # jit gives the same words as eager code (counters may be traced)
    f = jax.jit(lambda t: hr.uniform_bits(jnp.arange(64, dtype=jnp.uint32), t, *hr.seed_words(9)))
    assert np.array_equal(np.asarray(f(3)), _stream(9, steps=4, n=64)[3])


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 1])
def test_uniformity(seed):
    u = _unit(_stream(seed))
    n = u.size
    assert abs(u.mean() - 0.5) < Z * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < Z * np.sqrt(1 / 180 / n)
    # chi-square with 255 degrees of freedom, as a Gaussian z (255 is large)
    counts = np.bincount((u.ravel() * 256).astype(int), minlength=256)
    chi2 = np.sum((counts - n / 256) ** 2 / (n / 256))
    assert abs(chi2 - 255) < Z * np.sqrt(2 * 255)
    # Kolmogorov-Smirnov against U(0, 1): p < 5.7e-7 is a 5-sigma rejection
    assert sps.kstest(u.ravel()[:50000], "uniform").pvalue > 5.7e-7
    # every one of the 32 bits is a fair coin
    b = (_stream(seed)[..., None] >> np.arange(32, dtype=np.uint32)) & 1
    assert np.all(np.abs(b.mean(axis=(0, 1)) - 0.5) < Z * 0.5 / np.sqrt(n))


def test_uniform_and_bernoulli_helpers():
    key = hr.words(pr.as_key(2))
    for dtype, res in ((jnp.float64, 2.0**-32), (jnp.float32, 2.0**-23)):
        u = np.asarray(hr.uniform(key, (400, 250), dtype)).astype(np.float64)
        assert u.dtype == np.float64 and u.min() > 0 and u.max() < 1
        assert np.all(np.abs(u * (1 / res) - 0.5 - np.round(u * (1 / res) - 0.5)) < 1e-3)  # on the grid
        assert abs(u.mean() - 0.5) < Z * np.sqrt(1 / 12 / u.size)
    p = jnp.asarray(np.linspace(0.0, 1.0, 11))
    draws = np.asarray(jax.vmap(lambda i: hr.bernoulli(hr.fold(key, i), p))(jnp.arange(4000)))
    freq = draws.mean(axis=0)
    pp = np.asarray(p)
    assert freq[0] == 0 and freq[-1] == 1
    assert np.all(np.abs(freq - pp) <= Z * np.sqrt(pp * (1 - pp) / 4000))
    perm = np.asarray(hr.permutation(key, 1000))
    assert np.array_equal(np.sort(perm), np.arange(1000))
    # a random permutation: position of element 0 uniform over 10 bins (chi-square, 9 dof)
    perms = np.asarray(jax.vmap(lambda i: hr.permutation(hr.fold(key, i), 50))(jnp.arange(2000)))
    pos = np.argmax(perms == 0, axis=1)
    c = np.bincount(pos // 5, minlength=10)
    assert abs(np.sum((c - 200) ** 2 / 200) - 9) < Z * np.sqrt(18) + 9  # chi2_9 tail: 5-sigma ~ 45


def test_no_correlation_between_neighbours_and_steps():
    u = _unit(_stream()) - 0.5
    tol = Z / np.sqrt(u[0].size)
    assert abs(np.corrcoef(u[0, :-1], u[0, 1:])[0, 1]) < tol      # neighbouring elements
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < tol                # consecutive steps (counters)
    assert abs(np.corrcoef(u[0, :-64], u[0, 64:])[0, 1]) < tol     # next row of a 64-wide lattice
    # pairs of consecutive draws fill the unit square evenly (8 x 8 cells; chi-square, 63 dof)
    cells = np.bincount((u[0, ::2] * 8 + 4).astype(int) * 8 + (u[0, 1::2] * 8 + 4).astype(int),
                        minlength=64)
    e = u[0].size / 2 / 64
    assert abs(np.sum((cells - e) ** 2 / e) - 63) < Z * np.sqrt(126)


@pytest.mark.parametrize("a,b", [(1, 2), (50, 51), (0, 2**32), (0, 1 << 62)])
def test_streams_of_different_seeds_are_independent(a, b):
    x, y = _stream(seed=a), _stream(seed=b)
    assert np.mean(x == y) < 1e-3
    # not a relabelling of elements either: the sorted streams differ
    assert np.mean(np.sort(x[0]) == np.sort(y[0])) < 1e-3
    assert abs(np.corrcoef(_unit(x[0]), _unit(y[0]))[0, 1]) < Z / np.sqrt(x[0].size)


def test_streams_of_different_counters_are_independent():
    key = hr.words(pr.as_key(4))
    n = 1 << 14
    us = np.asarray(jax.vmap(lambda i: hr.uniform(hr.fold(key, i), (n,)))(jnp.arange(64))) - 0.5
    # 64 x 64 correlation matrix of counters 0..63: off-diagonal entries ~ N(0, 1/n)
    c = np.corrcoef(us)[np.triu_indices(64, 1)]
    assert np.abs(c).max() < 6 * np.sqrt(1 / n)     # max of 2016 |N(0,1)|: 6 sigma keeps 1e-6
    assert abs(np.mean(c ** 2) * n - 1) < Z * np.sqrt(2 / c.size)
    # nested folds (layer, then step) do not collide with flat ones
    fold_many = jax.vmap(hr.fold, in_axes=(None, 0))
    flat = {tuple(w) for w in np.asarray(fold_many(key, jnp.arange(256))).tolist()}
    nested = {tuple(w) for j in range(4)
              for w in np.asarray(fold_many(hr.fold(key, j), jnp.arange(64))).tolist()}
    assert len(flat) == 256 and len(nested) == 256 and not flat & nested
