"""physbook: the library behind the executable textbook "The Physics of A.I.".

Each topic is a submodule, imported on first use so that ``import physbook``
stays fast::

    import physbook as pb
    pb.ising.critical_temperature()

Precision: ``import physbook`` switches JAX to 64-bit mode (``jax_enable_x64``)
for the whole process, because the book compares simulations with exact results
to 1e-8 and more. Set the environment variable ``PHYSBOOK_ENABLE_X64=0`` before
the import to leave JAX's setting alone, or call :func:`enable_x64` to switch it
at any time (as NetKet does with ``NETKET_ENABLE_X64``). Code that wants speed
over precision asks for float32 arrays explicitly.
"""
from __future__ import annotations

import importlib
import os

import jax as _jax


def enable_x64(enabled: bool = True) -> None:
    """Switch JAX's 64-bit mode on (default) or off for this process.

    ``import physbook`` calls ``enable_x64()`` unless ``PHYSBOOK_ENABLE_X64=0`` is set.
    Arrays created before the switch keep their dtype.

    Example
    -------
    >>> import physbook as pb
    >>> pb.enable_x64()
    >>> import jax.numpy as jnp
    >>> jnp.zeros(1).dtype
    dtype('float64')
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True or False, got {enabled!r}")
    _jax.config.update("jax_enable_x64", enabled)


_X64_ENV = os.environ.get("PHYSBOOK_ENABLE_X64", "1").strip().lower()
if _X64_ENV not in ("0", "1", "true", "false", "yes", "no", "on", "off", ""):
    raise ValueError(f"PHYSBOOK_ENABLE_X64 must be 0 or 1 (or true/false), got {_X64_ENV!r}")
if _X64_ENV not in ("0", "false", "no", "off"):
    enable_x64()

__version__ = "0.1.0"

_SUBMODULES = (
    "stats", "random", "plotting", "widgets", "data",
    "ising", "hopfield", "boltzmann", "landscape", "gp", "nngp", "finite_width",
    "diffusion", "scaling", "interpretability", "phi4", "apprentice",
)

__all__ = ["__version__", "enable_x64", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'physbook' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
