r"""Signals: gravitational-wave chirps in noise, the matched filter, the Wiener filter and a denoising autoencoder."""
from __future__ import annotations

import zipfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._nn import conv1d
from .._results import TrainResult
from .._validate import check_array, check_int, check_positive, check_real
from ..random import Seed, as_generator, as_key
from .. import stats
from ..stats import Estimate

__all__ = [
    "GM_SUN_S",
    "chirp",
    "chirp_frequency",
    "noise_sigma",
    "add_noise",
    "overlap",
    "TemplateBank",
    "template_bank",
    "MatchedFilterResult",
    "matched_filter",
    "power_spectrum",
    "wiener_filter",
    "linear_filter",
    "ROC",
    "roc_curve",
    "DenoiserConfig",
    "Denoiser",
    "train_denoiser",
    "denoise",
    "save_denoiser",
    "load_denoiser",
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


def add_noise(signal, snr, *, seed: Seed = None) -> np.ndarray:
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


def linear_filter(data, signal_covariance, noise_variance) -> np.ndarray:
    r"""The best linear estimate of a signal with known covariance in white noise (linear MMSE).

    .. math:: \hat h = C_h\,(C_h + \sigma^2 I)^{-1}\, d ,

    the linear map of the data with the least mean squared error for signals of covariance
    :math:`C_h` (mean zero) in white noise of variance :math:`\sigma^2`. It needs no
    stationarity: for a stationary ensemble :math:`C_h` is circulant, its eigenvectors are Fourier
    modes, and this is the Wiener filter (:func:`wiener_filter`). Computed by one eigendecomposition
    :math:`C_h = U\Lambda U^\top`, so many data vectors and noise levels cost one matrix product each.

    Parameters
    ----------
    data : array_like, shape (..., n)
        Noisy segments.
    signal_covariance : array_like, shape (n, n)
        Symmetric positive semi-definite :math:`C_h` (e.g. the second moment of simulated signals).
    noise_variance : float or array_like
        :math:`\sigma^2 > 0`, broadcastable to ``data.shape[:-1]``.

    Returns
    -------
    numpy.ndarray, shape (..., n)

    Example
    -------
    >>> C = np.diag([4.0, 0.0, 1.0])
    >>> linear_filter(np.array([1.0, 1.0, 1.0]), C, 1.0).tolist()
    [0.8, 0.0, 0.5]

    References
    ----------
    S. M. Kay, *Fundamentals of Statistical Signal Processing: Estimation Theory* (1993), ch. 12.
    """
    d = check_array("data", data, min_ndim=1, dtype="float")
    C = check_array("signal_covariance", signal_covariance, ndim=2, dtype="float")
    n = d.shape[-1]
    if C.shape != (n, n):
        raise ValueError(f"signal_covariance must have shape ({n}, {n}) to match data, got {C.shape}")
    scale = max(float(np.abs(C).max()), 1e-300)
    if not np.allclose(C, C.T, rtol=1e-8, atol=1e-12 * scale):
        raise ValueError("signal_covariance must be symmetric")
    s2 = check_array("noise_variance", noise_variance, dtype="float")
    if np.any(s2 <= 0):
        raise ValueError("noise_variance must be positive")
    lam, U = np.linalg.eigh(C)
    if lam.min() < -1e-8 * max(lam.max(), 1e-300):
        raise ValueError("signal_covariance must be positive semi-definite")
    lam = np.clip(lam, 0.0, None)
    coeff = d @ U                                            # (..., n) in the eigenbasis of C
    gain = lam / (lam + np.asarray(s2)[..., None])
    return (gain * coeff) @ U.T


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
    depth: int = 2


class Denoiser(NamedTuple):
    """A trained 1-D convolutional denoising autoencoder (weights and hyperparameters)."""

    params: list
    config: DenoiserConfig


def _widths(channels, depth):
    """Channels per resolution level: c, c, 2c, 2c, 4c, ... (level l has n / 2**l samples)."""
    return [channels * 2 ** (level // 2) for level in range(depth + 1)]


def _init_denoiser(key, channels, kernel_size, depth=2):
    ch, k = _widths(channels, depth), kernel_size
    shapes = ([(ch[0], 1)] + [(ch[lv], ch[lv - 1]) for lv in range(1, depth + 1)]
              + [(ch[lv - 1], ch[lv]) for lv in range(depth, 0, -1)] + [(1, ch[0])])
    keys = jax.random.split(key, len(shapes))
    params = []
    for kk, (o, i) in zip(keys, shapes):
        w = jax.random.normal(kk, (o, i, k), dtype=jnp.float32) * jnp.sqrt(2.0 / (i * k))
        params.append((w, jnp.zeros((o,), jnp.float32)))
    return params


def _denoiser_apply(params, x):
    """x: (batch, n) whitened data -> (batch, n) estimate of the whitened clean signal.

    A 1-D U-Net: ``depth`` strided convolutions down, as many nearest-neighbour upsamplings
    plus convolutions back up, each added to the encoder output of the same resolution.
    """
    act = jax.nn.gelu
    depth = (len(params) - 2) // 2
    h = act(conv1d(x[:, None, :], *params[0]))                 # (B, c, n)
    skips = [h]
    for level in range(1, depth + 1):
        h = act(conv1d(h, *params[level], stride=2))           # (B, c_l, n / 2**l)
        skips.append(h)
    for j, level in enumerate(range(depth, 0, -1)):
        h = act(conv1d(jnp.repeat(h, 2, axis=-1), *params[depth + 1 + j])) + skips[level - 1]
    return conv1d(h, *params[-1])[:, 0, :]


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
def _denoiser_step(config, batch_size, objective="relative"):
    """Jitted Adam step for one training setup (a Python loop over it compiles much faster than a scan)."""
    import optax

    opt = optax.scale_by_adam()

    def loss_fn(p, d, h):
        err = jnp.sum((_denoiser_apply(p, d) - h) ** 2, axis=-1)
        # relative: every SNR counts alike (a plain squared error is dominated by the loudest chirps)
        return jnp.mean(err / jnp.sum(h ** 2, axis=-1) if objective == "relative" else err / h.shape[-1])

    @jax.jit
    def step(p, s, k, lr):
        d, h = _simulate_batch(k, config, batch_size)
        loss, g = jax.value_and_grad(loss_fn)(p, d, h)
        updates, s = opt.update(g, s, p)
        return jax.tree_util.tree_map(lambda q, u: q - lr * u, p, updates), s, loss

    return opt, step


def _train_denoiser(key, config, n_steps, batch_size, learning_rate, objective="relative"):
    opt, step = _denoiser_step(config, batch_size, objective)
    k_init, k_data = jax.random.split(key)
    params = _init_denoiser(k_init, config.channels, config.kernel_size, config.depth)
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
                   snr_range=(4.0, 40.0), channels: int = 12, kernel_size: int = 9, depth: int = 2,
                   objective: str = "squared", n_steps: int = 600, batch_size: int = 32, learning_rate: float = 3e-3,
                   seed: Seed = None) -> TrainResult:
    r"""Train a small 1-D convolutional denoising autoencoder on simulated chirps in white noise.

    Every step draws a fresh batch: chirps (:func:`chirp`) with uniform chirp
    mass, coalescence time and phase, scaled to an SNR drawn log-uniformly in
    ``snr_range``, plus unit white noise (the data are whitened, :math:`\sigma = 1`).
    The network :math:`g_\theta`, a 1-D U-Net (``depth`` strided convolutions down, as many
    upsampling convolutions back with additive skip connections, GELU), minimises with Adam
    (optax) and a cosine learning-rate decay to 5 % either the squared error per sample
    (``objective="squared"``)

    .. math:: \mathcal L(\theta) = \tfrac1n\big\langle \lVert g_\theta(d/\sigma) - h/\sigma\rVert^2
              \big\rangle_{h,\,\xi},

    whose optimum is the posterior mean :math:`E[h\mid d]`, or the relative squared error
    (``objective="relative"``), the same divided by :math:`\lVert h/\sigma\rVert^2 = \rho^2`, so that
    every SNR counts alike (the squared error is dominated by the loudest chirps); its optimum is
    :math:`E[h\,\rho^{-2}\mid d]/E[\rho^{-2}\mid d]`, the posterior mean with each example weighted
    by :math:`1/\rho^2`. The relative objective trains better networks but is erratic in the first few
    hundred steps (a random initial output is large compared with a faint chirp). Computation is in
    float32.

    Parameters
    ----------
    t : array_like, shape (n,)
        Uniform sample times in seconds, starting at 0 (n divisible by ``2**depth``, at least 8).
    chirp_mass_range, t_c_range, snr_range : (float, float)
        Ranges of the simulated training signals.
    channels, kernel_size : int
        Width (channels of the first layer) and convolution kernel length.
    depth : int
        Number of resolution halvings; level :math:`l` has ``channels * 2**(l // 2)`` channels.
    objective : {"squared", "relative"}
        The loss (see above).
    n_steps, batch_size : int
        Adam steps and segments per step.
    learning_rate : float
        Initial Adam learning rate.
    seed : int, numpy.random.Generator, JAX key or None
        Initialisation and training data.

    Returns
    -------
    TrainResult
        ``params``: the :class:`Denoiser` (weights and configuration); ``history``:
        the training loss per step, shape (n_steps,).

    Example
    -------
    >>> t = np.arange(256) / 256.0
    >>> fit = train_denoiser(t, n_steps=5, seed=0)
    >>> fit.history.shape
    (5,)

    References
    ----------
    P. Vincent et al., ICML (2008); H. Shen et al., arXiv:1711.09919 (2017);
    D. George and E. A. Huerta, Phys. Lett. B 778, 64 (2018).
    """
    t = check_array("t", t, ndim=1, dtype="float")
    n = t.shape[0]
    depth = check_int("depth", depth, minimum=1)
    if n < 8 or n % 2 ** depth:
        raise ValueError(f"t must have a length >= 8 divisible by 2**depth = {2 ** depth}, got {n}")
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
        kernel_size=check_int("kernel_size", kernel_size, minimum=1),
        depth=depth)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    if objective not in ("squared", "relative"):
        raise ValueError(f"objective must be 'squared' or 'relative', got {objective!r}")
    params, losses = _train_denoiser(as_key(seed), config, n_steps, batch_size, learning_rate, objective)
    return TrainResult(Denoiser(params, config), np.asarray(losses))


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
    >>> net = train_denoiser(t, n_steps=5, seed=0).params
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


# ----------------------------------------------------------------------------- shipped weights
#: File name of the denoiser trained by ``python -m physbook.apprentice.train`` (package data).
PRETRAINED_FILE = "denoiser.npz"


def save_denoiser(model: Denoiser, path) -> Path:
    """Write a :class:`Denoiser` (float32 weights and its configuration) to a ``.npz`` file.

    Parameters
    ----------
    model : Denoiser
        From :func:`train_denoiser` or :func:`load_denoiser`.
    path : str or pathlib.Path
        Destination file (``.npz``).

    Returns
    -------
    pathlib.Path
        The path written.

    Example
    -------
    >>> import tempfile, os
    >>> net = train_denoiser(np.arange(64) / 64.0, channels=2, n_steps=1, seed=0).params
    >>> save_denoiser(net, os.path.join(tempfile.mkdtemp(), "net.npz")).suffix
    '.npz'
    """
    if not isinstance(model, Denoiser):
        raise TypeError(f"model must be a Denoiser (from train_denoiser), got {type(model).__name__}")
    path = Path(path)
    arrays = {}
    for i, (w, b) in enumerate(model.params):
        arrays[f"w{i}"] = np.asarray(w, dtype=np.float32)
        arrays[f"b{i}"] = np.asarray(b, dtype=np.float32)
    for name, value in model.config._asdict().items():
        arrays[f"config_{name}"] = np.asarray(value)
    # written entry by entry with a fixed timestamp, so the same weights give the same bytes (checksum)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, value, allow_pickle=False)
    return path


def load_denoiser(path=None) -> Denoiser:
    r"""Load a :class:`Denoiser` saved by :func:`save_denoiser`; by default the one shipped with physbook.

    The shipped network (``path=None``) is a 1-D U-Net (16 channels, 4 levels, kernel 9, about
    70 000 float32 weights) trained by ``python -m physbook.apprentice.train`` (``make weights``)
    on chirps with :math:`\mathcal M \in [25, 40] M_\odot`, :math:`t_c \in [0.75, 0.95]` s,
    any phase, at optimal SNRs from 5 to 35, sampled at 256 Hz for one second. The training
    settings, the file's SHA-256 and the evaluation overlaps are recorded next to it in
    ``denoiser.json`` (read it with ``physbook.apprentice.train.record()``).

    Parameters
    ----------
    path : str, pathlib.Path or None
        A ``.npz`` file from :func:`save_denoiser`; None for the shipped weights.

    Returns
    -------
    Denoiser
        Weights (float32 JAX arrays) and configuration, ready for :func:`denoise`.

    Example
    -------
    >>> net = load_denoiser()
    >>> denoise(net, np.zeros(net.config.n), 1.0).shape
    (256,)

    References
    ----------
    O. Ronneberger, P. Fischer and T. Brox, MICCAI (2015) (the U-Net shape).
    """
    if path is None:
        ref = resources.files("physbook.apprentice").joinpath("data", PRETRAINED_FILE)
        with resources.as_file(ref) as p:
            return load_denoiser(p)
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be an existing .npz file from save_denoiser, got {str(path)!r}")
    with np.load(path) as z:
        keys = set(z.files)
        fields = DenoiserConfig._fields
        if not all(f"config_{f}" in keys for f in fields):
            raise ValueError(f"path {str(path)!r} holds no Denoiser (no configuration arrays)")
        raw = {f: z[f"config_{f}"] for f in fields}
        config = DenoiserConfig(
            n=int(raw["n"]), dt=float(raw["dt"]),
            chirp_mass_range=tuple(float(v) for v in raw["chirp_mass_range"]),
            t_c_range=tuple(float(v) for v in raw["t_c_range"]),
            snr_range=tuple(float(v) for v in raw["snr_range"]),
            channels=int(raw["channels"]), kernel_size=int(raw["kernel_size"]), depth=int(raw["depth"]))
        n_layers = 2 * config.depth + 2
        params = [(jnp.asarray(z[f"w{i}"], jnp.float32), jnp.asarray(z[f"b{i}"], jnp.float32))
                  for i in range(n_layers)]
    return Denoiser(params, config)
