"""The real-browser site check (.ci/check_site.py) catches what a reader would see broken.

Each test builds a tiny page in tmp_path and opens it in the system Chromium: a good page passes;
a raw-TeX paragraph, a broken image, a script from another host, a JavaScript error, a broken
anchor, a chapter without launch buttons and serious accessibility faults (axe-core) each fail; a
code block wider than its box is reported, and a Tab walk catches a keyboard trap, a missing focus
indicator or name. ``make test`` then runs the same checker on every page of the built book
(``make browser``).
"""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_site", ROOT / ".ci" / "check_site.py")
check_site = importlib.util.module_from_spec(_spec)
sys.modules["check_site"] = check_site  # dataclasses look their module up there
_spec.loader.exec_module(check_site)

_no_browser = pytest.mark.skipif(
    not Path(check_site.CHROMIUM).exists() or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium and playwright (make browser installs both)")


def needs_browser(test):
    """A test that drives Chromium: marked `browser`, run by `make browser`, not `make unit`."""
    return pytest.mark.browser(_no_browser(test))

# A stand-in for MathJax that typesets every .math element, as the real one does on the built site.
FAKE_MATHJAX = """window.MathJax = {startup: {promise: new Promise(done =>
  document.addEventListener('DOMContentLoaded', () => {
    for (const e of document.querySelectorAll('.math')) {
      e.innerHTML = '<mjx-container>' + e.textContent.length + '</mjx-container>'; }
    done(); }))}};"""
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
LAUNCH = ('<a href="https://mybinder.org/v2/gh/x/y/main">Binder</a>'
          '<a href="https://colab.research.google.com/github/x/y">Colab</a>'
          '<button class="thebe-launch-button">Live code</button>'
          '<a href="../_sources/chapters/c.ipynb">.ipynb</a>')


def _site(tmp_path, body, name="chapters/c.html", launch=True):
    root = tmp_path / "html"
    (root / "_static").mkdir(parents=True)
    (root / "_static" / "mj.js").write_text(FAKE_MATHJAX)
    (root / "_sources" / "chapters").mkdir(parents=True)
    (root / "_sources" / "chapters" / "c.ipynb").write_text("{}")
    (root / "_static" / "dot.png").write_bytes(__import__("base64").b64decode(PIXEL))
    page = root / name
    page.parent.mkdir(parents=True, exist_ok=True)
    depth = "../" * (len(Path(name).parts) - 1)
    page.write_text(f"""<!doctype html><html lang="en"><head><title>A chapter</title>
<script src="{depth}_static/mj.js"></script></head>
<body><div id="top">{LAUNCH if launch else ''}
<p>Energy <span class="math notranslate">\\(E = -J \\sum s_i s_j\\)</span>.</p>
<img src="{depth}_static/dot.png" alt="dot"><a href="#top">up</a>{body}</div></body></html>""")
    return root, page


def _problems(root, page):
    [report] = check_site.check_site(root, [page])
    return report.problems


@needs_browser
def test_a_good_page_passes(tmp_path):
    assert _problems(*_site(tmp_path, "")) == []


@needs_browser
@pytest.mark.parametrize("body, expected", [
    ("<p>\\[ E(s) = -J \\sum_{ij} s_i s_j \\]</p>", "raw TeX in text"),
    ('<img src="missing.png" alt="gone">', "broken image"),
    ('<script src="https://cdn.example.org/mathjax.js"></script>', "request to another host"),
    ("<script>undefinedFunction();</script>", "JavaScript error"),
    ('<a href="#nowhere">x</a>', "broken anchor"),
    ('<a href="other.html">x</a>', "broken link"),
])
def test_injected_faults_fail(tmp_path, body, expected):
    problems = _problems(*_site(tmp_path, body))
    assert any(p.startswith(expected) for p in problems), problems


@needs_browser
def test_chapter_without_launch_buttons_fails_but_other_pages_need_none(tmp_path):
    problems = _problems(*_site(tmp_path, "", launch=False))
    assert {p for p in problems if "button" in p} == {
        f"chapter without its {k} button/link" for k in ("binder", "colab", "thebe", "download")}
    root, page = _site(tmp_path / "b", "", name="api.html", launch=False)
    assert _problems(root, page) == []


@needs_browser
@pytest.mark.parametrize("body, rule", [
    ('<p style="color:#bbb">faint text a reader cannot read</p>', "color-contrast (serious)"),
    ('<img src="../_static/dot.png">', "image-alt (critical)"),
    ('<input type="range" min="0" max="4">', "label (critical)"),
])
def test_serious_accessibility_faults_fail(tmp_path, body, rule):
    problems = _problems(*_site(tmp_path, body))
    assert any(p.startswith(f"accessibility {rule}") for p in problems), problems


@needs_browser
def test_wide_code_is_reported_not_failed_unless_hidden(tmp_path):
    wide = "x = " + " + ".join(["1"] * 200)
    body = (f'<div class="highlight"><pre tabindex="0" style="overflow:auto">{wide}</pre></div>'
            f'<div class="remove-cell"><div class="highlight"><pre tabindex="0" style="overflow:auto">{wide}'
            '</pre></div></div>')
    root, page = _site(tmp_path, body)
    [report] = check_site.check_site(root, [page], code_overflow=True)
    assert report.problems == []
    assert len(report.overflow) == 1 and "x = 1 + 1" in report.overflow[0]


@needs_browser
def test_keyboard_walk_on_a_tiny_page(tmp_path):
    article = '<article><p><a href="#top">back to the top</a></p></article>'
    root, page = _site(tmp_path, article)
    [report] = check_site.check_site(root, [page], keyboard_page="chapters/c.html")
    assert report.problems == []
    root, page = _site(tmp_path / "b", '<style>a:focus { outline: none; }</style>' + article)
    [report] = check_site.check_site(root, [page], keyboard_page="chapters/c.html")
    assert any("no visible focus indicator" in p for p in report.problems), report.problems


def _step(element, *, visible=True, indicator=True, name="a link", in_article=False):
    return dict(element=element, label=element, visible=visible, indicator=indicator, name=name,
                in_article=in_article)


def test_keyboard_problems_pass_a_walk_into_the_article():
    steps = [_step("a#skip"), _step("button#menu"), _step("a.intro", in_article=True)]
    assert check_site.keyboard_problems(steps) == []


@pytest.mark.parametrize("steps, expected", [
    ([_step("a#x"), _step("a#x", in_article=True)], "keyboard: focus stuck on 'a#x'"),
    ([dict(element=None)], "keyboard: nothing focusable"),
    ([_step("a#x"), _step("a#y", in_article=True), _step("a#x")], "keyboard: focus cycles back"),
    ([_step("a#x", visible=False, in_article=True)], "keyboard: focused element not visible"),
    ([_step("a#x", indicator=False, in_article=True)], "keyboard: focused element no visible focus"),
    ([_step("a#x", name="", in_article=True)], "keyboard: focused element no accessible name"),
    ([_step("a#x"), _step("a#y")], "keyboard: focus never reached the article"),
    ([], "keyboard: no Tab presses"),
])
def test_keyboard_problems_catch_each_fault(steps, expected):
    problems = check_site.keyboard_problems(steps)
    assert any(p.startswith(expected) for p in problems), problems


def test_keyboard_problems_end_at_the_page_end_and_name_each_fault_once():
    steps = [_step("a#x", name=""), _step("a#y", in_article=True, name=""), dict(element=None),
             _step("a#x", name="")]
    assert check_site.keyboard_problems(steps) == [
        "keyboard: focused element no accessible name: 'a#x'",
        "keyboard: focused element no accessible name: 'a#y'"]


def test_axe_problems_fail_serious_and_critical_only():
    node = {"target": ["#main > p"]}
    violations = [
        {"id": "color-contrast", "impact": "serious", "help": "contrast", "nodes": [node] * 5},
        {"id": "image-alt", "impact": "critical", "help": "alt text", "nodes": [node]},
        {"id": "region", "impact": "moderate", "help": "landmarks", "nodes": [node]},
        {"id": "meta-x", "impact": "minor", "help": "", "nodes": [node]},
    ]
    lines = check_site.axe_problems(violations)
    assert [line.split(":")[0] for line in lines] == [
        "accessibility color-contrast (serious)", "accessibility image-alt (critical)"]
    assert "5 element(s), e.g. #main > p, #main > p, #main > p, ..." in lines[0]
    assert check_site.axe_problems([]) == []


def test_workflows_pass_the_github_schema():
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(exe).exists():
        pytest.skip("check-jsonschema not installed (dev extra)")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows, "no GitHub workflows"
    run = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows", *workflows],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
