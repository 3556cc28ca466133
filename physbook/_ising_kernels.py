r"""JAX kernels behind :mod:`physbook.ising` (private; inputs are already validated).

Layout. An :math:`L_x \times L_y` periodic lattice (both even) is split into
its four :math:`2\times2` sublattices

.. math:: A_{ij} = s_{2i,2j},\; B_{ij} = s_{2i,2j+1},\; C_{ij} = s_{2i+1,2j},\; D_{ij} = s_{2i+1,2j+1}.

Black sites are :math:`A \cup D`, white sites :math:`B \cup C`; every
neighbour of a black site is white and vice versa, so a half sweep updates
two dense quarter arrays at once from rolled copies of the other two, with no
masks and no wasted work. Spins are held as int32 inside the loop (faster than
int8 on CPUs) and returned as int8.

Randomness. One uint32 per site and half sweep from the counter-based hash of
:mod:`physbook._hash_rng` (see :mod:`physbook.random`); acceptance is the integer test
``(u >> 1) < thr`` with ``thr = round(p * 2**31)`` so that p = 1 always
accepts and p = 0 never does (resolution :math:`2^{-31}`).
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ._hash_rng import uniform_bits

_ONE31 = float(2**31)


def split(spins):
    """(n, Lx, Ly) -> four (n, Lx/2, Ly/2) sublattices A, B, C, D."""
    n, lx, ly = spins.shape
    s = spins.reshape(n, lx // 2, 2, ly // 2, 2)
    return s[:, :, 0, :, 0], s[:, :, 0, :, 1], s[:, :, 1, :, 0], s[:, :, 1, :, 1]


def merge(a, b, c, d):
    """Inverse of :func:`split`."""
    n, hx, hy = a.shape
    top = jnp.stack([a, b], axis=-1)
    bottom = jnp.stack([c, d], axis=-1)
    return jnp.stack([top, bottom], axis=2).reshape(n, 2 * hx, 2 * hy)


def _black_fields(a, b, c, d):
    """Neighbour sums of the black sublattices A and D."""
    nb_a = b + jnp.roll(b, 1, -1) + c + jnp.roll(c, 1, -2)
    nb_d = c + jnp.roll(c, -1, -1) + b + jnp.roll(b, -1, -2)
    return nb_a, nb_d


def _white_fields(a, b, c, d):
    """Neighbour sums of the white sublattices B and C."""
    nb_b = a + jnp.roll(a, -1, -1) + d + jnp.roll(d, 1, -2)
    nb_c = d + jnp.roll(d, 1, -1) + a + jnp.roll(a, -1, -2)
    return nb_b, nb_c


def _select(nb, table):
    """table[..., k] for nb = 2k - 4 (k = 0..4), as nested selects (no gather)."""
    t = [table[..., k][..., None, None] for k in range(5)]
    high = jnp.where(nb == 4, t[4], t[3])
    low = jnp.where(nb == -4, t[0], t[1])
    return jnp.where(nb > 0, high, jnp.where(nb == 0, t[2], low))


def _thresholds(p):
    return jnp.round(jnp.clip(p, 0.0, 1.0) * _ONE31).astype(jnp.uint32)


def tables(algorithm, beta, J, h):
    """Integer acceptance tables, one row per chain.

    Metropolis: ``(plus, minus)``, probabilities to flip a spin +1 / -1 with
    neighbour sum nb = 2k - 4, :math:`\\min(1, e^{-2\\beta s (J nb + h)})`.
    Heat bath: ``(up, up)``, probability that the new spin is +1,
    :math:`1/(1 + e^{-2\\beta (J nb + h)})`.
    """
    nb = jnp.arange(-4, 5, 2, dtype=jnp.float64)
    field = J * nb + h
    b = beta[:, None]
    if algorithm == "metropolis":
        plus = jnp.exp(jnp.minimum(0.0, -2.0 * b * field))
        minus = jnp.exp(jnp.minimum(0.0, 2.0 * b * field))
        return _thresholds(plus), _thresholds(minus)
    up = jax.nn.sigmoid(2.0 * b * field)
    return _thresholds(up), _thresholds(up)


def _site_bits(shape, salt, key0, t, key1):
    """uint32 words for every site of one sublattice at step t (site keys on the fly)."""
    n = int(np.prod(shape))
    idx = jnp.arange(n, dtype=jnp.uint32).reshape(shape) + jnp.uint32((salt * n) & 0xFFFFFFFF)
    return uniform_bits(idx, t, key0, key1)


def _update(algorithm, s, nb, u, tab, simple):
    plus, minus = tab
    if algorithm == "metropolis" and simple:
        # J > 0, h = 0: the flip probability depends on x = s * nb only, and x <= 0 always flips
        x = s * nb
        thr = jnp.where(x == 4, plus[..., 4][..., None, None], plus[..., 3][..., None, None])
        return jnp.where(((u >> 1) < thr) | (x <= 0), -s, s)
    if algorithm == "metropolis":
        thr = jnp.where(s > 0, _select(nb, plus), _select(nb, minus))
        return jnp.where((u >> 1) < thr, -s, s)
    return jnp.where((u >> 1) < _select(nb, plus), 1, -1).astype(s.dtype)


def sweep(algorithm, quarters, tab, key0, key1, t, simple=False):
    """One full checkerboard sweep (black then white); t counts sweeps.

    ``simple`` (static) selects the shorter Metropolis test valid for J > 0, h = 0.
    """
    a, b, c, d = quarters
    shape = a.shape
    nb_a, nb_d = _black_fields(a, b, c, d)
    a = _update(algorithm, a, nb_a, _site_bits(shape, 0, key0, 2 * t, key1), tab, simple)
    d = _update(algorithm, d, nb_d, _site_bits(shape, 3, key0, 2 * t, key1), tab, simple)
    nb_b, nb_c = _white_fields(a, b, c, d)
    b = _update(algorithm, b, nb_b, _site_bits(shape, 1, key0, 2 * t + 1, key1), tab, simple)
    c = _update(algorithm, c, nb_c, _site_bits(shape, 2, key0, 2 * t + 1, key1), tab, simple)
    return a, b, c, d


def bond_sum_and_magnetization(quarters):
    """Per chain: sum over bonds of s_i s_j, and sum of spins (int32)."""
    a, b, c, d = quarters
    nb_a, nb_d = _black_fields(a, b, c, d)
    bonds = jnp.sum(a * nb_a + d * nb_d, axis=(-2, -1))
    mag = jnp.sum(a + b + c + d, axis=(-2, -1))
    return bonds, mag


@partial(jax.jit, static_argnames=("algorithm", "simple"))
def run_local(spins, beta, J, h, key0, key1, t0, n_sweeps, *, algorithm, simple=False):
    """n_sweeps checkerboard sweeps of every chain in ``spins`` (n, Lx, Ly); steps t0, t0+1, ..."""
    tab = tables(algorithm, beta, J, h)
    quarters = split(spins.astype(jnp.int32))

    def body(t, q):
        return sweep(algorithm, q, tab, key0, key1, t0 + t, simple)

    quarters = jax.lax.fori_loop(0, n_sweeps, body, quarters)
    return merge(*quarters).astype(jnp.int8)


@partial(jax.jit, static_argnames=("algorithm", "length", "simple"))
def run_chunk(spins, beta, J, h, key0, key1, t0, *, algorithm, length, simple=False):
    """``length`` sweeps from step t0, recording (bond sum, magnetization) per chain after each."""
    tab = tables(algorithm, beta, J, h)

    def step(q, t):
        q = sweep(algorithm, q, tab, key0, key1, t, simple)
        return q, bond_sum_and_magnetization(q)

    quarters, (bonds, mags) = jax.lax.scan(step, split(spins.astype(jnp.int32)),
                                           t0 + jnp.arange(length))
    return merge(*quarters).astype(jnp.int8), bonds.T, mags.T


# ---------------------------------------------------------------- Wolff
#
# All bonds are drawn first (open with probability p_add between aligned
# neighbours); the Wolff cluster is the connected component of a random seed
# site, grown by repeated dilation until it stops changing. Rows are packed
# into uint32 bit masks when Ly <= 32 or Ly % 32 == 0, so that one dilation of
# a 64 x 64 lattice is a few hundred word operations; other widths use dense
# booleans. One dilation per loop iteration: unrolling several lets XLA fuse
# them by recomputation, which costs far more than it saves.


class _Rows:
    """Row shifts (site j -> j + 1 and j -> j - 1, periodic) for packed or dense rows."""

    def __init__(self, ly):
        self.ly = ly
        self.packed = ly <= 32 or ly % 32 == 0
        self.words = max(1, ly // 32) if self.packed else ly
        self.mask = np.uint32((1 << ly) - 1) if ly < 32 else np.uint32(0xFFFFFFFF)

    def pack(self, b):
        if not self.packed:
            return b
        n, lx, ly = b.shape
        width = min(ly, 32)
        bits = b.reshape(n, lx, self.words, width).astype(jnp.uint32)
        return jnp.sum(bits << jnp.arange(width, dtype=jnp.uint32), axis=-1, dtype=jnp.uint32)

    def unpack(self, w):
        if not self.packed:
            return w
        n, lx, _ = w.shape
        width = min(self.ly, 32)
        bits = (w[..., None] >> jnp.arange(width, dtype=jnp.uint32)) & jnp.uint32(1)
        return bits.reshape(n, lx, self.ly).astype(bool)

    def up(self, x):  # value of site j moves to site j + 1
        if not self.packed:
            return jnp.roll(x, 1, -1)
        if self.ly < 32:
            return ((x << 1) | (x >> (self.ly - 1))) & self.mask
        return (x << 1) | (jnp.roll(x, 1, -1) >> 31)

    def down(self, x):  # value of site j + 1 moves to site j
        if not self.packed:
            return jnp.roll(x, -1, -1)
        if self.ly < 32:
            return ((x >> 1) | (x << (self.ly - 1))) & self.mask
        return (x >> 1) | (jnp.roll(x, -1, -1) << 31)

    def count(self, x):
        if not self.packed:
            return jnp.sum(x, axis=(-2, -1), dtype=jnp.int32)
        return jnp.sum(jax.lax.population_count(x).astype(jnp.int32), axis=(-2, -1))


def _wolff_batch(s, p_add31, key0, key1, t):
    """One Wolff cluster flip in every chain of s (n, Lx, Ly) int32; returns (s, sizes)."""
    n, lx, ly = s.shape
    rows = _Rows(ly)
    n_bonds = 2 * n * lx * ly
    # bonds take indices [0, n_bonds), the seed-site picks the n indices after them
    pick = uniform_bits(jnp.arange(n, dtype=jnp.uint32) + jnp.uint32(n_bonds), t, key0, key1)
    site = ((pick.astype(jnp.uint64) * jnp.uint64(lx * ly)) >> jnp.uint64(32)).astype(jnp.int32)
    idx = jnp.arange(n_bonds, dtype=jnp.uint32).reshape(2, n, lx, ly)
    open_ = (uniform_bits(idx, t, key0, key1) >> 1) < p_add31[:, None, None]
    right = rows.pack(open_[0] & (s == jnp.roll(s, -1, -1)))
    down = rows.pack(open_[1] & (s == jnp.roll(s, -1, -2)))
    seed = (jnp.arange(lx * ly, dtype=jnp.int32) == site[:, None]).reshape(n, lx, ly)
    cluster = rows.pack(seed)

    def dilate(c):
        return (c | rows.up(c & right) | (rows.down(c) & right)
                | jnp.roll(c & down, 1, -2) | (jnp.roll(c, -1, -2) & down))

    def body(state):
        c, _ = state
        grown = dilate(c)
        return grown, jnp.any(grown != c)

    cluster, _ = jax.lax.while_loop(lambda st: st[1], body, (cluster, jnp.bool_(True)))
    return jnp.where(rows.unpack(cluster), -s, s), rows.count(cluster)


def _p_add31(beta, J):
    return _thresholds(-jnp.expm1(-2.0 * beta * J))


@jax.jit
def run_wolff(spins, beta, J, key0, key1, t0, n_clusters):
    p31 = _p_add31(beta, J)

    def body(t, s):
        return _wolff_batch(s, p31, key0, key1, t0 + t)[0]

    s = jax.lax.fori_loop(0, n_clusters, body, spins.astype(jnp.int32))
    return s.astype(jnp.int8)


def _dense_measure(s):
    right = jnp.roll(s, -1, -1)
    down = jnp.roll(s, -1, -2)
    return jnp.sum(s * (right + down), axis=(-2, -1)), jnp.sum(s, axis=(-2, -1))


@partial(jax.jit, static_argnames=("length",))
def run_wolff_chunk(spins, beta, J, key0, key1, t0, *, length):
    """``length`` cluster flips from step t0, recording (bond sum, magnetization, size)."""
    p31 = _p_add31(beta, J)

    def step(s, t):
        s, size = _wolff_batch(s, p31, key0, key1, t)
        bonds, mag = _dense_measure(s)
        return s, (bonds, mag, size)

    s, (bonds, mags, sizes) = jax.lax.scan(step, spins.astype(jnp.int32), t0 + jnp.arange(length))
    return s.astype(jnp.int8), bonds.T, mags.T, sizes.T
