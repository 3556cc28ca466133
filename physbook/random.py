r"""Seeds, in one place.

Every random function of physbook takes ``seed`` and passes it through
:func:`as_generator` (numpy code) or :func:`as_key` (JAX code), so the same
argument works everywhere: ``None`` (fresh entropy), an ``int``, a
``numpy.random.Generator``, or a JAX PRNG key.

Counter-hash streams. The Ising samplers (:mod:`physbook.ising`) and the
Boltzmann-machine kernels (:mod:`physbook.boltzmann`) do not draw from JAX's
threefry generator, whose cost dominates their small updates on a CPU. They
use the private module ``physbook._hash_rng``, owned by this module: a random
``uint32`` word per element is an integer hash of (element index, key),
:math:`b_n = h(h(n \oplus k_0) + k_1)` with the "lowbias32" mixer :math:`h`,
and keys for steps, layers and chains are derived from the seed's key by
hashing counters into both key words (``fold``). A seed reaches it through
:func:`seed_int` (Ising) or :func:`as_key` (Boltzmann), so the same ``seed=``
argument controls every stream. ``tests/test_random.py`` checks uniformity
(chi-square, Kolmogorov-Smirnov, every bit), independence of neighbouring
elements, counters and seeds, and determinism, each at 5 standard errors.
"""
from __future__ import annotations

import numbers
from typing import Any, Union

import numpy as np

__all__ = ["Seed", "as_generator", "as_key", "seed_int", "spawn", "spins"]

Seed = Union[None, int, np.random.Generator, Any]


def _is_jax_key(seed: Any) -> bool:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:  # pragma: no cover - jax is a dependency
        return False
    if not isinstance(seed, jax.Array):
        return False
    if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
        return seed.ndim == 0
    return seed.dtype == jnp.uint32 and seed.shape == (2,)


def seed_int(seed: Seed) -> int:
    """Return a non-negative 63-bit integer determined by ``seed``.

    ``None`` draws fresh OS entropy; an int must be >= 0; a Generator is
    advanced by one draw; a JAX key is hashed into an int.
    """
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("seed must be None, a non-negative int, a numpy Generator or a JAX key, got a bool")
    if isinstance(seed, numbers.Integral):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed}")
        return int(seed)
    if _is_jax_key(seed):
        import jax
        data = np.asarray(jax.random.key_data(seed)).astype(np.uint64).ravel()
        return int(((data[0] << np.uint64(32)) | data[-1]) >> np.uint64(1))
    raise TypeError(
        "seed must be None, a non-negative int, a numpy Generator or a JAX key, "
        f"got {type(seed).__name__}")


def as_generator(seed: Seed = None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed`` (a Generator is returned as is).

    Example
    -------
    >>> rng = as_generator(42)
    >>> rng.integers(0, 10, size=3).shape
    (3,)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed_int(seed))


def as_key(seed: Seed = None) -> jax.Array:
    """Return a JAX PRNG key (raw ``uint32[2]``) for ``seed`` (a key is returned as is).

    Example
    -------
    >>> key = as_key(0)
    >>> key.shape
    (2,)
    """
    import jax
    if _is_jax_key(seed):
        return seed
    return jax.random.PRNGKey(seed_int(seed) % (2**32))


def spawn(seed: Seed, n: int) -> list[np.random.Generator]:
    """Return ``n`` statistically independent Generators derived from ``seed``."""
    from ._validate import check_int
    n = check_int("n", n, minimum=1)
    children = np.random.SeedSequence(seed_int(seed)).spawn(n)
    return [np.random.default_rng(s) for s in children]


def spins(shape, *, seed: Seed = None) -> np.ndarray:
    r"""Independent uniformly random :math:`\pm 1` entries (int8): spins at infinite temperature,
    random Hopfield patterns, random signs.

    The one source of random :math:`\pm 1` arrays in physbook (:func:`physbook.ising.random_spins`,
    the patterns of :func:`physbook.hopfield.capacity_curve`, random tie-breaks).

    Parameters
    ----------
    shape : int or tuple of int
    seed : int, numpy.random.Generator, JAX key or None

    Returns
    -------
    numpy.ndarray of int8, entries in {-1, +1}

    Example
    -------
    >>> s = spins((2, 3), seed=0)
    >>> s.dtype, bool(np.all(np.abs(s) == 1))
    (dtype('int8'), True)
    """
    from ._validate import check_shape
    shape = check_shape("shape", shape)
    rng = as_generator(seed)
    return (2 * rng.integers(0, 2, size=shape, dtype=np.int8) - 1).astype(np.int8)
