"""Notes' Markdown becomes safe HTML: raw HTML is shown as text, only http(s)/mailto links
survive (with rel="noopener noreferrer nofollow"), images become their alt text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from muster.domain.incidents.markdown import LINK_REL, render_markdown, safe_url


class _Tags(HTMLParser):
    """Every (tag, attributes) the browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


ALLOWED_TAGS = {"p", "strong", "em", "code", "pre", "a", "span", "ul", "ol", "li", "br",
                "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}  # fmt: skip
ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<div>\n<iframe src=javascript:alert(1)></iframe>\n</div>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x" onerror="alert(1)](http://img.example/a.png)',
    "![x](javascript:alert(1))",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<style>body{display:none}</style>",
    "`<b>` and ```<i>```",
    "```\n<script>alert(1)</script>\n```",
    "```{.x onclick=alert(1)}\ncode\n```",
    '<p style="x" onclick="alert(1)">para</p>',
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_attack_reaches_the_page(attack: str) -> None:
    html = render_markdown(attack)
    for tag, attrs in tags(html):
        assert tag in ALLOWED_TAGS, (attack, html)
        assert not any(name.startswith("on") for name in attrs), (attack, html)
        assert not {"style", "src"} & attrs.keys(), (attack, html)
        if tag == "a":
            assert safe_url(attrs.get("href") or ""), (attack, html)
            assert attrs["rel"] == LINK_REL
        if "class" in attrs:
            assert re.fullmatch(r"language-[\w.+#-]*", attrs["class"] or ""), (attack, html)
        for value in attrs.values():  # (shown as text, the words are harmless)
            assert not re.search(r"(?i)(java|vb)script:|data:", value or ""), (attack, html)


def test_raw_html_is_shown_as_text() -> None:
    assert render_markdown("<b>bold?</b> <script>x</script>") == (
        "<p>&lt;b&gt;bold?&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;</p>"
    )


def test_good_links_keep_their_target_with_rel() -> None:
    html = render_markdown(
        "See [the dashboard](https://grafana.example/d/1?x=1&y=2), <http://status.example>, "
        "[mail](mailto:oncall@example.com) and <sre@example.com>."
    )
    links = [attrs for tag, attrs in tags(html) if tag == "a"]
    hrefs = [a["href"] for a in links]
    assert hrefs == [
        "https://grafana.example/d/1?x=1&y=2", "http://status.example",
        "mailto:oncall@example.com", "mailto:sre@example.com",
    ]  # fmt: skip
    assert all(a["rel"] == "noopener noreferrer nofollow" for a in links)


def test_relative_and_other_schemes_become_text() -> None:
    for url in ("/incidents/1", "#top", "ftp://files.example/x", "//evil.example", "tel:123"):
        html = render_markdown(f"[here]({url})")
        assert html == "<p><span>here</span></p>", url


def test_ordinary_markdown_still_works() -> None:
    html = render_markdown(
        "# Timeline\n\n- **10:02** failover\n- `kubectl rollout undo`\n\nline\nbreak"
    )
    assert "<h1>Timeline</h1>" in html
    assert "<li><strong>10:02</strong> failover</li>" in html
    assert "<code>kubectl rollout undo</code>" in html
    assert "line<br>\nbreak" in html


def test_images_become_their_alt_text() -> None:
    assert render_markdown("![graph of errors](https://img.example/g.png)") == (
        "<p><span>graph of errors</span></p>"
    )
