"""Run every chapter for several seeds and report which hidden checks fail (``make robustness``).

Usage::

    python .ci/robustness.py [--k K] [--seeds 0,3,7] [--jobs 2] [--timeout 600] [chapters/NN_x.ipynb ...]
    python .ci/robustness.py --power [--seeds 0] [chapters/NN_x.ipynb ...]      # make check-power

Seeds: ``--k K`` draws K fresh random seeds each run (printed, with the command that reruns one),
so no check can be tuned, knowingly or not, to a fixed set; ``--seeds`` pins them.

``--power`` (``make check-power``) runs each chapter once and reports, for every named check,
whether it detects its mutation: ``check_close``/``check_exact`` evaluated against the expected
value moved by twice the claimed precision, ``check_bound`` against its bound moved by its stated
margin (see ``physbook.stats``). A check that would still pass the mutated claim cannot fail
where its sentence says it should; the run exits 1 unless every check detects its mutation.

For each chapter and each ``SEED`` the source of the chapter's code cell tagged ``parameters``
is replaced by ``SEED = <seed>`` and the notebook is executed top to bottom in a fresh kernel
(working directory ``chapters/``, ``MPLBACKEND=Agg``), at most ``--jobs`` runs at a time, each in
its own process. ``physbook.stats.check_close`` / ``check_bound`` append one record per check to
the file named by ``PHYSBOOK_CHECK_LOG`` (one temporary file per run); the margins are collected
into a "closest margins" table.

Output: a chapter x seed table (ok / FAIL), the message of every failure (and whether it came
from a hidden check cell, tag ``remove-cell``), the closest margins (for each chapter and check
the smallest slack over the seeds, in standard errors) and the total wall time. The results are
also written to ``_build/robustness/robustness.json`` and ``_build/robustness/robustness.md``.
Exit status 1 if any run failed (a kernel crash or timeout counts as a failure).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "_build" / "robustness"
PARAMETERS_TAG = "parameters"
HIDDEN_TAG = "remove-cell"


# --------------------------------------------------------------------------- notebook editing

def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def parameters_cell_index(nb) -> int:
    """Index (in ``nb['cells']``) of the single code cell tagged ``parameters``.

    Raises ValueError when there is none or more than one.
    """
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    hits = [i for i, c in enumerate(cells)
            if c.get("cell_type") == "code" and PARAMETERS_TAG in _tags(c)]
    if not hits:
        raise ValueError("no code cell tagged 'parameters' (the chapter needs a cell "
                         "`SEED = 0` tagged parameters, see the chapter contract)")
    if len(hits) > 1:
        raise ValueError(f"{len(hits)} code cells tagged 'parameters' (cells {hits}); exactly one allowed")
    return hits[0]


def set_seed(nb, seed: int):
    """Replace the source of the ``parameters`` cell of ``nb`` by ``SEED = <seed>`` (in place).

    ``nb`` is a notebook dict (or nbformat node). Returns ``nb``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    cells[parameters_cell_index(nb)]["source"] = f"SEED = {seed}"
    return nb


# --------------------------------------------------------------------------- one run (worker)

def _failing_cell(nb):
    """(index, tags, ename, evalue) of the first cell with an error output, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, _tags(cell), out.get("ename", ""), out.get("evalue", "")
    return None


def _stderr_cells(nb) -> list:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append({"cell": i, "text": "".join(out.get("text", ""))[:300]})
    return found


def run_one(path: Path, seed: int, timeout: float, result_file: Path) -> None:
    """Execute one chapter with one seed (in this process) and write a JSON result."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    result = {"chapter": path.name, "seed": seed, "ok": False, "reason": "", "hidden": None,
              "cell": None, "stderr": []}

    def _terminate(signum, frame):  # parent's backstop: unwind so nbclient shuts the kernel down
        raise SystemExit(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    start = time.perf_counter()
    nb = None
    try:
        nb = nbformat.read(path, as_version=4)
        set_seed(nb, seed)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        result["ok"] = True
    except CellExecutionError as exc:
        hit = _failing_cell(nb)
        if hit is not None:
            i, tags, ename, evalue = hit
            result.update(cell=i, hidden=HIDDEN_TAG in tags,
                          reason=f"{ename}: {evalue}".strip())
        else:
            result["reason"] = f"{getattr(exc, 'ename', 'Error')}: {getattr(exc, 'evalue', exc)}"
    except CellTimeoutError as exc:
        result["reason"] = f"timeout: a cell ran longer than {timeout:g} s ({str(exc)[:200]})"
    except DeadKernelError as exc:
        result["reason"] = f"kernel died: {str(exc)[:300]}"
    except SystemExit as exc:
        result["reason"] = f"killed: {exc}"
    except Exception as exc:  # noqa: BLE001 - every failure becomes a table entry
        result["reason"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    result["wall_s"] = time.perf_counter() - start
    if nb is not None:
        result["stderr"] = _stderr_cells(nb)
    result_file.write_text(json.dumps(result))


# --------------------------------------------------------------------------- orchestration

def _read_checks(log: Path) -> list:
    rows = []
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return rows


def launch(path: Path, seed: int, timeout: float, tmp: Path) -> dict:
    """Run one (chapter, seed) in a separate process with its own PHYSBOOK_CHECK_LOG."""
    tag = f"{path.stem}_seed{seed}"
    log = tmp / f"{tag}.checks.jsonl"
    out = tmp / f"{tag}.result.json"
    env = dict(os.environ, MPLBACKEND="Agg", PHYSBOOK_CHECK_LOG=str(log))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path), str(seed),
           str(timeout), str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    backstop = timeout * 3 + 120  # per-cell timeout is enforced by nbclient; this catches hangs
    try:
        text, _ = proc.communicate(timeout=backstop)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            text, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            text, _ = proc.communicate()
    wall = time.perf_counter() - start
    if out.exists():
        result = json.loads(out.read_text())
    else:
        tail = (text or b"").decode(errors="replace").strip().splitlines()[-5:]
        result = {"chapter": path.name, "seed": seed, "ok": False, "hidden": None, "cell": None,
                  "stderr": [], "reason": f"runner crashed (exit {proc.returncode}): "
                                          + " | ".join(tail)}
    result["wall_s"] = wall
    result["checks"] = _read_checks(log)
    return result


def _slack(row) -> tuple[float | None, str]:
    """(margin before failure, unit) of one check record."""
    unit = row.get("unit", "sigma")
    m = row.get("margin_sigma")
    if unit == "relative":
        m = row.get("margin_relative", m)
    return (None if m is None else float(m)), unit


def closest_margins(results: list, top: int = 25) -> list:
    """Smallest margin over seeds (and repeats) per (chapter, check), ascending.

    The ``top`` closest checks in standard errors, then the ``top`` closest bounds without an error
    bar (relative margins); ``top=0`` returns all.
    """
    best: dict = {}
    for r in results:
        for row in r.get("checks", []):
            m, unit = _slack(row)
            if m is None:
                continue
            key = (r["chapter"], row.get("name", "?"), unit)
            cur = best.get(key)
            if cur is None or m < cur["margin"]:
                best[key] = {"chapter": r["chapter"], "check": row.get("name", "?"), "unit": unit,
                             "margin": m, "seed": r["seed"], "value": row.get("value"),
                             "threshold": row.get("threshold", ""), "n_runs": 0}
    for r in results:  # how many runs logged each check
        seen = {(r["chapter"], row.get("name", "?"), _slack(row)[1]) for row in r.get("checks", [])}
        for key in seen:
            if key in best:
                best[key]["n_runs"] += 1
    rows = sorted(best.values(), key=lambda d: (d["unit"] != "sigma", d["margin"]))
    if not top:
        return rows
    sigma = [d for d in rows if d["unit"] == "sigma"]
    return sigma[:top] + [d for d in rows if d["unit"] != "sigma"][:top]


def fresh_seeds(k: int) -> list:
    """``k`` distinct seeds in [0, 10^6) from the operating system's entropy (not reproducible
    on purpose: the command that reruns them is printed)."""
    import secrets
    seeds: list = []
    while len(seeds) < k:
        s = secrets.randbelow(10**6)
        if s not in seeds:
            seeds.append(s)
    return seeds


def render_power(results: list, chapters: list) -> tuple[str, bool]:
    """The mutation report: every logged check with its window, claim and detected flag.

    Returns the Markdown text and whether every run passed and every check detected its mutation.
    """
    lines = ["## Per chapter", "",
             "| chapter | run | checks | close | exact | bound | detected | tightest claim |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    ok = True
    undetected = []
    by = {r["chapter"]: r for r in results}
    for ch in chapters:
        r = by.get(ch)
        rows = r.get("checks", []) if r else []
        kinds = [row.get("kind") for row in rows]
        det = sum(bool(row.get("detected")) for row in rows)
        rel = [row["claim_abs"] / abs(row["expected"]) for row in rows
               if row.get("kind") in ("close", "exact") and row.get("expected")
               and row.get("claim_abs") is not None]
        tight = f"{100 * min(rel):.3g} %" if rel else "-"
        run_ok = bool(r and r["ok"])
        ok &= run_ok and det == len(rows) and len(rows) > 0
        lines.append(f"| {ch} | {'ok' if run_ok else 'FAIL'} | {len(rows)} | "
                     f"{kinds.count('close')} | {kinds.count('exact')} | {kinds.count('bound')} | "
                     f"{det}/{len(rows)} | {tight} |")
        undetected += [(ch, row) for row in rows if not row.get("detected")]
    fails = [r for r in results if not r["ok"]]
    lines += ["", f"## Runs that failed ({len(fails)})", ""]
    lines += [f"- {r['chapter']} SEED={r['seed']} cell {r.get('cell')}: "
              f"{' '.join(str(r.get('reason', '')).split())[:600]}" for r in fails] or ["none"]
    lines += ["", f"## Checks that do not detect their mutation ({len(undetected)})", ""]
    lines += [f"- {ch}: {row['name']} ({row['kind']}): value {row['value']:.6g}, "
              f"{row['threshold']}, claim {row['claim']}" for ch, row in undetected] or ["none"]
    lines += ["", "## Every check", "",
              "| chapter | check | kind | value | threshold | window | claim | detected |",
              "|---|---|---|---:|---|---:|---|---|"]
    for ch in chapters:
        for row in (by.get(ch) or {}).get("checks", []):
            win = row.get("window")
            lines.append(f"| {ch} | {row['name']} | {row['kind']} | {row['value']:.6g} | "
                         f"{row['threshold']} | {'' if win is None else f'{win:.3g}'} | "
                         f"{row['claim']} | {'yes' if row.get('detected') else 'NO'} |")
    return "\n".join(lines) + "\n", ok


def render(results: list, seeds: list, chapters: list, wall: float, jobs: int) -> str:
    by = {(r["chapter"], r["seed"]): r for r in results}
    lines = []
    width = max([len(c) for c in chapters] + [7])
    head = f"{'chapter':{width}s} | " + " | ".join(f"{s:>4d}" for s in seeds) + " | pass"
    lines += ["## Chapter x seed", "", "```", head, "-" * len(head)]
    for ch in chapters:
        cells, n_ok = [], 0
        for s in seeds:
            r = by.get((ch, s))
            ok = bool(r and r["ok"])
            n_ok += ok
            cells.append(f"{'ok' if ok else 'FAIL':>4s}")
        lines.append(f"{ch:{width}s} | " + " | ".join(cells) + f" | {n_ok}/{len(seeds)}")
    lines += ["```", ""]
    fails = [r for r in results if not r["ok"]]
    lines += [f"## Failures ({len(fails)})", ""]
    for r in sorted(fails, key=lambda r: (r["chapter"], r["seed"])):
        where = ("hidden check" if r.get("hidden") else
                 "visible cell" if r.get("hidden") is False else "run")
        cell = f" cell {r['cell']}" if r.get("cell") is not None else ""
        reason = " ".join(str(r.get("reason", "")).split())[:600]
        lines.append(f"- {r['chapter']} SEED={r['seed']} ({where}{cell}): {reason}")
    if not fails:
        lines.append("none")
    warn = [r for r in results if r.get("stderr")]
    if warn:
        lines += ["", "## Runs that wrote to stderr (the site build treats this as an error)", ""]
        for r in warn:
            first = " ".join(r["stderr"][0]["text"].split())[:200]
            lines.append(f"- {r['chapter']} SEED={r['seed']}: cell {r['stderr'][0]['cell']}: {first}")
    rows = closest_margins(results)
    lines += ["", "## Closest margins (smallest over seeds; slack before the check fails)", ""]
    if rows:
        lines += ["| chapter | check | margin | unit | seed | value | threshold | runs |",
                  "|---|---|---:|---|---:|---:|---|---:|"]
        for d in rows:
            val = "" if d["value"] is None else f"{d['value']:.5g}"
            lines.append(f"| {d['chapter']} | {d['check']} | {d['margin']:.2f} | {d['unit']} | "
                         f"{d['seed']} | {val} | {d['threshold']} | {d['n_runs']} |")
    else:
        lines.append("no check records (chapters do not use pb.stats.check_close / check_bound yet)")
    per_ch = {}
    for r in results:
        per_ch.setdefault(r["chapter"], []).append(r["wall_s"])
    lines += ["", "## Wall time", ""]
    for ch in chapters:
        t = per_ch.get(ch, [])
        if t:
            lines.append(f"- {ch}: mean {sum(t) / len(t):.1f} s, max {max(t):.1f} s per run")
    lines.append(f"- total: {wall:.1f} s for {len(results)} runs, {jobs} at a time")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("chapters", nargs="*", help="notebooks (default: chapters/*.ipynb)")
    ap.add_argument("--k", type=int, default=10, help="K fresh random seeds (default 10)")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds (overrides --k)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per cell (default 600)")
    ap.add_argument("--out", default=None, help="folder for the .json / .md reports")
    ap.add_argument("--power", action="store_true",
                    help="mutation report: does every check detect a claim moved by its precision")
    args = ap.parse_args(argv)

    if args.seeds:
        try:
            seeds = [int(s) for s in re.split(r"[,\s]+", args.seeds.strip()) if s]
        except ValueError:
            ap.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    else:
        if args.k < 1:
            ap.error(f"--k must be >= 1, got {args.k}")
        seeds = fresh_seeds(args.k)
    if any(s < 0 for s in seeds):
        ap.error("seeds must be non-negative")
    if args.jobs < 1:
        ap.error(f"--jobs must be >= 1, got {args.jobs}")
    paths = [Path(p).resolve() for p in args.chapters] or sorted((ROOT / "chapters").glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        ap.error(f"no such notebook: {', '.join(missing)}")

    # Every chapter must have its parameters cell before anything runs.
    bad = []
    for p in paths:
        try:
            parameters_cell_index(json.loads(p.read_text()))
        except ValueError as exc:
            bad.append(f"{p.name}: {exc}")
    if bad:
        print("robustness: cannot set the seed of these chapters:\n  " + "\n  ".join(bad),
              file=sys.stderr)
        return 2

    if args.power and not args.seeds:
        seeds = [0]
    chapters = [p.name for p in paths]
    jobs = [(p, s) for s in seeds for p in paths]
    if not args.power:
        print(f"robustness: seeds {','.join(map(str, seeds))}; rerun one with "
              f"`make robustness SEEDS={seeds[0]}` (or SEEDS=a,b,c)", flush=True)
    print(f"robustness: {len(paths)} chapters x {len(seeds)} seeds = {len(jobs)} runs, "
          f"{args.jobs} at a time", flush=True)
    results = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="robustness_") as tmpdir, \
            ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(launch, p, s, args.timeout, Path(tmpdir)): (p, s) for p, s in jobs}
        for fut in as_completed(futures):
            p, s = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001
                r = {"chapter": p.name, "seed": s, "ok": False, "reason": f"launcher: {exc}",
                     "hidden": None, "cell": None, "stderr": [], "checks": [], "wall_s": 0.0}
            results.append(r)
            verdict = "ok" if r["ok"] else "FAIL " + " ".join(str(r["reason"]).split())[:120]
            print(f"  [{len(results):3d}/{len(jobs)}] {p.name} SEED={s}: {r['wall_s']:.1f} s {verdict}",
                  flush=True)
    wall = time.perf_counter() - start
    if args.power:
        report, ok = render_power(results, chapters)
        print()
        print(report)
        out = Path(args.out or ROOT / "_build" / "check-power")
        out.mkdir(parents=True, exist_ok=True)
        (out / "check_power.md").write_text("# make check-power\n\n" + report)
        (out / "check_power.json").write_text(json.dumps(
            {"seeds": seeds, "results": sorted(results, key=lambda r: r["chapter"])}, indent=1))
        print(f"written: {out / 'check_power.md'} and check_power.json")
        return 0 if ok else 1
    report = render(results, seeds, chapters, wall, args.jobs)
    print()
    print(report)
    out = Path(args.out or OUT_DIR)
    out.mkdir(parents=True, exist_ok=True)
    (out / "robustness.md").write_text("# make robustness\n\n" + report)
    (out / "robustness.json").write_text(json.dumps(
        {"seeds": seeds, "chapters": chapters, "wall_s": wall, "jobs": args.jobs,
         "results": sorted(results, key=lambda r: (r["chapter"], r["seed"])),
         "closest_margins": closest_margins(results, top=0)}, indent=1))
    print(f"written: {out / 'robustness.md'} and robustness.json")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        run_one(Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), Path(sys.argv[5]))
        sys.exit(0)
    sys.exit(main())
