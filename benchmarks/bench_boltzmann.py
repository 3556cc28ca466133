"""RBM training: physbook.boltzmann.train vs scikit-learn's BernoulliRBM on binarized 8x8 digits.

1. Time per epoch at equal settings (PCD-1, 64 hidden units, batch 10, learning rate 0.1,
   no momentum, no weight decay), medians of repeats; physbook's one-off compile time apart.
2. Exact test log-likelihood (nats per image) with 16 hidden units, where log Z is computed
   exactly by enumerating the 2**16 hidden states, for the call of issue #13,
   ``train((64, 16), data, method="pcd", batch_size=10, n_epochs=10)`` with physbook's defaults,
   against scikit-learn's BernoulliRBM at the same settings. scikit-learn's ``score_samples`` is a
   stochastic pseudo-likelihood, so its model is scored here with physbook's exact
   ``log_partition_exact`` built from ``components_``, ``intercept_visible_`` and
   ``intercept_hidden_``. Ten seeds; mean, spread (sample std over seeds), the gap against
   twice the spreads, and the first-call time (compile + train, fresh interpreter) against
   scikit-learn's whole fit.

Run alone: ``.venv/bin/python benchmarks/bench_boltzmann.py``.
"""
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import median_time  # noqa: E402

import physbook as pb  # noqa: E402
from physbook import boltzmann as B  # noqa: E402

SEEDS = tuple(range(10))


def sklearn_rbm(n_hidden, lr, batch_size, n_iter, seed):
    from sklearn.neural_network import BernoulliRBM
    return BernoulliRBM(n_components=n_hidden, learning_rate=lr, batch_size=batch_size,
                        n_iter=n_iter, random_state=seed)


def as_physbook(model):
    return B.RBM(model.components_.T.copy(), model.intercept_visible_.copy(),
                 model.intercept_hidden_.copy())


def timing(X, n_hidden=64, batch_size=10, lr=0.1, n_epochs=10):
    equal = dict(method="pcd", k=1, learning_rate=lr, batch_size=batch_size, n_epochs=n_epochs,
                 momentum=0.0, weight_decay=0.0)
    start = time.perf_counter()
    B.train((X.shape[1], n_hidden), X, seed=0, **equal)[0].W.block_until_ready()
    first = time.perf_counter() - start
    t_pb = median_time(lambda: B.train((X.shape[1], n_hidden), X, seed=0, **equal)[0]
                       .W.block_until_ready(), repeats=5) / n_epochs
    r0 = B.init_rbm(X.shape[1], n_hidden, data=X)
    t_pb64 = median_time(lambda: B.train(r0, X, seed=0, dtype=np.float64, **equal)[0]
                         .W.block_until_ready(), repeats=5) / n_epochs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sk = median_time(lambda: sklearn_rbm(n_hidden, lr, batch_size, n_epochs, 0).fit(X),
                           repeats=5, warmup=1) / n_epochs
    print(f"time per epoch, {X.shape[0]} images, {n_hidden} hidden, batch {batch_size}, PCD-1")
    print(f"  scikit-learn BernoulliRBM  {1e3 * t_sk:8.2f} ms")
    print(f"  physbook (float32 default) {1e3 * t_pb:8.2f} ms   speed-up x{t_sk / t_pb:5.1f}")
    print(f"  physbook dtype=float64     {1e3 * t_pb64:8.2f} ms   speed-up x{t_sk / t_pb64:5.1f}")
    print(f"  physbook first call (compile + run {n_epochs} epochs): {first:.2f} s")


FIRST_CALL = """
import time, numpy as np, physbook as pb
from physbook import boltzmann as B
X, _ = pb.data.binarized_digits()
X_train, _ = pb.data.train_test_split(X, seed=0)
t = time.perf_counter()
B.train((64, 16), X_train, method="pcd", batch_size=10, n_epochs=10, seed=0)[0].W.block_until_ready()
print(time.perf_counter() - t)
"""


def first_call_seconds() -> float:
    """Wall time of the first ``train`` call in a fresh interpreter (JIT compile + 10 epochs)."""
    import subprocess
    out = subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def quality(X_train, X_test, n_hidden=16, batch_size=10, n_epochs=10):
    """Issue #13: ``train((64, 16), data, method="pcd", batch_size=10, n_epochs=10)`` with physbook's
    defaults against scikit-learn's BernoulliRBM at the same settings (its default learning rate 0.1),
    exact test log-likelihood over SEEDS."""
    def sk_fit(seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return BernoulliRBM(n_components=n_hidden, batch_size=batch_size, n_iter=n_epochs,
                                random_state=seed).fit(X_train)

    from sklearn.neural_network import BernoulliRBM
    shape = (X_train.shape[1], n_hidden)
    runs = {
        "scikit-learn BernoulliRBM (defaults, lr 0.1)": lambda s: as_physbook(sk_fit(s)),
        "physbook defaults (lr 0.03, mom 0.5, 100 chains)": lambda s: B.train(
            shape, X_train, method="pcd", batch_size=batch_size, n_epochs=n_epochs, seed=s)[0],
        "physbook old defaults (lr 0.05, chains = batch)": lambda s: B.train(
            shape, X_train, method="pcd", batch_size=batch_size, n_epochs=n_epochs, learning_rate=0.05,
            n_chains=batch_size, seed=s)[0],
        "physbook at sklearn's settings (lr 0.1, no mom/decay)": lambda s: B.train(
            shape, X_train, method="pcd", batch_size=batch_size, n_epochs=n_epochs, learning_rate=0.1,
            momentum=0.0, weight_decay=0.0, n_chains=batch_size, seed=s)[0],
    }
    ll = {name: np.array([B.log_likelihood(fit(s), X_test) for s in SEEDS]) for name, fit in runs.items()}
    print(f"\nexact test log-likelihood (nats/image), PCD-1, {n_hidden} hidden, batch {batch_size}, "
          f"{n_epochs} epochs, seeds {SEEDS[0]}..{SEEDS[-1]} (spread = sample std over seeds)")
    ref_name = next(iter(ll))
    ref = ll[ref_name]
    for name, v in ll.items():
        print(f"  {name:52s} {v.mean():8.3f}  spread {v.std(ddof=1):.3f}   minus sklearn {v.mean() - ref.mean():+.3f}")
    pb_v = ll["physbook defaults (lr 0.03, mom 0.5, 100 chains)"]
    gap = pb_v.mean() - ref.mean()
    s_pb, s_sk = pb_v.std(ddof=1), ref.std(ddof=1)
    se = np.sqrt(s_pb**2 / len(SEEDS) + s_sk**2 / len(SEEDS))
    print(f"  physbook defaults - sklearn: {gap:+.3f} nats; 2 x spread: physbook {2 * s_pb:.3f}, "
          f"sklearn {2 * s_sk:.3f}, one-seed difference {2 * np.hypot(s_pb, s_sk):.3f}; "
          f"standard error of the gap {se:.3f} ({gap / se:.1f} sigma)")
    first = first_call_seconds()
    t_sk = median_time(lambda: sk_fit(0), repeats=5, warmup=1)
    print(f"  first call, fresh interpreter (compile + train {n_epochs} epochs): physbook {first:.2f} s; "
          f"scikit-learn fit (median of 5) {t_sk:.2f} s")


def main():
    X, _ = pb.data.binarized_digits()
    X_train, X_test = pb.data.train_test_split(X, seed=0)
    timing(X_train)
    quality(X_train, X_test)


if __name__ == "__main__":
    main()
