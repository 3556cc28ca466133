r"""Counter-based random numbers for the Boltzmann-machine kernels (private).

JAX's default threefry generator dominates both the run time and the compile
time of the small Gibbs updates of :mod:`physbook.boltzmann` on a CPU. The
kernels therefore draw their random bits from an integer hash of (element
index, key), where a key is a pair of ``uint32`` words obtained from the
caller's seed through :func:`physbook.random.as_key`:

.. math:: u_n = 2^{-32}\left(h\big(h(n \oplus k_0) + k_1\big) + \tfrac12\right),

with :math:`h` the multiply-xorshift mixer "lowbias32" of C. Wellons (a
bijection of 32-bit words with small avalanche bias). New keys for every
Gibbs step are derived with :func:`fold`. The same code runs on CPU and GPU
(plain ``jax.numpy`` integer arithmetic).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

_GOLDEN = 0x9E3779B9
_SALT = 0x85EBCA6B


def hash32(x):
    """lowbias32 mixer on ``uint32`` arrays."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x21F0AAAD)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0xD35A2D97)
    return x ^ (x >> 15)


def words(key):
    """The two ``uint32`` words of a JAX key (raw ``uint32[2]`` or typed)."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    key = jnp.asarray(key).astype(jnp.uint32).reshape(-1)
    return jnp.stack([hash32(key[0] ^ jnp.uint32(_SALT)), hash32(key[-1] + jnp.uint32(_GOLDEN))])


def fold(key, i):
    """A new key for counter ``i`` (an int or traced integer scalar)."""
    x = hash32(jnp.asarray(i).astype(jnp.uint32) * jnp.uint32(_GOLDEN) ^ key[1])
    k0 = hash32(key[0] ^ x)
    return jnp.stack([k0, hash32(k0 ^ key[1] ^ jnp.uint32(_SALT))])


def uniform(key, shape, dtype=jnp.float64):
    """Uniform numbers in (0, 1) of ``shape`` (32 random bits; 24 in float32)."""
    n = 1
    for s in shape:
        n *= s
    idx = jnp.arange(n, dtype=jnp.uint32).reshape(shape)
    bits = hash32(hash32(idx ^ key[0]) + key[1])
    if jnp.dtype(dtype) == jnp.float32:
        return ((bits >> 8).astype(jnp.float32) + 0.5) * jnp.float32(2.0**-24)
    return ((bits.astype(jnp.float64) + 0.5) * 2.0**-32).astype(dtype)


def bernoulli(key, p):
    """Independent {0, 1} draws with probabilities ``p`` (same dtype as ``p``)."""
    return (uniform(key, p.shape, p.dtype) < p).astype(p.dtype)


def permutation(key, n):
    """A random permutation of ``range(n)``."""
    return jnp.argsort(hash32(hash32(jnp.arange(n, dtype=jnp.uint32) ^ key[0]) + key[1]))
