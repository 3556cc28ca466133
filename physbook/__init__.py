"""physbook: the library behind the executable textbook "The Physics of A.I.".

Each topic is a submodule, imported on first use so that ``import physbook``
stays fast::

    import physbook as pb
    pb.ising.critical_temperature()

JAX runs in 64-bit mode (``jax_enable_x64``): the book compares simulations
with exact results to 1e-8 and more. Code that wants speed over precision
asks for float32 arrays explicitly.
"""
from __future__ import annotations

import importlib

import jax as _jax

_jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

_SUBMODULES = (
    "stats", "random", "plotting", "widgets", "data",
    "ising", "hopfield", "boltzmann", "landscape", "gp", "nngp", "finite_width",
    "diffusion", "scaling", "phi4", "apprentice",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'physbook' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
