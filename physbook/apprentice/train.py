r"""Train, save and evaluate the denoiser shipped with physbook (``make weights``).

``python -m physbook.apprentice.train`` rebuilds ``physbook/apprentice/data/denoiser.npz`` from
fixed seeds and writes ``denoiser.json`` next to it: the training settings, the library versions,
the SHA-256 of the ``.npz``, and the overlaps of the network, the Wiener filter, the
full-covariance linear filter and the matched filter on a fixed evaluation set, per SNR and for
chirp masses outside the training range. ``--evaluate-only`` re-evaluates the existing weights.
Training is deterministic on one platform and library version; other CPUs or versions give
slightly different float32 weights (hence the recorded checksum).

The comparison (:func:`evaluate`) follows chapter 10: test chirps with
:math:`\mathcal M \in [25, 40] M_\odot`, :math:`t_c \in [0.76, 0.94]` s, any phase, in white noise
at optimal SNR :math:`\rho`; every method is scored by the overlap :math:`\mathcal O(\hat h, h)`.

References
----------
C. Cutler and E. E. Flanagan, Phys. Rev. D 49, 2658 (1994); H. Shen et al., arXiv:1711.09919
(2017); D. George and E. A. Huerta, Phys. Lett. B 778, 64 (2018).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np

from .._validate import check_int
from ..random import Seed, as_generator
from ..stats import Estimate
from . import signals as sg

__all__ = ["SETTINGS", "EVAL_SNRS", "OUT_OF_RANGE_MASSES", "evaluate", "record", "sha256", "main"]

#: Training settings of the shipped network (``python -m physbook.apprentice.train``).
SETTINGS = dict(n=256, sample_rate=256.0, chirp_mass_range=(25.0, 40.0), t_c_range=(0.75, 0.95),
                snr_range=(5.0, 35.0), channels=16, kernel_size=9, depth=4, objective="relative",
                n_steps=14000, batch_size=64, learning_rate=2e-3, seed=0,
                eval_seed=20261129, n_eval=400)
#: Optimal SNRs of the recorded evaluation.
EVAL_SNRS = (6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0)
#: Chirp masses (solar masses) of the generalisation test; the training range is [25, 40].
OUT_OF_RANGE_MASSES = (18.0, 21.0, 45.0, 50.0, 55.0)
#: The template bank of the comparison: chirp masses and coalescence times (seconds).
BANK_MASSES = np.geomspace(25.0, 40.0, 118)
BANK_T_CS = np.arange(0.75, 0.95 + 1e-9, 1 / 256)

_DATA = "data"
_NPZ, _JSON = "denoiser.npz", "denoiser.json"
METHODS = ("network", "wiener", "linear", "matched")


def sha256(path) -> str:
    """SHA-256 hex digest of a file (the checksum recorded for the shipped weights).

    Example
    -------
    >>> len(sha256(__file__))
    64
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _chirps(t, rng, n, mass_range=(25.0, 40.0), t_c_range=(0.76, 0.94)):
    p = rng.uniform([mass_range[0], t_c_range[0], 0.0], [mass_range[1], t_c_range[1], 2 * np.pi], size=(n, 3))
    return np.stack([sg.chirp(t, t_c=tc, chirp_mass=m, phase=ph) for m, tc, ph in p])


def evaluate(model: sg.Denoiser, *, snrs=EVAL_SNRS, n_eval: int = 400,
             masses=OUT_OF_RANGE_MASSES, out_of_range_snr: float = 12.0, seed: Seed = None) -> dict:
    r"""Overlaps of the network and the three physics baselines on one simulated evaluation set.

    For each optimal SNR :math:`\rho` in ``snrs``, ``n_eval`` chirps
    (:math:`\mathcal M \in [25, 40] M_\odot`, :math:`t_c \in [0.76, 0.94]` s, any phase) in white
    noise are estimated by :func:`~physbook.apprentice.denoise` (``"network"``), the Wiener filter
    with the average spectrum (``"wiener"``), the linear filter :math:`C_h(C_h+\sigma^2)^{-1}d`
    (``"linear"``; :math:`C_h` and the spectrum from 2000 independent simulated chirps, both told
    the true :math:`\sigma`), and the matched filter over the 6136-template bank
    ``BANK_MASSES x BANK_T_CS`` (``"matched"``). Then, at ``out_of_range_snr``, chirps of each
    mass in ``masses`` (outside the bank and training range) are estimated by the network and
    the matched filter with the same bank.

    Parameters
    ----------
    model : Denoiser
        The network, e.g. :func:`~physbook.apprentice.load_denoiser`.
    snrs : sequence of float
        Optimal SNRs of the in-range comparison.
    n_eval : int
        Chirps per SNR (and per out-of-range mass, ``n_eval // 2``).
    masses : sequence of float
        Chirp masses of the generalisation test.
    out_of_range_snr : float
        SNR of the generalisation test.
    seed : int, numpy.random.Generator, JAX key or None
        Chirps and noise (the record uses ``SETTINGS["eval_seed"]``).

    Returns
    -------
    dict
        ``"snr"``: the SNRs; ``"overlap"``: for each method a list of :class:`~physbook.stats.Estimate`
        (mean overlap and its standard error), one per SNR; ``"paired"``: per SNR the mean and
        standard error of network minus Wiener and matched minus network, from the same
        segments; ``"out_of_range"``: ``{"mass", "network", "matched"}`` with Estimates per mass.

    Example
    -------
    >>> res = evaluate(sg.load_denoiser(), snrs=[12.0], n_eval=8, masses=[50.0], seed=0)
    >>> sorted(res["overlap"])
    ['linear', 'matched', 'network', 'wiener']

    References
    ----------
    N. Wiener (1949); C. Cutler and E. E. Flanagan, Phys. Rev. D 49, 2658 (1994).
    """
    if not isinstance(model, sg.Denoiser):
        raise TypeError(f"model must be a Denoiser, got {type(model).__name__}")
    n_eval = check_int("n_eval", n_eval, minimum=2)
    snrs = [float(x) for x in snrs]
    rng = as_generator(seed)
    t = np.arange(model.config.n) * model.config.dt
    bank = sg.template_bank(t, BANK_MASSES, BANK_T_CS)
    clean = _chirps(t, rng, n_eval)
    sims = _chirps(t, rng, 2000)
    sims /= np.linalg.norm(sims, axis=1, keepdims=True)
    C_h = sims.T @ sims / len(sims)
    S = sg.power_spectrum(sims)

    def est(x):
        return Estimate(float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x))))

    overlap = {m: [] for m in METHODS}
    paired = {"network_minus_wiener": [], "matched_minus_network": []}
    for rho in snrs:
        d = sg.add_noise(clean, rho, seed=rng)
        sig = sg.noise_sigma(clean, rho)
        white = d / sig[:, None]
        o = {"network": sg.overlap(sg.denoise(model, d, sig), clean),
             "wiener": sg.overlap(sg.wiener_filter(white, S * rho ** 2, 1.0), clean),
             "linear": sg.overlap(sg.linear_filter(white, C_h * rho ** 2, 1.0), clean),
             "matched": sg.overlap(sg.matched_filter(d, bank, sig).estimate, clean)}
        for m in METHODS:
            overlap[m].append(est(o[m]))
        paired["network_minus_wiener"].append(est(o["network"] - o["wiener"]))
        paired["matched_minus_network"].append(est(o["matched"] - o["network"]))
    out = {"mass": [float(m) for m in masses], "network": [], "matched": []}
    for m in out["mass"]:
        h = _chirps(t, rng, max(n_eval // 2, 2), mass_range=(m, m))
        d = sg.add_noise(h, out_of_range_snr, seed=rng)
        sig = sg.noise_sigma(h, out_of_range_snr)
        out["network"].append(est(sg.overlap(sg.denoise(model, d, sig), h)))
        out["matched"].append(est(sg.overlap(sg.matched_filter(d, bank, sig).estimate, h)))
    return {"snr": snrs, "overlap": overlap, "paired": paired, "out_of_range": out,
            "out_of_range_snr": float(out_of_range_snr)}


def _jsonable(x):
    if isinstance(x, Estimate):
        return [float(x.mean), float(x.error)]
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


def record(path=None) -> dict:
    """The record written with the shipped weights: settings, versions, checksum, evaluation.

    Overlaps are stored as ``[mean, standard error]`` pairs, in the layout of :func:`evaluate`.

    Parameters
    ----------
    path : str, pathlib.Path or None
        A ``denoiser.json``; None for the one shipped with physbook.

    Returns
    -------
    dict

    Example
    -------
    >>> record()["settings"]["depth"]
    4
    """
    if path is None:
        return json.loads(resources.files("physbook.apprentice").joinpath(_DATA, _JSON).read_text())
    return json.loads(Path(path).read_text())


def _versions():
    import jax
    import optax
    return {"python": platform.python_version(), "numpy": np.__version__, "jax": jax.__version__,
            "optax": optax.__version__, "machine": platform.machine(), "system": platform.system()}


def main(argv=None) -> int:
    """Command line: train (or ``--evaluate-only``) and write ``denoiser.npz`` and ``denoiser.json``.

    Example
    -------
    >>> callable(main)
    True
    """
    cfg = dict(SETTINGS)
    ap = argparse.ArgumentParser(prog="python -m physbook.apprentice.train", description=__doc__.split("\n")[0])
    for name in ("n_steps", "batch_size", "channels", "depth", "seed"):
        ap.add_argument("--" + name.replace("_", "-"), type=int, default=cfg[name])
    ap.add_argument("--learning-rate", type=float, default=cfg["learning_rate"])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / _DATA,
                    help="output folder (default: the package data folder)")
    ap.add_argument("--evaluate-only", action="store_true", help="re-evaluate the existing weights")
    args = ap.parse_args(argv)
    for name in ("n_steps", "batch_size", "channels", "depth", "seed", "learning_rate"):
        cfg[name] = getattr(args, name)
    args.out.mkdir(parents=True, exist_ok=True)
    npz, js = args.out / _NPZ, args.out / _JSON
    if args.evaluate_only:
        model = sg.load_denoiser(npz)
        previous = json.loads(js.read_text()) if js.exists() else {}
        cfg, seconds = previous.get("settings", cfg), previous.get("training_seconds")
    else:
        t = np.arange(cfg["n"]) / cfg["sample_rate"]
        start = time.perf_counter()
        model, loss = sg.train_denoiser(
            t, chirp_mass_range=cfg["chirp_mass_range"], t_c_range=cfg["t_c_range"],
            snr_range=cfg["snr_range"], channels=cfg["channels"], kernel_size=cfg["kernel_size"],
            depth=cfg["depth"], objective=cfg["objective"], n_steps=cfg["n_steps"], batch_size=cfg["batch_size"],
            learning_rate=cfg["learning_rate"], seed=cfg["seed"])
        seconds = round(time.perf_counter() - start, 1)
        sg.save_denoiser(model, npz)
        print(f"trained {cfg['n_steps']} steps in {seconds} s; loss {loss[:100].mean():.3f} -> "
              f"{loss[-500:].mean():.4f}", flush=True)
    res = evaluate(model, n_eval=cfg["n_eval"], seed=cfg["eval_seed"])
    n_weights = int(sum(np.size(w) + np.size(b) for w, b in model.params))
    out = {"settings": cfg, "architecture": f"1-D U-Net, GELU, {n_weights} float32 weights",
           "n_weights": n_weights, "training_seconds": seconds, "versions": _versions(),
           "sha256": sha256(npz), "npz_bytes": npz.stat().st_size,
           "bank": {"n_masses": len(BANK_MASSES), "mass_range": [25.0, 40.0], "n_t_c": len(BANK_T_CS)},
           "evaluation": _jsonable(res)}
    js.write_text(json.dumps(out, indent=1) + "\n")
    print("SNR      " + "".join(f"{r:8.0f}" for r in res["snr"]))
    for m in METHODS:
        print(f"{m:9s}" + "".join(f"{e.mean:8.4f}" for e in res["overlap"][m]))
    oor = res["out_of_range"]
    print("mass     " + "".join(f"{m:8.0f}" for m in oor["mass"]))
    for m in ("network", "matched"):
        print(f"{m:9s}" + "".join(f"{e.mean:8.4f}" for e in oor[m]))
    print(f"wrote {npz} ({out['npz_bytes']} bytes, sha256 {out['sha256'][:12]}...) and {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
