"""physbook.gp: GP posterior and evidence against direct linear algebra; grid fits; bad input."""
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from physbook import gp, nngp


def test_gp_posterior_matches_direct_linear_algebra_and_interpolates():
    x = np.linspace(-2, 2, 8)
    xt = np.linspace(-2.5, 2.5, 5)
    y = np.cos(x)
    K = np.asarray(nngp.nngp_kernel(x, depth=3, sigma_w2=2.0, sigma_b2=0.2))
    Kx = np.asarray(nngp.nngp_kernel(xt, x, depth=3, sigma_w2=2.0, sigma_b2=0.2))
    Kt = np.asarray(nngp.nngp_kernel(xt, depth=3, sigma_w2=2.0, sigma_b2=0.2))
    noise = np.linspace(0.01, 0.1, 8)
    post = gp.posterior(K, Kx, Kt, y, noise)
    A = K + np.diag(noise)
    np.testing.assert_allclose(post.mean, Kx @ np.linalg.solve(A, y), rtol=1e-10)
    np.testing.assert_allclose(post.cov, Kt - Kx @ np.linalg.solve(A, Kx.T), atol=1e-10)
    diag = gp.posterior(K, Kx, np.diag(Kt), np.stack([y, 2 * y], 1), noise)
    np.testing.assert_allclose(diag.cov, np.diag(post.cov), atol=1e-10)
    np.testing.assert_allclose(diag.mean[:, 1], 2 * post.mean, rtol=1e-10)
    exact = gp.posterior(nngp.rbf_kernel(x), nngp.rbf_kernel(x), np.ones(8), y, 0.0)
    np.testing.assert_allclose(exact.mean, y, atol=1e-8)
    np.testing.assert_allclose(exact.cov, 0.0, atol=1e-8)


def test_gp_log_marginal_likelihood_is_the_gaussian_log_density():
    x = np.linspace(0, 3, 6)
    K = np.asarray(nngp.rbf_kernel(x, lengthscale=0.7, variance=1.3))
    y = np.sin(x)
    expected = scipy.stats.multivariate_normal(np.zeros(6), K + 0.05 * np.eye(6)).logpdf(y)
    assert gp.log_marginal_likelihood(K, y, 0.05) == pytest.approx(expected, rel=1e-12)
    two = gp.log_marginal_likelihood(K, np.stack([y, -y], 1), 0.05)
    assert two == pytest.approx(2 * expected, rel=1e-12)


def test_batched_evidence_equals_one_kernel_at_a_time():
    x = np.linspace(0, 2, 7)
    y = np.cos(3 * x)
    ells, noises = np.array([0.1, 0.5, 2.0]), np.array([1e-3, 0.1])
    K = np.stack([np.asarray(nngp.rbf_kernel(x, lengthscale=e)) for e in ells])[:, None]
    batch = gp.log_marginal_likelihood(np.broadcast_to(K, (3, 2, 7, 7)), y,
                                       noises[None, :, None, None] * np.eye(7))
    assert batch.shape == (3, 2)
    for i, e in enumerate(ells):
        for j, nz in enumerate(noises):
            one = gp.log_marginal_likelihood(np.asarray(nngp.rbf_kernel(x, lengthscale=e)), y, nz)
            assert batch[i, j] == pytest.approx(one, rel=1e-12)


def test_fit_rbf_recovers_the_generating_lengthscale():
    # draws from a GP with lengthscale 0.3: the evidence must prefer 0.3 over 0.03 and 3
    rng = np.random.default_rng(0)
    x = np.linspace(0, 3, 40)
    K = np.asarray(nngp.rbf_kernel(x, lengthscale=0.3)) + 1e-2 * np.eye(40)
    y = np.linalg.cholesky(K) @ rng.normal(size=40)
    fit = gp.fit_rbf(x, y, lengthscales=[0.03, 0.3, 3.0], variances=[0.3, 1.0, 3.0], noises=[1e-2])
    assert fit.lengthscale == 0.3 and fit.noise == 1e-2
    direct = gp.log_marginal_likelihood(fit.variance * np.asarray(nngp.rbf_kernel(x, lengthscale=0.3)), y, 1e-2)
    assert fit.log_marginal_likelihood == pytest.approx(direct, rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 6), noise=st.floats(1e-3, 1.0))
def test_posterior_variance_never_exceeds_the_prior_and_is_nonnegative(n, noise):
    x = np.linspace(-1, 1, n)
    xt = np.linspace(-1.5, 1.5, 9)
    post = gp.posterior(np.asarray(nngp.rbf_kernel(x)), np.asarray(nngp.rbf_kernel(xt, x)), np.ones(9),
                        np.sin(x), noise)
    assert np.all(post.cov <= 1.0 + 1e-12) and np.all(post.cov >= -1e-12)


def test_gp_bad_input():
    K, Kx, Kt, y = np.eye(3), np.ones((2, 3)), np.ones(2), np.ones(3)
    with pytest.raises(ValueError, match="positive definite"):
        gp.posterior(np.ones((3, 3)), Kx, Kt, y, 0.0)
    with pytest.raises(ValueError, match="noise"):
        gp.posterior(K, Kx, Kt, y, -1.0)
    with pytest.raises(ValueError, match="noise"):
        gp.posterior(K, Kx, Kt, y, np.ones(2))
    with pytest.raises(ValueError, match="kernel_cross"):
        gp.posterior(K, np.ones((2, 4)), Kt, y, 0.1)
    with pytest.raises(ValueError, match="kernel_test"):
        gp.posterior(K, Kx, np.ones(3), y, 0.1)
    with pytest.raises(ValueError, match="y"):
        gp.log_marginal_likelihood(K, np.ones(4), 0.1)
    with pytest.raises(ValueError, match="symmetric"):
        gp.log_marginal_likelihood(np.triu(np.ones((3, 3))), y, 0.1)
    with pytest.raises(ValueError, match="kernel_train"):
        gp.posterior(np.ones((3, 2)), Kx, Kt, y, 0.1)
    with pytest.raises(ValueError, match="lengthscales"):
        gp.fit_rbf(np.arange(3.0), y, lengthscales=[0.0], variances=[1.0], noises=[0.1])
    with pytest.raises(ValueError, match="y must have one target"):
        gp.fit_rbf(np.arange(4.0), y, lengthscales=[1.0], variances=[1.0], noises=[0.1])
