"""The real-browser site check (.ci/check_site.py) catches what a reader would see broken.

Each test builds a tiny page in tmp_path and opens it in the system Chromium: a good page passes;
a raw-TeX paragraph, a broken image, a script from another host, a JavaScript error, a broken
anchor and a chapter without launch buttons each fail. ``make test`` then runs the same checker
on every page of the built book (``make browser``).
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

needs_browser = pytest.mark.skipif(
    not Path(check_site.CHROMIUM).exists() or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium and playwright (make unit installs both)")

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
    page.write_text(f"""<!doctype html><html><head><script src="{depth}_static/mj.js"></script></head>
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


def test_workflows_pass_the_github_schema():
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(exe).exists():
        pytest.skip("check-jsonschema not installed (dev extra)")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows, "no GitHub workflows"
    run = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows", *workflows],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
