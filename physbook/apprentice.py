r"""AI as the physicist's apprentice: learning phases, surrogate-driven discovery, denoising signals.

Three applications of machine learning to physics, each next to the physics
baseline it must be measured against:

* Signals. :func:`chirp` (a Newtonian gravitational-wave inspiral), white
  noise at a chosen optimal SNR (:func:`add_noise`), the physics optimum for
  known templates (:func:`template_bank`, :func:`matched_filter`), the linear
  optimum for a known spectrum (:func:`wiener_filter`), and a small 1-D
  convolutional denoising autoencoder (:func:`train_denoiser`,
  :func:`denoise`) trained on simulated data; metrics :func:`overlap` and
  :func:`roc_curve`.
* Surrogates. :func:`bayes_opt`, Bayesian optimisation with a Gaussian-process
  surrogate built on :mod:`physbook.nngp` (RBF kernel, hyperparameters by
  marginal likelihood), and :func:`grid_calls`, the cost of the uniform grid it
  competes with.
* Phases. :func:`ising_dataset` from :mod:`physbook.ising`, classifiers
  trained far from :math:`T_c` (:func:`train_classifier`,
  :func:`phase_probability`, :func:`learn_phases` with a bootstrap over
  models), :func:`crossing_temperature`, and unsupervised :func:`pca`.

Networks are tiny JAX models trained with optax (float32); everything else is
float64. Randomness enters only through ``seed``.

References
----------
J. Carrasquilla and R. G. Melko, Nature Physics 13, 431 (2017); L. Wang,
Phys. Rev. B 94, 195105 (2016); D. R. Jones, M. Schonlau and W. J. Welch,
J. Global Optim. 13, 455 (1998); C. Cutler and E. E. Flanagan, Phys. Rev. D 49,
2658 (1994); D. George and E. A. Huerta, Phys. Lett. B 778, 64 (2018);
N. Wiener (1949).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._validate import (check_array, check_choice, check_int, check_positive, check_real,
                        check_spins)
from .random import Seed, as_generator, as_key, seed_int
from .stats import Estimate

__all__ = [
    # signals
    "GM_SUN_S", "chirp", "chirp_frequency", "noise_sigma", "add_noise", "overlap",
    "TemplateBank", "template_bank", "MatchedFilterResult", "matched_filter",
    "power_spectrum", "wiener_filter", "ROC", "roc_curve",
    "DenoiserConfig", "Denoiser", "train_denoiser", "denoise",
    # surrogate loop
    "BayesOptResult", "bayes_opt", "grid_calls",
    # phases
    "IsingDataset", "ising_dataset", "PhaseClassifier", "train_classifier",
    "phase_probability", "crossing_temperature", "PhaseScan", "learn_phases",
    "PCAResult", "pca",
]

# =============================================================================
# Signals: chirps in noise, matched filter, Wiener filter, denoising autoencoder
# =============================================================================
#: :math:`G M_\odot / c^3` in seconds: the Sun's mass as a time.
GM_SUN_S = 4.925490947e-6


# ----------------------------------------------------------------------------- chirps
def _chirp_scales(chirp_mass):
    """Return (M in seconds, f_ISCO, tau at ISCO) for equal-mass binaries of chirp mass ``chirp_mass``."""
    m = chirp_mass * GM_SUN_S
    m_total = 2.0 ** 1.2 * m  # equal masses: M_total = 2^(6/5) M_chirp
    f_isco = 1.0 / (6.0 ** 1.5 * jnp.pi * m_total)
    tau_isco = 5.0 / 256.0 * m ** (-5.0 / 3.0) * (jnp.pi * f_isco) ** (-8.0 / 3.0)
    return m, f_isco, tau_isco


def _chirp(t, t_c, chirp_mass, phase):
    """Newtonian chirp, pure jax.numpy, broadcasting over all arguments (peak amplitude 1)."""
    m, _, tau_isco = _chirp_scales(chirp_mass)
    tau = t_c - t
    inspiral = tau > tau_isco
    tau_s = jnp.where(inspiral, tau, tau_isco)
    gw_phase = -2.0 * (tau_s / (5.0 * m)) ** 0.625
    amplitude = (tau_s / tau_isco) ** -0.25
    return jnp.where(inspiral, amplitude * jnp.cos(gw_phase + phase), 0.0)


def chirp(t, *, t_c: float, chirp_mass: float = 30.0, phase: float = 0.0,
          amplitude: float = 1.0) -> np.ndarray:
    r"""Newtonian (leading post-Newtonian order) gravitational-wave chirp of an equal-mass binary.

    With :math:`\tau = t_c - t` the time to coalescence and
    :math:`\mathcal M = G M_\mathrm{chirp}/c^3` the chirp mass as a time,

    .. math::

        f(\tau) = \frac{1}{\pi}\Big(\frac{5}{256\,\tau}\Big)^{3/8}\mathcal M^{-5/8}
        \propto \tau^{-3/8},\qquad
        h(t) = A\,\Big(\frac{\tau}{\tau_\mathrm{ISCO}}\Big)^{-1/4}
        \cos\!\Big(\phi - 2\Big(\frac{\tau}{5\mathcal M}\Big)^{5/8}\Big),

    so that :math:`\dot\Phi = 2\pi f` and the amplitude grows like :math:`f^{2/3}`.
    The inspiral is cut (set to zero) once the frequency reaches the innermost
    stable circular orbit, :math:`f_\mathrm{ISCO} = c^3/(6^{3/2}\pi G M_\mathrm{total})`
    with :math:`M_\mathrm{total} = 2^{6/5} M_\mathrm{chirp}`, where the peak amplitude is :math:`A`.

    Parameters
    ----------
    t : array_like
        Times in seconds.
    t_c : float
        Coalescence time in seconds.
    chirp_mass : float
        Chirp mass in solar masses (GW150914: about 30).
    phase : float
        Phase :math:`\phi` at coalescence (radians).
    amplitude : float
        Peak amplitude :math:`A` (reached at the ISCO cut).

    Returns
    -------
    numpy.ndarray
        :math:`h(t)`, the same shape as ``t``.

    Example
    -------
    >>> t = np.arange(256) / 256.0
    >>> h = chirp(t, t_c=0.9, chirp_mass=30.0)
    >>> float(np.abs(h).max()) <= 1.0
    True

    References
    ----------
    C. Cutler and E. E. Flanagan, Phys. Rev. D 49, 2658 (1994);
    B. P. Abbott et al. (LIGO/Virgo), Phys. Rev. Lett. 116, 061102 (2016).
    """
    t = check_array("t", t, dtype="float")
    t_c = check_real("t_c", t_c)
    chirp_mass = check_positive("chirp_mass", chirp_mass)
    phase = check_real("phase", phase)
    amplitude = check_real("amplitude", amplitude)
    return amplitude * np.asarray(_chirp(jnp.asarray(t), t_c, chirp_mass, phase))


def chirp_frequency(t, *, t_c: float, chirp_mass: float = 30.0) -> np.ndarray:
    r"""Instantaneous gravitational-wave frequency of :func:`chirp`, in Hz.

    .. math:: f(\tau) = \frac{1}{\pi}\Big(\frac{5}{256\,\tau}\Big)^{3/8}\mathcal M^{-5/8},
              \qquad \tau = t_c - t,

    and NaN where the chirp is cut (after the ISCO, :math:`f > f_\mathrm{ISCO}`).

    Parameters
    ----------
    t : array_like
        Times in seconds.
    t_c : float
        Coalescence time in seconds.
    chirp_mass : float
        Chirp mass in solar masses.

    Returns
    -------
    numpy.ndarray
        :math:`f(t)` in Hz, NaN after the cut.

    Example
    -------
    >>> f = chirp_frequency(np.array([0.0, 0.5]), t_c=1.0, chirp_mass=30.0)
    >>> bool(f[1] > f[0])
    True

    References
    ----------
    C. Cutler and E. E. Flanagan, Phys. Rev. D 49, 2658 (1994).
    """
    t = check_array("t", t, dtype="float")
    t_c = check_real("t_c", t_c)
    chirp_mass = check_positive("chirp_mass", chirp_mass)
    m = chirp_mass * GM_SUN_S
    f_isco = 1.0 / (6.0 ** 1.5 * np.pi * 2.0 ** 1.2 * m)
    tau = t_c - t
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (5.0 / (256.0 * tau)) ** 0.375 * m ** -0.625 / np.pi
    return np.where((tau > 0) & (f <= f_isco), f, np.nan)


# ----------------------------------------------------------------------------- noise
def _norm(x, name):
    norms = np.linalg.norm(x, axis=-1)
    if np.any(norms == 0):
        raise ValueError(f"{name} must not contain an all-zero signal (its SNR is undefined)")
    return norms


def noise_sigma(signal, snr) -> np.ndarray:
    r"""Standard deviation of white Gaussian noise that puts ``signal`` at optimal SNR ``snr``.

    For white noise of variance :math:`\sigma^2` the matched-filter (optimal)
    signal-to-noise ratio of a known signal :math:`h` is
    :math:`\rho = \lVert h\rVert/\sigma`, so :math:`\sigma = \lVert h\rVert/\rho`.

    Parameters
    ----------
    signal : array_like, shape (..., n)
        Clean signals along the last axis.
    snr : float or array_like
        Target optimal SNR :math:`\rho > 0`, broadcastable to ``signal.shape[:-1]``.

    Returns
    -------
    numpy.ndarray, shape signal.shape[:-1]
        :math:`\sigma` for each signal.

    Example
    -------
    >>> float(noise_sigma(np.array([3.0, 4.0]), 5.0))
    1.0

    References
    ----------
    L. A. Wainstein and V. D. Zubakov, Extraction of Signals from Noise (1962).
    """
    h = check_array("signal", signal, min_ndim=1, dtype="float")
    rho = check_array("snr", snr, dtype="float")
    if np.any(rho <= 0):
        raise ValueError(f"snr must be positive, got {rho.ravel()[:5]}")
    return _norm(h, "signal") / rho


def add_noise(signal, snr, seed: Seed = None) -> np.ndarray:
    r"""Embed ``signal`` in white Gaussian noise at optimal SNR ``snr``.

    .. math:: d = h + \sigma\,\xi,\qquad \xi_i \sim \mathcal N(0, 1),
              \qquad \sigma = \lVert h\rVert/\rho.

    Parameters
    ----------
    signal : array_like, shape (..., n)
        Clean signals; leading axes are independent realisations.
    snr : float or array_like
        Optimal SNR :math:`\rho`, broadcastable to ``signal.shape[:-1]``.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness of the noise.

    Returns
    -------
    numpy.ndarray, shape (..., n)
        The data :math:`d`; use :func:`noise_sigma` for :math:`\sigma`.

    Example
    -------
    >>> h = chirp(np.arange(256) / 256.0, t_c=0.9)
    >>> add_noise(h, 10.0, seed=0).shape
    (256,)
    """
    sigma = noise_sigma(signal, snr)
    h = np.asarray(signal, dtype=float)
    rng = as_generator(seed)
    return h + sigma[..., None] * rng.standard_normal(np.broadcast_shapes(h.shape, sigma.shape + (1,)))


def overlap(a, b) -> np.ndarray:
    r"""Normalised inner product (overlap, or "match" at fixed parameters) along the last axis.

    .. math:: \mathcal O(a, b) = \frac{\langle a, b\rangle}{\lVert a\rVert\,\lVert b\rVert}
              \in [-1, 1].

    An all-zero input has overlap 0 with anything.

    Parameters
    ----------
    a, b : array_like, shape (..., n)
        Signals; leading axes broadcast.

    Returns
    -------
    numpy.ndarray, shape broadcast(a, b).shape[:-1]

    Example
    -------
    >>> float(overlap(np.array([1.0, 0.0]), np.array([2.0, 0.0])))
    1.0
    """
    a = check_array("a", a, min_ndim=1, dtype="float")
    b = check_array("b", b, min_ndim=1, dtype="float")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"a and b must have the same last axis, got {a.shape} and {b.shape}")
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    num = np.sum(a * b, axis=-1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


# ----------------------------------------------------------------------------- matched filter
class TemplateBank(NamedTuple):
    """Orthonormal quadrature pairs of chirp templates (see :func:`template_bank`)."""

    templates: np.ndarray
    chirp_mass: np.ndarray
    t_c: np.ndarray


def template_bank(t, chirp_masses, t_cs) -> TemplateBank:
    r"""Bank of chirp templates on a grid of chirp masses and coalescence times.

    Each grid point :math:`k` stores an orthonormal pair :math:`(e_{k1}, e_{k2})`
    spanning the chirps :math:`h_k(\phi=0)` and :math:`h_k(\phi=\pi/2)` (Gram-Schmidt),
    so that every phase and amplitude of that chirp lies in the pair's span.

    Parameters
    ----------
    t : array_like, shape (n,)
        Sample times in seconds.
    chirp_masses : array_like, shape (n_m,)
        Chirp masses of the grid (solar masses).
    t_cs : array_like, shape (n_tc,)
        Coalescence times of the grid (seconds).

    Returns
    -------
    TemplateBank
        ``templates`` of shape (n_m * n_tc, 2, n) and the parameters
        ``chirp_mass`` and ``t_c`` of shape (n_m * n_tc,).

    Example
    -------
    >>> bank = template_bank(np.arange(256) / 256.0, [28.0, 30.0], [0.8, 0.9])
    >>> bank.templates.shape
    (4, 2, 256)

    References
    ----------
    B. J. Owen and B. S. Sathyaprakash, Phys. Rev. D 60, 022002 (1999).
    """
    t = check_array("t", t, ndim=1, dtype="float")
    masses = check_array("chirp_masses", chirp_masses, ndim=1, dtype="float")
    tcs = check_array("t_cs", t_cs, ndim=1, dtype="float")
    if masses.size == 0 or np.any(masses <= 0):
        raise ValueError("chirp_masses must be a non-empty array of positive masses")
    if tcs.size == 0:
        raise ValueError("t_cs must be a non-empty array of coalescence times")
    mm, tt = np.meshgrid(masses, tcs, indexing="ij")
    mm, tt = mm.ravel(), tt.ravel()
    pair = np.asarray(_chirp(jnp.asarray(t), tt[:, None, None], mm[:, None, None],
                             jnp.array([0.0, np.pi / 2])[None, :, None]))
    n0 = np.linalg.norm(pair[:, 0], axis=-1)
    if np.any(n0 == 0):
        raise ValueError("every template must overlap the sample times t (check t_cs against t)")
    e1 = pair[:, 0] / n0[:, None]
    b = pair[:, 1] - np.sum(pair[:, 1] * e1, axis=-1, keepdims=True) * e1
    e2 = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return TemplateBank(np.stack([e1, e2], axis=1), mm, tt)


class MatchedFilterResult(NamedTuple):
    """Outcome of :func:`matched_filter` (one entry per data segment)."""

    snr: np.ndarray
    chirp_mass: np.ndarray
    t_c: np.ndarray
    estimate: np.ndarray


@jax.jit
def _mf_kernel(data, templates):
    coeff = jnp.einsum("...n,kjn->...kj", data, templates)
    power = jnp.sum(coeff ** 2, axis=-1)
    best = jnp.argmax(power, axis=-1)
    c = jnp.take_along_axis(coeff, best[..., None, None], axis=-2)[..., 0, :]
    estimate = jnp.einsum("...j,...jn->...n", c, templates[best])
    return jnp.sqrt(jnp.take_along_axis(power, best[..., None], axis=-1)[..., 0]), best, estimate


def matched_filter(data, bank: TemplateBank, sigma) -> MatchedFilterResult:
    r"""Matched filtering of white-noise data over a template bank, maximised over phase and amplitude.

    For each template pair the maximum-likelihood amplitude and phase give the
    projection :math:`\hat h_k = \sum_j \langle d, e_{kj}\rangle e_{kj}` and the
    detection statistic (the SNR maximised over phase)

    .. math:: \rho_k = \frac{1}{\sigma}\sqrt{\langle d, e_{k1}\rangle^2 + \langle d, e_{k2}\rangle^2};

    the best template :math:`k^* = \arg\max_k \rho_k` gives the estimate
    :math:`\hat h_{k^*}` of the clean signal (the Neyman-Pearson optimal
    detector for known templates in Gaussian noise).

    Parameters
    ----------
    data : array_like, shape (..., n)
        Data segments.
    bank : TemplateBank
        From :func:`template_bank`, with the same ``n``.
    sigma : float or array_like
        Noise standard deviation, broadcastable to ``data.shape[:-1]``.

    Returns
    -------
    MatchedFilterResult
        ``snr`` (maximised statistic), the best template's ``chirp_mass`` and
        ``t_c``, and ``estimate`` (..., n) of the clean signal.

    Example
    -------
    >>> t = np.arange(256) / 256.0
    >>> bank = template_bank(t, [30.0], [0.9])
    >>> float(matched_filter(chirp(t, t_c=0.9), bank, 1.0).snr) > 0
    True

    References
    ----------
    L. A. Wainstein and V. D. Zubakov, Extraction of Signals from Noise (1962);
    C. Cutler and E. E. Flanagan, Phys. Rev. D 49, 2658 (1994).
    """
    d = check_array("data", data, min_ndim=1, dtype="float")
    if not isinstance(bank, TemplateBank):
        raise TypeError(f"bank must be a TemplateBank (from template_bank), got {type(bank).__name__}")
    if bank.templates.shape[-1] != d.shape[-1]:
        raise ValueError(f"data has {d.shape[-1]} samples but the bank's templates have "
                         f"{bank.templates.shape[-1]}")
    s = check_array("sigma", sigma, dtype="float")
    if np.any(s <= 0):
        raise ValueError("sigma must be positive")
    rho, best, est = _mf_kernel(jnp.asarray(d), jnp.asarray(bank.templates))
    best = np.asarray(best)
    return MatchedFilterResult(np.asarray(rho) / s, bank.chirp_mass[best], bank.t_c[best],
                               np.asarray(est))


# ----------------------------------------------------------------------------- Wiener filter
def power_spectrum(x) -> np.ndarray:
    r"""Mean power per frequency bin, :math:`S(f_k) = \overline{|\tilde x(f_k)|^2}`.

    Uses the unitary DFT (``numpy.fft.rfft(..., norm="ortho")``), so white
    noise of variance :math:`\sigma^2` has :math:`S(f_k) = \sigma^2` in every bin.
    The mean runs over all leading axes.

    Parameters
    ----------
    x : array_like, shape (..., n)
        Samples of a stationary ensemble (for example many simulated signals).

    Returns
    -------
    numpy.ndarray, shape (n // 2 + 1,)

    Example
    -------
    >>> s = power_spectrum(np.random.default_rng(0).normal(size=(2000, 64)))
    >>> bool(abs(s.mean() - 1.0) < 0.05)
    True
    """
    x = check_array("x", x, min_ndim=1, dtype="float")
    spec = np.abs(np.fft.rfft(x, norm="ortho", axis=-1)) ** 2
    return spec.reshape(-1, spec.shape[-1]).mean(axis=0)


def wiener_filter(data, signal_power, noise_power) -> np.ndarray:
    r"""Wiener filter: the linear minimum-mean-square-error estimate of a stationary signal.

    .. math:: \hat{\tilde h}(f) = \frac{S(f)}{S(f) + N(f)}\,\tilde d(f),

    with :math:`S` and :math:`N` the signal and noise power spectra in the
    convention of :func:`power_spectrum` (white noise: :math:`N = \sigma^2`).
    It knows only the signals' average spectrum, not their shape.

    Parameters
    ----------
    data : array_like, shape (..., n)
        Data segments.
    signal_power : array_like, shape (n // 2 + 1,)
        Signal power spectrum :math:`S(f_k)`.
    noise_power : float or array_like
        Noise power :math:`N(f_k)` (a scalar, per-bin array, or per-segment
        array of shape ``data.shape[:-1] + (1,)``).

    Returns
    -------
    numpy.ndarray, shape (..., n)
        The filtered data.

    Example
    -------
    >>> d = np.random.default_rng(0).normal(size=64)
    >>> bool(wiener_filter(d, np.zeros(33), 1.0).any())
    False

    References
    ----------
    N. Wiener, Extrapolation, Interpolation, and Smoothing of Stationary Time Series (1949).
    """
    d = check_array("data", data, min_ndim=1, dtype="float")
    n = d.shape[-1]
    s = check_array("signal_power", signal_power, ndim=1, dtype="float")
    if s.shape[0] != n // 2 + 1:
        raise ValueError(f"signal_power must have n // 2 + 1 = {n // 2 + 1} bins, got {s.shape[0]}")
    if np.any(s < 0):
        raise ValueError("signal_power must be non-negative")
    npow = check_array("noise_power", noise_power, dtype="float")
    if np.any(npow <= 0):
        raise ValueError("noise_power must be positive")
    gain = s / (s + npow)
    return np.fft.irfft(gain * np.fft.rfft(d, norm="ortho", axis=-1), n=n, norm="ortho", axis=-1)


# ----------------------------------------------------------------------------- detection ROC
class ROC(NamedTuple):
    """Receiver operating characteristic: false/true positive rates and the area under the curve."""

    false_positive: np.ndarray
    true_positive: np.ndarray
    auc: float


def roc_curve(scores_signal, scores_noise) -> ROC:
    r"""ROC of a detection statistic: true- vs false-alarm rate as the threshold sweeps.

    For threshold :math:`\lambda`, :math:`P_\mathrm{FA}(\lambda) = P(s > \lambda \mid \mathrm{noise})`
    and :math:`P_\mathrm{D}(\lambda) = P(s > \lambda \mid \mathrm{signal})`; the area under the
    curve is the probability that a signal scores above noise (ties count 1/2).

    Parameters
    ----------
    scores_signal : array_like, shape (n_s,)
        Statistic on segments that contain a signal.
    scores_noise : array_like, shape (n_n,)
        Statistic on pure-noise segments.

    Returns
    -------
    ROC
        ``false_positive`` and ``true_positive`` (increasing, from 0 to 1) and ``auc``.

    Example
    -------
    >>> roc_curve([2.0, 3.0], [0.0, 1.0]).auc
    1.0

    References
    ----------
    T. Fawcett, Pattern Recognition Letters 27, 861 (2006).
    """
    s = check_array("scores_signal", scores_signal, ndim=1, dtype="float")
    n = check_array("scores_noise", scores_noise, ndim=1, dtype="float")
    if s.size == 0 or n.size == 0:
        raise ValueError("scores_signal and scores_noise must be non-empty")
    thresholds = np.unique(np.concatenate([s, n]))[::-1]
    tp = np.concatenate([[0.0], (s[None, :] >= thresholds[:, None]).mean(axis=1)])
    fp = np.concatenate([[0.0], (n[None, :] >= thresholds[:, None]).mean(axis=1)])
    greater = (s[:, None] > n[None, :]).mean()
    ties = (s[:, None] == n[None, :]).mean()
    return ROC(fp, tp, float(greater + 0.5 * ties))


# ----------------------------------------------------------------------------- denoising autoencoder
class DenoiserConfig(NamedTuple):
    """Hyperparameters of :func:`train_denoiser` (hashable: used as a static argument)."""

    n: int
    dt: float
    chirp_mass_range: tuple
    t_c_range: tuple
    snr_range: tuple
    channels: int
    kernel_size: int


class Denoiser(NamedTuple):
    """A trained 1-D convolutional denoising autoencoder and its training loss history."""

    params: list
    config: DenoiserConfig
    loss: np.ndarray


def _conv(x, w, b, stride=1):
    y = jax.lax.conv_general_dilated(x, w, (stride,), "SAME", dimension_numbers=("NCH", "OIH", "NCH"))
    return y + b[None, :, None]


def _init_denoiser(key, channels, kernel_size):
    c, k = channels, kernel_size
    shapes = [(c, 1), (c, c), (2 * c, c), (c, 2 * c), (c, c), (1, c)]
    keys = jax.random.split(key, len(shapes))
    params = []
    for kk, (o, i) in zip(keys, shapes):
        w = jax.random.normal(kk, (o, i, k), dtype=jnp.float32) * jnp.sqrt(2.0 / (i * k))
        params.append((w, jnp.zeros((o,), jnp.float32)))
    return params


def _denoiser_apply(params, x):
    """x: (batch, n) whitened data -> (batch, n) estimate of the whitened clean signal."""
    act = jax.nn.gelu
    h = x[:, None, :]
    e1 = act(_conv(h, *params[0]))                 # (B, c, n)
    e2 = act(_conv(e1, *params[1], stride=2))      # (B, c, n/2)
    e3 = act(_conv(e2, *params[2], stride=2))      # (B, 2c, n/4)
    d2 = act(_conv(jnp.repeat(e3, 2, axis=-1), *params[3])) + e2
    d1 = act(_conv(jnp.repeat(d2, 2, axis=-1), *params[4])) + e1
    return _conv(d1, *params[5])[:, 0, :]


def _simulate_batch(key, config: DenoiserConfig, batch):
    """Fresh training batch (whitened noisy data, whitened clean signals), float32."""
    km, kt, kp, ks, kn = jax.random.split(key, 5)
    lo_m, hi_m = config.chirp_mass_range
    lo_t, hi_t = config.t_c_range
    lo_s, hi_s = config.snr_range
    t = jnp.arange(config.n) * config.dt
    masses = jax.random.uniform(km, (batch, 1), minval=lo_m, maxval=hi_m)
    t_cs = jax.random.uniform(kt, (batch, 1), minval=lo_t, maxval=hi_t)
    phases = jax.random.uniform(kp, (batch, 1), maxval=2 * jnp.pi)
    snr = jnp.exp(jax.random.uniform(ks, (batch, 1), minval=jnp.log(lo_s), maxval=jnp.log(hi_s)))
    h = _chirp(t, t_cs, masses, phases)
    h = h * snr / jnp.linalg.norm(h, axis=-1, keepdims=True)  # whitened: sigma = 1
    d = h + jax.random.normal(kn, h.shape)
    return d.astype(jnp.float32), h.astype(jnp.float32)


@lru_cache(maxsize=8)
def _denoiser_step(config, batch_size):
    """Jitted Adam step for one training setup (a Python loop over it compiles much faster than a scan)."""
    import optax

    opt = optax.scale_by_adam()

    def loss_fn(p, d, h):
        return jnp.mean((_denoiser_apply(p, d) - h) ** 2)

    @jax.jit
    def step(p, s, k, lr):
        d, h = _simulate_batch(k, config, batch_size)
        loss, g = jax.value_and_grad(loss_fn)(p, d, h)
        updates, s = opt.update(g, s, p)
        return jax.tree_util.tree_map(lambda q, u: q - lr * u, p, updates), s, loss

    return opt, step


def _train_denoiser(key, config, n_steps, batch_size, learning_rate):
    opt, step = _denoiser_step(config, batch_size)
    k_init, k_data = jax.random.split(key)
    params = _init_denoiser(k_init, config.channels, config.kernel_size)
    state = opt.init(params)
    # cosine decay to 5 % of the initial rate
    rates = learning_rate * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * np.arange(n_steps) / n_steps)))
    losses = []
    for k, lr in zip(jax.random.split(k_data, n_steps), rates.astype(np.float32)):
        params, state, loss = step(params, state, k, lr)
        losses.append(loss)
    return params, jnp.stack(losses)


def _check_range(name, value, positive=False):
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high) of numbers, got {value!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi) or (positive and lo <= 0):
        kind = "0 < low < high" if positive else "low < high"
        raise ValueError(f"{name} must satisfy {kind}, got {value!r}")
    return (lo, hi)


def train_denoiser(t, *, chirp_mass_range=(25.0, 40.0), t_c_range=(0.75, 0.95),
                   snr_range=(4.0, 40.0), channels: int = 12, kernel_size: int = 9,
                   n_steps: int = 600, batch_size: int = 32, learning_rate: float = 3e-3,
                   seed: Seed = None) -> Denoiser:
    r"""Train a small 1-D convolutional denoising autoencoder on simulated chirps in white noise.

    Every step draws a fresh batch: chirps (:func:`chirp`) with uniform chirp
    mass, coalescence time and phase, scaled to an SNR drawn log-uniformly in
    ``snr_range``, plus unit white noise (the data are whitened, :math:`\sigma = 1`).
    The network :math:`g_\theta` (two strided convolutions down, two
    upsampling convolutions back with additive skip connections, GELU) minimises

    .. math:: \mathcal L(\theta) = \Big\langle \big\lVert g_\theta(d/\sigma) - h/\sigma\big\rVert^2
              \Big\rangle_{h,\,\xi}

    with Adam (optax) and a cosine learning-rate decay to 5 %; at the optimum
    :math:`g_\theta(d)` approximates the posterior mean :math:`E[h\mid d]`.
    Computation is in float32.

    Parameters
    ----------
    t : array_like, shape (n,)
        Uniform sample times in seconds (n divisible by 4).
    chirp_mass_range, t_c_range, snr_range : (float, float)
        Ranges of the simulated training signals.
    channels, kernel_size : int
        Width (channels of the first layer) and convolution kernel length.
    n_steps, batch_size : int
        Adam steps and segments per step.
    learning_rate : float
        Initial Adam learning rate.
    seed : int, numpy.random.Generator, JAX key or None
        Initialisation and training data.

    Returns
    -------
    Denoiser
        ``params``, ``config`` and the training ``loss`` per step.

    Example
    -------
    >>> t = np.arange(256) / 256.0
    >>> net = train_denoiser(t, n_steps=5, seed=0)
    >>> net.loss.shape
    (5,)

    References
    ----------
    P. Vincent et al., ICML (2008); H. Shen et al., arXiv:1711.09919 (2017);
    D. George and E. A. Huerta, Phys. Lett. B 778, 64 (2018).
    """
    t = check_array("t", t, ndim=1, dtype="float")
    n = t.shape[0]
    if n < 8 or n % 4:
        raise ValueError(f"t must have a length >= 8 divisible by 4, got {n}")
    dt = float(t[1] - t[0])
    if dt <= 0 or not np.allclose(np.diff(t), dt, rtol=1e-6, atol=0):
        raise ValueError("t must be uniformly spaced and increasing")
    if abs(t[0]) > 1e-12:
        raise ValueError(f"t must start at 0, got t[0] = {t[0]}")
    config = DenoiserConfig(
        n=n, dt=dt,
        chirp_mass_range=_check_range("chirp_mass_range", chirp_mass_range, positive=True),
        t_c_range=_check_range("t_c_range", t_c_range),
        snr_range=_check_range("snr_range", snr_range, positive=True),
        channels=check_int("channels", channels, minimum=1),
        kernel_size=check_int("kernel_size", kernel_size, minimum=1))
    n_steps = check_int("n_steps", n_steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    params, losses = _train_denoiser(as_key(seed), config, n_steps, batch_size, learning_rate)
    return Denoiser(params, config, np.asarray(losses))


@jax.jit
def _apply_jit(params, x):
    return _denoiser_apply(params, x)


def denoise(model: Denoiser, data, sigma) -> np.ndarray:
    r"""Apply a trained :class:`Denoiser`: :math:`\hat h = \sigma\, g_\theta(d/\sigma)`.

    Parameters
    ----------
    model : Denoiser
        From :func:`train_denoiser`.
    data : array_like, shape (..., n)
        Noisy segments sampled like the training data.
    sigma : float or array_like
        Noise standard deviation, broadcastable to ``data.shape[:-1]``.

    Returns
    -------
    numpy.ndarray, shape (..., n)
        Estimate of the clean signal.

    Example
    -------
    >>> t = np.arange(256) / 256.0
    >>> net = train_denoiser(t, n_steps=5, seed=0)
    >>> denoise(net, np.zeros(256), 1.0).shape
    (256,)
    """
    if not isinstance(model, Denoiser):
        raise TypeError(f"model must be a Denoiser (from train_denoiser), got {type(model).__name__}")
    d = check_array("data", data, min_ndim=1, dtype="float")
    if d.shape[-1] != model.config.n:
        raise ValueError(f"data must have {model.config.n} samples along the last axis, got {d.shape[-1]}")
    s = check_array("sigma", sigma, dtype="float")
    if np.any(s <= 0):
        raise ValueError("sigma must be positive")
    s = np.broadcast_to(s, d.shape[:-1])[..., None]
    x = (d / s).reshape(-1, d.shape[-1]).astype(np.float32)
    out = np.asarray(_apply_jit(model.params, jnp.asarray(x)), dtype=float)
    return out.reshape(d.shape) * s


# =============================================================================
# Surrogate-driven discovery: Bayesian optimisation with a GP surrogate
# =============================================================================
class BayesOptResult(NamedTuple):
    """Outcome of :func:`bayes_opt`; the history arrays have one row per surrogate fit."""

    x: np.ndarray
    y: np.ndarray
    x_best: np.ndarray | float
    y_best: float
    candidates: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    hyperparameters: np.ndarray


_LENGTHSCALES = np.geomspace(0.04, 1.0, 8)
_VARIANCES = np.array([0.3, 1.0, 3.0])
_NOISES = np.geomspace(1e-3, 0.3, 5)


def _bounds(bounds):
    arr = check_array("bounds", bounds, dtype="float")
    one_d = arr.shape == (2,)
    arr = arr.reshape(1, 2) if one_d else arr
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
        raise ValueError(f"bounds must be (low, high) or an array of shape (d, 2), got shape {arr.shape}")
    if np.any(arr[:, 0] >= arr[:, 1]):
        raise ValueError(f"bounds must have low < high in every dimension, got {arr.tolist()}")
    return arr, one_d


def _padded_kernels(u, n_pad, cand, ell):
    """Unit-variance RBF kernels on inputs padded to ``n_pad`` rows (pad rows and columns zeroed).

    Padding keeps every array shape fixed during a run, so the jitted GP
    routines of :mod:`physbook.nngp` compile once instead of once per call.
    """
    from . import nngp

    n = u.shape[0]
    up = np.zeros((n_pad, u.shape[1]))
    up[:n] = u
    k_train = np.array(nngp.rbf_kernel(up, lengthscale=ell, variance=1.0))
    k_train[n:, :] = 0.0
    k_train[:, n:] = 0.0
    k_cross = np.array(nngp.rbf_kernel(cand, up, lengthscale=ell, variance=1.0)) if cand is not None else None
    if k_cross is not None:
        k_cross[:, n:] = 0.0
    return k_train, k_cross


def _pad_system(k0, var, nz, n):
    """var * k0 with the padded block set so that (K + nz I) is max(1, nz) I there.

    With targets 0 on the padding, the padded points change the log marginal
    likelihood by a constant (the same for every grid point: nz <= 1 on the
    grid, and a known noise is a single value) and leave the posterior
    unchanged (block-diagonal system).
    """
    k = var * k0
    idx = np.arange(n, k.shape[0])
    k[idx, idx] = max(1.0 - nz, 0.0)
    return k


def _fit_gp(u, y, noise, n_pad):
    """Grid search of RBF hyperparameters (unit-cube inputs, standardised y) by marginal likelihood."""
    from . import nngp

    n = u.shape[0]
    yp = np.zeros(n_pad)
    yp[:n] = y
    best = (-np.inf, None)
    noises = _NOISES if noise is None else np.array([noise])
    for ell in _LENGTHSCALES:
        k0, _ = _padded_kernels(u, n_pad, None, float(ell))
        for var in _VARIANCES:
            for nz in noises:
                lml = nngp.gp_log_marginal_likelihood(_pad_system(k0, var, nz, n), yp, float(nz))
                if lml > best[0]:
                    best = (lml, (float(ell), float(var), float(nz)))
    return best[1]


def _posterior(u, y, cand, hyper, n_pad):
    from . import nngp

    ell, var, nz = hyper
    n = u.shape[0]
    k0, kx = _padded_kernels(u, n_pad, cand, ell)
    yp = np.zeros(n_pad)
    yp[:n] = y
    post = nngp.gp_posterior(_pad_system(k0, var, nz, n), var * kx, np.full(cand.shape[0], var), yp, nz)
    return np.asarray(post.mean), np.sqrt(np.maximum(np.asarray(post.cov), 1e-12))


def _acquire(kind, mean, std, incumbent, xi, kappa):
    from scipy.special import ndtr

    if kind == "ucb":
        return mean + kappa * std
    z = (mean - incumbent - xi) / std
    return (mean - incumbent - xi) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def bayes_opt(objective: Callable, bounds, n_init: int, n_iter: int, acquisition: str = "ei",
              seed: Seed = None, *, n_candidates: int = 400, noise: float | None = None,
              xi: float = 0.01, kappa: float = 2.0) -> BayesOptResult:
    r"""Maximise a noisy, expensive function with a Gaussian-process surrogate (Bayesian optimisation).

    After ``n_init`` space-filling evaluations (one uniform draw per stratum,
    Latin-hypercube style), each step fits a GP with the RBF kernel
    (:func:`physbook.nngp.rbf_kernel`) to the standardised observations, choosing
    lengthscale, variance and noise on a grid by the log marginal likelihood
    (:func:`physbook.nngp.gp_log_marginal_likelihood`), and evaluates the objective
    where the acquisition is largest over a set of candidates. With posterior
    mean :math:`\mu`, standard deviation :math:`s`, incumbent
    :math:`\mu^+ = \max_i \mu(x_i)` and :math:`z = (\mu - \mu^+ - \xi)/s`,

    .. math::

        \mathrm{EI}(x) = (\mu - \mu^+ - \xi)\,\Phi(z) + s\,\varphi(z), \qquad
        \mathrm{UCB}(x) = \mu + \kappa\, s .

    The answer is the maximiser of the final posterior mean (not the largest
    noisy observation).

    Parameters
    ----------
    objective : callable
        ``objective(x) -> float``; ``x`` is a float for 1-D ``bounds`` and an
        array of shape (d,) otherwise. Called ``n_init + n_iter`` times.
    bounds : (low, high) or array_like, shape (d, 2)
        Box to search.
    n_init : int
        Initial space-filling evaluations (>= 2).
    n_iter : int
        Surrogate-guided evaluations (>= 0).
    acquisition : {"ei", "ucb"}
        Expected improvement or upper confidence bound.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness of the initial design (and of the candidates for d > 1).
    n_candidates : int
        Candidates on which the acquisition is maximised (a uniform grid in 1-D,
        uniform random points for d > 1).
    noise : float, optional
        Known observation-noise variance (in the objective's units squared);
        ``None`` learns it with the other hyperparameters.
    xi, kappa : float
        Exploration parameters of EI and UCB.

    Returns
    -------
    BayesOptResult
        ``x`` and ``y`` of every call in order; ``x_best`` and ``y_best`` (the
        final posterior-mean maximiser and its mean); ``candidates``; the GP
        ``mean`` and ``std`` on the candidates after each fit (shape
        (n_iter + 1, n_candidates)); ``hyperparameters`` (lengthscale, variance,
        noise in the objective's units) per fit.

    Example
    -------
    >>> res = bayes_opt(lambda x: -(x - 0.3) ** 2, (0.0, 1.0), 3, 5, seed=0)
    >>> abs(res.x_best - 0.3) < 0.05
    True

    References
    ----------
    D. R. Jones, M. Schonlau and W. J. Welch, J. Global Optim. 13, 455 (1998);
    N. Srinivas et al., ICML (2010); C. E. Rasmussen and C. K. I. Williams (2006).
    """
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    box, one_d = _bounds(bounds)
    n_init = check_int("n_init", n_init, minimum=2)
    n_iter = check_int("n_iter", n_iter, minimum=0)
    acquisition = check_choice("acquisition", acquisition, ("ei", "ucb"))
    n_candidates = check_int("n_candidates", n_candidates, minimum=2)
    if noise is not None:
        noise = check_positive("noise", noise)
    xi = check_positive("xi", xi, allow_zero=True)
    kappa = check_positive("kappa", kappa, allow_zero=True)
    rng = as_generator(seed)
    d = box.shape[0]
    lo, width = box[:, 0], box[:, 1] - box[:, 0]
    strata = (np.argsort(rng.random((d, n_init)), axis=1).T + rng.random((n_init, d))) / n_init
    cand = (np.linspace(0.0, 1.0, n_candidates)[:, None] if d == 1
            else rng.random((n_candidates, d)))

    def call(u):
        x = lo + width * u
        value = objective(float(x[0]) if one_d else x.copy())
        value = check_real("objective(x)", value)
        return value

    n_pad = n_init + n_iter

    def mu_at(U, z, hyper):
        return _posterior(U, z, np.vstack([U, np.zeros((n_pad - len(U), d))]), hyper, n_pad)[0][:len(U)]

    us = [u for u in strata]
    ys = [call(u) for u in us]
    means, stds, hypers = [], [], []
    for it in range(n_iter + 1):
        U, Y = np.array(us), np.array(ys)
        shift, scale = Y.mean(), Y.std()
        scale = scale if scale > 0 else 1.0
        z = (Y - shift) / scale
        hyper = _fit_gp(U, z, None if noise is None else noise / scale**2, n_pad)
        mu, s = _posterior(U, z, cand, hyper, n_pad)
        means.append(shift + scale * mu)
        stds.append(scale * s)
        hypers.append((hyper[0], hyper[1] * scale**2, hyper[2] * scale**2))
        if it == n_iter:
            break
        incumbent = np.max(mu_at(U, z, hyper))
        acq = _acquire(acquisition, mu, s, incumbent, xi, kappa)
        u_next = cand[int(np.argmax(acq))]
        us.append(u_next)
        ys.append(call(u_next))
    X = lo + width * np.array(us)
    best = int(np.argmax(means[-1]))
    x_best = lo + width * cand[best]
    return BayesOptResult(
        x=X[:, 0] if one_d else X, y=np.array(ys),
        x_best=float(x_best[0]) if one_d else x_best, y_best=float(means[-1][best]),
        candidates=(lo + width * cand)[:, 0] if one_d else lo + width * cand,
        mean=np.array(means), std=np.array(stds), hyperparameters=np.array(hypers))


def grid_calls(objective: Callable, bounds, x_target: float, *, rtol: float = 0.02,
               n_max: int = 200) -> int:
    r"""Calls a uniform grid needs to locate a maximum within a relative tolerance.

    The smallest :math:`n` such that, for every :math:`n' \in [n, n_\max]`, the
    best point of the grid ``numpy.linspace(low, high, n')`` lies within
    :math:`|x - x^*| \le r\,|x^*|` of the target; evaluate a noiseless
    ``objective`` here, which flatters the grid.

    Parameters
    ----------
    objective : callable
        Vectorised 1-D function ``objective(x_array) -> y_array``.
    bounds : (float, float)
        Search interval.
    x_target : float
        The true maximiser :math:`x^*` (nonzero).
    rtol : float
        Relative tolerance :math:`r`.
    n_max : int
        Largest grid tried.

    Returns
    -------
    int
        The number of calls; raises ``ValueError`` if even ``n_max`` fails.

    Example
    -------
    >>> grid_calls(lambda x: -(x - 0.5) ** 2, (0.0, 1.0), 0.5, rtol=0.1)
    11
    """
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    box, one_d = _bounds(bounds)
    if not one_d:
        raise ValueError(f"bounds must be one (low, high) pair, got shape {box.shape}")
    x_target = check_real("x_target", x_target)
    if x_target == 0:
        raise ValueError("x_target must be nonzero (the tolerance is relative)")
    rtol = check_positive("rtol", rtol)
    n_max = check_int("n_max", n_max, minimum=2)
    ok = []
    for n in range(2, n_max + 1):
        grid = np.linspace(box[0, 0], box[0, 1], n)
        values = np.asarray(objective(grid), dtype=float)
        ok.append(abs(grid[int(np.argmax(values))] - x_target) <= rtol * abs(x_target))
    ok = np.array(ok)
    if not ok[-1]:
        raise ValueError(f"no grid up to n_max = {n_max} points reaches rtol = {rtol}")
    failing = np.flatnonzero(~ok)
    return int(2 + (failing[-1] + 1 if failing.size else 0))


# =============================================================================
# Learning phases of matter
# =============================================================================
class IsingDataset(NamedTuple):
    """Labelled Ising configurations (see :func:`ising_dataset`)."""

    configs: np.ndarray
    temperature: np.ndarray
    label: np.ndarray
    temperatures: np.ndarray


def ising_dataset(L: int, temperatures, n_per_T: int, seed: Seed = None, *,
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
    from . import ising

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
                     seed: Seed = None) -> PhaseClassifier:
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
    PhaseClassifier

    Example
    -------
    >>> ds = ising_dataset(8, [1.2, 4.0], 20, seed=0)
    >>> clf = train_classifier(ds.configs, ds.label, seed=0)
    >>> bool(np.mean((phase_probability(clf, ds.configs) > 0.5) == ds.label) > 0.9)
    True

    References
    ----------
    J. Carrasquilla and R. G. Melko, Nature Physics 13, 431 (2017).
    """
    c, y, model, n_hidden, fix_sign, n_steps, learning_rate, l2 = _classifier_args(
        configs, labels, model, n_hidden, fix_sign, n_steps, learning_rate, l2)
    x = jnp.asarray(_features(c, fix_sign))
    params, _ = _train_classifiers(as_key(seed)[None], jnp.ones((1, x.shape[0]), jnp.float32), x,
                                   jnp.asarray(y), jnp.float32(l2), kind=model, n_hidden=n_hidden,
                                   n_steps=n_steps, learning_rate=learning_rate)
    return PhaseClassifier(model, tuple(np.asarray(p[0]) for p in params), fix_sign)


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
    >>> clf = train_classifier(ds.configs, ds.label, model="logistic", seed=0)
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
    above = p >= level
    k = np.flatnonzero(above[:-1] & ~above[1:])
    if k.size == 0:
        raise ValueError(f"probability never falls through level={level} on this temperature grid")
    k = int(k[0])
    return float(T[k] + (T[k + 1] - T[k]) * (p[k] - level) / (p[k] - p[k + 1]))


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
    unknown = set(train_kwargs) - {"n_hidden", "fix_sign", "n_steps", "learning_rate", "l2"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)} for train_classifier")
    opts = dict(n_hidden=4, fix_sign=None, n_steps=500, learning_rate=0.1, l2=1e-3)
    opts.update(train_kwargs)
    mask = (dataset.temperature <= lo) | (dataset.temperature >= hi)
    if not (np.any(dataset.label[mask] == 1) and np.any(dataset.label[mask] == 0)):
        raise ValueError("the training window must contain temperatures of both phases "
                         f"(train_below={lo}, train_above={hi})")
    c, y, kind, n_hidden, fix_sign, n_steps, lr, l2 = _classifier_args(
        dataset.configs[mask], dataset.label[mask], model, opts["n_hidden"], opts["fix_sign"],
        opts["n_steps"], opts["learning_rate"], opts["l2"])
    rng = as_generator(seed)
    n_train = c.shape[0]
    weights = np.tile(rng.multinomial(n_train, np.full(n_train, 1.0 / n_train), size=n_models),
                      (1, translations + 1))
    c, y = _translate(c, translations, rng), np.tile(y, translations + 1)
    keys = jax.random.split(as_key(seed_int(rng)), n_models)
    params, _ = _train_classifiers(keys, jnp.asarray(weights, jnp.float32),
                                   jnp.asarray(_features(c, fix_sign)), jnp.asarray(y),
                                   jnp.float32(l2), kind=kind, n_hidden=n_hidden,
                                   n_steps=n_steps, learning_rate=lr)
    models = [PhaseClassifier(kind, tuple(np.asarray(p[i]) for p in params), fix_sign)
              for i in range(n_models)]
    temps = dataset.temperatures
    index = np.searchsorted(temps, dataset.temperature) if np.all(np.diff(temps) > 0) else None
    if index is None:
        raise ValueError("dataset.temperatures must be strictly increasing")
    counts = np.bincount(index, minlength=temps.size)
    prob = np.array([np.bincount(index, phase_probability(m, dataset.configs), temps.size) / counts
                     for m in models])
    crossings = []
    for row in prob:
        try:
            crossings.append(crossing_temperature(temps, row))
        except ValueError:
            crossings.append(np.nan)
    crossings = np.array(crossings)
    good = crossings[np.isfinite(crossings)]
    if good.size < 2:
        raise ValueError("fewer than two models produced a crossing; widen the temperature grid")
    return PhaseScan(temps, prob, crossings, Estimate(float(good.mean()), float(good.std(ddof=1))),
                     models)


class PCAResult(NamedTuple):
    """Principal components of a data set (see :func:`pca`)."""

    components: np.ndarray
    explained_variance_ratio: np.ndarray
    scores: np.ndarray
    mean: np.ndarray


def pca(configs, n_components: int = 2) -> PCAResult:
    r"""Principal component analysis of configurations (rows), by singular value decomposition.

    With :math:`X` the centred data matrix (one flattened configuration per row),
    :math:`X = U\Sigma V^\top`: the components are the rows of :math:`V^\top`
    (unit vectors, sign fixed so that each sums to a non-negative number), the
    scores :math:`XV`, and the explained variance ratios
    :math:`\sigma_k^2/\sum_j \sigma_j^2`. For Ising configurations the first
    component is close to the uniform vector :math:`(1,\dots,1)/\sqrt N`, so its
    score is :math:`\sqrt N\,(m - \bar m)`: PCA finds the order parameter.

    Parameters
    ----------
    configs : array_like, shape (n, ...)
        Samples; trailing axes are flattened.
    n_components : int
        Components kept (at most min(n, features)).

    Returns
    -------
    PCAResult
        ``components`` (k, D), ``explained_variance_ratio`` (k,), ``scores`` (n, k),
        ``mean`` (D,).

    Example
    -------
    >>> res = pca(np.random.default_rng(0).normal(size=(50, 4)), 2)
    >>> res.scores.shape
    (50, 2)

    References
    ----------
    L. Wang, Phys. Rev. B 94, 195105 (2016).
    """
    x = check_array("configs", configs, min_ndim=2, dtype="float")
    x = x.reshape(x.shape[0], -1)
    k = check_int("n_components", n_components, minimum=1, maximum=min(x.shape))
    mean = x.mean(axis=0)
    _, sv, vt = np.linalg.svd(x - mean, full_matrices=False)
    comps = vt[:k] * np.where(vt[:k].sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    total = np.sum(sv ** 2)
    ratio = sv[:k] ** 2 / total if total > 0 else np.zeros(k)
    return PCAResult(comps, ratio, (x - mean) @ comps.T, mean)
