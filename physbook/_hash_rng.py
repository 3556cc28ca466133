r"""Counter-based random numbers for the JAX kernels (private; documented in :mod:`physbook.random`).

JAX's default threefry generator costs more than the work itself in the small,
memory-bound updates of the Ising samplers and the Boltzmann-machine kernels on
a CPU, in run time and in compile time. Those kernels therefore draw their
random words from an integer hash of (element index, key), where a key is a
pair of ``uint32`` words:

.. math:: b_n(k) = h\big(h(n \oplus k_0) + k_1\big), \qquad
          u_n = 2^{-32}\big(b_n + \tfrac12\big) \in (0, 1),

with :math:`h` the two-round multiply-xorshift mixer "lowbias32" of C. Wellons
(a bijection of 32-bit words with small avalanche bias). Keys for a step, a
layer or a chain are derived with :func:`fold`, which hashes a counter into
*both* words; so two counters never give streams that are a relabelling of
each other's elements (which mixing a seed into the index alone, as in
``h(n ^ seed)``, would do). A key comes from a JAX key through :func:`words`
or from a 63-bit seed integer through :func:`seed_words`.

Every stream is a pure function of (seed, counters, index): the kernels are
deterministic, run identically on CPU and GPU (plain ``jax.numpy`` integer
arithmetic), and work under ``jax.jit``/``vmap``. Quality (uniformity,
independence of neighbouring elements, counters and seeds) is tested in
``tests/test_random.py``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

GOLDEN = 0x9E3779B9
SALT = 0x85EBCA6B

__all__ = ["hash32", "words", "seed_words", "fold", "bits", "uniform", "bernoulli",
           "permutation", "uniform_bits", "to_unit"]


def hash32(x):
    """lowbias32 mixer on ``uint32`` arrays (a bijection of 32-bit words)."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x21F0AAAD)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0xD35A2D97)
    return x ^ (x >> 15)


def _hash32_np(x: int) -> int:
    """:func:`hash32` of one Python int, in exact integer arithmetic (no JAX, no overflow warnings)."""
    m = 0xFFFFFFFF
    x &= m
    x ^= x >> 16
    x = (x * 0x21F0AAAD) & m
    x ^= x >> 15
    x = (x * 0xD35A2D97) & m
    return x ^ (x >> 15)


def words(key):
    """The key words of a JAX key (raw ``uint32[2]`` or typed): a ``uint32[2]`` array."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    key = jnp.asarray(key).astype(jnp.uint32).reshape(-1)
    return jnp.stack([hash32(key[0] ^ jnp.uint32(SALT)), hash32(key[-1] + jnp.uint32(GOLDEN))])


def seed_words(seed_value: int) -> tuple[np.uint32, np.uint32]:
    """Key words of a non-negative seed integer (all 64 bits used): two ``numpy.uint32``.

    The same words as :func:`words` of the raw key ``(seed >> 32, seed & 0xFFFFFFFF)``.
    """
    s = int(seed_value) & ((1 << 64) - 1)
    hi, lo = (s >> 32) & 0xFFFFFFFF, s & 0xFFFFFFFF
    return np.uint32(_hash32_np(hi ^ SALT)), np.uint32(_hash32_np(lo + GOLDEN))


def fold(key, i):
    """A new key for counter ``i`` (an int or traced integer scalar) under ``key``."""
    key = jnp.asarray(key, dtype=jnp.uint32)
    x = hash32(jnp.asarray(i).astype(jnp.uint32) * jnp.uint32(GOLDEN) ^ key[1])
    k0 = hash32(key[0] ^ x)
    return jnp.stack([k0, hash32(k0 ^ key[1] ^ jnp.uint32(SALT))])


def bits(key, idx):
    """Random ``uint32`` words for the ``uint32`` element indices ``idx`` under ``key``."""
    return hash32(hash32(idx ^ key[0]) + key[1])


def uniform(key, shape, dtype=jnp.float64):
    """Uniform numbers in (0, 1) of ``shape``: 32 random bits in float64, 23 in float32.

    In float32 the values are :math:`(m + \\tfrac12)\\,2^{-23}`, :math:`m < 2^{23}`, all exactly
    representable, so that 0 < u < 1 strictly (with 24 bits the largest would round to 1).
    """
    n = 1
    for s in shape:
        n *= s
    b = bits(key, jnp.arange(n, dtype=jnp.uint32).reshape(shape))
    if jnp.dtype(dtype) == jnp.float32:
        return ((b >> 9).astype(jnp.float32) + 0.5) * jnp.float32(2.0**-23)
    return ((b.astype(jnp.float64) + 0.5) * 2.0**-32).astype(dtype)


def bernoulli(key, p):
    """Independent {0, 1} draws with probabilities ``p`` (same dtype as ``p``)."""
    return (uniform(key, p.shape, p.dtype) < p).astype(p.dtype)


def permutation(key, n):
    """A random permutation of ``range(n)`` (argsort of ``n`` random words)."""
    return jnp.argsort(bits(key, jnp.arange(n, dtype=jnp.uint32)))


def uniform_bits(idx, t, k0, k1):
    """Random ``uint32`` words for indices ``idx`` at step ``t`` under the key words (k0, k1).

    ``bits(fold((k0, k1), t), idx)``: the per-step stream of the Ising samplers.
    """
    return bits(fold(jnp.stack([jnp.asarray(k0, jnp.uint32), jnp.asarray(k1, jnp.uint32)]), t), idx)


def to_unit(b):
    """Map ``uint32`` words to floats in [0, 1) (float64, 2**-32 resolution)."""
    return b.astype(jnp.float64) * (1.0 / 4294967296.0)
