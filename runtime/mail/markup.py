"""HTML in mail, both ways: a customer's HTML read as plain text, and our HTML cleaned before it goes.

Both are built on the standard library's tokenizer (html.parser), which only reads: nothing in a
mail is ever executed. What a customer's HTML says reaches a flow as text alone (scripts, styles
and comments are dropped with their content), and what we send keeps only an allow-list of
harmless tags and attributes.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# elements whose content is never text a person reads
_SILENT = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe",
                     "object", "embed", "svg", "math"})
# elements that start a new line where they open and close
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4",
                     "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header",
                     "footer", "dd", "dt", "dl"})
# what our own mail's HTML may hold: formatting, lists, tables and links, nothing active
_ALLOWED = frozenset({"p", "br", "b", "strong", "i", "em", "u", "a", "ul", "ol", "li", "h1", "h2",
                      "h3", "h4", "blockquote", "pre", "code", "hr", "table", "thead", "tbody",
                      "tr", "td", "th", "span", "div", "small"})
_VOID = frozenset({"br", "hr"})
_SAFE_URL = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextReader(HTMLParser):
    """Collects the readable text of an HTML document, line breaks where blocks are."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._silent = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SILENT:
            self._silent += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SILENT:
            self._silent = max(0, self._silent - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._silent:
            self.parts.append(data)


def html_to_text(source: str) -> str:
    """Return the readable text of an HTML mail part: no markup, no scripts, no styles."""
    reader = _TextReader()
    reader.feed(source)
    reader.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(reader.parts).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _Cleaner(HTMLParser):
    """Rewrites HTML keeping allowed tags (with safe links only) and escaped text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._silent = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SILENT:
            self._silent += 1
            return
        if self._silent or tag not in _ALLOWED:
            return
        kept = ""
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if _SAFE_URL.match(href.strip()):
                kept = f' href="{html.escape(href.strip(), quote=True)}"'
        self.out.append(f"<{tag}{kept}>")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if not self._silent and tag in _VOID:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SILENT:
            self._silent = max(0, self._silent - 1)
        elif not self._silent and tag in _ALLOWED and tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self._silent:
            self.out.append(html.escape(data, quote=False))


def clean_html(source: str) -> str:
    """Return HTML with only harmless formatting left: no scripts, handlers, styles or frames."""
    cleaner = _Cleaner()
    cleaner.feed(source)
    cleaner.close()
    return "".join(cleaner.out)


def text_to_html(text: str) -> str:
    """Return plain text as escaped HTML paragraphs, its line breaks kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
