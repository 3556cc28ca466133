r"""Learning phases of matter: Ising datasets, phase classifiers trained far from Tc, the learned crossing."""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._results import TrainResult
from .._validate import (check_array, check_choice, check_int, check_positive, check_real,
                        check_spins)
from ..random import Seed, as_generator, as_key, seed_int
from .. import stats
from ..stats import Estimate

__all__ = [
    "IsingDataset",
    "ising_dataset",
    "PhaseClassifier",
    "train_classifier",
    "phase_probability",
    "crossing_temperature",
    "PhaseScan",
    "learn_phases",
]

# =============================================================================
# Learning phases of matter
# =============================================================================
class IsingDataset(NamedTuple):
    """Labelled Ising configurations (see :func:`ising_dataset`)."""

    configs: np.ndarray
    temperature: np.ndarray
    label: np.ndarray
    temperatures: np.ndarray


def ising_dataset(L: int, temperatures, n_per_T: int, *, seed: Seed = None,
                  n_sweeps: int | None = None) -> IsingDataset:
    r"""Equilibrated, independent 2-D Ising configurations labelled by phase.

    For each temperature, ``n_per_T`` independent chains (one configuration
    each, so the samples are uncorrelated) run ``n_sweeps`` Metropolis
    checkerboard sweeps (:func:`physbook.ising.metropolis`), all temperatures
    in one batch. Chains below :math:`T_c` start ordered (no long-lived
    stripe states), chains above start random; finally each configuration is
    flipped :math:`s \to -s` with probability 1/2, an exact symmetry of the
    Boltzmann weight that local updates cannot sample below :math:`T_c`.
    The label is the phase,

    .. math:: y = \begin{cases} 1 & T < T_c = 2/\ln(1+\sqrt2) \ \text{(ordered)}\\
                                0 & T \ge T_c \ \text{(disordered)} \end{cases}

    Parameters
    ----------
    L : int
        Lattice side (even).
    temperatures : array_like, shape (n_T,)
        Temperatures (> 0).
    n_per_T : int
        Configurations per temperature.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness.
    n_sweeps : int, optional
        Equilibration sweeps per chain (default :math:`\max(500, L^2)`).

    Returns
    -------
    IsingDataset
        ``configs`` (n_T * n_per_T, L, L) int8, per-configuration ``temperature``
        and ``label`` (1 ordered, 0 disordered), and the grid ``temperatures``.

    Example
    -------
    >>> ds = ising_dataset(8, [1.5, 3.5], 4, seed=0)
    >>> ds.configs.shape, ds.label.tolist()
    ((8, 8, 8), [1, 1, 1, 1, 0, 0, 0, 0])

    References
    ----------
    J. Carrasquilla and R. G. Melko, Nature Physics 13, 431 (2017).
    """
    from .. import ising

    L = check_int("L", L, minimum=2)
    if L % 2:
        raise ValueError(f"L must be even (checkerboard updates), got {L}")
    temps = check_array("temperatures", temperatures, ndim=1, dtype="float")
    if temps.size == 0 or np.any(temps <= 0):
        raise ValueError("temperatures must be a non-empty 1-D array of positive temperatures")
    n_per_T = check_int("n_per_T", n_per_T, minimum=1)
    n_sweeps = max(500, L * L) if n_sweeps is None else check_int("n_sweeps", n_sweeps, minimum=0)
    rng = as_generator(seed)
    tc = ising.critical_temperature()
    shape = (temps.size, n_per_T, L, L)
    start = ising.random_spins(shape, seed=rng)
    start[temps < tc] = 1
    spins = np.asarray(ising.metropolis(start, temps[:, None], n_sweeps, seed=rng))
    flips = np.where(rng.random(shape[:2]) < 0.5, -1, 1).astype(np.int8)
    configs = (spins * flips[..., None, None]).reshape(-1, L, L)
    per_config = np.repeat(temps, n_per_T)
    return IsingDataset(configs, per_config, (per_config < tc).astype(np.int8), temps)


class PhaseClassifier(NamedTuple):
    """A trained phase classifier: ``kind`` ("logistic" or "mlp"), ``params``, ``fix_sign``."""

    kind: str
    params: tuple
    fix_sign: bool


def _features(configs, fix_sign):
    x = configs.reshape(configs.shape[0], -1).astype(np.float32)
    if fix_sign:
        x = x * np.where(x.sum(axis=1, keepdims=True) < 0, -1.0, 1.0).astype(np.float32)
    return x


def _logit(kind, params, x):
    if kind == "logistic":
        w, b = params
        return x @ w + b
    w1, b1, w2, b2 = params
    return jnp.tanh(x @ w1 + b1) @ w2 + b2


def _init_classifier(key, kind, n_in, n_hidden):
    if kind == "logistic":
        return (jnp.zeros((n_in,), jnp.float32), jnp.zeros((), jnp.float32))
    k1, k2 = jax.random.split(key)
    return (jax.random.normal(k1, (n_in, n_hidden), jnp.float32) / np.sqrt(n_in),
            jnp.zeros((n_hidden,), jnp.float32),
            jax.random.normal(k2, (n_hidden,), jnp.float32) / np.sqrt(n_hidden),
            jnp.zeros((), jnp.float32))


@partial(jax.jit, static_argnames=("kind", "n_hidden", "n_steps", "learning_rate"))
def _train_classifiers(keys, weights, x, y, l2, *, kind, n_hidden, n_steps, learning_rate):
    """Train one model per (key, sample-weight vector) at once (vmap); full-batch Adam."""
    import optax

    opt = optax.adam(learning_rate)

    def train_one(key, w):
        params = _init_classifier(key, kind, x.shape[1], n_hidden)

        def loss_fn(p):
            z = _logit(kind, p, x)
            nll = jnp.sum(w * (jax.nn.softplus(z) - y * z)) / jnp.sum(w)
            return nll + l2 * sum(jnp.sum(q ** 2) for q in jax.tree_util.tree_leaves(p)[::2])

        def step(carry, _):
            p, s = carry
            loss, g = jax.value_and_grad(loss_fn)(p)
            u, s = opt.update(g, s, p)
            return (optax.apply_updates(p, u), s), loss

        (params, _), losses = jax.lax.scan(step, (params, opt.init(params)), None, length=n_steps)
        return params, losses

    return jax.vmap(train_one)(keys, weights)


def _classifier_args(configs, labels, model, n_hidden, fix_sign, n_steps, learning_rate, l2):
    c = check_spins("configs", configs, min_ndim=2)
    if c.ndim != 3:
        raise ValueError(f"configs must have shape (n, L, L), got {c.shape}")
    y = check_array("labels", labels, ndim=1)
    if y.shape[0] != c.shape[0] or not np.all((y == 0) | (y == 1)):
        raise ValueError(f"labels must be {c.shape[0]} values in {{0, 1}}, one per configuration")
    if np.all(y == y[0]):
        raise ValueError("labels must contain both phases (0 and 1)")
    model = check_choice("model", model, ("logistic", "mlp"))
    n_hidden = check_int("n_hidden", n_hidden, minimum=1)
    fix_sign = (model == "logistic") if fix_sign is None else bool(fix_sign)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    l2 = check_positive("l2", l2, allow_zero=True)
    return c, y.astype(np.float32), model, n_hidden, fix_sign, n_steps, learning_rate, l2


def train_classifier(configs, labels, *, model: str = "mlp", n_hidden: int = 4,
                     fix_sign: bool | None = None, n_steps: int = 500,
                     learning_rate: float = 0.1, l2: float = 1e-3,
                     seed: Seed = None) -> TrainResult:
    r"""Train a phase classifier on raw spin configurations (full-batch Adam, float32).

    Logistic regression and a one-hidden-layer perceptron,

    .. math::
        p_\mathrm{log}(s) = \sigma(w\cdot x + b), \qquad
        p_\mathrm{mlp}(s) = \sigma\big(v \cdot \tanh(W x + c) + b\big),

    with :math:`x` the flattened spins, minimise the cross-entropy plus
    :math:`\lambda \sum w^2` on the weights. A linear model cannot separate
    the two ordered states :math:`\pm m` from the disordered one (the score
    :math:`w\cdot s` is odd under :math:`s\to -s`), so by default the logistic
    model sees sign-fixed spins :math:`x = s\,\mathrm{sign}(\sum_i s_i)`; the
    perceptron gets raw spins and must learn the symmetry itself.

    Parameters
    ----------
    configs : array_like of {-1, +1}, shape (n, L, L)
        Training configurations.
    labels : array_like, shape (n,)
        1 for ordered, 0 for disordered.
    model : {"mlp", "logistic"}
        The classifier.
    n_hidden : int
        Hidden units of the perceptron.
    fix_sign : bool, optional
        Fix the global sign of each configuration first (default: True for
        "logistic", False for "mlp").
    n_steps, learning_rate, l2 : int, float, float
        Adam steps, step size and weight decay :math:`\lambda`.
    seed : int, numpy.random.Generator, JAX key or None
        Initialisation.

    Returns
    -------
    TrainResult
        ``params``: the :class:`PhaseClassifier`; ``history``: the training loss
        (cross-entropy plus weight decay) before each step, shape (n_steps,).

    Example
    -------
    >>> ds = ising_dataset(8, [1.2, 4.0], 20, seed=0)
    >>> clf = train_classifier(ds.configs, ds.label, seed=0).params
    >>> bool(np.mean((phase_probability(clf, ds.configs) > 0.5) == ds.label) > 0.9)
    True

    References
    ----------
    J. Carrasquilla and R. G. Melko, Nature Physics 13, 431 (2017).
    """
    c, y, model, n_hidden, fix_sign, n_steps, learning_rate, l2 = _classifier_args(
        configs, labels, model, n_hidden, fix_sign, n_steps, learning_rate, l2)
    x = jnp.asarray(_features(c, fix_sign))
    params, losses = _train_classifiers(as_key(seed)[None], jnp.ones((1, x.shape[0]), jnp.float32), x,
                                   jnp.asarray(y), jnp.float32(l2), kind=model, n_hidden=n_hidden,
                                   n_steps=n_steps, learning_rate=learning_rate)
    return TrainResult(PhaseClassifier(model, tuple(np.asarray(p[0]) for p in params), fix_sign),
                       np.asarray(losses[0], dtype=np.float64))


def phase_probability(model: PhaseClassifier, configs) -> np.ndarray:
    r"""Probability :math:`p(s)` that each configuration is in the ordered phase.

    Parameters
    ----------
    model : PhaseClassifier
        From :func:`train_classifier` (or one of :func:`learn_phases`' models).
    configs : array_like of {-1, +1}, shape (..., L, L)
        Configurations of the lattice size the model was trained on.

    Returns
    -------
    numpy.ndarray, shape configs.shape[:-2]

    Example
    -------
    >>> ds = ising_dataset(8, [1.2, 4.0], 20, seed=0)
    >>> clf = train_classifier(ds.configs, ds.label, model="logistic", seed=0).params
    >>> phase_probability(clf, ds.configs).shape
    (40,)
    """
    if not isinstance(model, PhaseClassifier):
        raise TypeError(f"model must be a PhaseClassifier, got {type(model).__name__}")
    c = check_spins("configs", configs, min_ndim=2)
    n_in = model.params[0].shape[0]
    if c.shape[-1] * c.shape[-2] != n_in:
        raise ValueError(f"configs must have {n_in} spins per configuration (the model's lattice), "
                         f"got shape {c.shape}")
    x = _features(c.reshape((-1,) + c.shape[-2:]), model.fix_sign)
    z = np.asarray(_logit(model.kind, tuple(jnp.asarray(p) for p in model.params), jnp.asarray(x)))
    return (1.0 / (1.0 + np.exp(-z.astype(np.float64)))).reshape(c.shape[:-2])


def crossing_temperature(temperatures, probability, *, level: float = 0.5) -> float:
    r"""Temperature where the ordered-phase probability falls through ``level``.

    Linear interpolation between the two grid temperatures that bracket the
    first crossing of :math:`\bar p(T) = \text{level}` from above:

    .. math:: T_\times = T_k + (T_{k+1} - T_k)\,
              \frac{\bar p(T_k) - \text{level}}{\bar p(T_k) - \bar p(T_{k+1})}.

    Parameters
    ----------
    temperatures : array_like, shape (n_T,)
        Increasing temperatures.
    probability : array_like, shape (n_T,)
        Mean ordered-phase probability at each temperature.
    level : float
        Threshold in (0, 1).

    Returns
    -------
    float
        :math:`T_\times`; raises ``ValueError`` if the curve never crosses.

    Example
    -------
    >>> crossing_temperature([2.0, 2.5], [0.8, 0.2])
    2.25
    """
    T = check_array("temperatures", temperatures, ndim=1, dtype="float")
    p = check_array("probability", probability, ndim=1, dtype="float")
    if T.shape != p.shape or T.size < 2:
        raise ValueError(f"temperatures and probability must be 1-D of equal length >= 2, "
                         f"got {T.shape} and {p.shape}")
    if np.any(np.diff(T) <= 0):
        raise ValueError("temperatures must be strictly increasing")
    level = check_real("level", level, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    if not np.any((p[:-1] >= level) & (p[1:] < level)):
        raise ValueError(f"probability never falls through level={level} on this temperature grid")
    return stats.crossing(T, p, level=level, direction="down").mean


class PhaseScan(NamedTuple):
    """Outcome of :func:`learn_phases`: one row of ``probability`` and one crossing per model."""

    temperatures: np.ndarray
    probability: np.ndarray
    crossings: np.ndarray
    crossing: Estimate
    models: list


def _translate(configs, n_copies, rng):
    """``configs`` followed by ``n_copies`` randomly translated copies of each (periodic lattice)."""
    n, lx, ly = configs.shape
    out = [configs]
    ii, jj = np.arange(lx)[None, :, None], np.arange(ly)[None, None, :]
    for _ in range(n_copies):
        dx = rng.integers(0, lx, size=(n, 1, 1))
        dy = rng.integers(0, ly, size=(n, 1, 1))
        out.append(configs[np.arange(n)[:, None, None], (ii + dx) % lx, (jj + dy) % ly])
    return np.concatenate(out)


def learn_phases(dataset: IsingDataset, *, train_below: float, train_above: float,
                 model: str = "mlp", n_models: int = 8, translations: int = 0,
                 seed: Seed = None, **train_kwargs) -> PhaseScan:
    r"""Train classifiers far from :math:`T_c` and locate where their output crosses 1/2.

    Only configurations with :math:`T \le` ``train_below`` or :math:`T \ge`
    ``train_above`` are used for training; the window in between, around
    :math:`T_c`, is never seen. Each of ``n_models`` classifiers is trained on
    a bootstrap resample of the training set (multinomial weights) from its own
    initialisation, all in one vectorised call; its mean ordered-phase
    probability :math:`\bar p(T)` over the configurations at each temperature
    gives a crossing :math:`T_\times` (:func:`crossing_temperature`).
    With ``translations > 0`` each training configuration also enters as that
    many randomly translated copies: translations are symmetries of the
    Hamiltonian, so this teaches the invariance without adding information
    (the bootstrap resamples the original configurations, copies included). The
    estimate is the mean of the crossings, its error their standard deviation
    (the bootstrap standard error, models and data resampled together).

    Parameters
    ----------
    dataset : IsingDataset
        From :func:`ising_dataset`.
    train_below, train_above : float
        Edges of the excluded window (``train_below < train_above``).
    model : {"mlp", "logistic"}
        The classifier (see :func:`train_classifier`).
    n_models : int
        Bootstrap replicas (>= 2).
    translations : int
        Randomly translated copies added per training configuration (>= 0).
    seed : int, numpy.random.Generator, JAX key or None
        Resampling, translations and initialisation.
    **train_kwargs
        ``n_hidden``, ``fix_sign``, ``n_steps``, ``learning_rate``, ``l2`` of
        :func:`train_classifier`.

    Returns
    -------
    PhaseScan
        ``temperatures``, ``probability`` (n_models, n_T), per-model ``crossings``
        (NaN where a curve never crosses), ``crossing`` as an
        :class:`~physbook.stats.Estimate` over the models that cross, and the ``models``.

    Example
    -------
    >>> ds = ising_dataset(8, np.linspace(1.4, 3.4, 6), 20, seed=0)
    >>> scan = learn_phases(ds, train_below=1.8, train_above=3.0, n_models=3, seed=0)
    >>> scan.probability.shape
    (3, 6)

    References
    ----------
    J. Carrasquilla and R. G. Melko, Nature Physics 13, 431 (2017);
    B. Efron and R. J. Tibshirani, An Introduction to the Bootstrap (1993).
    """
    if not isinstance(dataset, IsingDataset):
        raise TypeError(f"dataset must be an IsingDataset (from ising_dataset), got {type(dataset).__name__}")
    lo = check_real("train_below", train_below)
    hi = check_real("train_above", train_above)
    if lo >= hi:
        raise ValueError(f"train_below must be < train_above, got {lo} and {hi}")
    n_models = check_int("n_models", n_models, minimum=2)
    translations = check_int("translations", translations, minimum=0)
    opts = _classifier_defaults()
    unknown = set(train_kwargs) - set(opts)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)} for train_classifier")
    opts.update(train_kwargs)
    mask = (dataset.temperature <= lo) | (dataset.temperature >= hi)
    if not (np.any(dataset.label[mask] == 1) and np.any(dataset.label[mask] == 0)):
        raise ValueError("the training window must contain temperatures of both phases "
                         f"(train_below={lo}, train_above={hi})")
    temps = dataset.temperatures
    if not np.all(np.diff(temps) > 0):
        raise ValueError("dataset.temperatures must be strictly increasing")
    c, y, kind, n_hidden, fix_sign, n_steps, lr, l2 = _classifier_args(
        dataset.configs[mask], dataset.label[mask], model, opts["n_hidden"], opts["fix_sign"],
        opts["n_steps"], opts["learning_rate"], opts["l2"])
    rng = as_generator(seed)
    # 1. a bootstrap resample of the training window per model (as sample weights), plus translations
    weights, c, y = _bootstrap_window(c, y, n_models, translations, rng)
    # 2. all models trained at once (vmap over models)
    keys = jax.random.split(as_key(seed_int(rng)), n_models)
    params, _ = _train_classifiers(keys, jnp.asarray(weights, jnp.float32),
                                   jnp.asarray(_features(c, fix_sign)), jnp.asarray(y),
                                   jnp.float32(l2), kind=kind, n_hidden=n_hidden,
                                   n_steps=n_steps, learning_rate=lr)
    models = [PhaseClassifier(kind, tuple(np.asarray(p[i]) for p in params), fix_sign)
              for i in range(n_models)]
    # 3. every model's mean ordered-phase probability on the whole temperature grid, and its crossing
    prob = _probability_by_temperature(models, dataset)
    crossings = np.array([_crossing_or_nan(temps, row) for row in prob])
    good = crossings[np.isfinite(crossings)]
    if good.size < 2:
        raise ValueError("fewer than two models produced a crossing; widen the temperature grid")
    return PhaseScan(temps, prob, crossings, Estimate(float(good.mean()), float(good.std(ddof=1))),
                     models)


def _classifier_defaults() -> dict:
    """The training options of :func:`train_classifier` with their defaults (one place: its signature)."""
    import inspect

    names = ("n_hidden", "fix_sign", "n_steps", "learning_rate", "l2")
    params = inspect.signature(train_classifier).parameters
    return {k: params[k].default for k in names}


def _bootstrap_window(c, y, n_models, translations, rng):
    """Multinomial bootstrap weights, one row per model, and the translated copies of the data."""
    n_train = c.shape[0]
    weights = np.tile(rng.multinomial(n_train, np.full(n_train, 1.0 / n_train), size=n_models),
                      (1, translations + 1))
    return weights, _translate(c, translations, rng), np.tile(y, translations + 1)


def _probability_by_temperature(models, dataset) -> np.ndarray:
    """Mean p(ordered) per grid temperature for each model, shape (n_models, n_T)."""
    temps = dataset.temperatures
    index = np.searchsorted(temps, dataset.temperature)
    counts = np.bincount(index, minlength=temps.size)
    return np.array([np.bincount(index, phase_probability(m, dataset.configs), temps.size) / counts
                     for m in models])


def _crossing_or_nan(temps, row) -> float:
    try:
        return crossing_temperature(temps, row)
    except ValueError:
        return float("nan")
