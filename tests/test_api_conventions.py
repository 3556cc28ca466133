"""One vocabulary for physbook (issue #18): every public function is inspected for it.

- randomness: a keyword-only ``seed=`` with default None; never ``key``/``rng``/positional seeds;
- names: ``learning_rate`` (not ``lr``), ``n_steps`` (not ``steps``), ``batch_size`` (not ``batch``);
- every public function has a return annotation; every ``train*`` returns ``TrainResult``;
- no result type carries ``*_err`` / ``*_std`` twins of a value: error bars are ``stats.Estimate``;
- the differentiable building blocks (annotated ``-> jax.Array``) work under ``jax.jit``;
- counter-based samplers continue a run with ``start=`` bit for bit.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import physbook as pb
from physbook._results import TrainResult

_SKIP = {"physbook.plotting", "physbook.widgets"}       # figure and widget helpers: no randomness


def _modules():
    mods = []
    for name in pb._SUBMODULES:
        try:
            mod = importlib.import_module(f"physbook.{name}")
        except ModuleNotFoundError:                    # a planned module not written yet
            continue
        mods.append(mod)
        if hasattr(mod, "__path__"):
            for info in pkgutil.iter_modules(mod.__path__):
                if not info.name.startswith("_"):
                    mods.append(importlib.import_module(f"{mod.__name__}.{info.name}"))
    return mods


def _public_functions():
    out = {}
    for mod in _modules():
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) and obj.__module__.startswith("physbook"):
                out[f"{obj.__module__}.{obj.__name__}"] = obj
    return out


FUNCTIONS = _public_functions()


def _result_types():
    out = {}
    for mod in _modules():
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields"):
                out[f"{obj.__module__}.{obj.__name__}"] = obj
    return out


def test_the_inspection_sees_the_library():
    assert len(FUNCTIONS) > 120
    assert "physbook.ising.metropolis" in FUNCTIONS
    assert "physbook.landscape.dynamics.langevin" in FUNCTIONS
    assert "physbook.gp.posterior" in FUNCTIONS


@pytest.mark.parametrize("qualname", sorted(FUNCTIONS))
def test_randomness_is_a_keyword_seed_defaulting_to_none(qualname):
    params = inspect.signature(FUNCTIONS[qualname]).parameters
    for bad in ("key", "rng", "prng_key", "random_state"):
        assert bad not in params, f"{qualname} takes {bad!r}; use seed="
    if "seed" in params and not qualname.startswith(("physbook.random.", "physbook.stats.check")):
        p = params["seed"]
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{qualname}: seed must be keyword-only"
        assert p.default is None, f"{qualname}: seed must default to None, got {p.default!r}"


@pytest.mark.parametrize("qualname", sorted(FUNCTIONS))
def test_one_word_per_idea(qualname):
    params = inspect.signature(FUNCTIONS[qualname]).parameters
    renamed = {"lr": "learning_rate", "steps": "n_steps", "batch": "batch_size", "hidden": "widths",
               "num_steps": "n_steps", "epochs": "n_epochs"}
    for old, new in renamed.items():
        assert old not in params, f"{qualname} takes {old!r}; the library calls it {new!r}"


@pytest.mark.parametrize("qualname", sorted(n for n in FUNCTIONS if not n.startswith(tuple(_SKIP))))
def test_return_annotations_and_training_results(qualname):
    fn = FUNCTIONS[qualname]
    ret = inspect.signature(fn).return_annotation
    assert ret is not inspect.Signature.empty, f"{qualname} has no return annotation"
    if fn.__name__ == "train" or (fn.__name__.startswith("train_") and fn.__name__ != "train_test_split"):
        hints = typing.get_type_hints(fn)
        assert hints["return"] is TrainResult, f"{qualname} must return TrainResult(params, history)"


@pytest.mark.parametrize("qualname", sorted(_result_types()))
def test_error_bars_are_estimates_not_twin_fields(qualname):
    fields = _result_types()[qualname]._fields
    for f in fields:
        assert not f.endswith(("_err", "_std", "_stderr")), \
            f"{qualname}.{f}: carry the error bar in a stats.Estimate, not a twin field"


# --------------------------------------------------------------------------- jax.jit

def _rbm():
    return pb.boltzmann.init_rbm(5, 3, scale=0.5, seed=0)


def _flow():
    return pb.phi4.init_flow(4, n_layers=2, widths=3, seed=0)


X3 = np.linspace(-1.0, 1.0, 6).reshape(3, 2)
SPINS = np.asarray(pb.ising.random_spins((2, 6, 6), seed=1))
V = np.array([[0.0, 1.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0, 0.0]])
BM = pb.boltzmann.BoltzmannMachine(jnp.array([[0.0, 0.5, -0.2], [0.5, 0.0, 0.1], [-0.2, 0.1, 0.0]]),
                                   jnp.array([0.1, -0.3, 0.2]))

# one example call per jax.Array-returning function: (the array argument, the call with it traced)

_TOY_W = jnp.array(np.stack([np.cos(2 * np.pi * np.arange(5) / 5),
                             np.sin(2 * np.pi * np.arange(5) / 5)]))      # a pentagon in 2-D
_TOY_X = jnp.array(np.random.default_rng(0).uniform(size=(8, 5)))


def _toy():
    return pb.interpretability.ToyModel(_TOY_W, jnp.zeros(5))


def _sae():
    return pb.interpretability.SparseAutoencoder(_TOY_W.T, jnp.zeros(5), _TOY_W, jnp.zeros(2),
                                                 jnp.ones(5))


JIT_CASES = {
    "physbook.ising.metropolis": (SPINS, lambda s: pb.ising.metropolis(s, 2.0, 3, seed=0)),
    "physbook.ising.heat_bath": (SPINS, lambda s: pb.ising.heat_bath(s, 2.5, 3, seed=0)),
    "physbook.ising.wolff": (SPINS, lambda s: pb.ising.wolff(s, 2.3, 3, seed=0)),
    "physbook.boltzmann.energy": (V, lambda v: pb.boltzmann.energy(_rbm(), v, jnp.ones((2, 3)))),
    "physbook.boltzmann.free_energy": (V, lambda v: pb.boltzmann.free_energy(_rbm(), v)),
    "physbook.boltzmann.variational_free_energy": (
        V, lambda v: pb.boltzmann.variational_free_energy(_rbm(), v, jnp.full((2, 3), 0.5))),
    "physbook.boltzmann.hidden_probabilities": (V, lambda v: pb.boltzmann.hidden_probabilities(_rbm(), v)),
    "physbook.boltzmann.visible_probabilities": (
        np.ones((2, 3)), lambda h: pb.boltzmann.visible_probabilities(_rbm(), h)),
    "physbook.boltzmann.sample_hidden": (V, lambda v: pb.boltzmann.sample_hidden(_rbm(), v, seed=0)),
    "physbook.boltzmann.sample_visible": (
        np.ones((2, 3)), lambda h: pb.boltzmann.sample_visible(_rbm(), h, seed=0)),
    "physbook.boltzmann.gibbs": (V, lambda v: pb.boltzmann.gibbs(_rbm(), v, 3, seed=0)),
    "physbook.boltzmann.bm_energy": (np.eye(3), lambda s: pb.boltzmann.bm_energy(BM, s)),
    "physbook.boltzmann.bm_gibbs": (np.eye(3), lambda s: pb.boltzmann.bm_gibbs(BM, s, 2, seed=0)),
    "physbook.nngp.nngp_kernel": (X3, lambda x: pb.nngp.nngp_kernel(x, depth=2)),
    "physbook.nngp.ntk_kernel": (X3, lambda x: pb.nngp.ntk_kernel(x, depth=2)),
    "physbook.nngp.rbf_kernel": (X3, lambda x: pb.nngp.rbf_kernel(x, lengthscale=0.5)),
    "physbook.nngp.correlation_map": (np.array([0.2, 0.5]), lambda r: pb.nngp.correlation_map(r, q=1.0)),
    "physbook.nngp.sample_outputs": (X3, lambda x: pb.nngp.sample_outputs(x, 8, 1, 4, seed=0)),
    "physbook.nngp.empirical_kernel": (
        X3, lambda x: pb.nngp.empirical_kernel(pb.nngp.random_network((2, 8, 1), seed=0), x)),
    "physbook.nngp.empirical_ntk": (
        X3, lambda x: pb.nngp.empirical_ntk(pb.nngp.random_network((2, 8, 1), seed=0), x)),
    "physbook.nngp.ntk_predict": (
        np.array([0.5, -0.2, 0.1]),
        lambda y: pb.nngp.ntk_predict(2 * np.eye(3) + 0.5, np.ones((2, 3)), y, 1.0)),
    "physbook.boltzmann.sample_dbn": (
        pb.boltzmann.DBN((pb.boltzmann.init_rbm(5, 3, scale=0.5, seed=0), pb.boltzmann.init_rbm(3, 2, seed=1))),
        lambda d: pb.boltzmann.sample_dbn(d, 4, n_gibbs=3, seed=0)),
    "physbook.landscape.hubbard.hubbard_dimer_energy": (
        np.array([[0.3, 0.1], [0.7, -0.2]]), lambda a: pb.landscape.hubbard_dimer_energy(a, t=1.0, U=3.0)),
    "physbook.phi4.action": (np.ones((2, 4, 4)), lambda p: pb.phi4.action(p, -1.0, 0.5)),
    "physbook.phi4.flow_forward": (np.zeros((2, 4, 4)), lambda z: pb.phi4.flow_forward(_flow(), z)),
    "physbook.phi4.coupling": (np.zeros((2, 4, 4)), lambda z: pb.phi4.coupling(_flow(), z, 0)),
    # physbook.interpretability (#30): the toy model of superposition and the sparse autoencoder
    "physbook.interpretability.toy_output": (_TOY_X, lambda x: pb.interpretability.toy_output(
        _toy(), x)),
    "physbook.interpretability.toy_loss": (_TOY_X, lambda x: pb.interpretability.toy_loss(
        _toy(), x, jnp.ones(5))),
    "physbook.interpretability.feature_dimensionality": (
        _TOY_W, lambda w: pb.interpretability.feature_dimensionality(w)),
    "physbook.interpretability.two_feature_loss": (
        jnp.array([[1.0, -0.5]]), lambda w: pb.interpretability.two_feature_loss(
            pb.interpretability.ToyModel(w, jnp.array([0.0, -0.1])), 0.7, jnp.array([1.0, 2.0]))),
    "physbook.interpretability.sae_encode": (_TOY_X[:, :2], lambda h: pb.interpretability.sae_encode(
        _sae(), h)),
    "physbook.interpretability.sae_decode": (jnp.ones((8, 5)), lambda f: pb.interpretability.sae_decode(
        _sae(), f)),
}


def _returns_jax(fn) -> bool:
    ret = inspect.signature(fn).return_annotation
    return isinstance(ret, str) and ret.startswith("jax.Array") or ret is jax.Array


def test_every_jax_building_block_has_a_jit_case():
    jax_fns = {q for q, f in FUNCTIONS.items() if _returns_jax(f)}
    missing = sorted(jax_fns - set(JIT_CASES) - {"physbook.random.as_key"} - {q for q in jax_fns if q.startswith(
        ("physbook.diffusion", "physbook.scaling"))})     # new modules bring their own jit tests
    assert not missing, f"add a jax.jit example to JIT_CASES for: {missing}"


@pytest.mark.parametrize("qualname", sorted(JIT_CASES))
def test_building_blocks_work_under_jit(qualname):
    arg, call = JIT_CASES[qualname]
    eager = jax.tree_util.tree_map(np.asarray, call(arg))
    jitted = jax.tree_util.tree_map(np.asarray, jax.jit(call)(jax.tree_util.tree_map(jnp.asarray, arg)))
    for a, b in zip(jax.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(jitted)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=qualname)


# --------------------------------------------------------------------------- continuing a run

@pytest.mark.parametrize("sampler", ["metropolis", "heat_bath", "wolff"])
def test_ising_samplers_continue_a_run_bit_for_bit(sampler):
    run = getattr(pb.ising, sampler)
    s = pb.ising.random_spins((3, 8, 8), seed=4)
    once = run(s, 2.3, 7, seed=9)
    twice = run(run(s, 2.3, 3, seed=9), 2.3, 4, seed=9, start=3)
    np.testing.assert_array_equal(once, twice)
    restarted = run(run(s, 2.3, 3, seed=9), 2.3, 4, seed=9)        # the old pitfall: reused stream
    assert not np.array_equal(once, restarted)


def test_boltzmann_samplers_continue_a_run_bit_for_bit():
    rbm = pb.boltzmann.init_rbm(6, 4, scale=1.0, seed=0)
    v = jnp.zeros((5, 6))
    np.testing.assert_array_equal(
        pb.boltzmann.gibbs(rbm, v, 6, seed=2),
        pb.boltzmann.gibbs(rbm, pb.boltzmann.gibbs(rbm, v, 2, seed=2), 4, seed=2, start=2))
    s = jnp.zeros((5, 3))
    np.testing.assert_array_equal(
        pb.boltzmann.bm_gibbs(BM, s, 5, seed=1),
        pb.boltzmann.bm_gibbs(BM, pb.boltzmann.bm_gibbs(BM, s, 2, seed=1), 3, seed=1, start=2))


def test_bad_start_is_refused():
    with pytest.raises(ValueError, match="start"):
        pb.ising.metropolis(SPINS, 2.0, 1, seed=0, start=-1)
    with pytest.raises(TypeError, match="start"):
        pb.boltzmann.gibbs(_rbm(), V, 1, seed=0, start=1.5)
