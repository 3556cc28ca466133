"""pytest plugin: nbval's execution of each chapter also fills the book's execution cache.

``make test`` runs every chapter under nbval and then builds the site, which executes every
chapter again unless jupyter-cache already holds it. This plugin records the outputs nbval
collects for each code cell; when every cell of a notebook passed, it stores the executed
notebook in the jupyter-cache the site build reads (``_build/.jupyter_cache``, the MyST-NB
default for ``execute_notebooks: cache``). The site build then renders exactly the outputs that
nbval checked, and each chapter runs once per ``make test`` (issue #24).

Use: ``pytest -p nbval_cache --nbval-lax chapters/`` with ``.ci`` on ``PYTHONPATH``; the cache
folder can be changed with ``--nbval-cache-dir``. A notebook with a failing cell is not cached,
so a later site build executes it again and shows the failure.

With ``--nbval-figures`` a visible cell whose outputs hold an image fails unless its metadata
makes it a numbered figure with a caption and alt text (issue #25):
``{"mystnb": {"figure": {"caption": ..., "name": "fig-..."}, "image": {"alt": ...}}}``.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_runs: dict = {}


def pytest_addoption(parser):
    parser.addoption("--nbval-cache-dir", default=str(ROOT / "_build" / ".jupyter_cache"),
                     help="jupyter-cache folder that receives the executed notebooks")
    parser.addoption("--nbval-figures", action="store_true",
                     help="fail visible cells that show an image without caption and alt text")


def as_jupyter_shows(cell, outputs) -> list:
    """The outputs a notebook front end (nbclient, the site build) keeps for this cell.

    nbval executes with ``store_history=False``, so IPython cannot see the cell's trailing ';'
    and shows the last expression's value anyway; Jupyter suppresses it. Drop that result here,
    with IPython's own rule, so the cached notebook is what an nbclient run would give.
    """
    from IPython.core.displayhook import DisplayHook
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    try:
        quiet = DisplayHook.semicolon_at_end_of_expression(source)
    except Exception:  # noqa: BLE001 - an untokenizable cell (magics) keeps its outputs
        quiet = False
    if not quiet:
        return list(outputs)
    return [o for o in outputs if o.get("output_type") != "execute_result"]


def figure_problem(cell, outputs) -> str | None:
    """Why a cell that shows an image is not a proper figure, or None.

    A visible cell (not tagged remove-cell) with an image output needs a caption, a name
    (``fig-...``, for {numref}) and alt text that is not a file name.
    """
    tags = cell.get("metadata", {}).get("tags", [])
    if "remove-cell" in tags or "remove-output" in tags:
        return None
    shows_image = any(
        any(k.startswith("image/") for k in (o.get("data") or {}))
        or "<img" in str((o.get("data") or {}).get("text/html", ""))
        for o in outputs)
    if not shows_image:
        return None
    meta = cell.get("metadata", {}).get("mystnb", {})
    fig, img = meta.get("figure") or {}, meta.get("image") or {}
    shown = [o for o in outputs if o.get("output_type") in ("display_data", "execute_result")]
    if fig and len(shown) > 1:
        # MyST-NB wraps every display output of the cell in the figure: two outputs give two
        # figures with one name (a duplicate target, and the {numref} breaks).
        return (f"this figure cell shows {len(shown)} outputs ("
                + ", ".join(o.get("output_type") for o in shown) + "); a figure cell must show "
                "exactly one: end it with plt.show() or a ';' (issue #25)")
    missing = [what for what, ok in (
        ("figure.caption", bool(str(fig.get("caption", "")).strip())),
        ("figure.name (fig-...)", str(fig.get("name", "")).startswith("fig-")),
        ("image.alt", len(str(img.get("alt", "")).split()) >= 5)) if not ok]
    if missing:
        return ("this cell shows an image but is not a numbered figure: set cell metadata "
                "mystnb " + ", ".join(missing) + " (issue #25)")
    return None


def _notebook_item(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell_num")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _notebook_item(item) or call.when != "call":
        return
    report = outcome.get_result()
    outputs = as_jupyter_shows(item.cell, getattr(item, "test_outputs", None) or [])
    if report.passed and item.config.getoption("--nbval-figures"):
        problem = figure_problem(item.cell, outputs)
        if problem:
            report.outcome = "failed"
            report.longrepr = f"{item.parent.fspath}: code cell {item.cell_num}: {problem}"
    path = str(item.parent.fspath)
    run = _runs.setdefault(path, {"outputs": {}, "failed": False, "start": time.time(),
                                  "n_cells": None})
    run["outputs"][item.cell_num] = outputs
    run["failed"] |= not report.passed
    run["end"] = time.time()


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if _notebook_item(item):
            path = str(item.parent.fspath)
            run = _runs.setdefault(path, {"outputs": {}, "failed": False, "start": time.time(),
                                          "n_cells": 0})
            run["n_cells"] = (run["n_cells"] or 0) + 1


def executed_notebook(path: str, outputs: dict):
    """The notebook at ``path`` with ``outputs[i]`` as the outputs of its i-th code cell."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs = outputs.get(count, [])
        cell.outputs = [nbformat.from_dict(dict(o)) for o in outs]
        count += 1
        cell.execution_count = count
        for o in cell.outputs:
            if o.get("output_type") == "execute_result":
                o["execution_count"] = count
    return nb, count


def pytest_sessionfinish(session, exitstatus):
    if not _runs:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(session.config.getoption("--nbval-cache-dir"))
    for path, run in _runs.items():
        if run["failed"] or len(run["outputs"]) != run["n_cells"]:
            continue
        nb, n_code = executed_notebook(path, run["outputs"])
        if n_code != run["n_cells"]:
            continue
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, path, data={"execution_seconds": run["end"] - run["start"],
                                          "executed_by": "nbval"}),
            check_validity=False, overwrite=True)
