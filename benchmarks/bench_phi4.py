"""phi^4 sampling: flow-based MCMC vs HMC, effective independent samples per second of wall time.

At the tutorial's couplings (m2 = -4, lam = 8) and L = 6, 8, 12:

* HMC (8 chains vectorized, 10 leapfrog steps of 0.1): effective samples per second
  = n_chains * n_trajectories / (2 tau_int(M)) / time, tau_int from physbook.stats.integrated_time.
* flow MCMC (8 coupling layers, 16 hidden channels, 600 training steps of 64 samples, as in
  the chapter):
  ESS per second = (ESS/N) * N / time of the flow_mcmc call, and, with the autocorrelation
  of the chain, N / (2 tau_int(M)) / time. Training time is reported separately and as the
  amortised rate over the sampling run.

Times are medians of repeats after a warm-up call (compilation excluded). Run alone:
``python benchmarks/bench_phi4.py``. No assertions on time.

Broken phase (m2 = -4, lam = 3, issue #17), L = 4, 6, 8: two vacua +-v. HMC (8 chains, half
started at +v, half at -v) is timed over a long run; its tunnelling time comes from
``phi4.tunnelling_time`` (hysteresis at half of <|M|>/V) and its effective samples of sign(M)
per second are the changes of vacuum per second (a telegraph signal decorrelates once per
change; with none seen the rate is an upper bound, "<"). The Z2-equivariant flow
(``init_flow(..., z2=True)``, the chapter's architecture and training) is trained at each L;
flow-MCMC effective samples per second = N / (2 tau_int) / time for sign(M) and |M|, and
"incl. training" divides by (sampling + training) time for one run of N proposals.
``python benchmarks/bench_phi4.py broken`` runs only this part.
"""
import sys
import time
from pathlib import Path

import numpy as np


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_time  # noqa: E402

import physbook as pb  # noqa: E402
from physbook import phi4  # noqa: E402

M2, LAM = -4.0, 8.0
SIZES = (6, 8, 12)
N_CHAINS, N_TRAJ = 8, 1000
N_FLOW = 8192


def bench_hmc(L):
    run = {}

    def go():
        run["res"] = phi4.hmc(L, M2, LAM, N_TRAJ, step_size=0.1, n_leapfrog=10, n_chains=N_CHAINS,
                              n_burn=100, seed=1)

    t = median_time(go, repeats=3)
    m = phi4.magnetization(run["res"].samples)
    tau = pb.stats.integrated_time(m, pool_chains=True)
    return N_CHAINS * N_TRAJ / (2 * tau) / t, tau, run["res"].acceptance, t


def bench_flow(L):
    flow = phi4.init_flow(L, n_layers=8, widths=(16,), kernel_size=3, lam=LAM, seed=0)
    start = time.perf_counter()
    trained = phi4.train_flow(flow, M2, LAM, n_steps=600, batch_size=64, learning_rate=4e-3, seed=3)
    t_train = time.perf_counter() - start          # includes compilation, as a user would see it
    run = {}

    def go():
        run["res"] = phi4.flow_mcmc(trained.params, N_FLOW, m2=M2, lam=LAM, seed=4)

    t = median_time(go, repeats=3)
    res = run["res"]
    ess = phi4.ess(res.log_w)
    tau = pb.stats.integrated_time(phi4.magnetization(res.samples))
    return dict(ess=ess, ess_rate=ess * N_FLOW / t, tau=tau, tau_rate=N_FLOW / (2 * tau) / t,
                acc=res.acceptance, t=t, t_train=t_train,
                amortised=N_FLOW / (2 * tau) / (t + t_train))


BROKEN_M2, BROKEN_LAM = -4.0, 3.0
BROKEN_SIZES = (4, 6, 8)
BROKEN_HMC_TRAJ = 25000
BROKEN_FLOW = dict(n_layers=4, widths=(8,), n_steps=300, batch_size=64, learning_rate=4e-3)
BROKEN_N = 8192


def bench_broken_hmc(L):
    v = (-BROKEN_M2 / (2 * BROKEN_LAM)) ** 0.5
    start = np.repeat([v, -v], N_CHAINS // 2)[:, None, None] * np.ones((N_CHAINS, L, L))
    run = {}

    def go():
        run["res"] = phi4.hmc(L, BROKEN_M2, BROKEN_LAM, BROKEN_HMC_TRAJ, step_size=0.1, n_leapfrog=10,
                              n_chains=N_CHAINS, n_burn=100, seed=5, phi0=start)

    t = median_time(go, repeats=1)
    m = phi4.magnetization(run["res"].samples)
    tun = phi4.tunnelling_time(m, threshold=0.5 * np.abs(m).mean())
    n_changes = m.size / tun.mean if np.isfinite(tun.error) else 0
    tau_abs = pb.stats.integrated_time(np.abs(m), pool_chains=True)
    return dict(tun=tun, sign_rate=max(n_changes, 1) / t, bound=n_changes == 0,
                abs_rate=m.size / (2 * tau_abs) / t, t=t)


def bench_broken_flow(L):
    cfg = dict(BROKEN_FLOW)
    flow = phi4.init_flow(L, n_layers=cfg.pop("n_layers"), widths=cfg.pop("widths"), lam=BROKEN_LAM,
                          m2=BROKEN_M2, z2=True, seed=0)
    start = time.perf_counter()
    trained = phi4.train_flow(flow, BROKEN_M2, BROKEN_LAM, seed=3, **cfg)
    t_train = time.perf_counter() - start          # includes compilation, as a user would see it
    run = {}

    def go():
        run["res"] = phi4.flow_mcmc(trained.params, BROKEN_N, m2=BROKEN_M2, lam=BROKEN_LAM, seed=4)

    t = median_time(go, repeats=1)
    res = run["res"]
    m = phi4.magnetization(res.samples)
    tau_sign = pb.stats.integrated_time(np.sign(m))
    tau_abs = pb.stats.integrated_time(np.abs(m))
    return dict(acc=res.acceptance, sign_mean=np.sign(m).mean(), tau_sign=tau_sign, tau_abs=tau_abs,
                t=t, t_train=t_train,
                sign_rate=BROKEN_N / (2 * tau_sign) / t, abs_rate=BROKEN_N / (2 * tau_abs) / t,
                sign_amortised=BROKEN_N / (2 * tau_sign) / (t + t_train),
                abs_amortised=BROKEN_N / (2 * tau_abs) / (t + t_train))


def main_broken():
    print(f"\nbroken phase m2={BROKEN_M2}, lam={BROKEN_LAM}: HMC ({N_CHAINS} chains x {BROKEN_HMC_TRAJ} "
          f"trajectories) vs Z2 flow-MCMC ({BROKEN_N} proposals, training {BROKEN_FLOW['n_steps']} steps)")
    print(f"{'L':>3} {'HMC tau_tun':>14} {'HMC sign/s':>11} {'HMC |M|/s':>10} {'flow acc':>9} "
          f"{'<sign>':>7} {'tau sign':>9} {'tau |M|':>8} {'train s':>8} {'sign/s':>8} "
          f"{'sign/s incl.':>12} {'|M|/s incl.':>11} {'sign ratio incl.':>16} {'|M| ratio incl.':>15}")
    for L in BROKEN_SIZES:
        h = bench_broken_hmc(L)
        f = bench_broken_flow(L)
        tun = f">{h['tun'].mean:.0f}" if h["bound"] else f"{h['tun'].mean:.0f}+-{h['tun'].error:.0f}"
        lt = "<" if h["bound"] else " "
        gt = ">" if h["bound"] else " "
        print(f"{L:>3} {tun:>14} {lt}{h['sign_rate']:>10.2f} {h['abs_rate']:>10.0f} {f['acc']:>9.2f} "
              f"{f['sign_mean']:>+7.2f} {f['tau_sign']:>9.1f} {f['tau_abs']:>8.1f} {f['t_train']:>8.1f} "
              f"{f['sign_rate']:>8.1f} {f['sign_amortised']:>12.2f} {f['abs_amortised']:>11.1f} "
              f"{gt}{f['sign_amortised'] / h['sign_rate']:>15.3g} {f['abs_amortised'] / h['abs_rate']:>15.3g}",
              flush=True)
    print("ratios = flow-MCMC effective samples per second (training included) / HMC's; > 1: the flow"
          " wins. sign(M) measures tunnelling between the vacua, |M| the mixing within one.")


def main(argv=()):
    if "broken" not in argv:
        main_symmetric()
    main_broken()


def main_symmetric():
    print(f"phi^4 at m2={M2}, lam={LAM}: effective independent samples per second (wall time)")
    print(f"{'L':>3} {'HMC tau':>8} {'HMC eff/s':>10} {'flow acc':>9} {'ESS/N':>6} {'ESS/s':>9} "
          f"{'flow tau':>9} {'flow eff/s':>10} {'train s':>8} {'ESS/s / HMC':>12} "
          f"{'eff/s / HMC':>12} {'amortised / HMC':>16}")
    for L in SIZES:
        hmc_rate, hmc_tau, hmc_acc, _ = bench_hmc(L)
        f = bench_flow(L)
        print(f"{L:>3} {hmc_tau:>8.2f} {hmc_rate:>10.0f} {f['acc']:>9.2f} {f['ess']:>6.3f} "
              f"{f['ess_rate']:>9.0f} {f['tau']:>9.2f} {f['tau_rate']:>10.0f} {f['t_train']:>8.1f} "
              f"{f['ess_rate'] / hmc_rate:>12.3f} {f['tau_rate'] / hmc_rate:>12.3f} "
              f"{f['amortised'] / hmc_rate:>16.4f}", flush=True)
    print("ratios > 1 mean the flow sampler gives more effective samples per second than HMC;"
          " 'amortised' charges the training time to one run of", N_FLOW, "proposals.")


if __name__ == "__main__":
    main(sys.argv[1:])
