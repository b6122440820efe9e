"""Notes are Markdown; this turns them into HTML that is safe to put in a page.

Safe means: raw HTML in the text is shown as text (escaped), never interpreted; links
keep their target only when it is an absolute ``http``, ``https`` or ``mailto`` URL (any
other link becomes plain text), and carry ``rel="noopener noreferrer nofollow"``; images
become their alt text (no remote fetches, no ``data:`` URLs).
"""

from __future__ import annotations

import functools
import html
import threading
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Browsers ignore these around (and tabs/newlines inside) a URL before finding its scheme.
_STRIPPED = "".join(chr(c) for c in range(0x21))
_REMOVED = str.maketrans("", "", "\t\n\r")


def safe_url(url: str) -> bool:
    """Whether ``url`` (as it will reach the browser) is an absolute http(s)/mailto URL."""
    decoded = html.unescape(url.replace(AMP_SUBSTITUTE, "&"))
    cleaned = decoded.strip(_STRIPPED).translate(_REMOVED)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return False
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return False
    if parts.scheme.lower() == "mailto":
        return bool(parts.path)
    return bool(parts.netloc)


class _SafeLinks(Treeprocessor):  # type: ignore[misc]  # (the library has no types)
    """Keeps safe links (with ``rel``), turns the rest and every image into text."""

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            if element.tag == "a":
                href = element.get("href", "")
                title = element.get("title")
                element.attrib.clear()
                if safe_url(href):
                    element.set("href", href)
                    if title:
                        element.set("title", title)
                    element.set("rel", LINK_REL)
                else:
                    element.tag = "span"
            elif element.tag == "img":
                alt = element.get("alt", "")
                element.attrib.clear()
                element.tag = "span"
                element.text = alt


class _NoRawHtml(Extension):  # type: ignore[misc]
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # After every inline pattern and the unescaping of backslash escapes.
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)


_local = threading.local()


def _converter() -> markdown.Markdown:
    """This thread's converter (building one costs ~2 ms; one is not thread-safe)."""
    converter: markdown.Markdown | None = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(
            extensions=[_NoRawHtml(), "fenced_code", "nl2br", "sane_lists"], output_format="html"
        )
    return converter


@functools.lru_cache(maxsize=2048)
def render_markdown(text: str) -> str:
    """``text`` (Markdown) as safe HTML (a fragment: paragraphs, lists, code, links).
    Remembered for the last 2,048 texts: a timeline shows the same notes again and again."""
    converter = _converter()
    try:
        rendered: str = converter.convert(text)
    finally:
        converter.reset()
    return rendered
