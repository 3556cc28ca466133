"""The chapter contract of DESIGN.md, checked on every notebook under chapters/.

These are static checks of the committed files; nbval (``make chapters``)
executes the notebooks and the hidden check cells inside them.
"""
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# Issue #13: every random quantity derives from the chapter's SEED (the `parameters` cell), so no
# other literal seed may appear in a code cell (`seed=SEED + 3` is fine, `seed=3` is not), and no
# unseeded or global-state randomness either.
LITERAL_SEEDS = [re.compile(p, re.I) for p in (
    r"seed\s*=\s*\d", r"default_rng\(\s*\d", r"PRNGKey\(\s*\d", r"random\.key\(\s*\d",
    r"as_key\(\s*\d", r"as_generator\(\s*\d", r"spawn\(\s*\d", r"np\.random\.seed\(",
    r"RandomState\(\s*\d")]
UNSEEDED = [re.compile(p) for p in (
    r"default_rng\(\s*\)", r"as_generator\(\s*\)", r"as_key\(\s*\)", r"RandomState\(\s*\)",
    r"np\.random\.(rand|randn|randint|random|normal|uniform|choice|permutation|shuffle|binomial)\(")]
FORBIDDEN = ("urlopen", "requests.get", "wget ", "curl ", "fetch_openml", "load_dataset(", "urlretrieve")


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _code(source):
    """Source without comments (a '#' inside a string is rare enough in seeds to ignore)."""
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def _load_robustness():
    spec = importlib.util.spec_from_file_location("robustness", ROOT / ".ci" / "robustness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_chapters():
    assert (ROOT / "chapters" / "00_preface.ipynb") in CHAPTERS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_outputs_stripped(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {i} has outputs (run `make strip`)"
            assert cell["execution_count"] is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_installs_then_imports(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    first = _source(code[0])
    assert "import physbook" in first and "pip" in first and "except ImportError" in first


NAMED_CHECK = re.compile(r"\bcheck_(close|bound|exact)\(")
# Issue #24: a hidden check is a named physbook.stats check (logged, counted, mutation-tested);
# a bare assert is allowed only for types and shapes.
STRUCTURAL = re.compile(r"\bisinstance\(|\.shape\b|\.dtype\b|\.ndim\b|np\.ndim\(|np\.shape\(")


def bare_asserts(source):
    """(line, text) of every assert in ``source`` that is not about a type or a shape."""
    import ast
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            text = ast.get_source_segment(source, node.test) or ""
            if not STRUCTURAL.search(text):
                found.append((node.lineno, " ".join(text.split())[:90]))
    return found


def test_bare_assert_detector():
    assert bare_asserts("assert x.shape == (3,)\nassert isinstance(r, pb.stats.Estimate)") == []
    assert [t for _, t in bare_asserts("assert 3 * len(r.y) <= n_grid\nassert err < 0.1")] == [
        "3 * len(r.y) <= n_grid", "err < 0.1"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_hidden_checks_are_named_checks(path):
    hidden = [(i, _source(c)) for i, c in enumerate(_cells(path))
              if c["cell_type"] == "code" and "remove-cell" in _tags(c)]
    assert any(NAMED_CHECK.search(src) for _, src in hidden), (
        f"{path.name} has no hidden check cell (tag remove-cell) with a named check "
        f"(pb.stats.check_close / check_bound / check_exact)")
    bare = [f"cell {i} line {n}: assert {t}" for i, src in hidden for n, t in bare_asserts(src)]
    assert not bare, (f"{path.name}: bare asserts in hidden cells (use pb.stats.check_close / "
                      f"check_exact / check_bound with the precision the text claims):\n  "
                      + "\n  ".join(bare))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_narrative_parts(path):
    md = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    assert md.lstrip().startswith("# "), f"{path.name} must open with a '# Title' markdown cell"
    assert re.search(r"^##\s+Overview", md, re.M), f"{path.name} needs an '## Overview'"
    assert re.search(r"^##\s+Summary", md, re.M), f"{path.name} needs a '## Summary'"
    assert re.search(r"^##\s+Exercises", md, re.M), f"{path.name} needs '## Exercises'"
    assert re.search(r"^##\s+References", md, re.M), f"{path.name} needs '## References'"
    assert "{exercise}" in md and "{solution" in md, f"{path.name} needs exercises with hidden solutions"
    assert "{cite" in md, f"{path.name} cites nothing"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_explorer_with_static_fallback(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    assert "explorer(" in code and "static_panel(" in code


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_downloads(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    for word in FORBIDDEN:
        assert word not in code, f"{path.name} must not download anything ({word!r})"


def test_toc_lists_exactly_the_chapters():
    toc = (ROOT / "_toc.yml").read_text()
    listed = set(re.findall(r"file:\s*(chapters/\S+)", toc))
    present = {f"chapters/{p.stem}" for p in CHAPTERS}
    assert listed == present, f"toc and chapters/ disagree: {sorted(listed ^ present)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_second_code_cell_is_the_seed_parameter(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    assert len(code) >= 2, f"{path.name} needs a second code cell `SEED = 0` tagged parameters"
    cell = code[1]
    assert "parameters" in _tags(cell), (
        f"{path.name}: the second code cell must be tagged `parameters` (papermill convention), "
        f"tags are {_tags(cell)}")
    statements = [line.strip() for line in _code(_source(cell)).splitlines() if line.strip()]
    assert len(statements) == 1 and re.fullmatch(r"SEED\s*=\s*\d+", statements[0]), (
        f"{path.name}: the parameters cell must be exactly one assignment `SEED = <int>` "
        f"(comments allowed), got {statements}")
    tagged = [i for i, c in enumerate(code) if "parameters" in _tags(c)]
    assert tagged == [1], f"{path.name}: only the second code cell may be tagged parameters ({tagged})"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_seed_derives_from_SEED(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    found = []
    for i, cell in enumerate(code):
        if "parameters" in _tags(cell):
            continue
        for n, line in enumerate(_code(_source(cell)).splitlines(), 1):
            for pat in LITERAL_SEEDS + UNSEEDED:
                if pat.search(line):
                    found.append(f"code cell {i} line {n}: {line.strip()}")
                    break
    assert not found, (f"{path.name}: randomness not derived from SEED (use seed=SEED, "
                       f"seed=SEED + k, pb.random.spawn(SEED, n), ...):\n  " + "\n  ".join(found))


def test_literal_seed_patterns_catch_what_they_should():
    bad = ["x = f(seed=3)", "rng = np.random.default_rng(7)", "key = jax.random.PRNGKey(0)",
           "k = jax.random.key(1)", "pb.random.as_key( 2)", "g = as_generator(5)",
           "gs = pb.random.spawn(0, 4)", "np.random.seed(1)", "np.random.RandomState(3)",
           "data_seed = 4", "rng = np.random.default_rng()", "x = np.random.normal(size=3)"]
    good = ["x = f(seed=SEED)", "x = f(seed=SEED + 3)", "rng = np.random.default_rng(SEED)",
            "gs = pb.random.spawn(SEED, 4)", "key = pb.random.as_key(SEED + 1)",
            "if seed == 3: pass", "n_steps = 3", "y = f(seed=SEED)  # seed=3 was used before"]
    pats = LITERAL_SEEDS + UNSEEDED
    assert all(any(p.search(_code(s)) for p in pats) for s in bad)
    assert not any(p.search(_code(s)) for s in good for p in pats)


def test_robustness_sets_the_seed_of_the_parameters_cell():
    rb = _load_robustness()
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {"tags": ["parameters"]}, "source": "# T"},
        {"cell_type": "code", "metadata": {}, "source": "import physbook as pb"},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["# seed\n", "SEED = 0"]},
        {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "source": "assert SEED >= 0"}]}
    assert rb.parameters_cell_index(nb) == 2
    out = rb.set_seed(nb, 7)
    assert out is nb and nb["cells"][2]["source"] == "SEED = 7"
    assert nb["cells"][3]["source"] == "assert SEED >= 0" and nb["cells"][0]["source"] == "# T"
    namespace = {}
    exec(nb["cells"][2]["source"], namespace)
    assert namespace["SEED"] == 7
    with pytest.raises(ValueError, match="non-negative"):
        rb.set_seed(nb, -1)
    nb["cells"][2]["metadata"]["tags"] = []
    with pytest.raises(ValueError, match="no code cell tagged 'parameters'"):
        rb.set_seed(nb, 1)
    nb["cells"][1]["metadata"]["tags"] = ["parameters"]
    nb["cells"][3]["metadata"]["tags"] = ["parameters"]
    with pytest.raises(ValueError, match="exactly one"):
        rb.set_seed(nb, 1)


def test_robustness_margin_table_takes_the_smallest_slack():
    rb = _load_robustness()
    results = [
        {"chapter": "a.ipynb", "seed": s, "checks": [
            {"name": "m", "value": 1.0, "threshold": "t", "unit": "sigma", "margin_sigma": 4.0 - s},
            {"name": "r", "value": 1.0, "threshold": "t", "unit": "relative", "margin_sigma": None,
             "margin_relative": 0.1}]}
        for s in range(3)]
    rows = rb.closest_margins(results)
    assert [(d["check"], d["unit"]) for d in rows] == [("m", "sigma"), ("r", "relative")]
    assert rows[0]["margin"] == 2.0 and rows[0]["seed"] == 2 and rows[0]["n_runs"] == 3


def test_power_report_flags_undetected_checks_and_failed_runs():
    rb = _load_robustness()
    row = {"name": "c", "kind": "close", "value": 1.0, "expected": 1.0, "claim_abs": 0.02,
           "threshold": "t", "window": 0.01, "claim": "+-2 %", "detected": True}
    good = [{"chapter": "a.ipynb", "seed": 0, "ok": True, "checks": [row]}]
    text, ok = rb.render_power(good, ["a.ipynb"])
    assert ok and "| a.ipynb | ok | 1 | 1 | 0 | 0 | 1/1 | 2 % |" in text
    loose = [{"chapter": "a.ipynb", "seed": 0, "ok": True, "checks": [dict(row, detected=False)]}]
    text, ok = rb.render_power(loose, ["a.ipynb"])
    assert not ok and "do not detect their mutation (1)" in text
    failed = [dict(good[0], ok=False, reason="AssertionError: x")]
    assert not rb.render_power(failed, ["a.ipynb"])[1]
    seeds = rb.fresh_seeds(10)
    assert len(set(seeds)) == 10 and all(0 <= s < 10**6 for s in seeds)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_cells_have_unique_ids(path):
    """nbformat 4.5 cell ids: a cell without one makes nbformat warn on stderr when the chapter runs."""
    ids = [c.get("id") for c in _cells(path)]
    assert None not in ids, f"{path.name}: cell {ids.index(None)} has no id"
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"


def test_nbval_cache_plugin_fills_outputs_in_code_cell_order(tmp_path):
    """.ci/nbval_cache.py: the executed notebook it caches has nbval's outputs in the right cells
    and the same code, so jupyter-cache's hash matches the committed chapter."""
    import nbformat
    spec = importlib.util.spec_from_file_location("nbval_cache", ROOT / ".ci" / "nbval_cache.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("print(1)"),
                nbformat.v4.new_code_cell("2")]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    outputs = {0: [{"output_type": "stream", "name": "stdout", "text": "1\n"}],
               1: [{"output_type": "execute_result", "data": {"text/plain": "2"},
                    "metadata": {}, "execution_count": None}]}
    done, n_code = plugin.executed_notebook(str(path), outputs)
    assert n_code == 2 and done.cells[0].cell_type == "markdown"
    assert done.cells[1].outputs[0]["text"] == "1\n"
    assert done.cells[2].outputs[0]["execution_count"] == 2
    assert [c.source for c in done.cells] == [c.source for c in nb.cells]
    nbformat.validate(done)


def test_figure_contract_of_the_nbval_plugin():
    spec = importlib.util.spec_from_file_location("nbval_cache", ROOT / ".ci" / "nbval_cache.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    png = [{"output_type": "display_data", "data": {"image/png": "iVBOR"}, "metadata": {}}]
    text = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    good = {"metadata": {"mystnb": {"figure": {"caption": "C.", "name": "fig-x"},
                                    "image": {"alt": "Energy per spin against temperature, "
                                                     "simulation on the exact curve."}}}}
    assert plugin.figure_problem(good, png) is None
    assert plugin.figure_problem({"metadata": {}}, text) is None
    assert plugin.figure_problem({"metadata": {"tags": ["remove-cell"]}}, png) is None
    assert "figure.caption" in plugin.figure_problem({"metadata": {}}, png)
    bad_alt = {"metadata": {"mystnb": {"figure": {"caption": "C.", "name": "fig-x"},
                                       "image": {"alt": "../_images/f91f.png"}}}}
    assert "image.alt" in plugin.figure_problem(bad_alt, png)
    result = [{"output_type": "execute_result", "data": {"text/plain": "Text(0, 1, 'x')"},
               "metadata": {}, "execution_count": 1}]
    assert "exactly one" in plugin.figure_problem(good, result + png)
    # nbval runs without history, so IPython ignores a trailing ';': the plugin drops the result
    # as Jupyter would, and only then counts the figure's outputs.
    quiet = dict(good, source="ax.set_title('x');  # a comment")
    assert plugin.as_jupyter_shows(quiet, result + png) == png
    assert plugin.as_jupyter_shows(dict(good, source="ax.set_title('x')"), result) == result


# Issue #25: numbered figures with captions and alt text, cited by number; visible code that fits
# the page (every chapter, no exemptions).
MAX_CODE_COLUMNS = 79


def _figure_cells(path):
    return [(i, c) for i, c in enumerate(_cells(path))
            if c["cell_type"] == "code" and c.get("metadata", {}).get("mystnb", {}).get("figure")]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_visible_code_fits_the_page(path):
    long = [f"cell {i} line {n}: {len(line)} chars"
            for i, c in enumerate(_cells(path))
            if c["cell_type"] == "code" and "remove-cell" not in _tags(c)
            for n, line in enumerate(_source(c).splitlines(), 1) if len(line) > MAX_CODE_COLUMNS]
    assert not long, f"{path.name}: visible code lines over {MAX_CODE_COLUMNS} columns:\n  " + \
        "\n  ".join(long)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_figures_are_numbered_captioned_described_and_cited(path):
    md = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    cited = set(re.findall(r"\{numref\}`(?:[^`<]*<)?([^`>]+)>?`", md))
    figs = _figure_cells(path)
    assert figs, f"{path.name}: no numbered figure (cell metadata mystnb.figure)"
    problems = []
    for i, cell in figs:
        meta = cell["metadata"]["mystnb"]
        fig, alt = meta["figure"], str(meta.get("image", {}).get("alt", ""))
        name = str(fig.get("name", ""))
        if not str(fig.get("caption", "")).strip():
            problems.append(f"cell {i}: empty caption")
        if not re.fullmatch(r"fig-[a-z0-9-]+", name):
            problems.append(f"cell {i}: name {name!r} is not fig-<lowercase-words>")
        if len(alt.split()) < 8 or re.search(r"\.(png|svg|jpe?g)\b", alt):
            problems.append(f"cell {i}: alt text must say what the figure shows (8+ words)")
        if name not in cited:
            problems.append(f"cell {i}: {name} is never cited with {{numref}}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_figure_names_are_unique_across_the_book():
    names = [c["metadata"]["mystnb"]["figure"].get("name") for p in CHAPTERS
             for _, c in _figure_cells(p)]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"figure names used twice: {sorted(dup)}"
