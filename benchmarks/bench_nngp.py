"""NNGP and NTK kernels: physbook vs a plain numpy recursion vs neural-tangents 0.6.5.

ReLU networks with depth 1, 3 and 10 hidden layers, kernels of n = 1000, 2000, 4000 inputs of
dimension 64 (float64). Ratios > 1 mean physbook is faster.

neural-tangents 0.6.5 imports only with ``jax==0.5.3 jaxlib==0.5.3`` (newer JAX removed
``jax.random.KeyArray``) and pulls TensorFlow, so it cannot share physbook's environment: this
script makes a separate virtual environment ``benchmarks/_nt_venv`` on first use (gitignored),
runs neural-tangents there in a subprocess, and compares the kernels it saves as ``.npy`` files
with physbook's to 1e-6 (relative to the largest entry; the remaining differences sit on the
diagonal, where neural-tangents' arccos of a correlation 1 - O(eps) adds O(sqrt(eps)) to the NTK:
the "diag err" columns compare both with the exact diagonal recursion). If the environment cannot be installed or imported, that part is
skipped with the reason; the benchmark never fails because of it.

Run alone: ``.venv/bin/python benchmarks/bench_nngp.py``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import median_time  # noqa: E402

import physbook as pb  # noqa: E402

VENV = HERE / "_nt_venv"
NT_PINS = ("jax==0.5.3", "jaxlib==0.5.3", "neural-tangents==0.6.5")
SIZES, DEPTHS, DIM = (1000, 2000, 4000), (1, 3, 10), 64
SIGMA_W2, SIGMA_B2 = 2.0, 0.1
REPEATS = 3
TOL = 1e-6

NT_WORKER = r"""
import json, os, statistics, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import jax
jax.config.update("jax_enable_x64", True)
from neural_tangents import stax

folder = sys.argv[1]
cfg = json.load(open(os.path.join(folder, "config.json")))
ws, bs = cfg["sigma_w2"] ** 0.5, cfg["sigma_b2"] ** 0.5
times = {}
for n in cfg["sizes"]:
    x = jax.numpy.asarray(np.load(os.path.join(folder, f"x_{n}.npy")))
    for depth in cfg["depths"]:
        layers = []
        for _ in range(depth):
            layers += [stax.Dense(512, W_std=ws, b_std=bs), stax.Relu()]
        kernel_fn = stax.serial(*layers, stax.Dense(1, W_std=ws, b_std=bs))[2]
        for get in ("nngp", "ntk"):
            fn = jax.jit(lambda x, get=get: kernel_fn(x, None, get))
            out = fn(x).block_until_ready()
            runs = []
            for _ in range(cfg["repeats"]):
                start = time.perf_counter()
                fn(x).block_until_ready()
                runs.append(time.perf_counter() - start)
            times[f"{get}_{n}_{depth}"] = statistics.median(runs)
            np.save(os.path.join(folder, f"nt_{get}_{n}_{depth}.npy"), np.asarray(out))
            del out
json.dump(times, open(os.path.join(folder, "nt_times.json"), "w"))
"""


def numpy_kernels(x: np.ndarray, depth: int, want_ntk: bool) -> np.ndarray:
    """The same recursion (arc-cosine ReLU kernel, Jacot NTK) in plain numpy."""
    d = x.shape[1]
    k = SIGMA_B2 + SIGMA_W2 * (x @ x.T) / d
    ntk = k.copy()
    for _ in range(depth):
        q = np.diag(k).copy()  # the diagonal itself, so that its correlation is exactly 1
        s = np.sqrt(np.outer(q, q))
        rho = np.clip(k / s, -1.0, 1.0)
        theta = np.arccos(rho)
        k = SIGMA_B2 + SIGMA_W2 * s * (0.5 * rho + (np.sqrt(1.0 - rho**2) - theta * rho) / (2 * np.pi))
        if want_ntk:
            ntk = k + SIGMA_W2 * (np.pi - theta) / (2 * np.pi) * ntk
    return ntk if want_ntk else k


def exact_diagonal(x: np.ndarray, depth: int, want_ntk: bool) -> np.ndarray:
    """K(x, x) and Theta(x, x) by the scalar recursion (correlation exactly 1: E relu(u)^2 = q/2, Kdot = 1/2)."""
    q = SIGMA_B2 + SIGMA_W2 * np.sum(x * x, axis=1) / x.shape[1]
    ntk = q.copy()
    for _ in range(depth):
        q = SIGMA_B2 + SIGMA_W2 * q / 2
        ntk = q + SIGMA_W2 / 2 * ntk
    return ntk if want_ntk else q


def _tail(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def nt_python() -> tuple[Path | None, str]:
    """Python of the neural-tangents environment (made on first use), or None and the reason."""
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"making {VENV.relative_to(HERE.parent)} with {' '.join(NT_PINS)} "
              "(pulls TensorFlow: several minutes, ~3 GB) ...", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True,
                           text=True, timeout=600)
            subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *NT_PINS],
                           check=True, capture_output=True, text=True, timeout=3600)
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            return None, f"installing {' '.join(NT_PINS)} failed: {_tail(exc.stderr)}"
        except (subprocess.TimeoutExpired, OSError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            return None, f"installing {' '.join(NT_PINS)} failed: {type(exc).__name__}: {exc}"
    probe = subprocess.run([str(py), "-c", "import neural_tangents, jax; print(jax.__version__)"],
                           capture_output=True, text=True, timeout=600)
    if probe.returncode != 0:
        return None, f"neural-tangents does not import in {VENV.name}: {_tail(probe.stderr)}"
    return py, ""


def run_neural_tangents(inputs: dict, folder: Path) -> tuple[dict | None, str]:
    try:
        py, why = nt_python()
    except Exception as exc:  # noqa: BLE001 - the peer is optional: report and go on
        return None, f"{type(exc).__name__}: {exc}"
    if py is None:
        return None, why
    for n, x in inputs.items():
        np.save(folder / f"x_{n}.npy", x)
    (folder / "config.json").write_text(json.dumps(dict(sizes=list(SIZES), depths=list(DEPTHS), repeats=REPEATS,
                                                        sigma_w2=SIGMA_W2, sigma_b2=SIGMA_B2)))
    (folder / "worker.py").write_text(NT_WORKER)
    print("running neural-tangents in its own environment ...", flush=True)
    try:
        out = subprocess.run([str(py), str(folder / "worker.py"), str(folder)], capture_output=True,
                             text=True, timeout=3600)
    except subprocess.TimeoutExpired:
        return None, "neural-tangents run timed out after 3600 s"
    if out.returncode != 0:
        return None, f"neural-tangents run failed: {_tail(out.stderr)}"
    return json.loads((folder / "nt_times.json").read_text()), ""


def main() -> None:
    rng = np.random.default_rng(0)
    inputs = {n: rng.normal(size=(n, DIM)) for n in SIZES}
    (HERE / "_results").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=HERE / "_results") as tmp:
        folder = Path(tmp)
        nt_times, why = run_neural_tangents(inputs, folder)
        if nt_times is None:
            print(f"neural-tangents skipped: {why}")
        print("ReLU kernels, float64, median of "
              f"{REPEATS} runs; ratio = peer time / physbook time (> 1: physbook faster)")
        header = (f"{'kernel':6} {'n':>5} {'depth':>5} {'physbook s':>10} {'numpy s':>8} {'numpy/pb':>8} "
                  f"{'NT s':>7} {'NT/pb':>6} {'max|pb-NT|':>10} {'off-diag':>8} {'diag err pb':>11} {'diag err NT':>11}")
        print(header)
        print("-" * len(header))
        worst = 0.0
        for n, x in inputs.items():
            for depth in DEPTHS:
                for get, fn in (("nngp", pb.nngp.nngp_kernel), ("ntk", pb.nngp.ntk_kernel)):
                    ours = np.asarray(fn(x, depth=depth, sigma_w2=SIGMA_W2, sigma_b2=SIGMA_B2))
                    ref = numpy_kernels(x, depth, get == "ntk")
                    if np.abs(ours - ref).max() > TOL:
                        raise AssertionError(f"physbook and numpy {get} kernels differ at n={n}, depth={depth}")
                    del ref
                    t_pb = median_time(lambda: fn(x, depth=depth, sigma_w2=SIGMA_W2,
                                                  sigma_b2=SIGMA_B2).block_until_ready(), repeats=REPEATS)
                    t_np = median_time(lambda: numpy_kernels(x, depth, get == "ntk"), repeats=REPEATS, warmup=0)
                    exact = exact_diagonal(x, depth, get == "ntk")
                    diag_pb = float(np.abs(np.diag(ours) - exact).max())
                    nt_cols = f"{'-':>7} {'-':>6} {'-':>10} {'-':>8} {diag_pb:11.1e} {'-':>11}"
                    key = f"{get}_{n}_{depth}"
                    if nt_times is not None:
                        path = folder / f"nt_{key}.npy"
                        theirs = np.load(path)
                        path.unlink()
                        delta = np.abs(theirs - ours)
                        diff = float(delta.max())
                        np.fill_diagonal(delta, 0.0)
                        off = float(delta.max())
                        diag_nt = float(np.abs(np.diag(theirs) - exact).max())
                        del theirs, delta
                        worst = max(worst, diff / float(np.abs(ours).max()))
                        nt_cols = (f"{nt_times[key]:7.3f} {nt_times[key] / t_pb:6.2f} {diff:10.1e} {off:8.1e} "
                                   f"{diag_pb:11.1e} {diag_nt:11.1e}")
                    print(f"{get:6} {n:5d} {depth:5d} {t_pb:10.3f} {t_np:8.3f} {t_np / t_pb:8.2f} {nt_cols}",
                          flush=True)
        print("diag err = max |K(x,x) - scalar recursion with correlation exactly 1| (the exact diagonal)")
        if nt_times is not None:
            verdict = "agree" if worst <= TOL else "DISAGREE"
            print(f"physbook and neural-tangents kernels {verdict}: max |difference| / max |K| = {worst:.1e} "
                  f"(tolerance {TOL:g})")


if __name__ == "__main__":
    main()
