"""Shared network pieces: the activation table and the small convolutions.

One home for what several modules need (issue #18): the activations of the NNGP/NTK kernels
(:mod:`physbook.nngp`) and of the finite-width Monte Carlo (:mod:`physbook.finite_width`), with
their derivatives, in JAX and in numpy; and the convolutions of the small CNNs of
:mod:`physbook.phi4` (periodic 2-D, for fields on a torus) and :mod:`physbook.apprentice`
(1-D, for time series).
"""
from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from scipy import special

__all__ = ["ACTIVATIONS", "activation", "activation_derivative", "conv2d_periodic", "conv1d"]

#: Named activations understood everywhere in physbook.
ACTIVATIONS = ("relu", "erf", "tanh", "linear")

_SQRT_PI = float(np.sqrt(np.pi))

# name: (phi in JAX, phi' in JAX, phi in numpy, phi' in numpy)
_TABLE = {
    "relu": (jax.nn.relu, lambda x: (x > 0).astype(x.dtype),
             lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "erf": (jax.scipy.special.erf, lambda x: 2.0 / _SQRT_PI * jnp.exp(-x * x),
            special.erf, lambda z: 2.0 / _SQRT_PI * np.exp(-z * z)),
    "tanh": (jnp.tanh, lambda x: 1.0 - jnp.tanh(x) ** 2,
             np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "linear": (lambda x: x, jnp.ones_like, lambda z: z, np.ones_like),
}


def activation(name: str | Callable, *, numpy: bool = False) -> Callable:
    """The activation ``phi`` for a name of :data:`ACTIVATIONS` (a callable is returned as is)."""
    if callable(name):
        return name
    return _TABLE[name][2 if numpy else 0]


def activation_derivative(name: str | Callable, *, numpy: bool = False) -> Callable:
    """``phi'`` for a name of :data:`ACTIVATIONS`; for a JAX callable, its forward-mode derivative."""
    if callable(name):
        phi = name
        # phi acts elementwise, so a forward-mode derivative with unit tangent is phi'(x).
        return lambda x: jax.jvp(phi, (x,), (jnp.ones_like(x),))[1]
    return _TABLE[name][3 if numpy else 1]


def conv2d_periodic(x, kernel, bias):
    """Periodic 'same' convolution, channels first: x (C_in, B, L, L) -> (C_out, B, L, L).

    The k*k shifted copies of the input are stacked (im2col) and contracted
    with the kernel (C_out, k, k, C_in) in one matrix product, which is much
    faster than a generic convolution for a handful of channels on a CPU.
    """
    c_out, k = kernel.shape[0], kernel.shape[1]
    p = k // 2
    cols = [jnp.roll(x, (p - i, p - j), axis=(-2, -1)) for i in range(k) for j in range(k)]
    stacked = jnp.concatenate(cols, axis=0).reshape(k * k * x.shape[0], -1)
    out = kernel.reshape(c_out, -1) @ stacked
    return out.reshape(c_out, *x.shape[1:]) + bias[:, None, None, None]


def conv1d(x, w, b, stride: int = 1):
    """Zero-padded 'same' 1-D convolution: x (B, C_in, n), w (C_out, C_in, k) -> (B, C_out, n/stride)."""
    y = jax.lax.conv_general_dilated(x, w, (stride,), "SAME", dimension_numbers=("NCH", "OIH", "NCH"))
    return y + b[None, :, None]
