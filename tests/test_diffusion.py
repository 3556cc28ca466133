"""Tests of physbook.diffusion: exact scores against closed forms and finite differences, samplers
against known weights and densities, bad-input errors, seeds."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from physbook import diffusion as D
from physbook.stats import N_SIGMA

MEANS = np.array([[-2.0, 0.0], [2.0, 0.5], [0.0, 2.5]])
COVS = np.array([[[0.3, 0.1], [0.1, 0.2]], [[0.25, 0.0], [0.0, 0.4]], [[0.2, -0.05], [-0.05, 0.3]]])
WEIGHTS = np.array([0.5, 0.3, 0.2])
MIX = (MEANS, COVS, WEIGHTS)


def exact_score(x, t):
    return D.gmm_score(x, t, *MIX)


def numpy_log_density(x, t):
    """Independent float64 reference: the diffused mixture density with numpy/scipy only."""
    from scipy.stats import multivariate_normal
    a = np.exp(-t)
    dens = sum(w * multivariate_normal(a * m, a * a * S + (1 - a * a) * np.eye(2)).pdf(x)
               for m, S, w in zip(MEANS, COVS, WEIGHTS))
    return np.log(dens)


def responsibilities(x, t):
    logs = np.stack([D.gmm_log_density(x, t, MEANS[k:k + 1], COVS[k:k + 1], [1.0])
                     for k in range(3)], -1) + np.log(WEIGHTS)
    r = np.exp(logs - logs.max(-1, keepdims=True))
    return r / r.sum(-1, keepdims=True)


# --------------------------------------------------------------------------- exact scores

@pytest.mark.parametrize("t", [0.0, 0.05, 0.5, 2.0])
def test_gmm_log_density_matches_numpy_reference(t):
    x = np.random.default_rng(0).normal(size=(20, 2)) * 2
    assert np.allclose(D.gmm_log_density(x, t, *MIX), numpy_log_density(x, t), rtol=0, atol=1e-10)


@pytest.mark.parametrize("t", [0.0, 0.05, 0.5, 2.0])
def test_gmm_score_is_finite_difference_gradient(t):
    x = np.random.default_rng(1).normal(size=(30, 2)) * 2
    h = 1e-5
    fd = np.stack([(numpy_log_density(x + h * e, t) - numpy_log_density(x - h * e, t)) / (2 * h)
                   for e in np.eye(2)], -1)
    assert np.abs(D.gmm_score(x, t, *MIX) - fd).max() < 1e-6


def test_gmm_limits():
    x = np.random.default_rng(2).normal(size=(10, 2))
    # t -> infinity: the equilibrium N(0, I), score -x
    assert np.allclose(D.gmm_score(x, 40.0, *MIX), -x, atol=1e-12)
    assert np.allclose(D.gmm_log_density(x, 40.0, *MIX),
                       -0.5 * np.sum(x ** 2, -1) - np.log(2 * np.pi), atol=1e-12)
    # t = 0 with one component: the Gaussian score -S^{-1}(x - m)
    s = D.gmm_score(x, 0.0, MEANS[:1], COVS[:1], [1.0])
    assert np.allclose(s, -(x - MEANS[0]) @ np.linalg.inv(COVS[0]), atol=1e-12)


def test_isotropic_covariances_equal_full_matrices():
    x = np.random.default_rng(3).normal(size=(15, 3))
    m, v, w = np.array([[1.0, 0, 0], [-1.0, 1, 0]]), np.array([0.5, 2.0]), np.array([0.4, 0.6])
    full = v[:, None, None] * np.eye(3)
    for t in (0.0, 0.3):
        assert np.allclose(D.gmm_score(x, t, m, v, w), D.gmm_score(x, t, m, full, w), atol=1e-12)
        assert np.allclose(D.gmm_log_density(x, t, m, v, w), D.gmm_log_density(x, t, m, full, w),
                           atol=1e-12)


def test_time_per_point_broadcasts():
    x = np.random.default_rng(4).normal(size=(6, 2))
    t = np.linspace(0.1, 2.0, 6)
    batched = D.gmm_score(x, t, *MIX)
    single = np.stack([D.gmm_score(x[i:i + 1], t[i], *MIX)[0] for i in range(6)])
    assert np.allclose(batched, single, atol=1e-12)


def test_empirical_score_is_the_mixture_of_delta_peaks():
    rng = np.random.default_rng(5)
    data, x = rng.normal(size=(7, 2)), rng.normal(size=(20, 2))
    zero = np.zeros((7, 2, 2))
    for t in (0.05, 0.7):
        assert np.allclose(D.empirical_score(x, t, data),
                           D.gmm_score(x, t, data, zero, np.full(7, 1 / 7)), atol=1e-10)


def test_empirical_score_sampler_collapses_onto_training_points():
    data = np.random.default_rng(6).normal(size=(10, 2)) * 2
    score = lambda x, t: D.empirical_score(x, t, data)
    out = D.sample_sde(score, 300, 2, t_min=1e-4, seed=7)
    nearest = np.min(np.linalg.norm(out[:, None] - data[None], axis=-1), axis=1)
    assert nearest.max() < 0.1            # sigma(1e-4) = 0.014: 7 noise widths
    hits = np.bincount(np.argmin(np.linalg.norm(out[:, None] - data[None], axis=-1), axis=1),
                       minlength=10)
    assert np.all(hits > 0)               # every training point is reached (30 expected each)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.01, 3.0), st.integers(0, 10_000))
def test_score_of_one_gaussian_property(t, seed):
    rng = np.random.default_rng(seed)
    m, L = rng.normal(size=(1, 2)), rng.normal(size=(2, 2))
    S = (L @ L.T + 0.1 * np.eye(2))[None]
    x = rng.normal(size=(5, 2))
    C = np.exp(-2 * t) * S[0] + (1 - np.exp(-2 * t)) * np.eye(2)
    expected = -(x - np.exp(-t) * m) @ np.linalg.inv(C)
    assert np.allclose(D.gmm_score(x, t, m, S, [1.0]), expected, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- forward process

def test_noise_moments():
    x0 = np.full((40000, 1), 2.0)
    t = 0.7
    xt = D.noise(x0, t, seed=0)
    a, var = np.exp(-t), 1 - np.exp(-2 * t)
    assert abs(xt.mean() - 2 * a) < N_SIGMA * np.sqrt(var / len(xt))
    assert abs(xt.var() - var) < N_SIGMA * var * np.sqrt(2 / len(xt))
    assert np.allclose(D.noise(x0[:3], 0.0, seed=1), x0[:3])
    assert float(D.sigma(0.0)) == 0.0 and abs(float(D.sigma(50.0)) - 1) < 1e-12


def test_seed_reproducibility():
    x0 = np.zeros((5, 2))
    assert np.array_equal(D.noise(x0, 0.5, seed=3), D.noise(x0, 0.5, seed=3))
    assert not np.array_equal(D.noise(x0, 0.5, seed=3), D.noise(x0, 0.5, seed=4))
    assert np.array_equal(D.noise(x0, 0.5, seed=np.random.default_rng(9)),
                          D.noise(x0, 0.5, seed=np.random.default_rng(9)))
    a = D.sample_sde(exact_score, 50, 2, n_steps=20, seed=jax.random.PRNGKey(1))
    b = D.sample_sde(exact_score, 50, 2, n_steps=20, seed=jax.random.PRNGKey(1))
    assert np.array_equal(a, b)
    assert np.array_equal(D.sample_gmm(10, *MIX, seed=2), D.sample_gmm(10, *MIX, seed=2))


# --------------------------------------------------------------------------- samplers

def test_exact_score_sampling_reproduces_weights():
    n = 4000
    for x in (D.sample_sde(exact_score, n, 2, seed=11),
              D.sample_ode(exact_score, np.random.default_rng(12).normal(size=(n, 2)))):
        r = responsibilities(x, 1e-3)
        z = np.abs(r.mean(0) - WEIGHTS) / (r.std(0) / np.sqrt(n))
        assert z.max() < N_SIGMA, z


def test_sampler_with_equilibrium_score_keeps_equilibrium():
    x = D.reverse_sde(lambda x, t: -x, np.zeros((20000, 1)), t_start=4.0, t_end=1e-3, seed=0)
    # started at 0 and run with the N(0, 1) score for 4 time units: variance 1 - e^{-8}, up to the
    # O(h) Euler-Maruyama bias of log-spaced steps (h/t ~ 0.04)
    assert abs(x.var() - 1.0) < 0.05


def test_ode_log_likelihood_matches_exact_density():
    x = D.sample_gmm(40, *MIX, seed=13)
    for t_min in (0.0, 1e-3):
        ll = D.ode_log_likelihood(exact_score, x, t_min=t_min)
        assert np.abs(ll - D.gmm_log_density(x, t_min, *MIX)).max() < 1e-3


def test_sliced_wasserstein_of_a_shift():
    x = np.random.default_rng(0).normal(size=(2000, 3))
    shift = np.array([1.0, 0.0, 0.0])
    # SW_2^2 of a pure translation is E (theta . shift)^2 = |shift|^2 / d exactly for sorted projections
    assert abs(D.sliced_wasserstein(x, x + shift, n_projections=4000, seed=1) ** 2 - 1 / 3) < 0.02
    assert D.sliced_wasserstein(x, x, seed=1) == 0.0
    assert D.sliced_wasserstein(x[:1000], x[1000:1500], seed=1) < 0.15


def test_speciation_time_and_commitment():
    m = np.full(4, 2.0)
    classes = (np.stack([m, -m]), np.ones(2), np.full(2, 0.5))
    data = D.sample_gmm(20000, *classes, seed=0)
    t_s = D.speciation_time(data)
    assert abs(t_s - 0.5 * np.log(1 + m @ m)) < 0.02
    score = lambda x, t: D.gmm_score(x, t, *classes)
    c = D.commitment(score, lambda x: x @ m > 0, [t_s - 1.2, t_s + 2.5], n=600, dim=4, n_steps=40,
                     seed=1)
    assert c.probability.mean[0] > 0.95 and c.probability.mean[1] < 0.5 + N_SIGMA * 0.5 / np.sqrt(600) + 0.05


# --------------------------------------------------------------------------- networks

def test_train_score_learns_a_gaussian_score():
    data = np.random.default_rng(0).normal(size=(2000, 2)) * 0.5 + 1.0
    res = D.train_score(data, width=32, depth=2, n_steps=800, seed=0)
    assert res.history.shape == (800,) and res.history[-100:].mean() < res.history[:100].mean()
    x = np.random.default_rng(1).normal(size=(200, 2)) * 0.7 + 1.0 * np.exp(-0.5)
    exact = D.gmm_score(x, 0.5, [[1.0, 1.0]], [0.25], [1.0])
    err = np.sqrt(np.mean((D.score_net(res.params, x, 0.5) - exact) ** 2) / np.mean(exact ** 2))
    assert err < 0.2


def test_score_net_under_jit_and_shapes():
    res = D.train_score(np.zeros((10, 3)), width=8, depth=1, n_steps=5, seed=0)
    f = jax.jit(lambda x: D.score_net(res.params, x, 0.3))
    assert isinstance(f(jnp.ones((4, 3))), jax.Array)
    assert D.score_net(res.params, np.ones((4, 3)), np.full(4, 0.3)).shape == (4, 3)
    assert isinstance(D.score_net(res.params, np.ones((4, 3)), 0.3), np.ndarray)


def test_ebm_learns_two_modes_and_score_is_minus_grad_energy():
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(size=(1000, 2)) * 0.3 + [1.5, 0], rng.normal(size=(1000, 2)) * 0.3 - [1.5, 0]])
    res = D.train_ebm(data, width=32, n_steps=300, n_langevin=10, step_size=0.02, seed=0)
    g = np.linspace(-3.5, 3.5, 71)
    p = D.ebm_density_grid(res.params, g, g)
    assert abs(p.sum() * (g[1] - g[0]) ** 2 - 1) < 1e-9
    X, Y = np.meshgrid(g, g)
    right, left, middle = p[35, 50], p[35, 20], p[35, 35]   # (1.5, 0), (-1.5, 0), (0, 0)
    assert right > 3 * middle and left > 3 * middle
    x = data[:50]
    h = 1e-2
    fd = np.stack([-(D.ebm_energy(res.params, x + h * e) - D.ebm_energy(res.params, x - h * e)) / (2 * h)
                   for e in np.eye(2)], -1)
    s = D.ebm_score(res.params, x)
    assert np.abs(s - fd).max() < 2e-2 * np.abs(s).max()


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, error, word", [
    (lambda: D.noise([[0.0]], -1.0), ValueError, "t"),
    (lambda: D.noise("abc", 1.0), TypeError, "x0"),
    (lambda: D.noise([[0.0]], 1.0, seed=-1), ValueError, "seed"),
    (lambda: D.gmm_score([[0.0, 0.0]], 0.1, MEANS, COVS[:2], WEIGHTS), ValueError, "covs"),
    (lambda: D.gmm_score([[0.0, 0.0]], 0.1, MEANS, COVS, [0.5, 0.5, 0.5]), ValueError, "weights"),
    (lambda: D.gmm_score([[0.0, 0.0, 0.0]], 0.1, *MIX), ValueError, "x"),
    (lambda: D.gmm_log_density([[0.0, 0.0]], 0.1, MEANS, -COVS, WEIGHTS), ValueError, "covs"),
    (lambda: D.empirical_score([[0.0]], 0.0, [[1.0]]), ValueError, "t"),
    (lambda: D.empirical_score([[0.0]], 0.5, [1.0]), ValueError, "data"),
    (lambda: D.train_score(np.zeros((5, 2)), width=0), ValueError, "width"),
    (lambda: D.train_score(np.zeros((5, 2)), n_steps=2.0), TypeError, "n_steps"),
    (lambda: D.train_score(np.zeros((5, 2)), learning_rate=-1.0), ValueError, "learning_rate"),
    (lambda: D.train_score(np.zeros((5, 2)), t_min=1.0, t_max=0.5), ValueError, "t_max"),
    (lambda: D.train_ebm(np.zeros((5, 2)), batch_size=0), ValueError, "batch_size"),
    (lambda: D.train_ebm(np.zeros((5, 2)), restart=2.0), ValueError, "restart"),
    (lambda: D.sample_sde("score", 10, 2), TypeError, "score_fn"),
    (lambda: D.sample_sde(exact_score, 10, 2, t_min=7.0), ValueError, "t_min"),
    (lambda: D.sample_sde(exact_score, 0, 2), ValueError, "n"),
    (lambda: D.sample_ode(exact_score, np.zeros(3)), ValueError, "x_T"),
    (lambda: D.ode_log_likelihood(exact_score, np.zeros((2, 2)), t_min=-1.0), ValueError, "t_min"),
    (lambda: D.sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 3))), ValueError, "dimension"),
    (lambda: D.sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 2)), n_projections=0), ValueError,
     "n_projections"),
    (lambda: D.speciation_time(np.zeros((1, 2))), ValueError, "data"),
    (lambda: D.commitment(exact_score, 3, [1.0], n=10, dim=2), TypeError, "classify"),
    (lambda: D.commitment(exact_score, lambda x: x[:, 0] > 0, [9.0], n=10, dim=2), ValueError, "times"),
    (lambda: D.score_net("params", np.zeros((2, 2)), 0.5), TypeError, "params"),
    (lambda: D.ebm_density_grid(D.init_mlp((2, 1), seed=0), [0.0, 1.0, 3.0], [0.0, 1.0]), ValueError, "xs"),
])
def test_bad_input_names_the_argument(call, error, word):
    with pytest.raises(error, match=word):
        call()
