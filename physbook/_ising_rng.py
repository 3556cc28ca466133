r"""Counter-based random numbers for the Ising samplers (private).

JAX's default threefry generator costs more than the spin update itself at
the lattice sizes of the book. The samplers therefore draw one ``uint32`` per
site and step from an integer hash of (site, step, seed):

.. math:: u_{i,t} = h\big(v_i \oplus k_t\big), \qquad v_i = h(i + \phi),
          \qquad k_t = h\big(h(h(t\phi \oplus k_1) \oplus k_0) + t\big),

with :math:`h` the two-round multiply-xorshift mixer "lowbias32" of
C. Wellons, :math:`\phi` the 32-bit golden ratio and :math:`(k_0, k_1)` the
64-bit seed. The seed enters only through the step key :math:`k_t`: mixing
it into the site index (``h(i ^ seed)``) would merely relabel the sites, so
two seeds could give translated copies of the same run. Because
:math:`v_i` is a pseudo-random injection of the site index into 32 bits, two
different steps never reuse a shifted copy of each other's stream (as
``h(i + k_t)`` would).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

GOLDEN = np.uint32(0x9E3779B9)


def hash32(x):
    """lowbias32 integer mixer on uint32 arrays (a bijection of 32-bit words)."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x21F0AAAD)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0xD35A2D97)
    x = x ^ (x >> 15)
    return x


def split_seed(seed_value: int) -> tuple[np.uint32, np.uint32]:
    """Two 32-bit key words from a non-negative 63-bit seed integer."""
    s = int(seed_value) & ((1 << 64) - 1)
    return np.uint32(s & 0xFFFFFFFF), np.uint32((s >> 32) & 0xFFFFFFFF)


def site_keys(idx):
    """Per-site keys :math:`v_i = h(i + \\phi)` of uint32 site indices."""
    return hash32(idx + jnp.uint32(GOLDEN))


def step_key(t, k0, k1):
    """Key of step ``t`` (any integer scalar, traced or not) under seed words (k0, k1)."""
    t = jnp.asarray(t).astype(jnp.uint32)
    inner = hash32(hash32(t * jnp.uint32(GOLDEN) ^ jnp.uint32(k1)) ^ jnp.uint32(k0))
    return hash32(inner + t)


def uniform_bits(idx, t, k0, k1):
    """uint32 random words for uint32 site indices ``idx`` at step ``t``."""
    return hash32(site_keys(idx) ^ step_key(t, k0, k1))


def to_unit(bits):
    """Map uint32 words to floats in [0, 1) (float64, 2**-32 resolution)."""
    return bits.astype(jnp.float64) * (1.0 / 4294967296.0)
