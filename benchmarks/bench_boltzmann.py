"""RBM training: physbook.boltzmann.train vs scikit-learn's BernoulliRBM on binarized 8x8 digits.

1. Time per epoch at equal settings (PCD-1, 64 hidden units, batch 10, learning rate 0.1,
   no momentum, no weight decay), medians of repeats; physbook's one-off compile time apart.
2. Exact test log-likelihood (nats per image) with 16 hidden units, where log Z is computed
   exactly by enumerating the 2**16 hidden states. scikit-learn's ``score_samples`` is a
   stochastic pseudo-likelihood, so its model is scored here with physbook's exact
   ``log_partition_exact`` built from ``components_``, ``intercept_visible_`` and
   ``intercept_hidden_``. Several seeds; mean, spread (sample std over seeds) and the gap.

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

SEEDS = (0, 1, 2, 3, 4)


def sklearn_rbm(n_hidden, lr, batch_size, n_iter, seed):
    from sklearn.neural_network import BernoulliRBM
    return BernoulliRBM(n_components=n_hidden, learning_rate=lr, batch_size=batch_size,
                        n_iter=n_iter, random_state=seed)


def as_physbook(model):
    return B.RBM(model.components_.T.copy(), model.intercept_visible_.copy(),
                 model.intercept_hidden_.copy())


def timing(X, n_hidden=64, batch_size=10, lr=0.1, n_epochs=10):
    equal = dict(method="pcd", k=1, lr=lr, batch_size=batch_size, n_epochs=n_epochs,
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


def quality(X_train, X_test, n_hidden=16, batch_size=10, lr=0.1, n_epochs=20):
    rows = {"scikit-learn BernoulliRBM (PCD-1)": [],
            "physbook, equal settings (PCD-1)": [],
            "physbook PCD-1, 100 chains, momentum 0.5": []}
    for seed in SEEDS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = sklearn_rbm(n_hidden, lr, batch_size, n_epochs, seed).fit(X_train)
        rows["scikit-learn BernoulliRBM (PCD-1)"].append(B.log_likelihood(as_physbook(sk), X_test))
        equal, _ = B.train((X_train.shape[1], n_hidden), X_train, method="pcd", lr=lr,
                           batch_size=batch_size, n_epochs=n_epochs, momentum=0.0,
                           weight_decay=0.0, seed=seed)
        rows["physbook, equal settings (PCD-1)"].append(B.log_likelihood(equal, X_test))
        tuned, _ = B.train((X_train.shape[1], n_hidden), X_train, method="pcd", lr=lr / 2,
                           batch_size=batch_size, n_epochs=n_epochs, momentum=0.5,
                           weight_decay=1e-4, n_chains=100, seed=seed)
        rows["physbook PCD-1, 100 chains, momentum 0.5"].append(B.log_likelihood(tuned, X_test))
    print(f"\nexact test log-likelihood (nats/image), {n_hidden} hidden, batch {batch_size}, "
          f"{n_epochs} epochs, seeds {SEEDS}")
    ref = np.array(rows["scikit-learn BernoulliRBM (PCD-1)"])
    for name, values in rows.items():
        v = np.array(values)
        gap = v - ref
        print(f"  {name:42s} {v.mean():8.3f}  spread {v.std(ddof=1):.3f}   "
              f"minus sklearn {gap.mean():+.3f} (spread {gap.std(ddof=1):.3f})")


def main():
    X, _ = pb.data.binarized_digits()
    X_train, X_test = pb.data.train_test_split(X, seed=0)
    timing(X_train)
    quality(X_train, X_test)


if __name__ == "__main__":
    main()
