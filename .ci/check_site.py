"""The site as a reader meets it: open every page of the built book in headless Chromium.

Usage: python .ci/check_site.py [_build/html] [--screenshots _build/screenshots]

A page fails on
- a JavaScript error (console error or uncaught exception),
- any request to another host (the site must be complete offline: MathJax, fonts and scripts are
  served by the site itself; launch buttons are links, which a reader follows, not requests),
- unrendered TeX (a formula MathJax did not typeset, a MathJax error, or raw ``\\[``/``$$`` text),
- a broken image,
- an internal link or anchor that does not resolve,
- a chapter page (``chapters/*.html``) without its launch buttons (Binder, Colab, live code) and
  its download-the-notebook link.
Full-page screenshots of the chapter pages go to the screenshots folder for humans to look at.

The browser is the system Chromium (Debian package ``chromium``) driven by Playwright; nothing is
downloaded. Exit status 1 if any page fails.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome-error"}

# TeX that survived MathJax, looked for in the page's visible text (code and scripts excluded).
_RAW_TEX_JS = r"""() => {
  const skip = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "MJX-CONTAINER", "NOSCRIPT"]);
  const pattern = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\\(frac|sum|int|langle|mathbf|mathrm)\b/;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let el = node.parentElement, hidden = false;
    for (; el; el = el.parentElement) {
      if (skip.has(el.tagName) || el.classList.contains("highlight")) { hidden = true; break; }
    }
    if (!hidden && pattern.test(node.textContent)) found.push(node.textContent.trim().slice(0, 80));
  }
  const untypeset = Array.from(document.querySelectorAll(".math"))
    .filter(e => !e.querySelector("mjx-container") && !e.closest("mjx-container"))
    .map(e => e.textContent.trim().slice(0, 80));
  const errors = Array.from(document.querySelectorAll("mjx-merror, [data-mjx-error]"))
    .map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 80));
  return {raw: found.slice(0, 5), untypeset: untypeset.slice(0, 5), errors: errors.slice(0, 5)};
}"""

_BROKEN_IMAGES_JS = """() => Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.getAttribute("src"))"""

_LAUNCH_JS = """() => ({
  binder: !!document.querySelector('a[href*="mybinder.org"], a[href*="/v2/gh/"]'),
  colab: !!document.querySelector('a[href*="colab.research.google.com"]'),
  thebe: !!document.querySelector('.thebe-launch-button, [onclick*="initThebe"], button.btn-launch-thebe'),
  download: !!document.querySelector('a[href$=".ipynb"]'),
})"""


@dataclass
class PageReport:
    page: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Links(HTMLParser):
    """Collect ids/names (anchor targets) and href/src references of one HTML file."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.refs.append(attrs["href"])


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def check_links(root: Path, page: Path) -> list[str]:
    """Internal links and anchors of ``page`` that do not resolve inside ``root``."""
    problems = []
    for ref in _parse(page).refs:
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or ref.startswith(("mailto:", "javascript:")):
            continue  # external link: a reader follows it; not a request the page makes
        target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        try:
            target.relative_to(root.resolve())
        except ValueError:
            problems.append(f"link leaves the site: {ref}")
            continue
        if not target.exists():
            problems.append(f"broken link: {ref}")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _parse(target).ids:
            problems.append(f"broken anchor: {ref}")
    return sorted(set(problems))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - silence the access log
        pass


def serve(root: Path):
    """Serve ``root`` on 127.0.0.1 (a free port) from a daemon thread; returns (server, base URL)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def is_chapter(rel: str) -> bool:
    return rel.startswith("chapters/")


def check_site(root: Path, pages: list[Path] | None = None, screenshots: Path | None = None,
               *, chapter_predicate=is_chapter, timeout_s: float = 30.0) -> list[PageReport]:
    """Open each page in Chromium and return one report per page (empty ``problems`` = pass)."""
    from playwright.sync_api import sync_playwright

    root = root.resolve()
    if pages is None:
        pages = sorted(p for p in root.rglob("*.html")
                       if not any(part.startswith("_") for part in p.relative_to(root).parts)
                       and p.name not in {"genindex.html", "search.html"}
                       and 'http-equiv="Refresh"' not in p.read_text(errors="replace")[:2000])
    server, base = serve(root)
    reports = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def route(r):
                host = urlsplit(r.request.url).hostname
                scheme = urlsplit(r.request.url).scheme
                if scheme in LOCAL_SCHEMES or host in LOCAL_HOSTS:
                    r.continue_()
                else:
                    r.abort()
            context.route("**/*", route)
            for path in pages:
                rel = path.relative_to(root).as_posix()
                report = PageReport(rel)
                start = time.perf_counter()
                page = context.new_page()
                external: list[str] = []
                errors: list[str] = []

                def on_request(req, external=external):
                    parts = urlsplit(req.url)
                    if parts.scheme not in LOCAL_SCHEMES and parts.hostname not in LOCAL_HOSTS:
                        external.append(req.url)
                page.on("request", on_request)
                page.on("console", lambda m, errors=errors: errors.append(m.text)
                        if m.type == "error" and "net::ERR_FAILED" not in m.text else None)
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(urljoin(base, rel), wait_until="load", timeout=timeout_s * 1e3)
                has_math = page.evaluate("() => !!document.querySelector('.math')")
                if has_math:
                    try:
                        page.wait_for_function(
                            "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                            timeout=timeout_s * 1e3)
                        page.evaluate("() => MathJax.startup.promise")
                    except Exception as exc:  # noqa: BLE001 - report, don't crash
                        report.problems.append(f"MathJax did not start: {type(exc).__name__}")
                page.wait_for_load_state("networkidle", timeout=timeout_s * 1e3)
                tex = page.evaluate(_RAW_TEX_JS)
                for kind, label in (("raw", "raw TeX in text"), ("untypeset", "formula not typeset"),
                                    ("errors", "MathJax error")):
                    report.problems += [f"{label}: {t!r}" for t in tex[kind]]
                report.problems += [f"broken image: {src}" for src in page.evaluate(_BROKEN_IMAGES_JS)]
                report.problems += [f"request to another host: {u}" for u in sorted(set(external))]
                report.problems += [f"JavaScript error: {e}" for e in errors]
                if chapter_predicate(rel):
                    found = page.evaluate(_LAUNCH_JS)
                    report.problems += [f"chapter without its {k} button/link" for k, ok in found.items() if not ok]
                    if screenshots is not None:
                        screenshots.mkdir(parents=True, exist_ok=True)
                        shot = screenshots / (Path(rel).with_suffix("").as_posix().replace("/", "_") + ".png")
                        page.screenshot(path=str(shot), full_page=True)
                report.problems += check_links(root, path)
                page.close()
                report.seconds = time.perf_counter() - start
                reports.append(report)
            browser.close()
    finally:
        server.shutdown()
    return reports


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default="_build/html")
    parser.add_argument("--screenshots", default="_build/screenshots")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "index.html").exists():
        print(f"no built site at {root} (run `make site` first)", file=sys.stderr)
        return 2
    start = time.perf_counter()
    reports = check_site(root, screenshots=Path(args.screenshots))
    bad = [r for r in reports if r.problems]
    for r in reports:
        print(f"{'ok  ' if not r.problems else 'FAIL'} {r.page:45s} {r.seconds:5.1f} s")
        for p in r.problems:
            print(f"       - {p}")
    print(f"{len(reports)} pages, {len(bad)} failing, {time.perf_counter() - start:.1f} s; "
          f"screenshots in {args.screenshots}/")
    print(f"site: {len(reports) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
