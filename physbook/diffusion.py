r"""Energy-based and diffusion models: running a thermodynamic noise process backwards.

The forward (noising) process is the Ornstein-Uhlenbeck diffusion

.. math:: dx = -x\,dt + \sqrt2\,dW, \qquad
          x_t = e^{-t} x_0 + \sqrt{1 - e^{-2t}}\,z, \quad z \sim \mathcal N(0, I),

whose Fokker-Planck equation :math:`\partial_t p = \nabla\cdot(x p + \nabla p)` relaxes every
density to the Gaussian equilibrium :math:`\mathcal N(0, I)`, the Boltzmann distribution of
the energy :math:`|x|^2/2`. Running it backwards needs one object, the **score**
:math:`s(x, t) = \nabla_x \log p_t(x) = -\nabla_x E_t(x)`:

.. math:: dx = \big[-x - 2 s(x, t)\big]\,dt + \sqrt2\,d\bar W \quad (t \text{ decreasing}),
          \qquad \frac{dx}{dt} = -x - s(x, t) \quad \text{(probability flow)} .

.. rubric:: Contents

* Forward process: :func:`noise`, :func:`sigma`.
* Exact scores: :func:`sample_gmm`, :func:`gmm_log_density`, :func:`gmm_score` (Gaussian mixture pushed through
  the forward process), :func:`empirical_score` (the training set itself; softmax weights,
  i.e. attention).
* Learned score: :func:`train_score` (denoising score matching), :func:`score_net`.
* Samplers: :func:`reverse_sde`, :func:`sample_sde` (Euler-Maruyama), :func:`sample_ode`
  (probability-flow ODE, Heun), :func:`ode_log_likelihood` (instantaneous change of variables).
* Energy-based model: :func:`train_ebm` (maximum likelihood with short-run Langevin negatives),
  :func:`ebm_energy`, :func:`ebm_score`, :func:`ebm_density_grid`.
* Diagnostics: :func:`sliced_wasserstein`, :func:`speciation_time`, :func:`commitment`.

Conventions. Points are arrays ``x[..., d]`` with batch dimensions leading; time ``t >= 0`` is
the forward-process time (``t = 0`` is the data). A *score function* is a callable
``score_fn(x, t)`` written in ``jax.numpy`` that maps points of shape ``(n, d)`` and a scalar
time to scores of shape ``(n, d)``; :func:`gmm_score`, :func:`empirical_score` and
:func:`score_net` all qualify (with their other arguments bound, e.g. by a ``lambda``).
Public functions return numpy arrays (float64 for exact quantities; the networks run in
float32); called on traced JAX values (inside ``jax.jit``) the exact scores return JAX arrays.

References: Sohl-Dickstein et al. (2015); Ho, Jain & Abbeel (2020); Song et al. (2021);
Vincent (2011); Hyvärinen (2005); Du & Mordatch (2019); Nijkamp et al. (2019);
Biroli, Bonnaire, de Bortoli & Mézard (2024).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._results import TrainResult
from ._validate import check_array, check_int, check_positive, check_real, is_tracer
from .random import Seed, as_generator, as_key
from .stats import Estimate

__all__ = [
    "MLP", "Commitment",
    "sigma", "noise", "sample_gmm", "gmm_log_density", "gmm_score", "empirical_score",
    "init_mlp", "score_net", "train_score",
    "reverse_sde", "sample_sde", "sample_ode", "ode_log_likelihood",
    "ebm_energy", "ebm_score", "train_ebm", "ebm_density_grid",
    "sliced_wasserstein", "speciation_time", "commitment",
]

ScoreFn = Callable[[jax.Array, jax.Array], jax.Array]


# --------------------------------------------------------------------------- containers

class MLP(NamedTuple):
    """Weights of a fully connected network (an immutable JAX pytree), input layer first."""

    #: Weight matrices, ``weights[l]`` of shape (n_in, n_out).
    weights: tuple
    #: Bias vectors, ``biases[l]`` of shape (n_out,).
    biases: tuple


class Commitment(NamedTuple):
    """Probability that two clones of a backward trajectory end in the same class."""

    #: Cloning times, shape (n_times,).
    times: np.ndarray
    #: Fraction of clone pairs ending in the same class with its binomial standard error
    #: (array-valued Estimate, shape (n_times,)).
    probability: Estimate


# --------------------------------------------------------------------------- validation

def _points(name: str, x, d: int | None = None) -> np.ndarray:
    arr = check_array(name, x, min_ndim=1, dtype="float")
    if d is not None and arr.shape[-1] != d:
        raise ValueError(f"{name} must have {d} coordinates along its last axis, got shape {arr.shape}")
    return arr


def _time(name: str, t, batch: tuple, *, positive: bool = False) -> np.ndarray:
    arr = check_array(name, t, dtype="float")
    if np.any(arr < 0) or (positive and np.any(arr <= 0)):
        kind = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be {kind}, got min {float(arr.min())!r}")
    try:
        np.broadcast_shapes(arr.shape, batch)
    except ValueError:
        raise ValueError(f"{name} of shape {arr.shape} does not broadcast against the batch "
                         f"shape {batch} of x") from None
    return arr


def _mixture(means, covs, weights):
    m = check_array("means", means, ndim=2, dtype="float")
    k, d = m.shape
    c = check_array("covs", covs, min_ndim=1, dtype="float")
    if c.shape == (k,):
        if np.any(c < 0):
            raise ValueError("covs (isotropic variances) must be non-negative")
    elif c.shape != (k, d, d):
        raise ValueError(f"covs must have shape ({k}, {d}, {d}) (or ({k},), isotropic variances) "
                         f"to match means, got {c.shape}")
    elif not np.allclose(c, np.swapaxes(c, -1, -2), rtol=0, atol=1e-12):
        raise ValueError("covs must be symmetric matrices")
    elif np.any(np.linalg.eigvalsh(c) < 0):
        raise ValueError("covs must be positive semi-definite")
    w = check_array("weights", weights, ndim=1, dtype="float")
    if w.shape != (k,):
        raise ValueError(f"weights must have shape ({k},) to match means, got {w.shape}")
    if np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"weights must be non-negative and sum to 1, got sum {w.sum()!r}")
    return m, c, w


def _check_score_fn(score_fn) -> None:
    if not callable(score_fn):
        raise TypeError(f"score_fn must be callable score_fn(x, t), got {type(score_fn).__name__}")


def _check_mlp(params) -> MLP:
    if not isinstance(params, MLP):
        raise TypeError(f"params must be a physbook.diffusion.MLP, got {type(params).__name__}")
    return params


def _out(x):
    return x if is_tracer(x) else np.asarray(x)


# --------------------------------------------------------------------------- forward process

def sigma(t) -> np.ndarray:
    r"""Noise level of the forward process, :math:`\sigma_t = \sqrt{1 - e^{-2t}}`.

    Parameters
    ----------
    t : array_like, t >= 0

    Returns
    -------
    numpy.ndarray (JAX array on traced input)

    Example
    -------
    >>> round(float(sigma(np.log(2.0))), 6)  # sqrt(1 - 1/4)
    0.866025
    """
    if not is_tracer(t):
        t = _time("t", t, ())
    return _out(jnp.sqrt(-jnp.expm1(-2.0 * jnp.asarray(t))))


def noise(x0, t, *, seed: Seed = None) -> np.ndarray:
    r"""Run the forward Ornstein-Uhlenbeck process from ``x0`` for a time ``t`` (exact, one step).

    .. math:: x_t = e^{-t} x_0 + \sqrt{1 - e^{-2t}}\; z, \qquad z \sim \mathcal N(0, I),

    the solution of :math:`dx = -x\,dt + \sqrt2\,dW`: the mean relaxes as :math:`e^{-t}`,
    and every density flows to the equilibrium :math:`\mathcal N(0, I)`.

    Parameters
    ----------
    x0 : array_like, shape (..., d)
        Clean points.
    t : float or array_like broadcasting against ``x0.shape[:-1]``
        Forward times, >= 0.
    seed : int, numpy Generator or JAX key
        Randomness of ``z``.

    Returns
    -------
    numpy.ndarray, shape (..., d)

    Example
    -------
    >>> xt = noise(np.ones((20000, 1)), 1.0, seed=0)
    >>> bool(abs(xt.mean() - np.exp(-1)) < 0.03), bool(abs(xt.var() - (1 - np.exp(-2))) < 0.03)
    (True, True)

    References
    ----------
    G. E. Uhlenbeck and L. S. Ornstein, Phys. Rev. 36, 823 (1930);
    Y. Song et al., ICLR (2021).
    """
    x0 = _points("x0", x0)
    t = _time("t", t, x0.shape[:-1])[..., None]
    z = as_generator(seed).normal(size=x0.shape)
    return np.exp(-t) * x0 + np.sqrt(-np.expm1(-2.0 * t)) * z


# --------------------------------------------------------------------------- exact scores

def _diffused(means, covs, t):
    """Means and covariances of the mixture at time t: e^{-t} m_k, e^{-2t} S_k + (1 - e^{-2t}) I."""
    a = jnp.exp(-t)[..., None, None]
    d = means.shape[-1]
    m = a * means
    c = a[..., None] ** 2 * covs + (1.0 - a[..., None] ** 2) * jnp.eye(d, dtype=means.dtype)
    return m, c


def _gmm_terms(x, t, means, covs, weights):
    """Per-component log w_k N(x; m_k(t), C_k(t)) and C_k^{-1}(x - m_k), batch-first."""
    d = x.shape[-1]
    if covs.ndim == 1:                     # isotropic components S_k = v_k I: no matrix algebra
        a2 = jnp.exp(-2.0 * jnp.asarray(t))[..., None]
        var = a2 * covs + (1.0 - a2)                                # (..., K)
        diff = x[..., None, :] - jnp.sqrt(a2)[..., None] * means
        log_comp = (jnp.log(weights) - 0.5 * jnp.sum(diff * diff, axis=-1) / var
                    - 0.5 * d * jnp.log(2.0 * jnp.pi * var))
        return log_comp, diff / var[..., None]
    m, c = _diffused(means, covs, jnp.asarray(t))
    chol = jnp.linalg.cholesky(c)                                   # (K, d, d), or batched in t
    eye = jnp.eye(x.shape[-1], dtype=c.dtype)
    inv_chol = jax.scipy.linalg.solve_triangular(chol, jnp.broadcast_to(eye, c.shape), lower=True)
    prec = jnp.swapaxes(inv_chol, -1, -2) @ inv_chol                # C_k^{-1}
    diff = x[..., None, :] - m                                      # (..., K, d)
    prec_diff = jnp.einsum("...kij,...kj->...ki", prec, diff)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    log_comp = (jnp.log(weights) - 0.5 * jnp.sum(diff * prec_diff, axis=-1) - 0.5 * logdet
                - 0.5 * d * jnp.log(2.0 * jnp.pi))
    return log_comp, prec_diff


def _gmm_log_density(x, t, means, covs, weights):
    log_comp, _ = _gmm_terms(x, t, means, covs, weights)
    return jax.scipy.special.logsumexp(log_comp, axis=-1)


def _gmm_score(x, t, means, covs, weights):
    log_comp, prec_diff = _gmm_terms(x, t, means, covs, weights)
    r = jax.nn.softmax(log_comp, axis=-1)
    return -jnp.sum(r[..., None] * prec_diff, axis=-2)


_gmm_log_density_jit = jax.jit(_gmm_log_density)
_gmm_score_jit = jax.jit(_gmm_score)


def _gmm_args(x, t, means, covs, weights):
    if is_tracer(x, t, means, covs, weights):
        return x, t, means, covs, weights
    means, covs, weights = _mixture(means, covs, weights)
    x = _points("x", x, means.shape[1])
    t = _time("t", t, x.shape[:-1])
    if np.any(weights == 0):                 # log 0 would poison the softmax: drop empty components
        keep = weights > 0
        means, covs, weights = means[keep], covs[keep], weights[keep]
    eig = covs if covs.ndim == 1 else np.linalg.eigvalsh(covs)
    if t.size and np.min(t) == 0 and np.any(eig <= 0):
        raise ValueError("covs must be positive definite for t = 0")
    return tuple(jnp.asarray(a) for a in (x, t, means, covs, weights))


def gmm_log_density(x, t, means, covs, weights) -> np.ndarray:
    r"""Log-density of a Gaussian mixture after the forward process has run for a time ``t``.

    The forward process maps each component to a Gaussian, so the diffused density is again a
    mixture, in closed form:

    .. math:: p_t(x) = \sum_k w_k\, \mathcal N\!\big(x;\ e^{-t} m_k,\ e^{-2t} S_k + (1 - e^{-2t}) I\big).

    Parameters
    ----------
    x : array_like, shape (..., d)
    t : float or array_like broadcasting against ``x.shape[:-1]``, >= 0
    means : array_like, shape (K, d)
    covs : array_like, shape (K, d, d) or (K,)
        Symmetric positive semi-definite (definite if ``t = 0``); a vector of variances
        :math:`v_k` means isotropic components :math:`S_k = v_k I` (fast in high dimension).
    weights : array_like, shape (K,)
        Non-negative, summing to 1.

    Returns
    -------
    numpy.ndarray, shape (...) (float64)

    Example
    -------
    >>> m, S, w = np.zeros((1, 1)), np.full((1, 1, 1), 4.0), np.ones(1)
    >>> round(float(gmm_log_density([0.0], 0.0, m, S, w)), 6)  # log N(0; 0, 4)
    -1.612086

    References
    ----------
    Y. Song et al., "Score-based generative modeling through stochastic differential
    equations", ICLR (2021).
    """
    args = _gmm_args(x, t, means, covs, weights)
    return _out((_gmm_log_density if is_tracer(*args) else _gmm_log_density_jit)(*args))


def gmm_score(x, t, means, covs, weights) -> np.ndarray:
    r"""Exact score :math:`\nabla_x \log p_t(x)` of a Gaussian mixture pushed through the forward process.

    .. math:: s(x, t) = -\sum_k r_k(x, t)\; C_k(t)^{-1}\big(x - e^{-t} m_k\big), \qquad
              C_k(t) = e^{-2t} S_k + (1 - e^{-2t}) I,

    with :math:`r_k` the posterior responsibilities
    :math:`r_k \propto w_k\,\mathcal N(x; e^{-t} m_k, C_k(t))` (a softmax). At large ``t`` it
    tends to :math:`-x`, the score of the equilibrium :math:`\mathcal N(0, I)`.

    Parameters
    ----------
    x, t, means, covs, weights
        As in :func:`gmm_log_density`. On traced JAX input (inside ``jax.jit``) the arguments
        are not validated and a JAX array is returned.

    Returns
    -------
    numpy.ndarray, shape (..., d) (float64)

    Example
    -------
    >>> m, S, w = np.zeros((1, 2)), np.eye(2)[None] * 4.0, np.ones(1)
    >>> gmm_score([[2.0, 0.0]], 0.0, m, S, w).tolist()  # -x / 4
    [[-0.5, -0.0]]

    References
    ----------
    Y. Song et al., ICLR (2021); G. Biroli, T. Bonnaire, V. de Bortoli and M. Mézard,
    Nature Communications 15, 9957 (2024).
    """
    args = _gmm_args(x, t, means, covs, weights)
    return _out((_gmm_score if is_tracer(*args) else _gmm_score_jit)(*args))


def sample_gmm(n: int, means, covs, weights, *, seed: Seed = None) -> np.ndarray:
    r"""Draw ``n`` independent points from the Gaussian mixture :math:`\sum_k w_k\,\mathcal N(m_k, S_k)`.

    Parameters
    ----------
    n : int
    means, covs, weights
        As in :func:`gmm_log_density`.
    seed : int, numpy Generator or JAX key

    Returns
    -------
    numpy.ndarray, shape (n, d) (float64)

    Example
    -------
    >>> x = sample_gmm(20000, [[-4.0], [4.0]], [1.0, 1.0], [0.25, 0.75], seed=0)
    >>> bool(abs((x[:, 0] > 0).mean() - 0.75) < 0.02)
    True
    """
    n = check_int("n", n, minimum=1)
    means, covs, weights = _mixture(means, covs, weights)
    rng = as_generator(seed)
    k = rng.choice(len(weights), size=n, p=weights / weights.sum())
    z = rng.normal(size=(n, means.shape[1]))
    if covs.ndim == 1:
        return means[k] + np.sqrt(covs[k])[:, None] * z
    vals, vecs = np.linalg.eigh(covs)                  # square root that allows singular S_k
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]
    return means[k] + np.einsum("nij,nj->ni", root[k], z)


def _empirical_score(x, t, data):
    a = jnp.exp(-t)[..., None, None]
    var = -jnp.expm1(-2.0 * t)[..., None, None]
    diff = x[..., None, :] - a * data                               # (..., n, d)
    logits = -0.5 * jnp.sum(diff * diff, axis=-1, keepdims=True) / var
    r = jax.nn.softmax(logits, axis=-2)
    return -jnp.sum(r * diff, axis=-2) / var[..., 0, :]


def empirical_score(x, t, data) -> np.ndarray:
    r"""Exact score of the empirical distribution of a training set, diffused to time ``t > 0``.

    The training set :math:`\{y_i\}_{i=1}^n` as a density is a sum of delta peaks; the forward
    process turns each into a Gaussian of variance :math:`\sigma_t^2 = 1 - e^{-2t}`, and

    .. math:: s(x, t) = \frac{1}{\sigma_t^2}\Big(\sum_i a_i(x, t)\, e^{-t} y_i - x\Big),
              \qquad a_i = \operatorname{softmax}_i\!\Big(-\frac{|x - e^{-t} y_i|^2}{2\sigma_t^2}\Big).

    The weights :math:`a_i` are the attention weights of a query :math:`x` on the keys
    :math:`e^{-t} y_i` (the modern Hopfield update of chapter 2). As :math:`t \to 0` the softmax
    picks one training point: a sampler driven by this score can only reproduce the training set.

    Parameters
    ----------
    x : array_like, shape (..., d)
    t : float or array_like broadcasting against ``x.shape[:-1]``, > 0
    data : array_like, shape (n, d)
        The training points.

    Returns
    -------
    numpy.ndarray, shape (..., d) (JAX array on traced input)

    Example
    -------
    >>> empirical_score([[1.0]], 0.5, [[0.0]]).round(6).tolist()  # one point: -x / sigma_t^2
    [[-1.581977]]

    References
    ----------
    G. Biroli, T. Bonnaire, V. de Bortoli and M. Mézard, Nature Communications 15, 9957 (2024);
    H. Ramsauer et al., "Hopfield networks is all you need", ICLR (2021).
    """
    if not is_tracer(x, t, data):
        data = check_array("data", data, ndim=2, dtype="float")
        x = _points("x", x, data.shape[1])
        t = _time("t", t, x.shape[:-1], positive=True)
        x, t, data = jnp.asarray(x), jnp.asarray(t), jnp.asarray(data)
    return _out(_empirical_score(x, t, data))


# --------------------------------------------------------------------------- networks

def init_mlp(sizes, *, seed: Seed = None, dtype=jnp.float32) -> MLP:
    r"""He-initialised fully connected network, :math:`W_l \sim \mathcal N(0, 2/n_\mathrm{in})`, zero biases.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, output last (at least two entries).
    seed : int, numpy Generator or JAX key
    dtype : jax dtype
        ``jnp.float32`` (default, fast) or ``jnp.float64``.

    Returns
    -------
    MLP

    Example
    -------
    >>> net = init_mlp((3, 16, 2), seed=0)
    >>> [w.shape for w in net.weights]
    [(3, 16), (16, 2)]
    """
    try:
        sizes = [check_int("sizes", s, minimum=1) for s in sizes]
    except TypeError as exc:
        if "integer" in str(exc):
            raise
        raise TypeError(f"sizes must be a sequence of ints, got {sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    key = as_key(seed)
    weights, biases = [], []
    for k, (n_in, n_out) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        weights.append(jax.random.normal(k, (n_in, n_out), dtype) * jnp.sqrt(2.0 / n_in).astype(dtype))
        biases.append(jnp.zeros(n_out, dtype))
    return MLP(tuple(weights), tuple(biases))


def _mlp(params, h):
    for W, b in zip(params.weights[:-1], params.biases[:-1]):
        h = jax.nn.silu(h @ W + b)
    return h @ params.weights[-1] + params.biases[-1]


#: Frequencies of the sinusoidal embedding of log t fed to the score network.
_FREQS = (0.5, 1.0, 2.0, 4.0)


def _time_features(t, dtype):
    u = jnp.log(t).astype(dtype) / 4.0
    feats = [u] + [f(w * u) for w in _FREQS for f in (jnp.sin, jnp.cos)]
    return jnp.stack(feats, axis=-1)


def _score_net(params, x, t):
    dtype = params.weights[0].dtype
    t = jnp.broadcast_to(jnp.asarray(t), x.shape[:-1])
    h = jnp.concatenate([x.astype(dtype), _time_features(t, dtype)], axis=-1)
    sig = jnp.sqrt(-jnp.expm1(-2.0 * t)).astype(dtype)[..., None]
    return -_mlp(params, h) / sig


def score_net(params: MLP, x, t) -> np.ndarray:
    r"""Score of the time-conditioned network trained by :func:`train_score`.

    The network predicts the noise :math:`\hat z_\theta(x, t)` that was added to a clean point, and

    .. math:: s_\theta(x, t) = -\hat z_\theta(x, t)/\sigma_t , \qquad \sigma_t = \sqrt{1 - e^{-2t}},

    from the inputs :math:`x` and a sinusoidal embedding of :math:`\log t`.

    Parameters
    ----------
    params : MLP
        From :func:`train_score`.
    x : array_like, shape (..., d)
    t : float or array_like broadcasting against ``x.shape[:-1]``, > 0

    Returns
    -------
    numpy.ndarray, shape (..., d) (the network's dtype; JAX array on traced input)

    Example
    -------
    >>> net = init_mlp((2 + 9, 8, 2), seed=0)
    >>> score_net(net, np.zeros((5, 2)), 0.5).shape
    (5, 2)

    References
    ----------
    J. Ho, A. Jain and P. Abbeel, NeurIPS (2020).
    """
    params = _check_mlp(params)
    if not is_tracer(x, t, *params.weights):
        d = params.weights[-1].shape[1]
        x = _points("x", x, d)
        t = _time("t", t, x.shape[:-1], positive=True)
        if params.weights[0].shape[0] != d + 1 + 2 * len(_FREQS):
            raise ValueError(f"params does not fit a score network for d = {d}: its input width is "
                             f"{params.weights[0].shape[0]}, expected {d + 1 + 2 * len(_FREQS)}")
    return _out(_score_net(params, jnp.asarray(x), jnp.asarray(t)))


def _adam(learning_rate, n_steps):
    import optax
    return optax.adam(optax.cosine_decay_schedule(learning_rate, n_steps, alpha=0.05))


@partial(jax.jit, static_argnames=("n_steps", "batch_size"))
def _train_score(params, data, key, learning_rate, log_t_min, log_t_max, *, n_steps, batch_size):
    optimizer = _adam(learning_rate, n_steps)
    dtype = params.weights[0].dtype

    def loss_fn(p, k):
        k_pick, k_t, k_z = jax.random.split(k, 3)
        x0 = data[jax.random.randint(k_pick, (batch_size,), 0, data.shape[0])]
        t = jnp.exp(jax.random.uniform(k_t, (batch_size,), dtype, log_t_min, log_t_max))
        z = jax.random.normal(k_z, x0.shape, dtype)
        xt = jnp.exp(-t)[:, None] * x0 + jnp.sqrt(-jnp.expm1(-2.0 * t))[:, None] * z
        h = jnp.concatenate([xt, _time_features(t, dtype)], axis=-1)
        return jnp.mean(jnp.sum((_mlp(p, h) - z) ** 2, axis=-1))

    def step(carry, k):
        p, state = carry
        loss, grads = jax.value_and_grad(loss_fn)(p, k)
        updates, state = optimizer.update(grads, state, p)
        p = jax.tree_util.tree_map(jnp.add, p, updates)
        return (p, state), loss

    (params, _), losses = jax.lax.scan(step, (params, optimizer.init(params)),
                                       jax.random.split(key, n_steps))
    return params, losses


def train_score(data, *, width: int = 128, depth: int = 3, n_steps: int = 3000,
                batch_size: int = 256, learning_rate: float = 2e-3, t_min: float = 1e-3,
                t_max: float = 6.0, seed: Seed = None) -> TrainResult:
    r"""Learn the score of the data by denoising score matching (Vincent 2011).

    Noise a training point, :math:`x_t = e^{-t}x_0 + \sigma_t z`, and ask the network to
    recover the noise:

    .. math:: \mathcal L(\theta) = \mathbb E_{t, x_0, z}\,\big|\hat z_\theta(x_t, t) - z\big|^2
              = \mathbb E\,\sigma_t^2\,\big|s_\theta(x_t, t) - \nabla\log p_t(x_t \mid x_0)\big|^2 .

    Its minimiser is the score of the diffused data, :math:`s_\theta = \nabla\log p_t`, without
    ever knowing :math:`p_t`. Times are drawn log-uniformly in ``[t_min, t_max]``; the
    optimiser is Adam with a cosine-decayed learning rate, the whole loop one jitted
    ``lax.scan``, in float32.

    Parameters
    ----------
    data : array_like, shape (n, d)
        Training points.
    width, depth : int
        Hidden units per layer and number of hidden layers (SiLU activations).
    n_steps, batch_size : int
        Optimisation steps and points per step (drawn with replacement).
    learning_rate : float
        Peak learning rate.
    t_min, t_max : float
        Range of training times, ``0 < t_min < t_max``.
    seed : int, numpy Generator or JAX key
        Initial weights and minibatch noise.

    Returns
    -------
    TrainResult
        ``params`` (an :class:`MLP`, use with :func:`score_net`) and ``history``, the loss per
        step (numpy, shape (n_steps,)).

    Example
    -------
    >>> res = train_score(np.zeros((10, 2)), width=8, depth=1, n_steps=20, seed=0)
    >>> res.history.shape
    (20,)

    References
    ----------
    P. Vincent, Neural Computation 23, 1661 (2011); J. Ho, A. Jain and P. Abbeel, NeurIPS (2020);
    Y. Song et al., ICLR (2021).
    """
    data = check_array("data", data, ndim=2, dtype="float")
    if data.shape[0] < 1:
        raise ValueError("data must contain at least one point")
    width = check_int("width", width, minimum=1)
    depth = check_int("depth", depth, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    t_min = check_positive("t_min", t_min)
    t_max = check_real("t_max", t_max, low=t_min, low_inclusive=False)
    d = data.shape[1]
    k_init, k_train = jax.random.split(as_key(seed))
    params = init_mlp((d + 1 + 2 * len(_FREQS),) + (width,) * depth + (d,), seed=k_init)
    params, losses = _train_score(params, jnp.asarray(data, jnp.float32), k_train, learning_rate,
                                  np.log(t_min), np.log(t_max), n_steps=n_steps,
                                  batch_size=batch_size)
    return TrainResult(params, np.asarray(losses))


# --------------------------------------------------------------------------- samplers

def _grid(t_start, t_end, n_steps, shift=0.0):
    """Times from t_start to t_end, log-spaced in t + shift (steps shrink with t, as sigma_t^2 does)."""
    return jnp.exp(jnp.linspace(jnp.log(t_start + shift), jnp.log(t_end + shift), n_steps + 1)) - shift


@partial(jax.jit, static_argnames=("score_fn", "n_steps"))
def _reverse_sde(score_fn, x, t_start, t_end, key, *, n_steps):
    ts = _grid(t_start, t_end, n_steps)

    def step(x, inputs):                  # t may be a scalar or one time per trajectory
        t, t_next, k = inputs
        h = jnp.asarray(t - t_next)[..., None]
        drift = x + 2.0 * score_fn(x, t).astype(x.dtype)
        x = x + h * drift + jnp.sqrt(2.0 * h) * jax.random.normal(k, x.shape, x.dtype)
        return x, None

    x, _ = jax.lax.scan(step, x, (ts[:-1], ts[1:], jax.random.split(key, n_steps)))
    return x


def _sampler_args(score_fn, t_start, t_end, n_steps, start_name="t_start", end_name="t_end"):
    _check_score_fn(score_fn)
    t_start = check_positive(start_name, t_start)
    t_end = check_real(end_name, t_end, low=0.0, high=t_start, low_inclusive=False,
                       high_inclusive=False)
    return t_start, t_end, check_int("n_steps", n_steps, minimum=1)


def reverse_sde(score_fn: ScoreFn, x, *, t_start: float, t_end: float = 1e-3,
                n_steps: int = 200, seed: Seed = None) -> np.ndarray:
    r"""Integrate the reverse-time SDE from ``t_start`` down to ``t_end`` (Euler-Maruyama).

    .. math:: x_{t-h} = x_t + h\,\big[x_t + 2 s(x_t, t)\big] + \sqrt{2h}\,\xi, \qquad \xi \sim \mathcal N(0, I),

    the time reversal (Anderson 1982) of :math:`dx = -x\,dt + \sqrt2\,dW`: if :math:`x_t` is
    distributed as :math:`p_t` and :math:`s` is its score, :math:`x_{t_\mathrm{end}}` is
    distributed as :math:`p_{t_\mathrm{end}}`. The ``n_steps`` steps are log-spaced in time.

    Parameters
    ----------
    score_fn : callable
        ``score_fn(x, t)`` in ``jax.numpy`` (see the module conventions). Passed as a static
        argument to ``jax.jit``: reuse the same function object to avoid recompiling.
    x : array_like, shape (n, d)
        Points at time ``t_start``.
    t_start, t_end : float
        ``t_start > t_end > 0``.
    n_steps : int
    seed : int, numpy Generator or JAX key

    Returns
    -------
    numpy.ndarray, shape (n, d) (float64)

    Example
    -------
    >>> out = reverse_sde(lambda x, t: -x, np.zeros((4000, 1)), t_start=3.0, seed=0)
    >>> bool(abs(out.var() - 1.0) < 0.1)  # the equilibrium score keeps N(0, 1)
    True

    References
    ----------
    B. D. O. Anderson, Stoch. Proc. Appl. 12, 313 (1982); Y. Song et al., ICLR (2021).
    """
    t_start, t_end, n_steps = _sampler_args(score_fn, t_start, t_end, n_steps)
    x = _points("x", x)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (n, d), got {x.shape}")
    return np.asarray(_reverse_sde(score_fn, jnp.asarray(x), t_start, t_end, as_key(seed),
                                   n_steps=n_steps))


def sample_sde(score_fn: ScoreFn, n: int, dim: int, *, t_max: float = 6.0, t_min: float = 1e-3,
               n_steps: int = 200, seed: Seed = None) -> np.ndarray:
    r"""Generate ``n`` samples: start in equilibrium :math:`\mathcal N(0, I)` at ``t_max`` and run :func:`reverse_sde`.

    The start is exact up to :math:`O(e^{-t_\mathrm{max}})`; the samples follow
    :math:`p_{t_\mathrm{min}}`, the data blurred by noise of variance :math:`1 - e^{-2t_\mathrm{min}}`.

    Parameters
    ----------
    score_fn : callable
        ``score_fn(x, t)``.
    n, dim : int
        Number of samples and dimension.
    t_max, t_min : float
        Start and end times, ``t_max > t_min > 0``.
    n_steps : int
    seed : int, numpy Generator or JAX key

    Returns
    -------
    numpy.ndarray, shape (n, dim) (float64)

    Example
    -------
    >>> x = sample_sde(lambda x, t: -x, 1000, 2, seed=0)
    >>> x.shape
    (1000, 2)

    References
    ----------
    Y. Song et al., ICLR (2021).
    """
    t_max, t_min, n_steps = _sampler_args(score_fn, t_max, t_min, n_steps, "t_max", "t_min")
    n = check_int("n", n, minimum=1)
    dim = check_int("dim", dim, minimum=1)
    k_start, k_run = jax.random.split(as_key(seed))
    x = jax.random.normal(k_start, (n, dim), jnp.float64)
    return np.asarray(_reverse_sde(score_fn, x, t_max, t_min, k_run, n_steps=n_steps))


def _flow(score_fn, x, t):
    return -x - score_fn(x, t).astype(x.dtype)


@partial(jax.jit, static_argnames=("score_fn", "n_steps"))
def _sample_ode(score_fn, x, t_start, t_end, *, n_steps):
    ts = _grid(t_start, t_end, n_steps)

    def step(x, inputs):
        t, t_next = inputs
        h = t_next - t
        f0 = _flow(score_fn, x, t)
        f1 = _flow(score_fn, x + h * f0, t_next)
        return x + 0.5 * h * (f0 + f1), None

    x, _ = jax.lax.scan(step, x, (ts[:-1], ts[1:]))
    return x


def sample_ode(score_fn: ScoreFn, x_T, *, t_max: float = 6.0, t_min: float = 1e-3,
               n_steps: int = 100) -> np.ndarray:
    r"""Carry points from ``t_max`` down to ``t_min`` along the probability-flow ODE (Heun's method).

    .. math:: \frac{dx}{dt} = -x - s(x, t),

    a deterministic flow with the same marginals :math:`p_t` as the noising SDE (Song et al.
    2021): the drift of the Fokker-Planck equation with the diffusion term written as a
    velocity, :math:`\nabla p = p\,\nabla\log p`. Heun's second-order steps are log-spaced.

    Parameters
    ----------
    score_fn : callable
        ``score_fn(x, t)``.
    x_T : array_like, shape (n, d)
        Starting points at ``t_max`` (typically standard normal).
    t_max, t_min : float
        ``t_max > t_min > 0``.
    n_steps : int

    Returns
    -------
    numpy.ndarray, shape (n, d) (float64)

    Example
    -------
    >>> z = np.random.default_rng(0).normal(size=(3, 2))
    >>> bool(np.allclose(sample_ode(lambda x, t: -x, z), z))  # equilibrium: the flow stands still
    True

    References
    ----------
    Y. Song et al., ICLR (2021); T. Karras et al., NeurIPS (2022).
    """
    t_max, t_min, n_steps = _sampler_args(score_fn, t_max, t_min, n_steps, "t_max", "t_min")
    x = _points("x_T", x_T)
    if x.ndim != 2:
        raise ValueError(f"x_T must have shape (n, d), got {x.shape}")
    return np.asarray(_sample_ode(score_fn, jnp.asarray(x), t_max, t_min, n_steps=n_steps))


#: The likelihood ODE is integrated on a grid log-spaced in t + 1e-3: fine steps where the density
#: sharpens, and t_min = 0 allowed.
_LOGLIK_SHIFT = 1e-3


@partial(jax.jit, static_argnames=("score_fn", "n_steps"))
def _ode_loglik(score_fn, x, t_start, t_end, *, n_steps):
    ts = _grid(t_start, t_end, n_steps, shift=_LOGLIK_SHIFT)
    d = x.shape[-1]

    def div(x, t):
        one = lambda xi: score_fn(xi[None], t)[0].astype(x.dtype)
        return jnp.trace(jax.vmap(jax.jacfwd(one))(x), axis1=-2, axis2=-1)

    def rates(x, t):                      # dx/dt and d(log p)/dt = d + div s along the flow
        return _flow(score_fn, x, t), d + div(x, t)

    def step(carry, inputs):              # classical fourth-order Runge-Kutta
        x, acc = carry
        t, t_next = inputs
        h = t_next - t
        f1, g1 = rates(x, t)
        f2, g2 = rates(x + 0.5 * h * f1, t + 0.5 * h)
        f3, g3 = rates(x + 0.5 * h * f2, t + 0.5 * h)
        f4, g4 = rates(x + h * f3, t_next)
        return (x + h * (f1 + 2 * f2 + 2 * f3 + f4) / 6,
                acc + h * (g1 + 2 * g2 + 2 * g3 + g4) / 6), None

    (x, acc), _ = jax.lax.scan(step, (x, jnp.zeros(x.shape[0], x.dtype)), (ts[:-1], ts[1:]))
    log_prior = -0.5 * jnp.sum(x * x, axis=-1) - 0.5 * d * jnp.log(2.0 * jnp.pi)
    return log_prior - acc


def ode_log_likelihood(score_fn: ScoreFn, x, *, t_min: float = 1e-3, t_max: float = 10.0,
                       n_steps: int = 100) -> np.ndarray:
    r"""Log-density of points under the model, by the instantaneous change of variables along the ODE.

    Carry each point forward along the probability flow :math:`\dot x = f = -x - s(x, t)` from
    ``t_min`` to ``t_max``, where the density is the equilibrium :math:`\mathcal N(0, I)`; along
    the way :math:`\frac{d}{dt}\log p_t(x_t) = -\nabla\cdot f = d + \nabla\cdot s`, so

    .. math:: \log p_{t_\mathrm{min}}(x) = \log\mathcal N(x_{t_\mathrm{max}}; 0, I)
              - \int_{t_\mathrm{min}}^{t_\mathrm{max}} \big(d + \nabla\cdot s(x_t, t)\big)\,dt .

    The divergence is exact (the trace of the Jacobian by forward-mode autodiff, fine in low
    dimension); fourth-order Runge-Kutta steps, log-spaced in :math:`t + 10^{-3}`. The result is the model's density at time
    ``t_min``, the data blurred by noise of variance :math:`1 - e^{-2t_\mathrm{min}}`
    (``t_min = 0`` is allowed for scores finite at ``t = 0``, such as :func:`gmm_score`).

    Parameters
    ----------
    score_fn : callable
        ``score_fn(x, t)``.
    x : array_like, shape (n, d)
        Points at time ``t_min``.
    t_min, t_max : float
        ``0 <= t_min < t_max``; the error of the Gaussian end point is :math:`O(e^{-t_\mathrm{max}})`.
    n_steps : int

    Returns
    -------
    numpy.ndarray, shape (n,) (float64)

    Example
    -------
    >>> ll = ode_log_likelihood(lambda x, t: -x, np.zeros((1, 2)))
    >>> round(float(ll[0]), 6)  # log N(0; 0, I) = -log(2 pi)
    -1.837877

    References
    ----------
    R. T. Q. Chen, Y. Rubanova, J. Bettencourt and D. Duvenaud, NeurIPS (2018);
    Y. Song et al., ICLR (2021).
    """
    _check_score_fn(score_fn)
    t_min = check_positive("t_min", t_min, allow_zero=True)
    t_max = check_real("t_max", t_max, low=t_min, low_inclusive=False)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    x = _points("x", x)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (n, d), got {x.shape}")
    return np.asarray(_ode_loglik(score_fn, jnp.asarray(x), t_min, t_max, n_steps=n_steps))


# --------------------------------------------------------------------------- energy-based model

def _energy(params, x):
    return _mlp(params, x.astype(params.weights[0].dtype))[..., 0]


def ebm_energy(params: MLP, x) -> np.ndarray:
    r"""Energy :math:`E_\theta(x)` of the energy network (a scalar per point), :math:`p_\theta \propto e^{-E_\theta}`.

    Parameters
    ----------
    params : MLP
        From :func:`train_ebm` (input width d, output width 1).
    x : array_like, shape (..., d)

    Returns
    -------
    numpy.ndarray, shape (...)

    Example
    -------
    >>> net = init_mlp((2, 8, 1), seed=0)
    >>> ebm_energy(net, np.zeros((4, 2))).shape
    (4,)
    """
    params = _check_mlp(params)
    if not is_tracer(x):
        x = _points("x", x, params.weights[0].shape[0])
    return _out(_energy(params, jnp.asarray(x)))


def _ebm_score(params, x):
    return -jax.grad(lambda y: jnp.sum(_energy(params, y)))(x)


def ebm_score(params: MLP, x) -> np.ndarray:
    r"""Score of the energy-based model, :math:`s_\theta(x) = \nabla_x\log p_\theta(x) = -\nabla_x E_\theta(x)` (autodiff).

    Parameters
    ----------
    params : MLP
    x : array_like, shape (..., d)

    Returns
    -------
    numpy.ndarray, shape (..., d)

    Example
    -------
    >>> net = MLP((jnp.eye(2, 1, dtype=jnp.float32),), (jnp.zeros(1, jnp.float32),))
    >>> ebm_score(net, np.zeros((1, 2))).tolist()  # E = x_1: s = -(1, 0)
    [[-1.0, -0.0]]
    """
    params = _check_mlp(params)
    if not is_tracer(x):
        x = jnp.asarray(_points("x", x, params.weights[0].shape[0]), params.weights[0].dtype)
    return _out(_ebm_score(params, x))


@partial(jax.jit, static_argnames=("n_steps", "batch_size", "n_langevin"))
def _train_ebm(params, data, chains, box, key, learning_rate, step_size, alpha, restart, *,
               n_steps, batch_size, n_langevin):
    optimizer = _adam(learning_rate, n_steps)
    dtype = params.weights[0].dtype
    lo, hi = box

    def langevin(p, x, k):
        def one(x, kk):
            g = -_ebm_score(p, x)
            return x - step_size * g + jnp.sqrt(2.0 * step_size) * jax.random.normal(kk, x.shape, dtype), None
        x, _ = jax.lax.scan(one, x, jax.random.split(k, n_langevin))
        return x

    def loss_fn(p, pos, neg):
        e_pos, e_neg = _energy(p, pos), _energy(p, neg)
        return (jnp.mean(e_pos) - jnp.mean(e_neg)
                + alpha * (jnp.mean(e_pos ** 2) + jnp.mean(e_neg ** 2))), jnp.mean(e_pos) - jnp.mean(e_neg)

    def step(carry, k):
        p, state, chains = carry
        k_pick, k_new, k_mask, k_run = jax.random.split(k, 4)
        fresh = jax.random.uniform(k_new, chains.shape, dtype, lo, hi)
        chains = jnp.where(jax.random.uniform(k_mask, chains.shape[:1] + (1,)) < restart, fresh, chains)
        chains = jax.lax.stop_gradient(langevin(p, chains, k_run))
        pos = data[jax.random.randint(k_pick, (batch_size,), 0, data.shape[0])]
        (_, gap), grads = jax.value_and_grad(loss_fn, has_aux=True)(p, pos, chains)
        updates, state = optimizer.update(grads, state, p)
        p = jax.tree_util.tree_map(jnp.add, p, updates)
        return (p, state, chains), gap

    (params, _, chains), gaps = jax.lax.scan(step, (params, optimizer.init(params), chains),
                                             jax.random.split(key, n_steps))
    return params, gaps


def train_ebm(data, *, width: int = 64, depth: int = 2, n_steps: int = 1500, batch_size: int = 256,
              learning_rate: float = 2e-3, n_langevin: int = 20, step_size: float = 0.01,
              alpha: float = 0.1, restart: float = 0.05, seed: Seed = None) -> TrainResult:
    r"""Train an energy network :math:`E_\theta` by maximum likelihood with short-run Langevin negatives.

    The gradient of the mean log-likelihood of :math:`p_\theta = e^{-E_\theta}/Z_\theta` is the
    Boltzmann-machine rule of chapter 3 with continuous variables, a positive (data) minus a
    negative (model) phase:

    .. math:: -\nabla_\theta\,\langle\log p_\theta\rangle_\mathrm{data}
              = \langle\nabla_\theta E_\theta\rangle_\mathrm{data}
              - \langle\nabla_\theta E_\theta\rangle_{p_\theta} .

    The model average is taken over persistent chains (one per batch element), each advanced
    ``n_langevin`` Langevin steps :math:`x \leftarrow x - \epsilon\nabla E_\theta + \sqrt{2\epsilon}\,\xi`
    per update, with a fraction ``restart`` re-drawn uniformly in the data's bounding box each
    step (Du & Mordatch 2019). A penalty :math:`\alpha(\langle E^2\rangle_\mathrm{data} +
    \langle E^2\rangle_\mathrm{model})` keeps the energies bounded. Adam with a cosine-decayed
    learning rate, one jitted ``lax.scan``, float32.

    Parameters
    ----------
    data : array_like, shape (n, d)
    width, depth : int
        Hidden units per layer and number of hidden layers (SiLU, smooth energies).
    n_steps, batch_size : int
        Parameter updates, and data points (and negative chains) per update.
    learning_rate : float
        Peak learning rate.
    n_langevin : int
        Langevin steps per update.
    step_size : float
        Langevin step :math:`\epsilon`.
    alpha : float
        Energy penalty, >= 0.
    restart : float
        Fraction of chains re-drawn at random each update, in [0, 1].
    seed : int, numpy Generator or JAX key

    Returns
    -------
    TrainResult
        ``params`` (an :class:`MLP`, use with :func:`ebm_energy`) and ``history``, the
        contrastive gap :math:`\langle E\rangle_\mathrm{data} - \langle E\rangle_\mathrm{model}`
        per step (numpy; it hovers around 0 once the two phases balance).

    Example
    -------
    >>> res = train_ebm(np.zeros((10, 2)), width=8, n_steps=10, batch_size=8, seed=0)
    >>> res.history.shape
    (10,)

    References
    ----------
    D. H. Ackley, G. E. Hinton and T. J. Sejnowski, Cognitive Science 9, 147 (1985);
    Y. Du and I. Mordatch, NeurIPS (2019); E. Nijkamp et al., NeurIPS (2019).
    """
    data = check_array("data", data, ndim=2, dtype="float")
    if data.shape[0] < 1:
        raise ValueError("data must contain at least one point")
    width = check_int("width", width, minimum=1)
    depth = check_int("depth", depth, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    n_langevin = check_int("n_langevin", n_langevin, minimum=1)
    step_size = check_positive("step_size", step_size)
    alpha = check_positive("alpha", alpha, allow_zero=True)
    restart = check_real("restart", restart, low=0.0, high=1.0)
    d = data.shape[1]
    k_init, k_chains, k_train = jax.random.split(as_key(seed), 3)
    params = init_mlp((d,) + (width,) * depth + (1,), seed=k_init)
    pad = 0.1 * (data.max(axis=0) - data.min(axis=0)) + 1e-3
    box = (jnp.asarray(data.min(axis=0) - pad, jnp.float32), jnp.asarray(data.max(axis=0) + pad, jnp.float32))
    chains = jax.random.uniform(k_chains, (batch_size, d), jnp.float32, box[0], box[1])
    params, gaps = _train_ebm(params, jnp.asarray(data, jnp.float32), chains, box, k_train,
                              learning_rate, step_size, alpha, restart, n_steps=n_steps,
                              batch_size=batch_size, n_langevin=n_langevin)
    return TrainResult(params, np.asarray(gaps))


def ebm_density_grid(params: MLP, xs, ys) -> np.ndarray:
    r"""Density :math:`e^{-E_\theta(x, y)}/Z` of a 2-D energy model, normalised on a rectangular grid.

    .. math:: p_{ij} = \frac{e^{-E_\theta(x_j, y_i)}}{\sum_{kl} e^{-E_\theta(x_l, y_k)}\,\Delta x\,\Delta y},

    the partition function by the midpoint rule on the (uniform) grid, which must cover the
    model's mass.

    Parameters
    ----------
    params : MLP
        A 2-D energy network.
    xs, ys : array_like, shapes (nx,), (ny,)
        Uniformly spaced grid coordinates (at least 2 each).

    Returns
    -------
    numpy.ndarray, shape (ny, nx) (float64), summing to :math:`1/(\Delta x\,\Delta y)`.

    Example
    -------
    >>> net = MLP((jnp.zeros((2, 1), jnp.float32),), (jnp.zeros(1, jnp.float32),))
    >>> p = ebm_density_grid(net, np.linspace(0, 1, 11), np.linspace(0, 2, 21))
    >>> round(float(p.sum() * 0.1 * 0.1), 6), round(float(p[0, 0]), 6)  # flat: 1 / (231 * 0.01)
    (1.0, 0.4329)
    """
    params = _check_mlp(params)
    if params.weights[0].shape[0] != 2:
        raise ValueError(f"params must be a 2-D energy network, got input width {params.weights[0].shape[0]}")
    xs = check_array("xs", xs, ndim=1, dtype="float")
    ys = check_array("ys", ys, ndim=1, dtype="float")
    for name, g in (("xs", xs), ("ys", ys)):
        if g.size < 2 or not np.allclose(np.diff(g), g[1] - g[0], rtol=1e-6) or g[1] <= g[0]:
            raise ValueError(f"{name} must be an increasing uniform grid of at least 2 points")
    X, Y = np.meshgrid(xs, ys)
    E = np.asarray(_energy(params, jnp.asarray(np.stack([X, Y], axis=-1))), dtype=np.float64)
    w = np.exp(-(E - E.min()))
    return w / (w.sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))


# --------------------------------------------------------------------------- diagnostics

def sliced_wasserstein(x, y, *, n_projections: int = 200, seed: Seed = None) -> float:
    r"""Sliced 2-Wasserstein distance between two point clouds.

    .. math:: SW_2(x, y) = \Big(\mathbb E_{\theta \sim S^{d-1}}\; W_2^2\big(\theta\cdot x,\ \theta\cdot y\big)\Big)^{1/2},

    with the one-dimensional :math:`W_2` computed exactly from sorted projections (quantiles
    at the levels :math:`(i + \tfrac12)/n` when the sample sizes differ) and the average over
    ``n_projections`` random directions.

    Parameters
    ----------
    x : array_like, shape (n, d)
    y : array_like, shape (m, d)
    n_projections : int
    seed : int, numpy Generator or JAX key
        Randomness of the directions.

    Returns
    -------
    float

    Example
    -------
    >>> x = np.random.default_rng(0).normal(size=(500, 2))
    >>> round(sliced_wasserstein(x, x + [3.0, 0.0], seed=0) ** 2 * 2 / 9, 1)  # E cos^2 = 1/2
    1.0

    References
    ----------
    J. Rabin, G. Peyré, J. Delon and M. Bernot, SSVM (2011); N. Bonneel et al.,
    J. Math. Imaging Vis. 51, 22 (2015).
    """
    x = check_array("x", x, ndim=2, dtype="float")
    y = check_array("y", y, ndim=2, dtype="float")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    if len(x) < 1 or len(y) < 1:
        raise ValueError("x and y must each contain at least one point")
    n_projections = check_int("n_projections", n_projections, minimum=1)
    theta = as_generator(seed).normal(size=(x.shape[1], n_projections))
    theta /= np.linalg.norm(theta, axis=0)
    px, py = np.sort(x @ theta, axis=0), np.sort(y @ theta, axis=0)
    if len(px) != len(py):
        levels = (np.arange(max(len(px), len(py))) + 0.5) / max(len(px), len(py))
        px = np.quantile(px, levels, axis=0)
        py = np.quantile(py, levels, axis=0)
    return float(np.sqrt(np.mean((px - py) ** 2)))


def speciation_time(data) -> float:
    r"""Speciation time :math:`t_s = \tfrac12\log\Lambda` of Biroli, Bonnaire, de Bortoli and Mézard (2024).

    :math:`\Lambda` is the largest eigenvalue of the data covariance. A backward trajectory
    commits to one class of the data around :math:`t_s`: there the signal along the top
    principal direction, :math:`e^{-t}\sqrt\Lambda`, rises above the unit noise of the
    equilibrium, and the Gaussian potential of the diffused data turns from a single well into a
    double well (a symmetry breaking).

    Parameters
    ----------
    data : array_like, shape (n, d)
        At least 2 points.

    Returns
    -------
    float

    Example
    -------
    >>> x = np.array([[-3.0, 0.0], [3.0, 0.0]])
    >>> round(speciation_time(x), 6)  # Lambda = 9 (population covariance), t_s = log 3
    1.098612

    References
    ----------
    G. Biroli, T. Bonnaire, V. de Bortoli and M. Mézard, "Dynamical regimes of diffusion
    models", Nature Communications 15, 9957 (2024).
    """
    data = check_array("data", data, ndim=2, dtype="float")
    if len(data) < 2:
        raise ValueError(f"data must contain at least 2 points, got {len(data)}")
    lam = float(np.linalg.eigvalsh(np.cov(data.T, bias=True).reshape(data.shape[1], data.shape[1]))[-1])
    if lam <= 0:
        raise ValueError("data has zero variance: the speciation time is undefined")
    return 0.5 * float(np.log(lam))


def commitment(score_fn: ScoreFn, classify: Callable[[np.ndarray], np.ndarray], times, *, n: int,
               dim: int, t_max: float = 8.0, t_min: float = 1e-3, n_steps: int = 100,
               seed: Seed = None) -> Commitment:
    r"""Cloning experiment: how often do two continuations of one backward trajectory end in the same class?

    For each cloning time :math:`\tau`: start ``n`` trajectories in equilibrium at ``t_max``, run
    :func:`reverse_sde` to :math:`\tau`, copy each, run both copies independently to ``t_min``
    and label the end points with ``classify``. The fraction of pairs with equal labels,

    .. math:: \phi(\tau) = P\big(\mathrm{class}(x_0^{(1)}) = \mathrm{class}(x_0^{(2)}) \,\big|\, x_\tau\big),

    rises from the chance level (1/2 for two equal classes) at large :math:`\tau` to 1 at small
    :math:`\tau`; the crossover is the speciation time (:func:`speciation_time`).

    Parameters
    ----------
    score_fn : callable
        ``score_fn(x, t)``.
    classify : callable
        Maps end points ``(n, dim)`` (numpy) to integer labels ``(n,)``.
    times : array_like, shape (n_times,)
        Cloning times, each in ``(t_min, t_max)``.
    n, dim : int
        Trajectories per cloning time, and dimension.
    t_max, t_min : float
    n_steps : int
        Euler-Maruyama steps of each of the two legs.
    seed : int, numpy Generator or JAX key

    Returns
    -------
    Commitment
        ``times`` and ``probability`` (an Estimate: fraction and binomial error, numpy arrays).

    Example
    -------
    >>> m, S, w = np.array([[-3.0], [3.0]]), np.ones((2, 1, 1)), np.full(2, 0.5)
    >>> score = lambda x, t: gmm_score(x, t, m, S, w)
    >>> c = commitment(score, lambda x: x[:, 0] > 0, [0.2, 4.0], n=400, dim=1, seed=0)
    >>> bool(c.probability.mean[0] > 0.95 and c.probability.mean[1] < 0.65)
    True

    References
    ----------
    G. Biroli, T. Bonnaire, V. de Bortoli and M. Mézard, Nature Communications 15, 9957 (2024).
    """
    _check_score_fn(score_fn)
    if not callable(classify):
        raise TypeError(f"classify must be callable, got {type(classify).__name__}")
    t_max, t_min, n_steps = _sampler_args(score_fn, t_max, t_min, n_steps, "t_max", "t_min")
    n = check_int("n", n, minimum=1)
    dim = check_int("dim", dim, minimum=1)
    times = check_array("times", times, ndim=1, dtype="float")
    if times.size == 0 or np.any(times <= t_min) or np.any(times >= t_max):
        raise ValueError(f"times must be a non-empty list of cloning times in ({t_min}, {t_max})")
    k_start, k_first, k_second = jax.random.split(as_key(seed), 3)
    tau = jnp.repeat(jnp.asarray(times), n)                 # every cloning time in one batch
    x = jax.random.normal(k_start, (tau.size, dim), jnp.float64)
    x = _reverse_sde(score_fn, x, jnp.full_like(tau, t_max), tau, k_first, n_steps=n_steps)
    ends = _reverse_sde(score_fn, jnp.concatenate([x, x]), jnp.concatenate([tau, tau]),
                        jnp.full(2 * tau.size, t_min), k_second, n_steps=n_steps)
    labels = np.asarray(classify(np.asarray(ends))).reshape(2, times.size, n)
    probs = np.mean(labels[0] == labels[1], axis=-1)
    err = np.sqrt(np.maximum(probs * (1 - probs), 1.0 / n) / n)
    return Commitment(times, Estimate(probs, err))
