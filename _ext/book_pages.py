"""Small fixes to the pages Jupyter Book 1 writes, found by the real-browser site check.

- sphinx-thebe 0.3.1 registers its inline configuration script once per read phase, and Jupyter
  Book triggers two, so every page declared ``const THEBE_JS_URL`` twice: a JavaScript error before
  a reader clicks anything. Each page now lists every script once.
- pydata-sphinx-theme logs "Got invalid theme mode" on a reader's first visit when no colour mode
  is configured; the book sets one (``auto``: follow the reader's system).
- docutils marks each bibliography entry ``role="doc-biblioentry"`` inside a ``role="list"``: ARIA
  deprecated that role, so a screen reader meets a list without items (axe-core's
  aria-required-children, critical). The entries become ``role="listitem"``.
"""
from __future__ import annotations


def _unique_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # an inline script is registered with filename None by one caller and '' by another
        key = (getattr(script, "filename", script) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _bibliography_items(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def _default_mode(app, config):
    config.html_context.setdefault("default_mode", "auto")


def setup(app):
    app.connect("config-inited", _default_mode)
    app.connect("html-page-context", _unique_scripts, priority=900)
    app.connect("html-page-context", _bibliography_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
