"""The site as a reader meets it: open every page of the built book in headless Chromium.

Usage: python .ci/check_site.py [_build/html] [--screenshots _build/screenshots] [--no-axe]
       [--no-keyboard] [--code-overflow | --strict-code-overflow]

A page fails on
- a JavaScript error (console error or uncaught exception),
- any request to another host (the site must be complete offline: MathJax, fonts and scripts are
  served by the site itself; launch buttons are links, which a reader follows, not requests),
- unrendered TeX (a formula MathJax did not typeset, a MathJax error, or raw ``\\[``/``$$`` text),
- a broken image,
- an internal link or anchor that does not resolve,
- a chapter page (``chapters/*.html``) without its launch buttons (Binder, Colab, live code) and
  its download-the-notebook link.
- an accessibility violation of impact serious or critical: axe-core (the engine behind Lighthouse,
  bundled by the ``axe-playwright-python`` package) runs the WCAG 2.0/2.1 A and AA rules on every
  page; each failing rule is printed with its impact, how many elements break it and the first
  target selectors (minor and moderate ones are listed, not failed).
Full-page screenshots of the chapter pages go to the screenshots folder for humans to look at.

Once per build (``--keyboard``, on by default) a reader without a mouse tabs through one chapter
page (``chapters/01_ising.html``): focus must move from element to element (no trap, never lost
to the page body), each focused element must be visible, show a focus indicator (an outline or a
box-shadow) and have an accessible name, and focus must reach the chapter's text (the article).

``--code-overflow`` also lists visible code blocks wider than their box at the 1280-px window (a
reader must scroll sideways to read them); they fail the run only with ``--strict-code-overflow``.

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
VIEWPORT = {"width": 1280, "height": 900}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]   # WCAG 2.0 and 2.1, levels A and AA
AXE_FAILING_IMPACTS = ("critical", "serious")
KEYBOARD_PAGE = "chapters/01_ising.html"
KEYBOARD_PRESSES = 60

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


# Visible code blocks wider than their box: the reader would have to scroll sideways.
_CODE_OVERFLOW_JS = r"""() => Array.from(document.querySelectorAll("div.highlight pre"))
  .filter(pre => !pre.closest(".remove-cell, .remove-input, [hidden], details:not([open])")
                 && pre.checkVisibility({visibilityProperty: true})
                 && pre.scrollWidth > pre.clientWidth)
  .map(pre => ({scroll: pre.scrollWidth, client: pre.clientWidth,
               line: pre.textContent.split("\n").reduce((a, b) => b.length > a.length ? b : a, "")
                        .trim().slice(0, 60)}))"""

# What a keyboard user meets on one Tab press: the focused element, described.
_FOCUS_JS = r"""async () => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {element: null};
  // let focus transitions (a skip link sliding in, a focus ring fading in) finish, 1 s at most
  const moving = document.getAnimations().filter(a => a.effect?.target?.contains?.(el));
  await Promise.race([new Promise(done => setTimeout(done, 1000)),
                      Promise.all(moving.map(a => a.finished.catch(() => null)))]);
  const style = getComputedStyle(el);
  const opaque = color => !/^(transparent|rgba\([^)]*,\s*0\))$/.test(color.trim());
  const shadow = style.boxShadow.replace(/rgba\([^)]*,\s*0\)[^,]*/g, "").replace(/[\s,]/g, "");
  const rect = el.getBoundingClientRect();
  const byIds = ids => ids.split(/\s+/).map(id => document.getElementById(id))
    .filter(Boolean).map(e => e.textContent).join(" ");
  const labels = el.labels ? Array.from(el.labels).map(l => l.textContent).join(" ") : "";
  const imgAlt = Array.from(el.querySelectorAll("img[alt], svg title"))
    .map(e => e.getAttribute("alt") || e.textContent).join(" ");
  const name = [el.getAttribute("aria-labelledby") ? byIds(el.getAttribute("aria-labelledby")) : "",
                el.getAttribute("aria-label") || "", labels, el.innerText || "", imgAlt,
                el.getAttribute("title") || "", el.getAttribute("alt") || "",
                ["button", "submit", "reset"].includes(el.type) ? el.value || "" : "",
                el.getAttribute("placeholder") || ""].map(t => t.trim()).find(t => t) || "";
  let path = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
  for (let e = el; e.parentElement; e = e.parentElement) {
    path = Array.from(e.parentElement.children).indexOf(e) + ">" + path;
  }
  return {
    element: path + (el.getAttribute("href") ? " " + el.getAttribute("href") : ""),
    label: (el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + name).slice(0, 70),
    visible: rect.width > 0 && rect.height > 0 && el.checkVisibility({visibilityProperty: true,
             opacityProperty: true}) && rect.bottom > 0 && rect.right > 0
             && rect.top < innerHeight && rect.left < innerWidth,
    indicator: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
                && opaque(style.outlineColor)) || (style.boxShadow !== "none" && shadow !== ""),
    name: name.replace(/\s+/g, " ").slice(0, 60),
    in_article: !!el.closest("article"),
  };
}"""


@dataclass
class PageReport:
    page: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    axe: list[tuple[str, str, int]] = field(default_factory=list)   # (rule, impact, elements)
    overflow: list[str] = field(default_factory=list)               # code blocks wider than their box


def axe_problems(violations: list[dict], *, max_targets: int = 3) -> list[str]:
    """One line per axe-core violation of impact serious or critical: rule, impact, count, targets."""
    lines = []
    for v in violations:
        if v.get("impact") not in AXE_FAILING_IMPACTS:
            continue
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
        shown = ", ".join(targets[:max_targets]) + (", ..." if len(targets) > max_targets else "")
        lines.append(f"accessibility {v['id']} ({v['impact']}): {len(targets)} element(s), "
                     f"e.g. {shown} - {v.get('help', '')}")
    return lines


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations of the open page (the script ships with the
    ``axe-playwright-python`` package: nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response["violations"]


def keyboard_problems(steps: list[dict], *, presses: int | None = None) -> list[str]:
    """Judge one Tab walk: ``steps`` holds what :data:`_FOCUS_JS` saw after each press.

    Fails when the first press focuses nothing, when focus stays on one element or comes back to
    an element it left before the end of the page (a trap), when a focused element is invisible,
    shows no focus indicator or has no accessible name, and when focus never reaches the article
    (the chapter's text). Focus on the page body after the last element is the end of the walk.
    """
    problems: list[str] = []
    visited: list[str] = []
    for k, step in enumerate(steps, start=1):
        element = step.get("element")
        if element is None:
            if k == 1:
                problems.append("keyboard: nothing focusable: the first Tab press focused no element")
            steps = steps[:k - 1]
            break
        label = step.get("label", element)
        if visited and element == visited[-1]:
            problems.append(f"keyboard: focus stuck on {label!r} at Tab press {k}")
            break
        if element in visited:
            problems.append(f"keyboard: focus cycles back to {label!r} at Tab press {k} "
                            "before the end of the page")
            break
        visited.append(element)
    seen: set[str] = set()
    for step in steps:
        element = step.get("element")
        if element is None or element in seen:
            continue
        seen.add(element)
        label = step.get("label", element)
        for key, what in (("visible", "not visible"), ("indicator", "no visible focus indicator"),
                          ("name", "no accessible name")):
            if not step.get(key):
                problems.append(f"keyboard: focused element {what}: {label!r}")
    if steps and not any(s.get("in_article") for s in steps):
        problems.append(f"keyboard: focus never reached the article in "
                        f"{presses or len(steps)} Tab presses")
    if not steps:
        problems.append("keyboard: no Tab presses recorded")
    return problems


def check_keyboard(page, *, presses: int = KEYBOARD_PRESSES) -> list[str]:
    """Press Tab ``presses`` times from the top of the open page; see :func:`keyboard_problems`."""
    page.evaluate("() => { window.scrollTo(0, 0); document.activeElement?.blur?.(); }")
    steps = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        steps.append(page.evaluate(_FOCUS_JS))
    return keyboard_problems(steps, presses=presses)


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


class _Traffic:
    """The page's open requests. Playwright's own "networkidle" never arrives on some pages once
    requests are routed (every request finished, yet the state does not fire), so the checker
    waits for quiet itself: no request open for ``quiet_s``."""

    def __init__(self, page, quiet_s: float = 0.5):
        self.page, self.quiet_s = page, quiet_s
        self.open: dict[int, str] = {}
        self.last = time.perf_counter()
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, request):
        self.open[id(request)] = request.url
        self.last = time.perf_counter()

    def _end(self, request):
        self.open.pop(id(request), None)
        self.last = time.perf_counter()

    def wait_quiet(self, timeout_s: float) -> bool:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if not self.open and time.perf_counter() - self.last >= self.quiet_s:
                return True
            self.page.wait_for_timeout(100)   # lets Playwright deliver the request events
        return False


def is_chapter(rel: str) -> bool:
    return rel.startswith("chapters/")


def check_site(root: Path, pages: list[Path] | None = None, screenshots: Path | None = None,
               *, chapter_predicate=is_chapter, timeout_s: float = 30.0, axe: bool = True,
               code_overflow: bool = False, keyboard_page: str | None = None) -> list[PageReport]:
    """Open each page in Chromium and return one report per page (empty ``problems`` = pass).

    ``axe`` runs axe-core on every page; ``code_overflow`` fills each report's ``overflow`` list
    (reported, not a problem); ``keyboard_page`` (a path relative to ``root``) is the one page whose
    Tab walk (:func:`check_keyboard`) is checked.
    """
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
            context = browser.new_context(viewport=VIEWPORT)

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
                traffic = _Traffic(page)
                page.on("console", lambda m, errors=errors: errors.append(m.text)
                        if m.type == "error" and "net::ERR_FAILED" not in m.text else None)
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                try:
                    page.goto(urljoin(base, rel), wait_until="load", timeout=timeout_s * 1e3)
                except Exception as exc:  # noqa: BLE001 - one page that does not load fails alone
                    report.problems.append(f"page did not load: {str(exc).splitlines()[0]}")
                    page.close()
                    report.seconds = time.perf_counter() - start
                    reports.append(report)
                    continue
                has_math = page.evaluate("() => !!document.querySelector('.math')")
                if has_math:
                    try:
                        page.wait_for_function(
                            "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                            timeout=timeout_s * 1e3)
                        page.evaluate("() => MathJax.startup.promise")
                    except Exception as exc:  # noqa: BLE001 - report, don't crash
                        report.problems.append(f"MathJax did not start: {type(exc).__name__}")
                if not traffic.wait_quiet(timeout_s):
                    report.problems.append(f"requests still open after {timeout_s:.0f} s: "
                                           f"{sorted(traffic.open.values())[:3]}")
                tex = page.evaluate(_RAW_TEX_JS)
                for kind, label in (("raw", "raw TeX in text"), ("untypeset", "formula not typeset"),
                                    ("errors", "MathJax error")):
                    report.problems += [f"{label}: {t!r}" for t in tex[kind]]
                report.problems += [f"broken image: {src}" for src in page.evaluate(_BROKEN_IMAGES_JS)]
                report.problems += [f"request to another host: {u}" for u in sorted(set(external))]
                report.problems += [f"JavaScript error: {e}" for e in errors]
                if axe:
                    violations = run_axe(page)
                    report.axe = [(v["id"], v.get("impact") or "?", len(v.get("nodes", [])))
                                  for v in violations]
                    report.problems += axe_problems(violations)
                if code_overflow:
                    report.overflow = [f"code wider than its box ({o['scroll']} > {o['client']} px): "
                                       f"{o['line']!r}" for o in page.evaluate(_CODE_OVERFLOW_JS)]
                if rel == keyboard_page:
                    report.problems += check_keyboard(page)
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
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds a page may take to load (default: 30)")
    parser.add_argument("--no-axe", dest="axe", action="store_false",
                        help="skip the axe-core accessibility rules")
    parser.add_argument("--keyboard", action=argparse.BooleanOptionalAction, default=True,
                        help=f"tab through {KEYBOARD_PAGE} (default: on)")
    parser.add_argument("--code-overflow", action="store_true",
                        help="list visible code blocks wider than their box at a 1280-px window")
    parser.add_argument("--strict-code-overflow", action="store_true",
                        help="... and fail the run on them (implies --code-overflow)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "index.html").exists():
        print(f"no built site at {root} (run `make site` first)", file=sys.stderr)
        return 2
    keyboard_page = KEYBOARD_PAGE if args.keyboard else None
    if keyboard_page and not (root / keyboard_page).exists():
        print(f"no {keyboard_page} in {root} for the keyboard check (--no-keyboard skips it)",
              file=sys.stderr)
        return 2
    overflow = args.code_overflow or args.strict_code_overflow
    start = time.perf_counter()
    reports = check_site(root, screenshots=Path(args.screenshots), axe=args.axe,
                         code_overflow=overflow, keyboard_page=keyboard_page,
                         timeout_s=args.timeout)
    if args.strict_code_overflow:
        for r in reports:
            r.problems += r.overflow
    bad = [r for r in reports if r.problems]
    for r in reports:
        print(f"{'ok  ' if not r.problems else 'FAIL'} {r.page:45s} {r.seconds:5.1f} s")
        for p in r.problems:
            print(f"       - {p}")
        if not args.strict_code_overflow:
            for o in r.overflow:
                print(f"       ~ {o}")
        minor = [(rule, impact, n) for rule, impact, n in r.axe if impact not in AXE_FAILING_IMPACTS]
        for rule, impact, n in minor:
            print(f"       ~ accessibility {rule} ({impact}, not failed): {n} element(s)")
    print(f"{len(reports)} pages, {len(bad)} failing, {time.perf_counter() - start:.1f} s; "
          f"screenshots in {args.screenshots}/")
    if args.axe:
        counts = {}
        for r in reports:
            for rule, impact, n in r.axe:
                counts[(rule, impact)] = counts.get((rule, impact), 0) + n
        summary = ", ".join(f"{rule} ({impact}) {n}" for (rule, impact), n in sorted(counts.items()))
        print(f"accessibility (axe-core, {'/'.join(AXE_TAGS)}): {summary or 'no violations'}")
    if overflow:
        n_over = sum(len(r.overflow) for r in reports)
        print(f"code overflow: {n_over} code block(s) wider than their box on "
              f"{sum(bool(r.overflow) for r in reports)} page(s)"
              + ("" if args.strict_code_overflow else " (reported, not failed)"))
    print(f"site: {len(reports) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
