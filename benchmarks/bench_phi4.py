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
"""
import sys
import time
from pathlib import Path


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


def main():
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
    main()
