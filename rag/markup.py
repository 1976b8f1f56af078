"""Document text as literal Markdown (shared by every export and the workspace's chat).

Document text is data: a quote holding ``<img src=x onerror=…>``, ``![x](https://…)``,
``[link](https://…)`` or a bare URL must be shown as those characters, never become an
element, a link or a request. CommonMark lets any ASCII punctuation be escaped with a
backslash, so :func:`md_literal` escapes every character that could start markup — HTML,
emphasis, links and images, code, tables, headings, lists, quotes, entities — and breaks
GFM's bare-URL and e-mail autolinks. The escaping is lossless: :func:`md_unescape` gives
the text back.
"""

from __future__ import annotations

import re

# Characters that start or close inline markup anywhere in a line.
_INLINE = re.compile(r"([\\`*\[\]<>|~#&!(){}+$])")
# "_" only opens or closes emphasis next to a non-alphanumeric character (CommonMark),
# so a file name's "004_e3f2…" stays as it is.
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# GFM autolinks: scheme://…, www.…, and e-mail addresses.
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp)(:)(?=//)|\b(www)(\.)|(@)")
# Block markup at the start of a line: list bullets, ordered items, setext underlines.
_LINE_START = re.compile(r"(?m)^([ \t]*)([-=]|\d+(?=\.))")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def md_literal(text: str) -> str:
    """``text`` as Markdown that renders exactly as ``text`` (no element, link or image)."""
    out = _INLINE.sub(r"\\\1", str(text))
    out = _UNDERSCORE.sub(r"\\_", out)
    out = _AUTOLINK.sub(lambda m: "".join(f"\\{g}" if g in (":", ".", "@") else g for g in m.groups() if g), out)
    # "- x", "= x" and "2024. x" at a line's start would become a list item or a heading.
    return _LINE_START.sub(lambda m: m[1] + (f"\\{m[2]}" if m[2] in "-=" else f"{m[2]}\\"), out)


def md_unescape(markdown: str) -> str:
    """The inverse of :func:`md_literal` (removes one backslash before ASCII punctuation)."""
    return _ESCAPED.sub(r"\1", markdown)
