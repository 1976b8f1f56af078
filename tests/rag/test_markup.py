"""Document text as literal Markdown: every way text could become markup is escaped, losslessly.

The rendering itself (no element, no request) is checked in a real browser in
tests/ui/test_document_text.py; here the escaping's contract (the workspace's use of it:
tests/ui/test_render.py).
"""

from __future__ import annotations

import pytest

from rag.markup import md_literal, md_unescape

PAYLOADS = [
    "Testnämnden anser att <img src=x onerror=alert(1)> och ![bild](http://198.51.100.7/x.png) är bra.",
    "[länk](https://example.org) <a href='https://example.org'>a</a> &lt;b&gt; &#60;i&#62;",
    "Se https://example.org, www.example.org eller skriv till kansli@example.org.",
    "**fet** *kursiv* _kursiv_ __fet__ ~~struken~~ `kod` $$x$$ | a | b |",
    "- punkt\n+ punkt\n* punkt\n1. ett\n2024) två\n# Rubrik\n> citat\n===\n---\n```\nkod\n```",
    "C:\\Users\\x \\*inte fet\\* \\\\",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_literal_is_lossless(text: str) -> None:
    assert md_unescape(md_literal(text)) == text


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("<img src=x>", "\\<img src=x\\>"),
        ("![a](u)", "\\!\\[a\\]\\(u\\)"),
        ("http://198.51.100.7/x.png", "http\\://198.51.100.7/x.png"),
        ("www.example.org", "www\\.example.org"),
        ("a@b.se", "a\\@b.se"),
        ("&amp;", "\\&amp;"),
        ("- a\n2024. b\n= c", "\\- a\n2024\\. b\n\\= c"),
        ("_x_ 004_e3f2", "\\_x\\_ 004_e3f2"),  # an underscore inside a word cannot emphasise
    ],
)
def test_literal_escapes_what_would_be_markup(text: str, literal: str) -> None:
    assert md_literal(text) == literal
