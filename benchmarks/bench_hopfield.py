"""Hopfield recall: physbook.hopfield.recall against a straightforward per-probe numpy loop.

1000 noisy probes (20 % of the neurons flipped) of N = 1024 neurons with P = 100
stored random patterns (alpha ~ 0.098), relaxed to a fixed point by asynchronous
T = 0 dynamics in random order. The peer is the textbook loop: for each probe,
sweep the neurons in a fresh random order, ``h = W[i] @ s``, align, until a sweep
changes nothing. Both use the same float64 couplings. Prints probes recalled per
second and the ratio (medians of repeats; the peer is timed on a subset of the
probes, its cost being linear in their number). Also the synchronous rule, whose
peer is ``s = sign(W @ s)`` per probe, and physbook with float32 couplings.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import median_time  # noqa: E402

from physbook import hopfield  # noqa: E402

N, P, B, NOISE = 1024, 100, 1000, 0.2


def peer_async(probes, W, rng, max_sweeps=100):
    """Per-probe, per-neuron asynchronous dynamics in plain numpy."""
    out = probes.astype(np.float64)
    n = W.shape[0]
    for b in range(out.shape[0]):
        s = out[b]
        for _ in range(max_sweeps):
            changed = False
            for i in rng.permutation(n):
                h = W[i] @ s
                new = 1.0 if h > 0 else (-1.0 if h < 0 else s[i])
                if new != s[i]:
                    s[i] = new
                    changed = True
            if not changed:
                break
    return out


def peer_sync(probes, W, max_sweeps=100):
    """Per-probe synchronous dynamics in plain numpy."""
    out = probes.astype(np.float64)
    for b in range(out.shape[0]):
        s = out[b]
        for _ in range(max_sweeps):
            h = W @ s
            new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, s))
            if np.array_equal(new, s):
                break
            s[:] = new
    return out


def main():
    rng = np.random.default_rng(0)
    xi = rng.choice(np.array([-1, 1], np.int8), size=(P, N))
    W = hopfield.hebbian(xi)
    targets = xi[np.arange(B) % P]
    probes = hopfield.corrupt(targets, NOISE, seed=1)
    n_peer = 50

    rows = []
    for rule, peer in (("async", lambda p: peer_async(p, W, np.random.default_rng(2))),
                       ("sync", lambda p: peer_sync(p, W))):
        for dtype in (np.float64, np.float32):
            Wd = W.astype(dtype)
            t_pb = median_time(lambda: hopfield.recall(probes, Wd, rule=rule, seed=3), repeats=3)
            m_pb = np.mean(hopfield.recall(probes, Wd, rule=rule, seed=3).states * targets)
            if dtype is np.float64:
                t_peer = median_time(lambda: peer(probes[:n_peer]), repeats=3, warmup=0)
                m_peer = np.mean(peer(probes[:n_peer]) * targets[:n_peer])
            rows.append((rule, np.dtype(dtype).name, B / t_pb, n_peer / t_peer,
                         (B / t_pb) / (n_peer / t_peer), m_pb, m_peer))

    print(f"Hopfield recall, N = {N}, P = {P}, {B} probes with {NOISE:.0%} noise, T = 0 "
          "(physbook vs per-probe numpy loop)")
    print(f"{'rule':>6} {'couplings':>10} {'physbook probes/s':>18} {'numpy loop probes/s':>20} "
          f"{'ratio':>7} {'m (pb)':>7} {'m (peer)':>8}")
    for rule, dt, a, b, r, m1, m2 in rows:
        print(f"{rule:>6} {dt:>10} {a:18.1f} {b:20.1f} {r:6.1f}x {m1:7.4f} {m2:8.4f}")


if __name__ == "__main__":
    main()
