r"""Interpretability at a scale: superposition, feature geometry, sparse dictionaries, precision.

The toy model of superposition (Elhage et al. 2022) stores :math:`n` sparse features
:math:`x\in[0,1]^n` (each zero with probability :math:`S`, the *sparsity*, else uniform) in
:math:`m<n` hidden dimensions and reads them back as

.. math:: x' = \mathrm{ReLU}(W^\top W x + b),\qquad
          L = \mathbb E_x \sum_i I_i\,(x_i - x'_i)^2 ,

with :math:`W\in\mathbb R^{m\times n}` (column :math:`W_i` = the direction of feature :math:`i`),
:math:`b\in\mathbb R^n` and importances :math:`I_i`. Which arrangement of the columns minimises
:math:`L` changes abruptly with :math:`S` and :math:`I`: a first-order phase transition, decided
by comparing the losses ("free energies") of candidate solutions.

Contents
--------
- :class:`ToyModel` -- parameters ``W`` (..., m, n) and ``b`` (..., n) of toy models.
- :func:`sample_features` -- sparse uniform features, zero with probability ``sparsity``.
- :func:`toy_output` -- :math:`\mathrm{ReLU}(W^\top W x + b)` (jax).
- :func:`toy_loss` -- the importance-weighted squared error on a batch (jax).
- :func:`train_toy_models` -- many toy models trained at once (vmap, Adam).
- :func:`two_feature_loss` -- exact expected loss of any :math:`n=2, m=1` model (jax).
- :func:`two_feature_candidates` -- losses of the three :math:`n=2, m=1` phases.
- :func:`classify_two_feature` -- which phase a trained :math:`n=2, m=1` model is in.
- :func:`feature_dimensionality` -- :math:`D_i = \|W_i\|^2/\sum_j(\hat W_i\cdot W_j)^2` (jax).
- :func:`thomson_points` -- minimum-Coulomb-energy points on a sphere (the Thomson problem).
- :class:`SparseAutoencoder`, :func:`sae_encode`, :func:`sae_decode` -- a dictionary (jax).
- :func:`train_sae` -- sparse autoencoders with an L1 penalty, many settings at once.
- :func:`sae_metrics` -- recovered fraction of true features, reconstruction error, L0.
- :class:`PrecisionLadder`, :func:`precision_ladder` -- a trained network against the
  infinite-width kernel predictor and its :math:`1/N` correction, order by order.

References
----------
N. Elhage et al., "Toy Models of Superposition", Transformer Circuits Thread (2022).
T. Bricken et al., "Towards Monosemanticity", Transformer Circuits Thread (2023).
H. Cunningham, A. Ewart, L. Riggs, R. Huben and L. Sharkey, "Sparse Autoencoders Find Highly
Interpretable Features in Language Models", arXiv:2309.08600 (2023).
J. J. Thomson, Phil. Mag. 7, 237 (1904).
D. A. Roberts, S. Yaida and B. Hanin, *The Principles of Deep Learning Theory* (2022).
"""
from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import finite_width as _fw
from ._results import TrainResult
from ._validate import (check_array, check_choice, check_int, check_positive, check_real,
                        check_shape, is_tracer)
from .random import Seed, as_generator, as_key
from .stats import Estimate, jackknife

__all__ = [
    "ToyModel",
    "PHASES",
    "sample_features",
    "toy_output",
    "toy_loss",
    "train_toy_models",
    "two_feature_loss",
    "two_feature_candidates",
    "classify_two_feature",
    "feature_dimensionality",
    "thomson_points",
    "SparseAutoencoder",
    "sae_encode",
    "sae_decode",
    "train_sae",
    "SAEMetrics",
    "sae_metrics",
    "PrecisionLadder",
    "precision_ladder",
]

#: Phases of the :math:`n=2, m=1` toy model, in the order of :func:`two_feature_candidates`.
PHASES = ("feature 1 only", "feature 2 only", "superposition")


class ToyModel(NamedTuple):
    """Parameters of toy models of superposition (batch dimensions lead)."""

    #: Feature directions, one column per feature. (array, shape ``(..., m, n)``)
    W: Any
    #: Output biases. (array, shape ``(..., n)``)
    b: Any


def _adam(learning_rate, n_steps):
    import optax
    return optax.adam(optax.cosine_decay_schedule(learning_rate, n_steps, alpha=0.05))


def _sparsity(name, value, *, allow_one=False):
    arr = check_array(name, value, dtype="float")
    top = 1.0 if allow_one else np.nextafter(1.0, 0.0)
    if not is_tracer(arr) and np.any((arr < 0) | (arr > top)):
        allowed = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{name} must lie in {allowed} (probability that a feature is zero), "
                         f"got values in [{arr.min()}, {arr.max()}]")
    return arr


def _toy_params(params):
    if not isinstance(params, ToyModel):
        raise TypeError(f"params must be a ToyModel, got {type(params).__name__}")
    W = check_array("params.W", params.W, min_ndim=2)
    b = check_array("params.b", params.b, min_ndim=1)
    if b.shape[-1] != W.shape[-1]:
        raise ValueError(f"params.b must have one bias per feature ({W.shape[-1]}), "
                         f"got shape {b.shape}")
    return jnp.asarray(W), jnp.asarray(b)


# --------------------------------------------------------------------------- #
# the toy model
# --------------------------------------------------------------------------- #
def sample_features(shape, sparsity, *, seed: Seed = None) -> np.ndarray:
    r"""Sparse features: each entry is 0 with probability ``sparsity``, else uniform on [0, 1].

    .. math:: x_i = \xi_i u_i,\qquad \xi_i\sim\mathrm{Bernoulli}(1-S),\ u_i\sim U[0,1].

    Parameters
    ----------
    shape : int or tuple of int
        Output shape, features along the last axis.
    sparsity : float or array_like
        :math:`S\in[0,1]`, broadcastable to ``shape``.
    seed : int, Generator or JAX key

    Returns
    -------
    numpy.ndarray of ``shape``

    Example
    -------
    >>> x = sample_features((1000, 3), 0.9, seed=0)
    >>> x.shape, bool(0.05 < (x > 0).mean() < 0.15)
    ((1000, 3), True)
    """
    shape = check_shape("shape", shape)
    S = _sparsity("sparsity", sparsity, allow_one=True)
    try:
        np.broadcast_to(S, shape)
    except ValueError:
        raise ValueError(f"sparsity of shape {S.shape} does not broadcast to shape {shape}") from None
    rng = as_generator(seed)
    u = rng.random(shape)
    return np.where(rng.random(shape) >= S, u, 0.0)


def toy_output(params: ToyModel, x) -> jax.Array:
    r"""The toy model's reconstruction :math:`x' = \mathrm{ReLU}(W^\top W x + b)`.

    Parameters
    ----------
    params : ToyModel
        ``W`` (..., m, n), ``b`` (..., n); leading model dimensions broadcast with ``x``'s.
    x : array_like, shape (..., n_samples, n)

    Returns
    -------
    jax.Array, shape (..., n_samples, n)

    Example
    -------
    >>> p = ToyModel(jnp.array([[1.0, -1.0]]), jnp.zeros(2))
    >>> np.asarray(toy_output(p, jnp.array([[0.5, 0.0]]))).tolist()
    [[0.5, 0.0]]

    References
    ----------
    N. Elhage et al., Transformer Circuits Thread (2022), eq. for the ReLU output model.
    """
    W, b = _toy_params(params)
    x = check_array("x", x, min_ndim=2)
    if x.shape[-1] != W.shape[-1]:
        raise ValueError(f"x must have {W.shape[-1]} features on its last axis, got shape {x.shape}")
    return _forward(W, b, jnp.asarray(x))


def _forward(W, b, x):
    h = jnp.matmul(x, jnp.swapaxes(W, -1, -2))
    return jax.nn.relu(jnp.matmul(h, W) + b[..., None, :])


def toy_loss(params: ToyModel, x, importance) -> jax.Array:
    r"""Importance-weighted squared error on a batch, :math:`\frac1B\sum_x\sum_i I_i(x_i-x'_i)^2`.

    Parameters
    ----------
    params : ToyModel
    x : array_like, shape (..., n_samples, n)
    importance : array_like, shape (..., n)

    Returns
    -------
    jax.Array, shape (...): one loss per model.

    Example
    -------
    >>> p = ToyModel(jnp.array([[1.0, 0.0]]), jnp.zeros(2))
    >>> float(toy_loss(p, jnp.array([[0.5, 0.5]]), jnp.array([1.0, 2.0])))
    0.5
    """
    W, b = _toy_params(params)
    x = check_array("x", x, min_ndim=2)
    imp = check_array("importance", importance, min_ndim=1)
    if x.shape[-1] != W.shape[-1] or imp.shape[-1] != W.shape[-1]:
        raise ValueError(f"x and importance must have {W.shape[-1]} features on the last axis, "
                         f"got {x.shape} and {imp.shape}")
    return _loss(W, b, jnp.asarray(x), jnp.asarray(imp))


def _loss(W, b, x, imp):
    err = (x - _forward(W, b, x)) ** 2
    return jnp.mean(jnp.sum(imp[..., None, :] * err, axis=-1), axis=-1)


@partial(jax.jit, static_argnames=("n_steps", "batch_size", "n_record"))
def _train_toy(W, b, S, imp, key, learning_rate, *, n_steps, batch_size, n_record):
    opt = _adam(learning_rate, n_steps)
    n = W.shape[-1]
    dtype = W.dtype

    def batch_loss(p, u, keep):
        # common random numbers: every model sees the same uniforms, thresholded at its S
        x = jnp.where(keep >= S[:, None, :], u, 0.0)
        losses = _loss(p[0], p[1], x, imp)
        return jnp.sum(losses), losses

    def step(carry, k):
        p, state = carry
        ku, kc = jax.random.split(k)
        u = jax.random.uniform(ku, (batch_size, n), dtype)
        keep = jax.random.uniform(kc, (batch_size, n), dtype)
        (_, loss), g = jax.value_and_grad(batch_loss, has_aux=True)(p, u, keep)
        upd, state = opt.update(g, state, p)
        return (jax.tree_util.tree_map(jnp.add, p, upd), state), loss

    def chunk(carry, keys):
        carry, losses = jax.lax.scan(step, carry, keys)
        return carry, losses.mean(axis=0)

    p0 = (W, b)
    keys = jax.random.split(key, n_steps).reshape(n_record, n_steps // n_record, -1)
    (p, _), hist = jax.lax.scan(chunk, (p0, opt.init(p0)), keys)
    return p, hist


def train_toy_models(sparsity, importance, n_hidden: int, *, learning_rate: float = 0.01,
                     n_steps: int = 2000, batch_size: int = 256, init_scale: float | None = None,
                     seed: Seed = None) -> TrainResult:
    r"""Train many toy models of superposition at once (one per entry of ``sparsity``).

    Each model minimises :math:`L = \mathbb E_x\sum_i I_i(x_i - \mathrm{ReLU}(W^\top Wx+b)_i)^2`
    with Adam (cosine-decayed learning rate) on fresh batches of :func:`sample_features`. The
    models share the uniform random numbers of each batch (common random numbers; each model
    zeroes them at its own sparsity), and are vectorised, so a grid of hundreds of small models
    costs about as much as one large one. Initialisation: :math:`W_{ki}\sim\mathcal N(0,
    s^2)` with :math:`s^2 = 2/(m+n)` (Glorot) unless ``init_scale`` = :math:`s` is given,
    :math:`b=0`, independently for every model.

    Parameters
    ----------
    sparsity : array_like, shape (...) or (..., n)
        :math:`S\in[0,1]` of each model, or of each feature of each model (give it the
        trailing feature axis; :math:`S_i = 1` makes feature :math:`i` absent, which pads
        models with fewer features into one batch).
    importance : array_like, shape (..., n)
        Importances :math:`I_i > 0`, broadcast against ``sparsity``.
    n_hidden : int
        :math:`m`.
    learning_rate, n_steps, batch_size : Adam's peak rate, the steps, samples per step.
    init_scale : float, optional
    seed : int, Generator or JAX key

    Returns
    -------
    TrainResult
        ``params``: :class:`ToyModel` with ``W`` (..., m, n) and ``b`` (..., n) (numpy);
        ``history``: mean batch loss in 50 equal chunks of the run, shape (50, ...) (numpy;
        fewer chunks when ``n_steps`` < 50).

    Example
    -------
    >>> params, hist = train_toy_models([0.0, 0.9], [1.0, 1.0, 1.0], 2, n_steps=50, seed=0)
    >>> params.W.shape, hist.shape
    ((2, 2, 3), (50, 2))

    References
    ----------
    N. Elhage et al., "Toy Models of Superposition", Transformer Circuits Thread (2022).
    """
    S = _sparsity("sparsity", sparsity, allow_one=True)
    imp = check_array("importance", importance, min_ndim=1, dtype="float")
    if np.any(imp <= 0):
        raise ValueError(f"importance must be positive, got minimum {imp.min()}")
    m = check_int("n_hidden", n_hidden, minimum=1)
    n = imp.shape[-1]
    per_feature = S.ndim == imp.ndim and S.shape[-1] == n
    lr = check_positive("learning_rate", learning_rate)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    scale = np.sqrt(2.0 / (m + n)) if init_scale is None else check_positive("init_scale", init_scale)
    try:
        shape = np.broadcast_shapes(S.shape[:-1] if per_feature else S.shape, imp.shape[:-1])
    except ValueError:
        raise ValueError(f"sparsity {S.shape} and importance {imp.shape} (leading dimensions) "
                         f"do not broadcast") from None
    n_models = int(np.prod(shape))
    n_record = 50 if n_steps >= 50 and n_steps % 50 == 0 else next(
        r for r in range(min(50, n_steps), 0, -1) if n_steps % r == 0)
    key = as_key(seed)
    k_init, k_train = jax.random.split(key)
    dtype = jnp.float32
    W0 = scale * jax.random.normal(k_init, (n_models, m, n), dtype)
    b0 = jnp.zeros((n_models, n), dtype)
    S_full = S if per_feature else S[..., None]
    S_flat = jnp.asarray(np.broadcast_to(S_full, shape + (n,)).reshape(-1, n), dtype)
    imp_flat = jnp.asarray(np.broadcast_to(imp, shape + (n,)).reshape(-1, n), dtype)
    (W, b), hist = _train_toy(W0, b0, S_flat, imp_flat, k_train, lr, n_steps=n_steps,
                              batch_size=batch_size, n_record=n_record)
    params = ToyModel(np.asarray(W, float).reshape(shape + (m, n)),
                      np.asarray(b, float).reshape(shape + (n,)))
    return TrainResult(params, np.asarray(hist, float).reshape((n_record,) + shape))


# --------------------------------------------------------------------------- #
# n = 2 features in m = 1 dimension: exact losses and the phase diagram
# --------------------------------------------------------------------------- #
_GL_X, _GL_W = (0.5 * (np.polynomial.legendre.leggauss(6)[0] + 1),
                0.5 * np.polynomial.legendre.leggauss(6)[1])


def _panels(f, lo, hi, cuts):
    """Integral of f over [lo, hi], split at the (clipped, sorted) cut points, 6-point G-L each."""
    cuts = [jnp.clip(c, lo, hi) for c in cuts]
    if len(cuts) == 2:                       # sorted without jnp.sort (cheaper to differentiate)
        cuts = [jnp.minimum(*cuts), jnp.maximum(*cuts)]
    pts = jnp.stack(cuts, axis=-1)
    edges = jnp.concatenate([jnp.full(pts.shape[:-1] + (1,), lo, pts.dtype), pts,
                             jnp.full(pts.shape[:-1] + (1,), hi, pts.dtype)], axis=-1)
    a, w = edges[..., :-1, None], (edges[..., 1:] - edges[..., :-1])[..., None]
    s = a + w * _GL_X
    return jnp.sum(w * _GL_W * f(s), axis=(-2, -1))


def _safe_div(num, den):
    ok = den != 0
    return jnp.where(ok, num / jnp.where(ok, den, 1.0), 0.0)


def _j2(alpha, gamma, beta):
    r""":math:`\int_0^1\!\int_0^1 (s-\mathrm{ReLU}(\alpha s+\gamma t+\beta))^2\,ds\,dt`, exactly.

    For fixed s the positive part of the linear function of t is an interval, on which the
    quadratic integrand is integrated exactly by a 2-point Gauss-Legendre rule; the result is a
    polynomial in s between the points where that interval's ends cross t = 0 or t = 1, so the
    outer 6-point rule on those panels is exact too.
    """
    a, g, c = (x[..., None, None] for x in (alpha, gamma, beta))
    x2 = 0.5 * (np.array([-1.0, 1.0]) / np.sqrt(3.0) + 1.0)     # 2-point Gauss-Legendre on [0, 1]

    def inner(s):
        A = a * s + c
        root = _safe_div(-A, g)
        lo = jnp.where(g > 0, jnp.clip(root, 0, 1), 0.0)
        hi = jnp.where(g < 0, jnp.clip(root, 0, 1), jnp.where((g == 0) & (A <= 0), 0.0, 1.0))
        length = jnp.maximum(hi - lo, 0.0)[..., None]
        ell = (A + g * lo)[..., None] + g[..., None] * x2 * length
        return s ** 2 + 0.5 * jnp.sum(length * (ell ** 2 - 2 * s[..., None] * ell), axis=-1)

    cuts = [_safe_div(-beta, alpha), _safe_div(-(gamma + beta), alpha)]
    return _panels(inner, 0.0, 1.0, cuts)


def _j1(alpha, beta, own):
    r""":math:`\int_0^1 (\mathrm{own}\cdot s-\mathrm{ReLU}(\alpha s+\beta))^2 ds` (exact, split at the kink)."""
    a, c = (x[..., None, None] for x in (alpha, beta))
    return _panels(lambda s: (own * s - jax.nn.relu(a * s + c)) ** 2, 0.0, 1.0,
                   [_safe_div(-beta, alpha)])


def _two_feature_loss(w, b, S, imp):
    # both outputs at once (last axis i = 1, 2): x'_i = ReLU(w_i^2 x_i + w_i w_j x_j + b_i)
    alpha, gamma = w * w, w * w[..., ::-1]
    S = jnp.asarray(S)[..., None]
    loss_i = (S ** 2 * jax.nn.relu(b) ** 2
              + S * (1 - S) * (_j1(alpha, b, 1.0) + _j1(gamma, b, 0.0))
              + (1 - S) ** 2 * _j2(alpha, gamma, b))
    return jnp.sum(imp * loss_i, axis=-1)


_two_feature_loss_jit = jax.jit(_two_feature_loss)


def two_feature_loss(params: ToyModel, sparsity, importance) -> jax.Array:
    r"""Exact expected loss of a toy model with :math:`n=2` features and :math:`m=1` dimension.

    With :math:`W=(w_1, w_2)` the outputs are :math:`x'_i=\mathrm{ReLU}(w_i^2x_i+w_iw_jx_j+b_i)`,
    and averaging over which features are active,

    .. math::

        L = \sum_i I_i\Big[S^2\,\mathrm{ReLU}(b_i)^2 + S(1-S)\big(J_1(w_i^2, b_i) +
        K_1(w_iw_j, b_i)\big) + (1-S)^2 J_2(w_i^2, w_iw_j, b_i)\Big]

    with :math:`J_1 = \int_0^1 (s-\mathrm{ReLU}(\alpha s+\beta))^2ds`, :math:`K_1 = \int_0^1
    \mathrm{ReLU}(\gamma t+\beta)^2dt` and :math:`J_2 = \int\!\!\int_{[0,1]^2}(s-\mathrm{ReLU}
    (\alpha s+\gamma t+\beta))^2 ds\,dt`. The integrands are piecewise polynomials; Gauss-Legendre
    rules on the pieces integrate them exactly, so the result is exact to rounding (and smooth in
    the parameters, for minimisation).

    Parameters
    ----------
    params : ToyModel
        ``W`` (..., 1, 2) and ``b`` (..., 2).
    sparsity : float or array_like, shape (...)
    importance : array_like, shape (..., 2)

    Returns
    -------
    jax.Array, shape (...)

    Example
    -------
    >>> p = ToyModel(jnp.array([[1.0, 0.0]]), jnp.array([0.0, 0.0]))
    >>> round(float(two_feature_loss(p, 0.0, jnp.array([1.0, 1.0]))), 12)   # E x_2^2 = 1/3
    0.333333333333

    References
    ----------
    N. Elhage et al., "Toy Models of Superposition", Transformer Circuits Thread (2022), section
    "The phase change".
    """
    W, b = _toy_params(params)
    if W.shape[-2:] != (1, 2) or b.shape[-1] != 2:
        raise ValueError(f"params must be n = 2, m = 1 models: W (..., 1, 2), b (..., 2); got W "
                         f"{W.shape} and b {b.shape}")
    S = jnp.asarray(_sparsity("sparsity", sparsity))
    imp = jnp.asarray(check_array("importance", importance, min_ndim=1))
    if imp.shape[-1] != 2:
        raise ValueError(f"importance must have 2 entries on its last axis, got shape {imp.shape}")
    return _two_feature_loss_jit(W[..., 0, :], b, S, imp)


@partial(jax.jit, static_argnames=("n_steps",))
def _fit_antipodal(S, r, learning_rate, *, n_steps):
    """Minimise the exact loss over W = (e^p, -e^q), b free, for every (S, r) at once."""
    imp = jnp.stack([jnp.ones_like(r), r], axis=-1)
    theta0 = jnp.zeros(S.shape + (4,))
    opt = _adam(learning_rate, n_steps)

    def loss(th):
        w = jnp.stack([jnp.exp(th[..., 0]), -jnp.exp(th[..., 1])], axis=-1)
        return _two_feature_loss(w, th[..., 2:], S, imp)

    def step(carry, _):
        th, state = carry
        g = jax.grad(lambda t: jnp.sum(loss(t)))(th)
        upd, state = opt.update(g, state, th)
        return (th + upd, state), None

    (theta, _), _ = jax.lax.scan(step, (theta0, opt.init(theta0)), None, length=n_steps)
    return loss(theta), theta


def two_feature_candidates(sparsity, relative_importance, *, n_steps: int = 1500,
                           learning_rate: float = 0.05) -> np.ndarray:
    r"""Losses of the three candidate solutions of the :math:`n=2, m=1` toy model.

    Importances :math:`I = (1, r)`, a feature's variance :math:`\mathrm{Var}\,x_i =
    (1-S)/3-(1-S)^2/4`.

    0. *feature 1 only* (dedicated dimension, feature 2 dropped): :math:`W=(1,0)`,
       :math:`b=(0,\mathbb E x_2)`, exact loss :math:`r\,\mathrm{Var}\,x_2`;
    1. *feature 2 only*: loss :math:`\mathrm{Var}\,x_1`;
    2. *superposition*: antipodal :math:`W=(w_1,-w_2)`, :math:`w_1,w_2>0`, loss
       :func:`two_feature_loss` minimised over :math:`w_1, w_2, b_1, b_2` (Adam on the exact
       loss, from :math:`W=(1,-1)`, :math:`b=0`).

    The phase is the candidate of lowest loss (the comparison of free energies); where the
    superposed solution flows to a dropped feature its loss approaches the dedicated one from
    above, so the comparison stays unambiguous.

    Parameters
    ----------
    sparsity : array_like, shape (...)
    relative_importance : array_like, shape (...)
        :math:`r = I_2/I_1 > 0`, broadcast against ``sparsity``.
    n_steps, learning_rate : int, float
        Adam steps and peak rate of the minimisation of the superposed candidate.

    Returns
    -------
    numpy.ndarray, shape (..., 3)
        Losses in the order of :data:`PHASES`.

    Example
    -------
    >>> L = two_feature_candidates([0.0, 0.95], 0.5)
    >>> [PHASES[k] for k in L.argmin(-1)]
    ['feature 1 only', 'superposition']
    """
    S = _sparsity("sparsity", sparsity)
    r = check_array("relative_importance", relative_importance, dtype="float")
    if np.any(r <= 0):
        raise ValueError("relative_importance must be positive")
    n_steps = check_int("n_steps", n_steps, minimum=1)
    lr = check_positive("learning_rate", learning_rate)
    S, r = np.broadcast_arrays(S, r)
    var = (1 - S) / 3 - (1 - S) ** 2 / 4
    sup, _ = _fit_antipodal(jnp.asarray(S, float), jnp.asarray(r, float), lr, n_steps=n_steps)
    return np.stack([r * var, var, np.asarray(sup)], axis=-1)


def classify_two_feature(W, *, threshold: float = 0.3) -> np.ndarray:
    r"""Phase of trained :math:`n=2, m=1` models, as an index into :data:`PHASES` (or 3).

    A feature counts as dropped when its weight is below ``threshold`` times the other's:
    0 if only :math:`w_1` survives, 1 if only :math:`w_2`, 2 if both survive with opposite signs
    (antipodal superposition), 3 otherwise (both with one sign, or both zero: no candidate).

    Parameters
    ----------
    W : array_like, shape (..., 1, 2)
    threshold : float in (0, 1)

    Returns
    -------
    numpy.ndarray of int, shape (...)

    Example
    -------
    >>> classify_two_feature([[[1.0, 0.01]], [[0.9, -1.1]]]).tolist()
    [0, 2]
    """
    W = check_array("W", W, min_ndim=2, dtype="float")
    if W.shape[-2:] != (1, 2):
        raise ValueError(f"W must have shape (..., 1, 2), got {W.shape}")
    threshold = check_real("threshold", threshold, low=0.0, high=1.0, low_inclusive=False,
                           high_inclusive=False)
    a1, a2 = np.abs(W[..., 0, 0]), np.abs(W[..., 0, 1])
    big = np.maximum(a1, a2)
    keep1, keep2 = a1 > threshold * big, a2 > threshold * big
    opposite = W[..., 0, 0] * W[..., 0, 1] < 0
    out = np.full(a1.shape, 3, dtype=int)
    out[keep1 & ~keep2] = 0
    out[keep2 & ~keep1] = 1
    out[keep1 & keep2 & opposite] = 2
    out[big == 0] = 3
    return out


# --------------------------------------------------------------------------- #
# geometry
# --------------------------------------------------------------------------- #
def feature_dimensionality(W) -> jax.Array:
    r"""Fractional dimensionality of each feature, :math:`D_i = \|W_i\|^2/\sum_j(\hat W_i\cdot W_j)^2`.

    :math:`W_i` is column :math:`i` of :math:`W` (the direction of feature :math:`i` in the
    hidden space) and :math:`\hat W_i = W_i/\|W_i\|`. :math:`D_i = 1` for a feature with a
    dimension of its own, :math:`1/2` for an antipodal pair, :math:`2/k` for the vertices of a
    regular :math:`k`-gon (:math:`k\ge3`) and :math:`3/4` for a tetrahedron; summed over the
    features of a complete set of such shapes they count the dimensions used. Convention: a zero
    column has :math:`D_i = 0` (a dropped feature occupies no dimension).

    Parameters
    ----------
    W : array_like, shape (..., m, n)

    Returns
    -------
    jax.Array, shape (..., n)

    Example
    -------
    >>> angles = 2 * np.pi * np.arange(5) / 5
    >>> D = feature_dimensionality(np.stack([np.cos(angles), np.sin(angles)]))
    >>> np.round(np.asarray(D), 12).tolist()
    [0.4, 0.4, 0.4, 0.4, 0.4]

    References
    ----------
    N. Elhage et al., "Toy Models of Superposition", Transformer Circuits Thread (2022), section
    "Feature dimensionality".
    """
    W = jnp.asarray(check_array("W", W, min_ndim=2))
    norm2 = jnp.sum(W * W, axis=-2)                                    # (..., n)
    overlap = jnp.matmul(jnp.swapaxes(W, -1, -2), W)                   # W_i . W_j
    denom = jnp.sum(overlap ** 2, axis=-1)                            # |W_i|^2 sum_j (W^_i.W_j)^2
    ok = norm2 > 0
    return jnp.where(ok, norm2 ** 2 / jnp.where(ok, denom, 1.0), 0.0)


@partial(jax.jit, static_argnames=("n_steps",))
def _thomson(x, learning_rate, *, n_steps):
    n = x.shape[-2]
    eye = jnp.eye(n, dtype=bool)

    def energy(u):
        d2 = jnp.sum((u[..., :, None, :] - u[..., None, :, :]) ** 2, axis=-1)
        return jnp.sum(jnp.where(eye, 0.0, 0.5 / jnp.sqrt(jnp.where(eye, 1.0, d2))))

    def step(u, _):
        g = jax.grad(energy)(u)
        g = g - jnp.sum(g * u, axis=-1, keepdims=True) * u          # tangent to the sphere
        u = u - learning_rate * g
        return u / jnp.linalg.norm(u, axis=-1, keepdims=True), None

    u0 = x / jnp.linalg.norm(x, axis=-1, keepdims=True)
    u, _ = jax.lax.scan(step, u0, None, length=n_steps)
    return u, energy(u)


def thomson_points(n_points: int, dim: int, *, n_steps: int = 2000, learning_rate: float = 0.01,
                   seed: Seed = None) -> np.ndarray:
    r"""Points on the unit sphere :math:`S^{\mathrm{dim}-1}` of least Coulomb energy (Thomson problem).

    Minimises :math:`E = \sum_{i<j} 1/\|u_i-u_j\|` over unit vectors :math:`u_i` by gradient
    descent on the sphere (the gradient projected on the tangent space, a step of
    ``learning_rate``, then renormalised), from a Gaussian random start.
    The minima are the regular :math:`k`-gon on the circle, and on the 2-sphere the antipodal
    pair, triangle, tetrahedron, triangular bipyramid, octahedron, ... (Thomson 1904).

    Parameters
    ----------
    n_points : int
        :math:`\ge 2`.
    dim : int
        Embedding dimension, :math:`\ge 2`.
    n_steps, learning_rate : gradient steps and step size.
    seed : int, Generator or JAX key

    Returns
    -------
    numpy.ndarray, shape (n_points, dim)
        Unit vectors.

    Example
    -------
    >>> u = thomson_points(4, 3, seed=0)
    >>> round(float((u @ u.T)[0, 1]), 4)   # a tetrahedron: cos = -1/3
    -0.3333

    References
    ----------
    J. J. Thomson, Phil. Mag. 7, 237 (1904).
    """
    n_points = check_int("n_points", n_points, minimum=2)
    dim = check_int("dim", dim, minimum=2)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    lr = check_positive("learning_rate", learning_rate)
    x0 = jax.random.normal(as_key(seed), (n_points, dim))
    x, _ = _thomson(x0, lr, n_steps=n_steps)
    return np.asarray(x)


# --------------------------------------------------------------------------- #
# sparse autoencoders (dictionary learning)
# --------------------------------------------------------------------------- #
class SparseAutoencoder(NamedTuple):
    """A sparse autoencoder (dictionary) over activations of dimension m; batch dimensions lead."""

    #: Encoder weights. (array, shape ``(..., K, m)``)
    W_enc: Any
    #: Encoder biases. (array, shape ``(..., K)``)
    b_enc: Any
    #: Dictionary: unit-norm atoms as columns. (array, shape ``(..., m, K)``)
    W_dec: Any
    #: Decoder bias (subtracted before encoding). (array, shape ``(..., m)``)
    b_dec: Any
    #: 1 for atoms in use, 0 for padding (dictionaries of several sizes in one batch). (``(..., K)``)
    mask: Any


def _check_sae(params):
    if not isinstance(params, SparseAutoencoder):
        raise TypeError(f"params must be a SparseAutoencoder, got {type(params).__name__}")
    return SparseAutoencoder(*(jnp.asarray(a) for a in params))


def _encode(p, h):
    pre = jnp.matmul(h - p.b_dec[..., None, :], jnp.swapaxes(p.W_enc, -1, -2)) + p.b_enc[..., None, :]
    return jax.nn.relu(pre) * p.mask[..., None, :]


def _decode(p, f):
    return jnp.matmul(f, jnp.swapaxes(p.W_dec, -1, -2)) + p.b_dec[..., None, :]


def sae_encode(params: SparseAutoencoder, h) -> jax.Array:
    r"""Dictionary coefficients :math:`f = \mathrm{ReLU}(W_\mathrm{enc}(h-b_\mathrm{dec})+b_\mathrm{enc})`.

    Parameters
    ----------
    params : SparseAutoencoder
    h : array_like, shape (..., n_samples, m)

    Returns
    -------
    jax.Array, shape (..., n_samples, K)

    Example
    -------
    >>> p = SparseAutoencoder(jnp.eye(2), jnp.zeros(2), jnp.eye(2), jnp.zeros(2), jnp.ones(2))
    >>> np.asarray(sae_encode(p, jnp.array([[1.0, -1.0]]))).tolist()
    [[1.0, 0.0]]

    References
    ----------
    T. Bricken et al., "Towards Monosemanticity", Transformer Circuits Thread (2023).
    """
    p = _check_sae(params)
    h = check_array("h", h, min_ndim=2)
    if h.shape[-1] != p.W_enc.shape[-1]:
        raise ValueError(f"h must have {p.W_enc.shape[-1]} dimensions on its last axis, got {h.shape}")
    return _encode(p, jnp.asarray(h))


def sae_decode(params: SparseAutoencoder, f) -> jax.Array:
    r"""Reconstruction :math:`\hat h = W_\mathrm{dec} f + b_\mathrm{dec}` from coefficients ``f``.

    Parameters
    ----------
    params : SparseAutoencoder
    f : array_like, shape (..., n_samples, K)

    Returns
    -------
    jax.Array, shape (..., n_samples, m)

    Example
    -------
    >>> p = SparseAutoencoder(jnp.eye(2), jnp.zeros(2), jnp.eye(2), jnp.zeros(2), jnp.ones(2))
    >>> np.asarray(sae_decode(p, jnp.array([[1.0, 0.0]]))).tolist()
    [[1.0, 0.0]]
    """
    p = _check_sae(params)
    f = check_array("f", f, min_ndim=2)
    if f.shape[-1] != p.W_dec.shape[-1]:
        raise ValueError(f"f must have {p.W_dec.shape[-1]} atoms on its last axis, got {f.shape}")
    return _decode(p, jnp.asarray(f))


@partial(jax.jit, static_argnames=("n_steps", "batch_size", "n_record"))
def _train_sae(p0, h, l1, key, learning_rate, *, n_steps, batch_size, n_record):
    opt = _adam(learning_rate, n_steps)

    def losses(p, hb):
        f = _encode(p, hb)
        mse = jnp.mean(jnp.sum((_decode(p, f) - hb) ** 2, axis=-1), axis=-1)
        return mse + l1 * jnp.mean(jnp.sum(f, axis=-1), axis=-1)

    def step(carry, k):
        p, state = carry
        hb = h[jax.random.randint(k, (batch_size,), 0, h.shape[0])]
        (_, loss), g = jax.value_and_grad(lambda q: (jnp.sum(losses(q, hb)), losses(q, hb)),
                                          has_aux=True)(p)
        upd, state = opt.update(g, state, p)
        p = jax.tree_util.tree_map(jnp.add, p, upd)
        # atoms stay unit vectors, so the L1 penalty cannot be dodged by shrinking f
        Wd = p.W_dec / jnp.linalg.norm(p.W_dec, axis=-2, keepdims=True)
        return (p._replace(W_dec=Wd, mask=carry[0].mask), state), loss

    def chunk(carry, keys):
        carry, loss = jax.lax.scan(step, carry, keys)
        return carry, loss.mean(axis=0)

    keys = jax.random.split(key, n_steps).reshape(n_record, n_steps // n_record, -1)
    (p, _), hist = jax.lax.scan(chunk, (p0, opt.init(p0)), keys)
    return p, hist


def train_sae(activations, n_atoms, l1, *, learning_rate: float = 0.01, n_steps: int = 2000,
              batch_size: int = 256, seed: Seed = None) -> TrainResult:
    r"""Train sparse autoencoders (dictionary learning with an L1 penalty), many settings at once.

    For activations :math:`h\in\mathbb R^m` the dictionary of :math:`K` unit atoms minimises

    .. math:: \mathcal L = \mathbb E_h\Big[\|h - W_\mathrm{dec}f - b_\mathrm{dec}\|^2 +
              \lambda\sum_k f_k\Big],\qquad f = \mathrm{ReLU}(W_\mathrm{enc}(h-b_\mathrm{dec})
              +b_\mathrm{enc}),

    with Adam on random minibatches and the atoms renormalised after every step. ``n_atoms`` and
    ``l1`` broadcast to a batch of settings trained together (vmap); dictionaries smaller than
    the largest are padded with masked atoms. Initialisation: random unit atoms,
    :math:`W_\mathrm{enc}=W_\mathrm{dec}^\top`, :math:`b_\mathrm{dec}` = the mean activation.

    Parameters
    ----------
    activations : array_like, shape (n_samples, m)
    n_atoms : int or array_like of int
        Dictionary sizes :math:`K\ge1`.
    l1 : float or array_like
        L1 strengths :math:`\lambda\ge0`.
    learning_rate, n_steps, batch_size : Adam's peak rate, steps, samples per step.
    seed : int, Generator or JAX key

    Returns
    -------
    TrainResult
        ``params``: :class:`SparseAutoencoder` with batch shape = broadcast shape of ``n_atoms``
        and ``l1`` and :math:`K` = max ``n_atoms`` (numpy); ``history``: mean loss in 50 chunks
        of the run, shape (50, ...).

    Example
    -------
    >>> h = np.random.default_rng(0).normal(size=(200, 3))
    >>> params, hist = train_sae(h, [4, 6], 0.1, n_steps=50, seed=0)
    >>> params.W_dec.shape, hist.shape
    ((2, 3, 6), (50, 2))

    References
    ----------
    T. Bricken et al., "Towards Monosemanticity", Transformer Circuits Thread (2023);
    H. Cunningham et al., arXiv:2309.08600 (2023).
    """
    h = check_array("activations", activations, ndim=2, dtype="float")
    K = check_array("n_atoms", n_atoms, dtype="int")
    if np.any(K < 1):
        raise ValueError(f"n_atoms must be positive integers, got minimum {K.min()}")
    lam = check_array("l1", l1, dtype="float")
    if np.any(lam < 0):
        raise ValueError(f"l1 must be non-negative, got minimum {lam.min()}")
    lr = check_positive("learning_rate", learning_rate)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    shape = np.broadcast_shapes(K.shape, lam.shape)
    K_b, lam_b = (np.broadcast_to(a, shape).reshape(-1) for a in (K, lam))
    n_cfg, k_max, m = K_b.size, int(K_b.max()), h.shape[1]
    n_record = 50 if n_steps >= 50 and n_steps % 50 == 0 else next(
        r for r in range(min(50, n_steps), 0, -1) if n_steps % r == 0)
    key_init, key_train = jax.random.split(as_key(seed))
    dtype = jnp.float32
    Wd = jax.random.normal(key_init, (n_cfg, m, k_max), dtype)
    Wd = Wd / jnp.linalg.norm(Wd, axis=-2, keepdims=True)
    mask = jnp.asarray(np.arange(k_max)[None, :] < K_b[:, None], dtype)
    p0 = SparseAutoencoder(jnp.swapaxes(Wd, -1, -2), jnp.zeros((n_cfg, k_max), dtype), Wd,
                           jnp.broadcast_to(jnp.asarray(h.mean(0), dtype), (n_cfg, m)), mask)
    p, hist = jax.vmap(
        lambda q, lam_i: _train_sae(q, jnp.asarray(h, dtype), lam_i, key_train, lr,
                                    n_steps=n_steps, batch_size=batch_size, n_record=n_record),
        in_axes=(0, 0), out_axes=(0, 1))(p0, jnp.asarray(lam_b, dtype))
    params = SparseAutoencoder(*(np.asarray(a, float).reshape(shape + a.shape[1:]) for a in p))
    return TrainResult(params, np.asarray(hist, float).reshape((n_record,) + shape))


class SAEMetrics(NamedTuple):
    """How well dictionaries explain activations and recover known feature directions."""

    #: Fraction of true directions whose best atom has cosine above the threshold. (``(...)``)
    recovered: np.ndarray
    #: Reconstruction error :math:`\mathbb E\|h-\hat h\|^2/\mathbb E\|h-\bar h\|^2`. (``(...)``)
    relative_error: np.ndarray
    #: Mean number of active atoms per sample, :math:`\mathbb E\|f\|_0`. (``(...)``)
    l0: np.ndarray
    #: Best cosine of each true direction with any atom. (``(..., n_directions)``)
    max_cosine: np.ndarray


def sae_metrics(params: SparseAutoencoder, activations, directions, *,
                threshold: float = 0.9) -> SAEMetrics:
    r"""Recovered fraction, reconstruction error and sparsity of dictionaries.

    A true direction :math:`v_i` (a column of ``directions``) is *recovered* when some atom
    :math:`d_k` in use has :math:`\cos(v_i, d_k) > ` ``threshold``; directions of zero length
    count as not recoverable and are left out of the fraction.

    Parameters
    ----------
    params : SparseAutoencoder
    activations : array_like, shape (n_samples, m)
    directions : array_like, shape (m, n)
        Ground-truth feature directions as columns (the toy model's :math:`W`).
    threshold : float in (0, 1)

    Returns
    -------
    SAEMetrics
        numpy arrays with the batch shape of ``params``.

    Example
    -------
    >>> p = SparseAutoencoder(jnp.eye(2), jnp.zeros(2), jnp.eye(2), jnp.zeros(2), jnp.ones(2))
    >>> float(sae_metrics(p, np.eye(2), np.eye(2)).recovered)
    1.0
    """
    p = _check_sae(params)
    h = check_array("activations", activations, ndim=2, dtype="float")
    V = check_array("directions", directions, ndim=2, dtype="float")
    m = p.W_dec.shape[-2]
    if h.shape[1] != m or V.shape[0] != m:
        raise ValueError(f"activations (n, {m}) and directions ({m}, n) must match the dictionary's "
                         f"dimension {m}; got {h.shape} and {V.shape}")
    threshold = check_real("threshold", threshold, low=0.0, high=1.0, low_inclusive=False,
                           high_inclusive=False)
    norms = np.linalg.norm(V, axis=0)
    live = norms > 0
    Vhat = V[:, live] / norms[live]
    Wd = np.asarray(p.W_dec)
    cos = np.einsum("mi,...mk->...ik", Vhat, Wd / np.linalg.norm(Wd, axis=-2, keepdims=True))
    cos = np.where(np.asarray(p.mask)[..., None, :] > 0, cos, -np.inf)
    best = cos.max(axis=-1)
    f = np.asarray(_encode(p, jnp.asarray(h)))
    rec = np.asarray(_decode(p, jnp.asarray(f)))
    err = np.mean(np.sum((rec - h) ** 2, axis=-1), axis=-1) / np.mean(np.sum((h - h.mean(0)) ** 2, -1))
    return SAEMetrics(np.mean(best > threshold, axis=-1), err, np.mean(np.sum(f > 0, -1), -1), best)


# --------------------------------------------------------------------------- #
# effective theory as interpretation at a precision
# --------------------------------------------------------------------------- #
class PrecisionLadder(NamedTuple):
    """Trained finite-width networks against the kernel predictor, order by order in 1/N."""

    #: The widths :math:`N`. (numpy.ndarray, shape ``(n_widths,)``)
    widths: np.ndarray
    #: Infinite-width kernel predictor :math:`\bar f = m(K)` at the test inputs. (``(n_test,)``)
    kernel_prediction: np.ndarray
    #: Coefficient :math:`c` of the 1/N correction, :math:`\mathbb E f_N \approx \bar f + c/N`. (``(n_test,)``)
    correction: np.ndarray
    #: Ensemble mean of the trained networks at the test inputs. (Estimate, ``(n_widths, n_test)``)
    mean_output: Estimate
    #: RMS over test inputs of :math:`\mathbb E f_N - \bar f` (order 0 residual). (Estimate, ``(n_widths,)``)
    order0: Estimate
    #: RMS of :math:`\mathbb E f_N - \bar f - c/N` (order 1 residual). (Estimate, ``(n_widths,)``)
    order1: Estimate
    #: RMS over test inputs of the standard deviation of :math:`f_N` across networks: how far one
    #: network is from the ensemble. (Estimate, ``(n_widths,)``)
    single: Estimate


def _ridge_predictor(n_train, y, ridge):
    def m(K):
        A = K[..., :n_train, :n_train] + ridge * jnp.eye(n_train)
        return jnp.einsum("...ti,...i->...t", K[..., n_train:, :n_train], jnp.linalg.solve(A, y))
    return m


def _moment4(x, sw, sb, activation, n_nodes=200):
    """E[s_a s_b s_c s_d], s = sigma(sqrt(sw) w x + sqrt(sb) b): product Gauss-Hermite rule.

    200 x 200 nodes: 2e-8 against finite_width.gaussian_moment for erf with |x| <= 2 (tested).
    """
    u, wq = np.polynomial.hermite_e.hermegauss(n_nodes)
    wq = wq / wq.sum()
    z = np.sqrt(sw) * u[:, None, None] * x + np.sqrt(sb) * u[None, :, None]   # (q, q, p)
    s = _fw._act_np(activation)(z).reshape(-1, len(x))
    w2 = np.outer(wq, wq).ravel()
    pair = np.einsum("q,qa,qb->qab", np.sqrt(w2), s, s).reshape(len(w2), -1)
    return (pair.T @ pair).reshape((len(x),) * 4)


def precision_ladder(x_train, y_train, x_test, widths, *, n_networks: int = 4000,
                     activation: str = "erf", sigma_w2: float = 1.0, sigma_b2: float = 0.1,
                     sigma_a2: float = 1.0, ridge: float = 0.1, n_blocks: int = 20,
                     seed: Seed = None) -> PrecisionLadder:
    r"""How much of a trained finite-width network the kernel predictor, and its 1/N correction, explain.

    The network is the one-hidden-layer network of :mod:`physbook.finite_width` (scalar
    inputs), with random hidden layer and its readout :math:`(a, b)` *trained* to the
    minimum of the ridge-regularised squared loss (what gradient descent on the readout from
    zero converges to). Its output is the kernel predictor of the *empirical* kernel,

    .. math:: f_N(x) = m(\hat K) = \hat K_{xX}(\hat K_{XX}+\lambda)^{-1}y,\qquad
              \hat K = \sigma_b^2 + \frac{\sigma_a^2}{N}\sum_{i=1}^N \sigma(z_i)\sigma(z_i)^\top,

    with :math:`\mathbb E\hat K = K` (the NNGP kernel, :func:`physbook.finite_width.two_point`)
    and :math:`\mathrm{Cov}(\hat K_{ab},\hat K_{cd}) = V_{abcd}/N`, :math:`V_{abcd}=\sigma_a^4
    (E_{abcd}-E_{ab}E_{cd})` (the four-point vertex of
    :func:`physbook.finite_width.four_point_connected` before symmetrisation). Expanding :math:`m` about :math:`K`,

    .. math:: \mathbb E f_N = m(K) + \frac{1}{N}\,\tfrac12\sum \partial^2 m\,V + O(N^{-2}),

    order 0 is the infinite-width kernel predictor, order 1 adds :math:`c/N`. Monte Carlo over
    ``n_networks`` networks per width measures the residual of each order with control variates
    that use only :math:`\mathbb E\hat K = K` and :math:`\mathrm{Cov}\,\hat K = V/N` (exact):
    order 0 averages :math:`m(\hat K) - \nabla m\cdot\delta K`, order 1 additionally subtracts
    :math:`\tfrac12\delta K\,\partial^2m\,\delta K`. Errors: jackknife over ``n_blocks`` blocks of
    networks.

    Parameters
    ----------
    x_train : array_like, shape (n,)
        Scalar inputs.
    y_train : array_like, shape (n,)
    x_test : array_like, shape (n_test,)
    widths : sequence of int
    n_networks : int
        Networks per width.
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float
        As in :mod:`physbook.finite_width`.
    ridge : float
        :math:`\lambda > 0`.
    n_blocks : int
    seed : int, Generator or JAX key

    Returns
    -------
    PrecisionLadder
        Predicted exponents: ``order0`` :math:`\propto N^{-1}`, ``order1`` :math:`\propto N^{-2}`,
        ``single`` :math:`\propto N^{-1/2}`.

    Example
    -------
    >>> x = np.linspace(-1, 1, 4)
    >>> lad = precision_ladder(x, np.sin(2 * x), [0.5], [8, 16], n_networks=200, seed=0)
    >>> lad.order0.mean.shape
    (2,)

    References
    ----------
    D. A. Roberts, S. Yaida and B. Hanin, *The Principles of Deep Learning Theory* (2022),
    ch. 4 and 10; J. Halverson, A. Maiti and K. Stoner, Mach. Learn.: Sci. Technol. 2 (2021).
    """
    X = check_array("x_train", x_train, ndim=1, dtype="float")[:, None]
    Xt = check_array("x_test", x_test, ndim=1, dtype="float")[:, None]
    y = check_array("y_train", y_train, ndim=1, dtype="float")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y_train must have one target per input ({X.shape[0]}), got {y.shape[0]}")
    W_arr = check_array("widths", widths, ndim=1, dtype="int")
    if W_arr.size < 1 or np.any(W_arr < 1):
        raise ValueError(f"widths must be positive integers, got {W_arr.tolist()}")
    n_networks = check_int("n_networks", n_networks, minimum=2)
    n_blocks = check_int("n_blocks", n_blocks, minimum=2, maximum=n_networks)
    check_choice("activation", activation, _fw.ACTIVATIONS)
    sw, sb, sa = (check_positive(k, v, allow_zero=(k == "sigma_b2")) for k, v in
                  (("sigma_w2", sigma_w2), ("sigma_b2", sigma_b2), ("sigma_a2", sigma_a2)))
    ridge = check_positive("ridge", ridge)
    xs = np.concatenate([X, Xt])
    n, d = X.shape
    K0 = sb + sw * xs @ xs.T / d
    G = _fw.two_point(xs, activation, sw, sb, sa)
    E2 = (G - sb) / sa
    V = sa ** 2 * (_moment4(xs[:, 0], sw, sb, activation) - np.einsum("ab,cd->abcd", E2, E2))
    m = _ridge_predictor(n, jnp.asarray(y), ridge)
    Gj = jnp.asarray(G)
    f_bar = np.asarray(m(Gj))
    grad = np.asarray(jax.jit(jax.jacfwd(m))(Gj))                  # (t, p, p)
    hess = np.asarray(jax.jit(jax.hessian(m))(Gj))                 # (t, p, p, p, p)
    c = 0.5 * np.einsum("tijkl,ijkl->t", hess, V)
    hess2 = hess.reshape(len(Xt), len(xs) ** 2, len(xs) ** 2)
    m_batch = jax.jit(m)
    phi = _fw._act_np(activation)
    rng = as_generator(seed)
    L0 = np.linalg.cholesky(K0 + 1e-12 * np.eye(len(xs)))
    means, o0, o1, single = [], [], [], []
    for N in W_arr.tolist():
        z = rng.standard_normal((n_networks, N, len(xs))) @ L0.T   # pre-activations, cov K0
        s = phi(z)
        Kh = sb + sa / N * np.einsum("mia,mib->mab", s, s)
        dK = Kh - G
        f = np.asarray(m_batch(jnp.asarray(Kh)))                   # (M, t)
        lin = np.einsum("tij,mij->mt", grad, dK)
        flat = dK.reshape(n_networks, -1)
        quad = 0.5 * np.stack([np.sum((flat @ h) * flat, axis=-1) for h in hess2], axis=-1)
        r0 = (f - f_bar - lin).T                                  # (t, M), samples last
        r1 = r0 - quad.T                                          # E quad = c / N exactly
        # RMS over test inputs of the mean, with the noise bias var/M removed from its square
        rms = lambda r: np.sqrt(max(np.mean(np.mean(r, -1) ** 2 - np.var(r, -1, ddof=1) / r.shape[-1]),
                                    1e-300))
        means.append(jackknife(lambda r: np.mean(r, axis=-1), f.T, n_blocks=n_blocks))
        o0.append(jackknife(rms, r0, n_blocks=n_blocks))
        o1.append(jackknife(rms, r1, n_blocks=n_blocks))
        single.append(jackknife(lambda r: np.sqrt(np.mean(np.var(r, axis=-1, ddof=1))), f.T,
                                n_blocks=n_blocks))
    stack = lambda ests: Estimate(np.array([e.mean for e in ests]), np.array([e.error for e in ests]))
    return PrecisionLadder(W_arr.astype(int), f_bar, c, stack(means), stack(o0), stack(o1),
                           stack(single))
