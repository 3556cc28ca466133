"""Benchmarks of physbook.apprentice against simple peers; prints ratios (medians of repeats).

1. Matched filter over a template bank: physbook (JAX einsum) vs the same projection in numpy (BLAS).
2. The shipped denoising network (``load_denoiser``) vs the matched filter: segments per second and
   overlap, and the overlaps recorded with the weights.
3. Logistic regression on Ising configurations: physbook (optax, full batch) vs scikit-learn's
   ``LogisticRegression`` (lbfgs), time and accuracy on held-out data.
4. Bayesian optimisation vs a noise-free uniform grid: simulator calls for 2 % accuracy on the
   specific-heat peak of the L = 16 Ising model.

Run alone: ``python benchmarks/bench_apprentice.py``. Never asserts on time.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_time  # noqa: E402

import physbook as pb  # noqa: E402

ap, ising = pb.apprentice, pb.ising


def _numpy_matched_filter(data, templates):
    coeff = np.einsum("bn,kjn->bkj", data, templates, optimize=True)
    power = np.sum(coeff ** 2, axis=-1)
    best = np.argmax(power, axis=-1)
    c = coeff[np.arange(len(data)), best]
    return np.einsum("bj,bjn->bn", c, templates[best])


def bench_signals():
    t = np.arange(256) / 256.0
    rng = np.random.default_rng(0)
    params = rng.uniform([25, 0.76, 0], [40, 0.94, 2 * np.pi], size=(300, 3))
    clean = np.stack([ap.chirp(t, t_c=tc, chirp_mass=mc, phase=ph) for mc, tc, ph in params])
    data = ap.add_noise(clean, 10.0, seed=1)
    sigma = ap.noise_sigma(clean, 10.0)
    print("matched filter, 300 segments of 256 samples")
    print(f"{'templates':>10} {'physbook s':>11} {'numpy s':>9} {'numpy/physbook':>15}")
    for n_m, n_t in ((30, 26), (118, 52)):
        bank = ap.template_bank(t, np.geomspace(25, 40, n_m), np.linspace(0.75, 0.95, n_t))
        ours = median_time(lambda: ap.matched_filter(data, bank, sigma), repeats=3)
        peer = median_time(lambda: _numpy_matched_filter(data, bank.templates), repeats=3)
        np.testing.assert_allclose(ap.matched_filter(data, bank, sigma).estimate,
                                   _numpy_matched_filter(data, bank.templates), atol=1e-8)
        print(f"{len(bank.t_c):>10} {ours:>11.4f} {peer:>9.4f} {peer / ours:>15.2f}")
    net = ap.load_denoiser()                       # the shipped network (python -m physbook.apprentice.train)
    dae = median_time(lambda: ap.denoise(net, data, sigma), repeats=5)
    mf = median_time(lambda: ap.matched_filter(data, bank, sigma), repeats=3)
    o_net = ap.overlap(ap.denoise(net, data, sigma), clean).mean()
    o_mf = ap.overlap(ap.matched_filter(data, bank, sigma).estimate, clean).mean()
    print(f"shipped denoiser forward vs matched filter ({len(bank.t_c)} templates), 300 segments at SNR 10: "
          f"{len(data) / dae:.0f} vs {len(data) / mf:.0f} segments/s, speed ratio {mf / dae:.2f}; "
          f"overlap {o_net:.3f} vs {o_mf:.3f}")
    from physbook.apprentice.train import record
    ev = record()["evaluation"]
    print("recorded overlaps (400 chirps per SNR, fixed evaluation seed):")
    print(f"{'SNR':>8}" + "".join(f"{r:8.0f}" for r in ev["snr"]))
    for method, values in ev["overlap"].items():
        print(f"{method:>8}" + "".join(f"{m:8.3f}" for m, _ in values))
    oor = ev["out_of_range"]
    print(f"outside the training range and bank [25, 40] at SNR {ev['out_of_range_snr']:g}: " + ", ".join(
        f"M={m:g}: network {a[0]:.3f} / bank {b[0]:.3f}" for m, a, b in zip(oor["mass"], oor["network"],
                                                                           oor["matched"])))


def bench_logistic():
    from sklearn.linear_model import LogisticRegression

    temps = np.array([1.4, 1.6, 1.8, 2.0, 2.6, 2.8, 3.0, 3.2])
    train = ap.ising_dataset(16, temps, 60, seed=0)
    test = ap.ising_dataset(16, temps, 60, seed=1)

    def fix(c):
        x = c.reshape(len(c), -1).astype(float)
        return x * np.where(x.sum(1, keepdims=True) < 0, -1, 1)

    ours_model = ap.train_classifier(train.configs, train.label, model="logistic", l2=0.03, seed=0).params
    ours = median_time(lambda: ap.train_classifier(train.configs, train.label, model="logistic",
                                                   l2=0.03, seed=0), repeats=3)
    sk = LogisticRegression(C=1.0, max_iter=1000)
    peer = median_time(lambda: sk.fit(fix(train.configs), train.label), repeats=3)
    acc_ours = np.mean((ap.phase_probability(ours_model, test.configs) > 0.5) == test.label)
    acc_peer = np.mean(sk.predict(fix(test.configs)) == test.label)
    print(f"logistic regression, {len(train.label)} configs of 16x16: physbook {ours:.3f} s "
          f"(test accuracy {acc_ours:.3f}), scikit-learn {peer:.3f} s (test accuracy {acc_peer:.3f}); "
          f"sklearn/physbook time ratio {peer / ours:.2f}")


def bench_bo():
    from scipy.optimize import minimize_scalar

    exact = lambda T: ising.exact_finite(16, T).specific_heat  # noqa: E731
    t_star = minimize_scalar(lambda T: -exact(T), bounds=(2.2, 2.5), method="bounded").x
    n_grid = ap.grid_calls(exact, (1.0, 4.0), t_star, rtol=0.02)
    errors = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        res = ap.bayes_opt(lambda T: exact(T) + 0.02 * rng.normal(), (1.0, 4.0), 3, 6, seed=seed)
        errors.append(abs(res.x_best / t_star - 1))
    print(f"specific-heat peak, L = 16: BO 9 noisy calls, mean error {100 * np.mean(errors):.2f} % "
          f"(max {100 * np.max(errors):.2f} %); noise-free grid needs {n_grid} calls for 2 %: "
          f"calls ratio grid/BO {n_grid / 9:.1f}")


def main():
    bench_signals()
    bench_logistic()
    bench_bo()


if __name__ == "__main__":
    main()
