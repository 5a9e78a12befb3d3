"""The built site as a reader sees it (the build is the session fixture ``site``, shared with
tests/test_docs.py).

From the HTML: no raw Sphinx roles; every formula sits where MathJax typesets it (the classes
listed in docs/javascripts/mathjax.js); MathJax is the vendored file, no script comes from the
internet; each notebook page links its .ipynb. With headless Chromium (skipped without it): a
notebook page and an API page, served on 127.0.0.1 with every other host unresolvable, come
out typeset, with no TeX error, no formula left raw and no console error.
"""
from __future__ import annotations

import functools
import json
import re
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ._chromium import _chromium, chromium_flags, console_errors, run_chromium

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MATHJAX_JS = ROOT / "docs" / "javascripts" / "mathjax.js"
VENDORED = "javascripts/tex-svg-full.js"

# What MathJax leaves alone wherever it is (its default skipHtmlTags), and elements that are
# not text.
SKIP_TAGS = {"script", "noscript", "style", "textarea", "pre", "code", "annotation",
             "annotation-xml"}
# Code on the page that is not prose: the hidden copy of a notebook cell's source (for the copy
# button; not typeset, as it should not be).
CODE_CLASSES = {"clipboard-copy-txt"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
ROLE = re.compile(r":(?:class|func|meth|attr|mod|obj|data|exc|py:\w+):`")
# TeX that MathJax would typeset if it looked: display and inline delimiters, environments,
# and a $...$ pair holding a TeX command, a sub- or superscript.
TEX = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|\$[^$\s][^$]*?[\\^_][^$]*?\$")


def process_classes() -> set[str]:
    """The classes whose elements mathjax.js typesets, read from the file itself."""
    m = re.search(r"PROCESS_CLASSES\s*=\s*(\[[^\]]*\])", MATHJAX_JS.read_text(encoding="utf-8"))
    assert m, "docs/javascripts/mathjax.js has no PROCESS_CLASSES list"
    return set(json.loads(m.group(1)))


class _Text(HTMLParser):
    """Each text node with: inside a skipped tag? inside an element MathJax typesets?"""

    def __init__(self, classes: set[str]):
        super().__init__(convert_charrefs=True)
        self.classes = classes
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, typeset, skipped) per element
        self.texts: list[tuple[str, bool, bool]] = []  # (text, skipped, typeset)
        self.scripts: list[str | None] = []  # src of each <script> (None: inline)
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a.get("src"))
        if tag == "a":
            self.links.append(a)
        if tag not in VOID:
            cls = set((a.get("class") or "").split())
            self.stack.append((tag, bool(self.classes & cls),
                               tag in SKIP_TAGS or bool(cls & CODE_CLASSES)))

    def handle_startendtag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if data.strip():
            self.texts.append((data, any(s for _, _, s in self.stack),
                               any(t for _, t, _ in self.stack)))


def parse(html: str) -> _Text:
    p = _Text(process_classes())
    p.feed(html)
    p.close()
    return p


@functools.lru_cache(maxsize=None)
def parse_page(page: Path) -> _Text:
    return parse(page.read_text(encoding="utf-8"))


def raw_math(p: _Text, *, typeset_too: bool = False) -> list[str]:
    """TeX in text MathJax does not typeset (with ``typeset_too``: in any text it would see)."""
    return [m.group(0) + " in " + repr(text.strip()[:120])
            for text, skipped, typeset in p.texts
            if not skipped and (typeset_too or not typeset) for m in TEX.finditer(text)]


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _rel(site: Path, page: Path) -> str:
    return str(page.relative_to(site))


# ----------------------------------------------------------------------------- the HTML
@pytest.mark.slow
def test_no_raw_sphinx_roles(site: Path):
    bad = [f"{_rel(site, page)}: {text.strip()[:100]!r}" for page in pages(site)
           for text, _, _ in parse_page(page).texts if ROLE.search(text)]
    assert bad == []
    # and the cross-references that replaced them are links
    api = (site / "api" / "optim" / "index.html").read_text(encoding="utf-8")
    assert 'class="autorefs autorefs-internal"' in api


@pytest.mark.slow
def test_every_formula_is_where_mathjax_typesets(site: Path):
    bad, typeset = {}, {}
    for page in pages(site):
        p = parse_page(page)
        if raw_math(p):
            bad[_rel(site, page)] = raw_math(p)[:5]
        typeset[_rel(site, page)] = len(raw_math(p, typeset_too=True))
    assert bad == {}
    # the formulas are there to typeset: every notebook page, the engine tour, an API page
    for nb in NOTEBOOKS:
        source = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                         if c["cell_type"] == "markdown")
        if "$" in source:
            assert typeset[f"notebooks/{nb.stem}/index.html"] > 0, nb.name
    assert typeset["custom_ops/index.html"] > 10
    assert typeset["api/functional/index.html"] > 5


@pytest.mark.slow
def test_mathjax_is_the_vendored_copy_and_nothing_loads_from_the_internet(site: Path):
    vendored = site / VENDORED
    assert vendored.stat().st_size > 1_000_000  # the whole of MathJax (TeX input, SVG output)
    assert "MathJax" in vendored.read_text(encoding="utf-8")[:400]
    for page in pages(site):
        p = parse_page(page)
        srcs = [s for s in p.scripts if s]
        remote = [s for s in srcs if re.match(r"(https?:)?//", s)]
        assert remote == [], _rel(site, page)
        if page.name not in ("index.html", "404.html"):
            continue  # not a page of the site (e.g. a stepper's offline player a notebook saved)
        mathjax = [s for s in srcs if s.endswith(VENDORED.split("/")[-1])]
        assert len(mathjax) == 1, (_rel(site, page), srcs)  # loaded once, from the site
        where = site / mathjax[0].lstrip("/") if mathjax[0].startswith("/") else \
            page.parent / mathjax[0]  # (404.html links from the root)
        assert where.resolve() == vendored.resolve()


@pytest.mark.slow
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_page_links_its_ipynb(site: Path, nb: Path):
    page = site / "notebooks" / nb.stem / "index.html"
    links = [a for a in parse_page(page).links
             if a.get("href") == nb.name]
    assert links, f"no link to {nb.name} on its page"
    assert all("download" in a for a in links)
    # the link is relative to the page, and the file there is the committed notebook
    assert (page.parent / nb.name).read_bytes() == nb.read_bytes()


# ----------------------------------------------------------------------------- in a browser
class _Quiet(SimpleHTTPRequestHandler):
    failed: list[str]

    def log_message(self, format, *args):  # noqa: A002  (the base class's name)
        pass

    def send_response(self, code, message=None):
        if code >= 400:
            self.failed.append(f"{code} {self.path}")
        super().send_response(code, message)


@pytest.fixture(scope="module")
def served(site: Path):
    """The site on http://127.0.0.1:<port>/ (a thread), and the requests that failed."""
    failed: list[str] = []
    handler = type("Handler", (_Quiet,), {"failed": failed})
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", failed
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("path", ["notebooks/02_backprop_by_hand/", "api/functional/"])
def test_page_is_typeset_in_headless_chromium(served, path: str, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium not installed")
    base, failed = served
    flags = chromium_flags(exe, tmp_path / "profile", offline=True)
    r = run_chromium(flags + ["--virtual-time-budget=10000", "--dump-dom", base + path])
    dom = r.stdout
    assert "</html>" in dom, r.stderr[-2000:]
    n = dom.count("<mjx-container")
    assert n > 0, "MathJax produced no output"
    assert not re.search(r'<g [^>]*data-mml-node="merror"', dom)  # no TeX error
    assert raw_math(parse(dom), typeset_too=True) == []  # every formula was typeset
    assert console_errors(r.stderr) == []
    assert failed == []  # no request for a missing file
