"""Print the built book to one PDF with the system Chromium (``make pdf``); no TeX needed.

Usage: python .ci/print_pdf.py [_build/html] [_build/pdf/physics-of-ai.pdf]
Every page of the table of contents (intro, chapters, back matter) is opened in reading order, its
formulas typeset by the site's own MathJax, printed with the theme's print style, and the pages are
joined with pypdf. (Sphinx's one-page builder cannot render myst-nb's hidden-input cells.)
"""
import importlib.util
import re
import sys
import time
from pathlib import Path

_spec = importlib.util.spec_from_file_location("check_site", Path(__file__).with_name("check_site.py"))
check_site = importlib.util.module_from_spec(_spec)
sys.modules["check_site"] = check_site
_spec.loader.exec_module(check_site)

ROOT = Path(__file__).resolve().parents[1]


def toc_pages() -> list[str]:
    """The book's pages in reading order, as HTML paths relative to the site root."""
    toc = (ROOT / "_toc.yml").read_text()
    root = re.search(r"^root:\s*(\S+)", toc, re.M).group(1)
    return [f"{name}.html" for name in [root, *re.findall(r"file:\s*(\S+)", toc)]]


def main(site: str = "_build/html", dest: str = "_build/pdf/physics-of-ai.pdf") -> int:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfWriter

    start = time.perf_counter()
    site, out = Path(site).resolve(), Path(dest)
    parts_dir = out.parent / "pages"
    parts_dir.mkdir(parents=True, exist_ok=True)
    server, base = check_site.serve(site)
    parts = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=check_site.CHROMIUM, args=check_site.CHROMIUM_ARGS)
            page = browser.new_page()
            for i, rel in enumerate(toc_pages()):
                page.goto(base + rel, wait_until="load", timeout=120_000)
                if page.evaluate("() => !!document.querySelector('.math')"):
                    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                           timeout=120_000)
                    page.evaluate("() => MathJax.startup.promise")
                page.emulate_media(media="print")
                part = parts_dir / f"{i:02d}.pdf"
                page.pdf(path=str(part), format="A4", print_background=True,
                         margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
                parts.append(part)
            browser.close()
    finally:
        server.shutdown()
    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    with open(out, "wb") as fh:
        writer.write(fh)
    print(f"{out}: {len(writer.pages)} pages, {out.stat().st_size / 1e6:.1f} MB, "
          f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
