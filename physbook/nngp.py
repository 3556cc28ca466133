r"""Infinite-width networks: NNGP and NTK kernels, random-network ensembles, NTK predictions.

A fully connected network with ``depth`` hidden layers of width :math:`N`,

.. math::

    h^{1} = x W^{1} + b^{1},\qquad
    h^{\ell+1} = \phi(h^{\ell})\, W^{\ell+1} + b^{\ell+1},\qquad
    f(x) = h^{L+1}(x),

in *standard parameterisation* (weights :math:`W^\ell_{ij}\sim\mathcal N(0,\sigma_w^2/n_{\ell-1})`
with :math:`n_{\ell-1}` the fan-in, biases :math:`b^\ell_i\sim\mathcal N(0,\sigma_b^2)`),
becomes a Gaussian process as :math:`N\to\infty` (Neal 1996; Lee et al. 2018; Matthews et al.
2018). Its covariance, the NNGP kernel, follows the layer recursion

.. math::

    K^{0}(x,x') = \sigma_b^2 + \sigma_w^2\,\frac{x\cdot x'}{d},\qquad
    K^{\ell+1}(x,x') = \sigma_b^2 + \sigma_w^2\,
    \mathbb{E}_{(u,v)\sim\mathcal N(0,\Sigma^\ell)}\big[\phi(u)\phi(v)\big],

with :math:`\Sigma^\ell` the 2x2 matrix of :math:`K^\ell` on the pair :math:`(x, x')`. The
output kernel of a network with ``depth`` = L hidden layers is :math:`K^{L}`. Gradient descent
on the infinitely wide network is kernel regression with the neural tangent kernel (Jacot et
al. 2018), :math:`\Theta^{0} = K^{0}`,
:math:`\Theta^{\ell+1} = K^{\ell+1} + \sigma_w^2\,\dot K^{\ell+1}\,\Theta^{\ell}` with
:math:`\dot K^{\ell+1} = \mathbb{E}[\phi'(u)\phi'(v)]`.

Gaussian expectations use closed forms for ReLU (the arc-cosine kernel of Cho & Saul 2009) and
erf (Williams 1997), and two-dimensional Gaussian quadrature for any other activation. Kernels are
computed in float64 by default, jit-compiled, and are free of NaN at :math:`x = x'` (the
correlation is clipped to [-1, 1] before any ``arccos``). Gaussian-process regression with these
kernels (posterior, evidence) is :mod:`physbook.gp`.

References: R. M. Neal, *Bayesian Learning for Neural Networks* (1996); C. K. I. Williams,
NeurIPS (1997); Y. Cho and L. K. Saul, NeurIPS (2009); J. Lee et al., ICLR (2018);
A. G. de G. Matthews et al., ICLR (2018); A. Jacot, F. Gabriel and C. Hongler, NeurIPS (2018);
J. Lee et al., NeurIPS (2019); B. Poole et al., NeurIPS (2016); C. E. Rasmussen and
C. K. I. Williams, *Gaussian Processes for Machine Learning* (2006).
"""
from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from . import _nn
from ._results import TrainResult, pytree_dataclass
from ._validate import check_array, check_choice, check_int, check_positive, check_real, is_tracer
from .random import Seed, as_key

__all__ = [
    "nngp_kernel",
    "ntk_kernel",
    "rbf_kernel",
    "correlation_map",
    "fixed_point",
    "FixedPoint",
    "Network",
    "random_network",
    "sample_outputs",
    "empirical_kernel",
    "empirical_ntk",
    "train_network",
    "ntk_predict",
]

Activation = Union[str, Callable[[Any], Any]]
_NAMED = ("relu", "erf", "tanh")


# ----------------------------------------------------------------------------- activations

def _phi(activation: Activation) -> Callable:
    return _nn.activation(activation)


def _dphi(activation: Activation) -> Callable:
    return _nn.activation_derivative(activation)


def _check_activation(activation: Any) -> Activation:
    if isinstance(activation, str):
        return check_choice("activation", activation, _NAMED)
    if not callable(activation):
        raise TypeError("activation must be 'relu', 'erf', 'tanh' or a callable acting "
                        f"elementwise on jax arrays, got {type(activation).__name__}")
    probe = jnp.linspace(-2.0, 2.0, 5)
    try:
        out = jnp.asarray(activation(probe))
    except Exception as exc:  # noqa: BLE001 - re-raised with the argument's name
        raise TypeError(f"activation must act elementwise on jax arrays; calling it on an "
                        f"array failed with {type(exc).__name__}: {exc}") from exc
    if out.shape != probe.shape or not bool(jnp.all(jnp.isfinite(out))):
        raise ValueError("activation must map an array to a finite array of the same shape "
                         f"(elementwise); got shape {out.shape} for input shape {probe.shape}")
    return activation


# ----------------------------------------------------------------------------- Gaussian expectations

_Z_MAX = float(np.sqrt(2.0 * np.log(1e17)))  # the standard normal mass beyond is < 1e-17


@functools.lru_cache(maxsize=16)
def _nodes(quad: tuple[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) for expectations over a standard normal variable.

    ``"trapezoid"``: equally spaced nodes on [-8.9, 8.9] with Gaussian weights. For an analytic
    integrand this converges exponentially, and for activations that are steep on the scale of
    the Gaussian (tanh or erf at variance q >> 1) it needs ~sqrt(q) times fewer nodes than
    Gauss-Hermite, which needs ~q times more (measured: at q = 16 and 96 nodes the error of
    E[tanh^2] is 2e-5 against 3e-3). ``"hermite"``: Gauss-Hermite, exact for polynomials of
    degree < 2 n.
    """
    n, rule = quad
    if rule == "hermite":
        z, w = np.polynomial.hermite_e.hermegauss(n)
    else:
        z = np.linspace(-_Z_MAX, _Z_MAX, n)
        w = np.exp(-0.5 * z * z)
    return z, w / w.sum()


# Cephes' rational approximations of arcsin (S. L. Moshier, Cephes Math Library 2.8), accurate
# to a few ulp on [-1, 1]. XLA's CPU arcsin/arccos call scalar libm code; these use only
# multiply, add, divide and sqrt, which vectorise, and make the kernels several times faster.
_AS_P = (4.253011369004428248960e-3, -6.019598008014123785661e-1, 5.444622390564711410273e0,
         -1.626247967210700244449e1, 1.956261983317594739197e1, -8.198089802484824371615e0)
_AS_Q = (1.0, -1.474091372988853791896e1, 7.049610280856842141659e1, -1.471791292232726029859e2,
         1.395105614657485689735e2, -4.918853881490881290097e1)
_AS_R = (2.967721961301243206100e-3, -5.634242780008963776856e-1, 6.968710824104713396794e0,
         -2.556901049652824852289e1, 2.853665548261061424989e1)
_AS_S = (1.0, -2.194779531642920639778e1, 1.470656354026814941758e2, -3.838770957603691357202e2,
         3.424398657913078477438e2)
_MOREBITS = 6.123233995736765886130e-17


def _polevl(x, coefficients):
    out = coefficients[0]
    for c in coefficients[1:]:
        out = out * x + c
    return out


def _asin(x):
    """arcsin on [-1, 1] (input must be clipped)."""
    a = jnp.abs(x)
    zz = 1.0 - a
    s = jnp.sqrt(zz + zz)
    near_one = (jnp.pi / 4 - s) - (s * zz * _polevl(zz, _AS_R) / _polevl(zz, _AS_S) - _MOREBITS) + jnp.pi / 4
    a2 = a * a
    small = a * (a2 * _polevl(a2, _AS_P) / _polevl(a2, _AS_Q)) + a
    return jnp.sign(x) * jnp.where(a > 0.625, near_one, small)


def _acos(x):
    """arccos on [-1, 1] (input must be clipped)."""
    return jnp.where(x > 0.5, 2.0 * _asin(jnp.sqrt(jnp.maximum(0.5 - 0.5 * x, 0.0))),
                     (jnp.pi / 4 - _asin(x)) + _MOREBITS + jnp.pi / 4)


def _corr(k, s):
    """Correlation k/s clipped to [-1, 1]; 0 where a variance vanishes (no NaN)."""
    safe = jnp.where(s > 0, s, 1.0)
    return jnp.clip(jnp.where(s > 0, k / safe, 0.0), -1.0, 1.0)


def _expect_diag(activation, q, n_quad):
    r""":math:`\mathbb{E}[\phi(u)^2]` and :math:`\mathbb{E}[\phi'(u)^2]` for u ~ N(0, q)."""
    if activation in ("relu", "erf"):
        # The pair formula at k = q: bitwise the diagonal of the full kernel, so that the
        # correlation of an input with itself stays exactly 1 through every layer.
        return _expect_pair(activation, q, q, q, n_quad, True)
    z, w = (jnp.asarray(a, dtype=q.dtype) for a in _nodes(n_quad))
    u = jnp.sqrt(q)[..., None] * z
    return _phi(activation)(u) ** 2 @ w, _dphi(activation)(u) ** 2 @ w


def _expect_pair(activation, q1, q2, k, n_quad, want_dot):
    r""":math:`\mathbb{E}[\phi(u)\phi(v)]` and :math:`\mathbb{E}[\phi'(u)\phi'(v)]`, (u, v) ~ N(0, [[q1, k], [k, q2]])."""
    s = jnp.sqrt(q1 * q2)
    rho = _corr(k, s)
    if activation == "relu":
        theta = _acos(rho)
        sin = jnp.sqrt(jnp.maximum(1.0 - rho * rho, 0.0))
        # s (sin + (pi - theta) rho) / (2 pi), written so that rho = 1 gives exactly s / 2.
        e = s * (0.5 * rho + (sin - theta * rho) / (2.0 * jnp.pi))
        return e, (jnp.pi - theta) / (2.0 * jnp.pi)
    if activation == "erf":
        a = (1.0 + 2.0 * q1) * (1.0 + 2.0 * q2)
        e = 2.0 / jnp.pi * _asin(jnp.clip(2.0 * k / jnp.sqrt(a), -1.0, 1.0))
        # (1 + 2q)(1 + 2q') - 4k^2 without the cancellation of large terms; >= 1 exactly.
        det = 1.0 + 2.0 * (q1 + q2) + 4.0 * (q1 * q2 - k * k)  # symmetric in (q1, q2) bit for bit
        return e, 4.0 / jnp.pi / jnp.sqrt(jnp.maximum(det, 1.0))
    # 2-D quadrature: u = sqrt(q1) z_i, v = sqrt(q2) (rho z_i + sqrt(1 - rho^2) z_j).
    phi, dphi = _phi(activation), _dphi(activation)
    z, w = (jnp.asarray(a, dtype=k.dtype) for a in _nodes(n_quad))
    s1 = jnp.broadcast_to(jnp.sqrt(q1), k.shape)
    s2 = jnp.broadcast_to(jnp.sqrt(q2), k.shape)[..., None]
    a = (s2 * rho[..., None])
    b = s2 * jnp.sqrt(jnp.maximum(1.0 - rho * rho, 0.0))[..., None] * z

    def body(acc, zw):
        zi, wi = zw
        v = a * zi + b
        e = acc[0] + wi * phi(s1 * zi) * (phi(v) @ w)
        d = acc[1] + wi * dphi(s1 * zi) * (dphi(v) @ w) if want_dot else acc[1]
        return (e, d), None

    zero = jnp.zeros_like(k)
    (e, d), _ = jax.lax.scan(body, (zero, zero), (z, w))
    return e, d


_UNROLL = 32  # NTK recursions up to this depth are unrolled (XLA fuses them far better than a loop)


def _kernels(x1, x2, depth, sigma_w2, sigma_b2, *, activation, n_quad, diagonal, want_ntk, symmetric):
    # NNGP: the depth is a traced loop bound (no recompilation when it changes). NTK: two
    # matrices per layer run ~3x faster unrolled than in a while loop on CPU, so small depths
    # are compiled per depth.
    static = want_ntk and depth <= _UNROLL
    fn = _kernels_unrolled if static else _kernels_loop
    return fn(x1, x2, depth, sigma_w2, sigma_b2, activation=activation, n_quad=n_quad,
              diagonal=diagonal, want_ntk=want_ntk, symmetric=symmetric)


def _input_kernel(x1, x2, sigma_w2, sigma_b2, diagonal, symmetric):
    d = x1.shape[-1]
    q1 = sigma_b2 + sigma_w2 * jnp.sum(x1 * x1, axis=-1) / d
    q2 = sigma_b2 + sigma_w2 * jnp.sum(x2 * x2, axis=-1) / d
    if diagonal:
        return q1, q2, sigma_b2 + sigma_w2 * jnp.sum(x1 * x2, axis=-1) / d
    k = sigma_b2 + sigma_w2 * (x1 @ x2.T) / d
    if symmetric:  # the diagonal equals q: the correlation of an input with itself is exactly 1
        k = jnp.where(jnp.eye(k.shape[0], dtype=bool), q1[:, None], k)
    return q1[:, None], q2[None, :], k


def _layer(carry, sigma_w2, sigma_b2, activation, n_quad, want_ntk):
    q1, q2, k, ntk = carry
    e, edot = _expect_pair(activation, q1, q2, k, n_quad, want_ntk)
    k_new = sigma_b2 + sigma_w2 * e
    ntk = k_new + sigma_w2 * edot * ntk if want_ntk else ntk
    q1 = sigma_b2 + sigma_w2 * _expect_diag(activation, q1, n_quad)[0]
    q2 = sigma_b2 + sigma_w2 * _expect_diag(activation, q2, n_quad)[0]
    return q1, q2, k_new, ntk


def _finish(out, symmetric, activation):
    # The closed forms are symmetric in (x, x') to the last bit, so the output is as symmetric as
    # x @ x.T (to rounding; a transpose of the full matrix would cost as much as the matmul).
    # Quadrature treats u and v differently and is symmetrised; the barrier keeps XLA from fusing
    # (and so recomputing) the whole recursion into the transpose.
    if not symmetric or activation in ("relu", "erf"):
        return out
    out = jax.lax.optimization_barrier(out)
    return 0.5 * (out + out.T)


@functools.partial(jax.jit, static_argnames=("activation", "n_quad", "diagonal", "want_ntk", "symmetric"))
def _kernels_loop(x1, x2, depth, sigma_w2, sigma_b2, *, activation, n_quad, diagonal, want_ntk, symmetric):
    q1, q2, k = _input_kernel(x1, x2, sigma_w2, sigma_b2, diagonal, symmetric)
    carry = jax.lax.fori_loop(0, depth, lambda _, c: _layer(c, sigma_w2, sigma_b2, activation, n_quad, want_ntk),
                              (q1, q2, k, k))
    return _finish(carry[3] if want_ntk else carry[2], symmetric, activation)


@functools.partial(jax.jit, static_argnames=("depth", "activation", "n_quad", "diagonal", "want_ntk", "symmetric"))
def _kernels_unrolled(x1, x2, depth, sigma_w2, sigma_b2, *, activation, n_quad, diagonal, want_ntk, symmetric):
    q1, q2, k = _input_kernel(x1, x2, sigma_w2, sigma_b2, diagonal, symmetric)
    carry = (q1, q2, k, k)
    for _ in range(depth):
        carry = _layer(carry, sigma_w2, sigma_b2, activation, n_quad, want_ntk)
    return _finish(carry[3] if want_ntk else carry[2], symmetric, activation)


# ----------------------------------------------------------------------------- argument handling

def _inputs(name: str, x, dtype) -> jnp.ndarray:
    arr = check_array(name, x, dtype="float")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, d) or (n,) with n, d >= 1, got {np.shape(x)}")
    return jnp.asarray(arr, dtype=dtype)


def _dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    return check_choice("dtype", dt, (np.dtype(np.float32), np.dtype(np.float64)))


def _quad(n_quad, quadrature) -> tuple[int, str]:
    rule = check_choice("quadrature", quadrature, ("trapezoid", "hermite"))
    top = 300 if rule == "hermite" else 4000  # numpy's Gauss-Hermite weights overflow beyond ~300
    return check_int("n_quad", n_quad, minimum=2, maximum=top), rule


def _refine(activation, quad, q0, depth, sigma_w2, sigma_b2, want_dot, tol=1e-9):
    """Double the node count until the one-dimensional moments at the largest variance agree.

    The steepest integrand is met at the largest pre-activation variance; the length map is
    followed (in one dimension, cheaply) to find it. Raises if no rule up to the cap is accurate.
    """
    if activation in ("relu", "erf") or depth == 0:
        return quad
    n, rule = quad
    top = 300 if rule == "hermite" else 4000
    phi, dphi = _phi(activation), _dphi(activation)

    def moments(q, m):
        z, w = _nodes((m, rule))
        u = jnp.asarray(np.sqrt(q) * z)
        e = float(phi(u) ** 2 @ w)
        return (e, float(dphi(u) ** 2 @ w)) if want_dot else (e,)

    qs = [q0]
    for _ in range(depth - 1):
        qs.append(sigma_b2 + sigma_w2 * moments(qs[-1], n)[0])
    q_max = max(qs)
    if not np.isfinite(q_max):
        raise ValueError("the pre-activation variance diverges with depth; lower sigma_w2 or depth")
    while True:
        a, b = moments(q_max, n), moments(q_max, min(2 * n, top))
        if all(abs(x - y) <= tol * max(abs(y), 1e-300) for x, y in zip(a, b)):
            return n, rule
        if n >= top:
            raise ValueError(f"quadrature with up to {top} {rule} nodes is not accurate at pre-activation "
                             f"variance q = {q_max:.3g}; rescale the inputs (|x|^2/d of order 1)")
        n = min(2 * n, top)


def _kernel_call(x1, x2, depth, activation, sigma_w2, sigma_b2, diagonal, n_quad, quadrature, dtype,
                 want_ntk):
    dtype = _dtype(dtype)
    a = _inputs("x1", x1, dtype)
    b = a if x2 is None else _inputs("x2", x2, dtype)
    if b.shape[1] != a.shape[1]:
        raise ValueError(f"x1 and x2 must have the same input dimension, got {a.shape[1]} and {b.shape[1]}")
    if diagonal and b.shape != a.shape:
        raise ValueError(f"diagonal=True pairs x1[i] with x2[i]: shapes must match, got {a.shape} and {b.shape}")
    depth = check_int("depth", depth, minimum=0)
    activation = _check_activation(activation)
    sigma_w2 = check_positive("sigma_w2", sigma_w2)
    sigma_b2 = check_positive("sigma_b2", sigma_b2, allow_zero=True)
    n_quad = _quad(n_quad, quadrature)
    if activation not in ("relu", "erf") and depth > 0:
        q0 = sigma_b2 + sigma_w2 * max(float(jnp.max(jnp.sum(a * a, 1))), float(jnp.max(jnp.sum(b * b, 1)))) / a.shape[1]
        n_quad = _refine(activation, n_quad, q0, depth, sigma_w2, sigma_b2, want_ntk)
    out = _kernels(a, b, depth, jnp.asarray(sigma_w2, dtype), jnp.asarray(sigma_b2, dtype),
                   activation=activation, n_quad=n_quad, diagonal=bool(diagonal), want_ntk=want_ntk,
                   symmetric=x2 is None and not diagonal)
    return out


def nngp_kernel(x1, x2=None, *, depth: int = 1, activation: Activation = "relu",
                sigma_w2: float = 1.0, sigma_b2: float = 0.0, diagonal: bool = False,
                n_quad: int = 96, quadrature: str = "trapezoid", dtype=np.float64) -> jax.Array:
    r"""NNGP kernel of a fully connected network with ``depth`` hidden layers.

    The output covariance :math:`K^{L}(x, x') = \mathbb{E}[f(x) f(x')]` of the infinitely wide
    network, from the recursion

    .. math::

        K^{0} = \sigma_b^2 + \sigma_w^2 \frac{x\cdot x'}{d},\qquad
        K^{\ell+1} = \sigma_b^2 + \sigma_w^2\,\mathbb{E}_{(u,v)\sim\mathcal N(0,\Sigma^\ell)}
        [\phi(u)\phi(v)].

    For ReLU the expectation is the arc-cosine kernel
    :math:`\frac{\sqrt{q q'}}{2\pi}(\sin\theta + (\pi-\theta)\cos\theta)`,
    :math:`\cos\theta = k/\sqrt{q q'}`; for erf it is Williams' form
    :math:`\frac{2}{\pi}\arcsin\frac{2k}{\sqrt{(1+2q)(1+2q')}}`; any other activation uses a
    two-dimensional ``n_quad`` x ``n_quad`` quadrature over
    :math:`u = \sqrt{q} z_1`, :math:`v = \sqrt{q'}(\rho z_1 + \sqrt{1-\rho^2} z_2)`. The node
    count is doubled (from ``n_quad``) until the one-dimensional moments at the largest
    pre-activation variance agree to 1e-9, so steep activations at large :math:`q` stay accurate
    (at a cost that grows like :math:`q`); convergence is slow at kinks (use the closed forms).

    Parameters
    ----------
    x1 : array_like, shape (n1, d) or (n1,)
        Inputs (a 1-D array is n1 inputs of dimension 1).
    x2 : array_like, shape (n2, d) or (n2,), optional
        Second set of inputs; default ``x1`` (the result is then symmetric, to rounding).
    depth : int
        Number of hidden layers L >= 0 (0 is the linear model :math:`K^0`).
    activation : {"relu", "erf", "tanh"} or callable
        Nonlinearity; a callable must act elementwise on jax arrays.
    sigma_w2 : float
        Weight variance times fan-in, > 0.
    sigma_b2 : float
        Bias variance, >= 0.
    diagonal : bool
        If True return only :math:`K(x_{1,i}, x_{2,i})`, shape (n1,), at the cost of
        O(n1) instead of O(n1 n2) (x2 must then have the shape of x1).
    n_quad : int
        Starting number of quadrature nodes per dimension (tanh and callable activations only).
    quadrature : {"trapezoid", "hermite"}
        Equally spaced nodes with Gaussian weights (default; robust for saturating activations)
        or Gauss-Hermite nodes (exact for polynomial activations of degree < 2 ``n_quad``).
    dtype : float64 or float32
        Precision of the computation.

    Returns
    -------
    jax.Array, shape (n1, n2), or (n1,) with ``diagonal=True``

    Example
    -------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> K = nngp_kernel(x, depth=1, activation="relu", sigma_w2=2.0)
    >>> np.allclose(K, [[1.0, 1 / np.pi], [1 / np.pi, 1.0]])
    True

    References
    ----------
    Neal (1996); Williams (1997); Cho and Saul (2009); Lee et al., ICLR (2018); Matthews et al.,
    ICLR (2018).
    """
    return _kernel_call(x1, x2, depth, activation, sigma_w2, sigma_b2, diagonal, n_quad, quadrature, dtype,
                        False)


def ntk_kernel(x1, x2=None, *, depth: int = 1, activation: Activation = "relu",
               sigma_w2: float = 1.0, sigma_b2: float = 0.0, diagonal: bool = False,
               n_quad: int = 96, quadrature: str = "trapezoid", dtype=np.float64) -> jax.Array:
    r"""Neural tangent kernel of a fully connected network with ``depth`` hidden layers.

    The Jacot et al. recursion (NTK parameterisation: every parameter is a standard normal
    variable times its scale, and gradient descent moves it at the same rate)

    .. math::

        \Theta^{0} = K^{0},\qquad
        \Theta^{\ell+1} = K^{\ell+1} + \sigma_w^2\,\dot K^{\ell+1}\,\Theta^{\ell},\qquad
        \dot K^{\ell+1} = \mathbb{E}_{(u,v)\sim\mathcal N(0,\Sigma^\ell)}[\phi'(u)\phi'(v)],

    with :math:`K^\ell` the NNGP kernels of :func:`nngp_kernel`. For ReLU
    :math:`\dot K = (\pi-\theta)/(2\pi)`; for erf
    :math:`\dot K = \frac{4}{\pi}[(1+2q)(1+2q') - 4k^2]^{-1/2}`.

    Parameters
    ----------
    x1, x2, depth, activation, sigma_w2, sigma_b2, diagonal, n_quad, quadrature, dtype
        As in :func:`nngp_kernel`.

    Returns
    -------
    jax.Array, shape (n1, n2), or (n1,) with ``diagonal=True``

    Example
    -------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> T = ntk_kernel(x, depth=1, activation="relu", sigma_w2=2.0)
    >>> np.allclose(np.diag(T), 2.0)
    True

    References
    ----------
    A. Jacot, F. Gabriel and C. Hongler, "Neural tangent kernel", NeurIPS (2018); J. Lee et al.,
    NeurIPS (2019).
    """
    return _kernel_call(x1, x2, depth, activation, sigma_w2, sigma_b2, diagonal, n_quad, quadrature, dtype,
                        True)


def rbf_kernel(x1, x2=None, *, lengthscale: float = 1.0, variance: float = 1.0) -> jax.Array:
    r"""Squared-exponential (RBF) kernel.

    .. math:: k(x, x') = \sigma^2 \exp\!\Big(-\frac{\lVert x - x'\rVert^2}{2\ell^2}\Big)

    Parameters
    ----------
    x1 : array_like, shape (n1, d) or (n1,)
    x2 : array_like, shape (n2, d) or (n2,), optional
        Default ``x1``.
    lengthscale : float
        :math:`\ell > 0`.
    variance : float
        :math:`\sigma^2 > 0`.

    Returns
    -------
    jax.Array, shape (n1, n2)

    Example
    -------
    >>> K = rbf_kernel(np.array([0.0, 1.0]), lengthscale=1.0)
    >>> np.allclose(K[0, 1], np.exp(-0.5))
    True

    References
    ----------
    C. E. Rasmussen and C. K. I. Williams, *Gaussian Processes for Machine Learning* (2006), eq. 2.16.
    """
    a = _inputs("x1", x1, np.float64)
    b = a if x2 is None else _inputs("x2", x2, np.float64)
    if b.shape[1] != a.shape[1]:
        raise ValueError(f"x1 and x2 must have the same input dimension, got {a.shape[1]} and {b.shape[1]}")
    ell = check_positive("lengthscale", lengthscale)
    var = check_positive("variance", variance)
    return _rbf(a, b, ell, var)


@jax.jit
def _rbf(a, b, ell, var):
    sq = jnp.sum(a * a, 1)[:, None] + jnp.sum(b * b, 1)[None, :] - 2.0 * a @ b.T
    return var * jnp.exp(-0.5 * jnp.maximum(sq, 0.0) / ell**2)


# ----------------------------------------------------------------------------- signal propagation

def correlation_map(rho, *, q: float, activation: Activation = "tanh", sigma_w2: float = 1.0,
                    sigma_b2: float = 0.0, n_quad: int = 96, quadrature: str = "trapezoid") -> jax.Array:
    r"""One layer of the correlation map of two inputs of equal squared length ``q``.

    .. math::

        c_{\ell+1} = \frac{\sigma_b^2 + \sigma_w^2\,\mathbb{E}[\phi(u)\phi(v)]}
                          {\sigma_b^2 + \sigma_w^2\,\mathbb{E}[\phi(u)^2]},\qquad
        (u, v) \sim \mathcal N\Big(0, q\begin{pmatrix}1 & c_\ell\\ c_\ell & 1\end{pmatrix}\Big).

    At the fixed point :math:`q = q^*` of :func:`fixed_point` this is the map of Poole et al.
    whose slope at :math:`c = 1` is :math:`\chi_1`: ordered phase for :math:`\chi_1 < 1`
    (inputs become alike), chaotic for :math:`\chi_1 > 1`.

    Parameters
    ----------
    rho : array_like
        Correlations :math:`c_\ell` in [-1, 1] (any shape).
    q : float
        Pre-activation variance :math:`q > 0` of both inputs.
    activation, sigma_w2, sigma_b2, n_quad, quadrature
        As in :func:`nngp_kernel`.

    Returns
    -------
    jax.Array, shape of ``rho``

    Example
    -------
    >>> c = correlation_map(np.array([0.0, 1.0]), q=1.0, activation="erf", sigma_w2=1.0)
    >>> np.allclose(c, [0.0, 1.0])
    True

    References
    ----------
    B. Poole et al., NeurIPS (2016); S. S. Schoenholz et al., ICLR (2017).
    """
    r = check_array("rho", rho, dtype="float")
    if not is_tracer(r) and np.any(np.abs(r) > 1):
        raise ValueError("rho must contain correlations in [-1, 1]")
    q = check_positive("q", q)
    activation = _check_activation(activation)
    sigma_w2 = check_positive("sigma_w2", sigma_w2)
    sigma_b2 = check_positive("sigma_b2", sigma_b2, allow_zero=True)
    n_quad = _quad(n_quad, quadrature)
    return _corr_map(jnp.asarray(r), q, sigma_w2, sigma_b2, activation=activation, n_quad=n_quad)


@functools.partial(jax.jit, static_argnames=("activation", "n_quad"))
def _corr_map(r, q, sigma_w2, sigma_b2, *, activation, n_quad):
    qq = jnp.full(r.shape, q, dtype=r.dtype)
    e, _ = _expect_pair(activation, qq, qq, r * q, n_quad, False)
    e0, _ = _expect_diag(activation, qq, n_quad)
    return (sigma_b2 + sigma_w2 * e) / (sigma_b2 + sigma_w2 * e0)


class FixedPoint(NamedTuple):
    r"""Fixed point :math:`q^*` of the length map and the slope :math:`\chi_1` of the correlation map there."""

    q: np.ndarray
    chi: np.ndarray


def fixed_point(*, activation: Activation = "tanh", sigma_w2=1.0, sigma_b2=0.0,
                n_iter: int = 500, q0: float = 1.0, n_quad: int = 96,
                quadrature: str = "trapezoid") -> FixedPoint:
    r"""Length fixed point :math:`q^*` and the order-to-chaos parameter :math:`\chi_1`.

    Iterates the length map :math:`q_{\ell+1} = \sigma_b^2 + \sigma_w^2\,\mathbb{E}_{z}
    [\phi(\sqrt{q_\ell} z)^2]` from :math:`q_0` for ``n_iter`` layers (the fixed point a deep
    network actually reaches) and returns

    .. math:: \chi_1 = \sigma_w^2\,\mathbb{E}_z\big[\phi'(\sqrt{q^*} z)^2\big],

    the slope of the correlation map at :math:`c = 1`. :math:`\chi_1 = 1` is the edge of
    chaos. Broadcasts over arrays of ``sigma_w2`` and ``sigma_b2`` (a phase diagram in one call).
    Where the length map diverges (ReLU with :math:`\sigma_w^2 > 2`; detected as
    :math:`q > 10^{20}`) ``q`` is ``inf`` and ``chi`` is evaluated at :math:`q = 1`.

    Parameters
    ----------
    activation : {"relu", "erf", "tanh"} or callable
    sigma_w2, sigma_b2 : float or array_like
        Weight (> 0) and bias (>= 0) variances, broadcast against each other.
    n_iter : int
        Layers of the length map to iterate.
    q0 : float
        Starting squared length, > 0.
    n_quad, quadrature
        As in :func:`nngp_kernel`.

    Returns
    -------
    FixedPoint
        ``q`` and ``chi``, arrays of the broadcast shape.

    Example
    -------
    >>> fp = fixed_point(activation="relu", sigma_w2=1.0, sigma_b2=0.5)
    >>> np.allclose([fp.q, fp.chi], [1.0, 0.5])
    True

    References
    ----------
    B. Poole et al., NeurIPS (2016); S. S. Schoenholz et al., ICLR (2017).
    """
    activation = _check_activation(activation)
    sw = check_array("sigma_w2", sigma_w2, dtype="float")
    sb = check_array("sigma_b2", sigma_b2, dtype="float")
    if np.any(sw <= 0):
        raise ValueError("sigma_w2 must contain only positive values")
    if np.any(sb < 0):
        raise ValueError("sigma_b2 must contain only non-negative values")
    try:
        sw, sb = np.broadcast_arrays(sw, sb)
    except ValueError:
        raise ValueError(f"sigma_w2 and sigma_b2 must broadcast, got shapes {sw.shape} and {sb.shape}") from None
    n_iter = check_int("n_iter", n_iter, minimum=1)
    q0 = check_positive("q0", q0)
    n_quad = _quad(n_quad, quadrature)
    q, chi = _fixed_point(jnp.asarray(sw), jnp.asarray(sb), q0, n_iter,
                          activation=activation, n_quad=n_quad)
    return FixedPoint(np.asarray(q), np.asarray(chi))


@functools.partial(jax.jit, static_argnames=("activation", "n_quad"))
def _fixed_point(sw, sb, q0, n_iter, *, activation, n_quad):
    def step(_, q):
        return sb + sw * _expect_diag(activation, q, n_quad)[0]

    q = jax.lax.fori_loop(0, n_iter, step, jnp.full(sw.shape, q0, dtype=sw.dtype))
    q = jnp.where(jnp.isfinite(q) & (q < 1e20), q, jnp.inf)
    chi = sw * _expect_diag(activation, jnp.where(jnp.isfinite(q), q, 1.0), n_quad)[1]
    return q, chi


# ----------------------------------------------------------------------------- finite networks

@pytree_dataclass(meta_fields=("activation", "sigma_w2", "sigma_b2"))
class Network:
    r"""A fully connected network in standard parameterisation (a JAX pytree).

    ``weights[l]`` has shape (fan_in, fan_out) and entries of variance ``sigma_w2 / fan_in``;
    ``biases[l]`` has variance ``sigma_b2``. Calling the network on ``x`` of shape (..., d)
    returns :math:`f(x)` of shape (..., d_out). ``activation``, ``sigma_w2`` and ``sigma_b2``
    are static metadata (they set the NTK learning rates of :func:`train_network`).
    """

    weights: tuple
    biases: tuple
    activation: Any = "relu"
    sigma_w2: float = 1.0
    sigma_b2: float = 0.0

    def hidden(self, x) -> jax.Array:
        r"""Post-activations :math:`\phi(h^L)` of the last hidden layer (``x`` itself if depth 0)."""
        return _hidden(self, jnp.asarray(x))

    def __call__(self, x) -> jax.Array:
        return _apply(self, jnp.asarray(x))


@jax.jit
def _hidden(net, x):
    phi = _phi(net.activation)
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        x = phi(x @ w + b)
    return x


@jax.jit
def _apply(net, x):
    return _hidden(net, x) @ net.weights[-1] + net.biases[-1]


def _unpack(z, widths, sigma_w2, sigma_b2):
    """Scale one block of standard normals z[..., total] into weights and biases (leading axes kept)."""
    weights, biases, i = [], [], 0
    lead = z.shape[:-1]
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        weights.append(np.sqrt(sigma_w2 / n_in) * z[..., i:i + n_in * n_out].reshape(lead + (n_in, n_out)))
        i += n_in * n_out
        biases.append(np.sqrt(sigma_b2) * z[..., i:i + n_out].reshape(lead + (1,) * (len(lead) > 0) + (n_out,)))
        i += n_out
    return tuple(weights), tuple(biases)


def _n_params(widths) -> int:
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


@functools.partial(jax.jit, static_argnums=(1, 2, 3, 4))
def _init(key, widths, activation, sigma_w2, sigma_b2) -> Network:
    # One normal draw for all parameters: a single random-number kernel compiles fast.
    z = jax.random.normal(key, (_n_params(widths),), jnp.float64)
    weights, biases = _unpack(z, widths, sigma_w2, sigma_b2)
    return Network(weights, biases, activation, sigma_w2, sigma_b2)


def _check_net_args(activation, sigma_w2, sigma_b2):
    return (_check_activation(activation), check_positive("sigma_w2", sigma_w2),
            check_positive("sigma_b2", sigma_b2, allow_zero=True))


def random_network(widths: Sequence[int], activation: Activation = "relu",
                   sigma_w2: float = 1.0, sigma_b2: float = 0.0, *, seed: Seed = None) -> Network:
    r"""Draw a fully connected network in standard parameterisation.

    .. math:: W^\ell_{ij} \sim \mathcal N\Big(0, \frac{\sigma_w^2}{n_{\ell-1}}\Big),\qquad
              b^\ell_i \sim \mathcal N(0, \sigma_b^2)

    The variance must scale as 1/fan-in: the output :math:`f = \sum_{i=1}^{N} W_i\,\phi(h_i)` is a
    sum of N terms, so its variance is :math:`N\,\mathrm{Var}(W)\,\mathbb{E}\phi^2`, finite only
    if :math:`\mathrm{Var}(W) \propto 1/N` (a standard deviation 1/N would make it vanish).

    Parameters
    ----------
    widths : sequence of int
        Layer sizes ``(d_in, N_1, ..., N_L, d_out)``; ``len(widths) - 2`` hidden layers.
    activation : {"relu", "erf", "tanh"} or callable
    sigma_w2 : float
        Weight variance times fan-in, > 0.
    sigma_b2 : float
        Bias variance, >= 0.
    seed : int, numpy Generator, JAX key or None
        Randomness (see :func:`physbook.random.as_key`).

    Returns
    -------
    Network

    Example
    -------
    >>> net = random_network((3, 100, 1), seed=0)
    >>> net(np.ones((5, 3))).shape
    (5, 1)

    References
    ----------
    R. M. Neal, *Bayesian Learning for Neural Networks* (1996), ch. 2.
    """
    widths = _check_widths(widths)
    activation, sigma_w2, sigma_b2 = _check_net_args(activation, sigma_w2, sigma_b2)
    return _init(as_key(seed), widths, activation, sigma_w2, sigma_b2)


def _check_widths(widths) -> tuple[int, ...]:
    """Validate ``widths`` = (d_in, N_1, ..., d_out): at least two positive integers."""
    if isinstance(widths, numbers.Integral) or isinstance(widths, (str, bytes)):
        raise TypeError(f"widths must be a sequence of positive ints (d_in, N_1, ..., d_out), got {widths!r}")
    try:
        widths = tuple(widths)
    except TypeError:
        raise TypeError(f"widths must be a sequence of positive ints, got {type(widths).__name__}") from None
    if len(widths) < 2:
        raise ValueError(f"widths must list at least the input and output sizes, got {widths!r}")
    return tuple(check_int("widths", w, minimum=1) for w in widths)


def sample_outputs(x, width: int, depth: int, n_networks: int, *, activation: Activation = "relu",
                   sigma_w2: float = 1.0, sigma_b2: float = 0.0, seed: Seed = None) -> jax.Array:
    r"""Outputs :math:`f(x)` of an ensemble of independently drawn random networks.

    Each network has ``depth`` hidden layers of ``width`` units and one output, drawn as in
    :func:`random_network` (with batched draws, so not the same networks as ``random_network``
    with split keys), in memory-bounded batches.
    As the width grows the ensemble becomes the Gaussian process with covariance
    :func:`nngp_kernel`.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Inputs.
    width : int
        Hidden width N >= 1.
    depth : int
        Hidden layers >= 1.
    n_networks : int
        Ensemble size >= 1.
    activation, sigma_w2, sigma_b2
        As in :func:`random_network`.
    seed : int, numpy Generator or JAX key, optional

    Returns
    -------
    jax.Array, shape (n_networks, n)

    Example
    -------
    >>> f = sample_outputs(np.zeros((2, 3)) + 1, width=50, depth=2, n_networks=1000, seed=0)
    >>> f.shape
    (1000, 2)

    References
    ----------
    R. M. Neal (1996); J. Lee et al., ICLR (2018).
    """
    xs = _inputs("x", x, np.float64)
    width = check_int("width", width, minimum=1)
    depth = check_int("depth", depth, minimum=1)
    n_networks = check_int("n_networks", n_networks, minimum=1)
    activation, sigma_w2, sigma_b2 = _check_net_args(activation, sigma_w2, sigma_b2)
    widths = (xs.shape[1],) + (width,) * depth + (1,)
    per_net = _n_params(widths) + xs.shape[0] * width * depth
    batch = int(max(1, min(n_networks, 4_000_000 // per_net)))
    n_batches = -(-n_networks // batch)
    out = _sample(as_key(seed), xs, widths, activation, sigma_w2, sigma_b2, batch, n_batches)
    return out[:n_networks]


@functools.partial(jax.jit, static_argnums=(2, 3, 4, 5, 6, 7))
def _sample(key, x, widths, activation, sigma_w2, sigma_b2, batch, n_batches):
    phi = _phi(activation)

    def chunk(k):
        weights, biases = _unpack(jax.random.normal(k, (batch, _n_params(widths)), x.dtype),
                                  widths, sigma_w2, sigma_b2)
        z = x
        for w, b in zip(weights[:-1], biases[:-1]):
            z = phi(z @ w + b)
        return (z @ weights[-1] + biases[-1])[..., 0]

    out = jax.lax.map(chunk, jax.random.split(key, n_batches))
    return out.reshape(n_batches * batch, x.shape[0])


def _check_network(network):
    if not isinstance(network, Network):
        raise TypeError(f"network must be a physbook.nngp.Network (see random_network), got {type(network).__name__}")
    return network


def _net_inputs(network, x1, x2):
    a = _inputs("x1", x1, np.float64)
    b = a if x2 is None else _inputs("x2", x2, np.float64)
    d = network.weights[0].shape[0]
    for name, arr in (("x1", a), ("x2", b)):
        if arr.shape[1] != d:
            raise ValueError(f"{name} must have input dimension {d} (the network's), got {arr.shape[1]}")
    return a, b


def empirical_kernel(network: Network, x1, x2=None) -> jax.Array:
    r"""Empirical NNGP kernel of one finite network: the covariance of its output given its hidden layers.

    .. math::

        \hat K(x, x') = \sigma_b^2 + \frac{\sigma_w^2}{N}\sum_{i=1}^{N}
        \phi\big(h^L_i(x)\big)\,\phi\big(h^L_i(x')\big)

    an average over the N units of the last hidden layer; it converges to
    :func:`nngp_kernel` with fluctuations of order :math:`N^{-1/2}`.

    Parameters
    ----------
    network : Network
    x1 : array_like, shape (n1, d) or (n1,)
    x2 : array_like, shape (n2, d) or (n2,), optional

    Returns
    -------
    jax.Array, shape (n1, n2)

    Example
    -------
    >>> net = random_network((2, 4000, 1), sigma_w2=2.0, seed=0)
    >>> K = empirical_kernel(net, np.eye(2))
    >>> bool(abs(K[0, 0] - 1.0) < 0.1)
    True

    References
    ----------
    J. Lee et al., ICLR (2018).
    """
    net = _check_network(network)
    a, b = _net_inputs(net, x1, x2)
    return _emp_kernel(net, a, b)


@jax.jit
def _emp_kernel(net, a, b):
    za, zb = net.hidden(a), net.hidden(b)
    return net.sigma_b2 + net.sigma_w2 * (za @ zb.T) / za.shape[-1]


def empirical_ntk(network: Network, x1, x2=None) -> jax.Array:
    r"""Empirical neural tangent kernel of one finite network (scalar output).

    .. math::

        \hat\Theta(x, x') = \sum_{p} \eta_p\,\frac{\partial f(x)}{\partial p}
        \frac{\partial f(x')}{\partial p},\qquad
        \eta_{W^\ell} = \frac{\sigma_w^2}{n_{\ell-1}},\quad \eta_{b^\ell} = \sigma_b^2,

    i.e. the tangent kernel of the NTK parameterisation (:func:`train_network` uses the same
    per-layer rates). Computed by back-propagation, layer by layer:
    :math:`\hat\Theta = \sum_\ell (\eta_{W^\ell}\, z^{\ell-1}\!\cdot z'^{\ell-1} + \eta_{b^\ell})\,
    \delta^\ell\!\cdot\delta'^\ell` with :math:`\delta^\ell = \partial f/\partial h^\ell`.
    Converges to :func:`ntk_kernel` as the width grows.

    Parameters
    ----------
    network : Network
        A network with a single output.
    x1 : array_like, shape (n1, d) or (n1,)
    x2 : array_like, shape (n2, d) or (n2,), optional

    Returns
    -------
    jax.Array, shape (n1, n2)

    Example
    -------
    >>> net = random_network((2, 4000, 1), sigma_w2=2.0, seed=0)
    >>> T = empirical_ntk(net, np.eye(2))
    >>> bool(abs(T[0, 0] - 2.0) < 0.2)
    True

    References
    ----------
    A. Jacot, F. Gabriel and C. Hongler, NeurIPS (2018).
    """
    net = _check_network(network)
    if net.weights[-1].shape[1] != 1:
        raise ValueError(f"network must have a single output for empirical_ntk, got {net.weights[-1].shape[1]}")
    a, b = _net_inputs(net, x1, x2)
    return _emp_ntk(net, a, b)


def _forward_trace(net, x):
    phi, dphi = _phi(net.activation), _dphi(net.activation)
    zs, ds = [x], []
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        h = zs[-1] @ w + b
        zs.append(phi(h))
        ds.append(dphi(h))
    deltas = [jnp.ones((x.shape[0], 1), x.dtype)]
    for w, d in zip(net.weights[:0:-1], ds[::-1]):
        deltas.append((deltas[-1] @ w.T) * d)
    return zs, deltas[::-1]


@jax.jit
def _emp_ntk(net, a, b):
    za, da = _forward_trace(net, a)
    zb, db = _forward_trace(net, b)
    theta = 0.0
    for z1, z2, d1, d2 in zip(za, zb, da, db):
        theta = theta + (net.sigma_w2 * (z1 @ z2.T) / z1.shape[-1] + net.sigma_b2) * (d1 @ d2.T)
    return theta


def train_network(network: Network, x, y, *, n_steps: int, learning_rate: float) -> TrainResult:
    r"""Full-batch gradient descent with the NTK learning rates, on :math:`\frac12\sum_i (f(x_i) - y_i)^2`.

    Each weight matrix moves at rate :math:`\eta\,\sigma_w^2/n_{\ell-1}` and each bias at
    :math:`\eta\,\sigma_b^2`: gradient descent on the NTK parameterisation of the same network,
    whose function-space dynamics is :math:`\dot f = -\hat\Theta\,(f - y)`. After ``n_steps``
    steps the network has trained for time :math:`t = \eta \times` ``n_steps``; compare with
    :func:`ntk_predict` at that time.

    Parameters
    ----------
    network : Network
        Start (e.g. from :func:`random_network`), single output.
    x : array_like, shape (n, d) or (n,)
        Training inputs.
    y : array_like, shape (n,)
        Training targets.
    n_steps : int
        Number of gradient steps >= 0.
    learning_rate : float
        :math:`\eta > 0`.

    Returns
    -------
    TrainResult
        ``params``: the trained :class:`Network`; ``history``: the loss
        :math:`\frac12\sum_i (f(x_i) - y_i)^2` before each step, shape (n_steps,).

    Example
    -------
    >>> net = random_network((1, 256, 1), sigma_w2=2.0, sigma_b2=0.1, seed=0)
    >>> x, y = np.linspace(-1, 1, 5), np.sin(np.linspace(-1, 1, 5))
    >>> float(np.abs(train_network(net, x, y, n_steps=2000, learning_rate=0.1).params(x[:, None])[:, 0] - y).max()) < 0.01
    True

    References
    ----------
    A. Jacot et al., NeurIPS (2018); J. Lee et al., NeurIPS (2019).
    """
    net = _check_network(network)
    xs = _inputs("x", x, np.float64)
    if xs.shape[1] != net.weights[0].shape[0]:
        raise ValueError(f"x must have input dimension {net.weights[0].shape[0]}, got {xs.shape[1]}")
    ys = check_array("y", y, ndim=1, dtype="float")
    if ys.shape[0] != xs.shape[0]:
        raise ValueError(f"y must have one target per input ({xs.shape[0]}), got {ys.shape[0]}")
    if net.weights[-1].shape[1] != 1:
        raise ValueError("network must have a single output for train_network")
    n_steps = check_int("n_steps", n_steps, minimum=0)
    learning_rate = check_positive("learning_rate", learning_rate)
    out, losses = _train(net, xs, jnp.asarray(ys), n_steps, learning_rate)
    return TrainResult(out, np.asarray(losses))


@functools.partial(jax.jit, static_argnums=(3,))
def _train(net, x, y, n_steps, learning_rate):
    rates_w = tuple(learning_rate * net.sigma_w2 / w.shape[0] for w in net.weights)
    rate_b = learning_rate * net.sigma_b2

    def loss(n):
        return 0.5 * jnp.sum((n(x)[:, 0] - y) ** 2)

    def step(n, _):
        value, g = jax.value_and_grad(loss)(n)
        return Network(tuple(w - r * gw for w, r, gw in zip(n.weights, rates_w, g.weights)),
                       tuple(b - rate_b * gb for b, gb in zip(n.biases, g.biases)),
                       n.activation, n.sigma_w2, n.sigma_b2), value

    return jax.lax.scan(step, net, None, length=n_steps)


# ----------------------------------------------------------------------------- NTK predictions

def ntk_predict(ntk_train, ntk_cross, y, t, *, f0_train=None, f0_test=None) -> jax.Array:
    r"""Prediction of an infinitely wide network trained by gradient flow for time ``t``.

    With loss :math:`\frac12\sum_i (f(x_i)-y_i)^2` the outputs obey
    :math:`\dot f = -\Theta\,(f - y)`, so (Jacot et al. 2018; Lee et al. 2019)

    .. math::

        f_t(x_*) = f_0(x_*) + \Theta_{*X}\,\Theta_{XX}^{-1}
                   \big(I - e^{-\Theta_{XX} t}\big)\big(y - f_0(X)\big),

    computed from the eigen-decomposition of :math:`\Theta_{XX}` (stable for small eigenvalues).
    At :math:`t\to\infty` it is kernel regression, :math:`\Theta_{*X}\Theta_{XX}^{-1}(y - f_0(X)) +
    f_0(x_*)`. Time is measured in units of the learning rate times steps.

    Parameters
    ----------
    ntk_train : array_like, shape (n, n)
        :math:`\Theta_{XX}`, symmetric positive definite.
    ntk_cross : array_like, shape (n_test, n)
        :math:`\Theta_{*X}`.
    y : array_like, shape (n,) or (n, k)
        Targets.
    t : float or array_like, shape (m,)
        Training time(s) >= 0; ``np.inf`` is allowed.
    f0_train : array_like, shape of ``y``, optional
        Outputs of the network at initialisation on the training inputs (default 0, the
        ensemble mean).
    f0_test : array_like, shape (n_test,) or (n_test, k), optional
        Outputs at initialisation on the test inputs (default 0).

    Returns
    -------
    jax.Array, shape (n_test,) / (n_test, k), with a leading (m,) if ``t`` is an array

    Example
    -------
    >>> x = np.linspace(-1, 1, 5)
    >>> T = ntk_kernel(x, depth=2, sigma_b2=0.1)
    >>> np.allclose(ntk_predict(T, T, np.sin(x), np.inf), np.sin(x))
    True

    References
    ----------
    A. Jacot et al., NeurIPS (2018); J. Lee et al., NeurIPS (2019), eq. (9).
    """
    T = check_array("ntk_train", ntk_train, ndim=2, dtype="float")
    n = T.shape[0]
    if T.shape != (n, n) or n == 0:
        raise ValueError(f"ntk_train must be a non-empty square matrix, got shape {T.shape}")
    if not np.allclose(T, T.T, rtol=1e-8, atol=1e-12 * max(float(np.abs(T).max()), 1e-300)):
        raise ValueError("ntk_train must be symmetric")
    Tx = check_array("ntk_cross", ntk_cross, ndim=2, dtype="float")
    if Tx.shape[1] != n:
        raise ValueError(f"ntk_cross must have shape (n_test, {n}), got {Tx.shape}")
    yy = check_array("y", y, dtype="float")
    if yy.ndim not in (1, 2) or yy.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) or ({n}, k), got {yy.shape}")
    tt = check_array("t", t, dtype="float", finite=False)
    if tt.ndim > 1 or np.any(np.isnan(tt)) or np.any(tt < 0):
        raise ValueError(f"t must be a time >= 0 (np.inf allowed) or a 1-D array of them, got {t!r}")
    f0 = jnp.zeros(yy.shape) if f0_train is None else check_array("f0_train", f0_train, dtype="float")
    if f0.shape != yy.shape:
        raise ValueError(f"f0_train must have the shape of y {yy.shape}, got {f0.shape}")
    out_shape = (Tx.shape[0],) + yy.shape[1:]
    g0 = jnp.zeros(out_shape) if f0_test is None else check_array("f0_test", f0_test, dtype="float")
    if g0.shape != out_shape:
        raise ValueError(f"f0_test must have shape {out_shape}, got {g0.shape}")
    lam, vec = np.linalg.eigh(T)
    if lam.min() <= 1e-12 * max(lam.max(), 1e-300) and np.any(np.isinf(tt)):
        raise ValueError("ntk_train is singular: the t = inf prediction (kernel regression) is undefined")
    out = _ntk_predict(jnp.asarray(lam), jnp.asarray(vec), jnp.asarray(Tx), jnp.asarray(yy - f0),
                       jnp.asarray(g0), jnp.atleast_1d(jnp.asarray(tt)))
    return out[0] if tt.ndim == 0 else out


@jax.jit
def _ntk_predict(lam, vec, Tx, r, g0, ts):
    lam = jnp.maximum(lam, 0.0)

    def at(t):
        # (1 - exp(-lam t)) / lam, with its limits t (lam -> 0) and 1/lam (t -> inf).
        finite_t = jnp.where(jnp.isinf(t), 0.0, t)
        safe = jnp.where(lam > 0, lam, 1.0)
        g = jnp.where(lam > 0, -jnp.expm1(-lam * finite_t) / safe, finite_t)
        g = jnp.where(jnp.isinf(t), jnp.where(lam > 0, 1.0 / safe, 0.0), g)
        coef = vec.T @ r
        coef = coef * (g if r.ndim == 1 else g[:, None])
        return g0 + Tx @ (vec @ coef)

    return jax.vmap(at)(ts)
