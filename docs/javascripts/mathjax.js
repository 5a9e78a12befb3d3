// MathJax 3 configuration for the site (MathJax itself is vendored: tex-svg-full.js beside this).
//
// Two kinds of pages carry formulas:
// - Markdown pages and the API reference: pymdownx.arithmatex (generic mode) wraps each formula
//   in an element of class "arithmatex" holding \( ... \) or \[ ... \].
// - Notebook pages (mkdocs-jupyter, via nbconvert): markdown cells keep the notebook's own
//   $ ... $ and $$ ... $$, anywhere inside an element of class "jp-RenderedMarkdown"
//   (text/latex outputs: "jp-RenderedLatex").
// - The table of contents ("md-nav--secondary"), where a heading with a formula is listed.
// Only those elements are typeset (with everything inside them, except code), so a "$"
// anywhere else on a page (code, program output, a graph drawing) is left alone, and each
// formula is typeset once. tests/test_site.py reads PROCESS_CLASSES and checks the built
// HTML against it.
var PROCESS_CLASSES = [
  "arithmatex", "jp-RenderedMarkdown", "jp-RenderedLatex", "md-nav--secondary"
];

window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true
  },
  svg: {
    // each formula carries its own glyphs: nothing shared between pages to clear
    fontCache: "local"
  },
  startup: {
    // no typesetting of the whole page at startup: typesetMath below does it, once per page
    typeset: false
  }
};

// The outermost elements of the page that hold math (a nested one is typeset with its parent).
function mathElements() {
  var selector = PROCESS_CLASSES.map(function (c) { return "." + c; }).join(", ");
  return Array.prototype.filter.call(document.querySelectorAll(selector), function (el) {
    return !(el.parentElement && el.parentElement.closest(selector));
  });
}

function typesetMath() {
  return MathJax.startup.promise.then(function () {
    MathJax.typesetClear();
    MathJax.texReset();
    var elements = mathElements();
    return elements.length ? MathJax.typesetPromise(elements) : null;
  });
}

// mkdocs-material emits document$ once the page is there (and after each instant-navigation
// load).
document$.subscribe(typesetMath);
