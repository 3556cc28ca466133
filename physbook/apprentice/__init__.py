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
  surrogate (:mod:`physbook.gp`: RBF kernel, hyperparameters by marginal
  likelihood), and :func:`grid_calls`, the cost of the uniform grid it
  competes with.
* Phases. :func:`ising_dataset` from :mod:`physbook.ising`, classifiers
  trained far from :math:`T_c` (:func:`train_classifier`,
  :func:`phase_probability`, :func:`learn_phases` with a bootstrap over
  models), :func:`crossing_temperature`; unsupervised PCA is :func:`physbook.stats.pca`.

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

from .signals import (  # noqa: F401
    GM_SUN_S,
    chirp,
    chirp_frequency,
    noise_sigma,
    add_noise,
    overlap,
    TemplateBank,
    template_bank,
    MatchedFilterResult,
    matched_filter,
    power_spectrum,
    wiener_filter,
    linear_filter,
    ROC,
    roc_curve,
    DenoiserConfig,
    Denoiser,
    train_denoiser,
    denoise,
)
from .surrogates import (  # noqa: F401
    BayesOptResult,
    bayes_opt,
    grid_calls,
)
from .phases import (  # noqa: F401
    IsingDataset,
    ising_dataset,
    PhaseClassifier,
    train_classifier,
    phase_probability,
    crossing_temperature,
    PhaseScan,
    learn_phases,
)

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
    "BayesOptResult",
    "bayes_opt",
    "grid_calls",
    "IsingDataset",
    "ising_dataset",
    "PhaseClassifier",
    "train_classifier",
    "phase_probability",
    "crossing_temperature",
    "PhaseScan",
    "learn_phases",
]
