"""Pure formatting for the workspace: source labels, highlighted passages, chat and export.

Document text is text: the chat, the passage view and the export show quotes, titles and
names escaped; only the product's own markup (list items led by a bold committee label, the
export's headings and references) is markup.
"""

from __future__ import annotations

import html
import re
from typing import Any

from api.catalog import passage_context
from rag.markup import md_literal, md_unescape
from rag.types import ChatTurn
from ui.texts import t

# The one piece of Markdown the answer composer writes (rag/answer.py): "- **Label**: ”quote” [n]".
_LIST_ITEM = re.compile(r"^- \*\*(.+?)\*\*: (.*)$")
# Citation markers stay as written: with every "[" of the document escaped, no link
# reference definition can exist, so a bare "[1]" is text.
_MARKER = re.compile(r"\\\[(\d+)\\\]")


def source_label(c: dict[str, Any], lang: str) -> str:
    parts = [c.get("title") or c.get("source") or c.get("doc_id", "")]
    if c.get("committee"):
        parts.append(c["committee"])
    if c.get("section_path"):
        parts.append(c["section_path"])
    if c.get("page") is not None:
        parts.append(f"{t(lang, 'page')} {c['page']}")
    return f"[{c['n']}] " + " — ".join(str(p) for p in parts)


def passage_html(c: dict[str, Any], doc_text: str | None, lang: str) -> str:
    """The cited passage highlighted inside the document's cleaned text."""
    head = f"<p class='rs-source-head'><strong>{html.escape(source_label(c, lang))}</strong></p>"
    start, end = c.get("char_start"), c.get("char_end")
    if doc_text and isinstance(start, int) and isinstance(end, int) and end > start:
        before, passage, after = passage_context(doc_text, start, end)
    else:  # no offsets: show the passage alone
        before, passage, after = "", str(c.get("text", "")), ""
    return (
        f"<div class='rs-passage'>{head}<div class='rs-context' tabindex='0'>{html.escape(before)}"
        f"<mark>{html.escape(passage)}</mark>{html.escape(after)}</div></div>"
    )


def chat_markdown(text: str) -> str:
    """An answer (or a question) as Markdown in which all text is literal, except the
    composer's list items, whose committee label stays bold."""
    lines = []
    for line in str(text).split("\n"):
        m = _LIST_ITEM.match(line)
        lines.append(f"- **{md_literal(m[1])}**: {md_literal(m[2])}" if m else md_literal(line))
    return _MARKER.sub(r"[\1]", "\n".join(lines))


def chat_history(messages: list[dict[str, Any]]) -> list[ChatTurn]:
    """The chat's turns as plain text for rag/: Gradio hands content back as a list of parts,
    and the text shown was escaped by :func:`chat_markdown`."""
    turns = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
        turns.append(ChatTurn(role=m["role"], content=md_unescape(str(content or ""))))
    return turns


def export_markdown(answer: dict[str, Any] | None, lang: str) -> str:
    if not answer:
        return ""
    question = md_literal(" ".join(str(answer["question"]).split()))
    lines = [f"**{t(lang, 'question_label')}:** {question}", "", chat_markdown(answer["answer"].strip()), ""]
    citations = answer.get("citations") or []
    if citations:
        lines += [f"### {t(lang, 'references')}", ""]
        for c in citations:
            quote = " ".join(str(c.get("text", "")).split())
            quote = quote if len(quote) <= 300 else quote[:297] + "…"
            label = source_label(c, lang).split("] ", 1)[1]
            lines.append(f"{c['n']}. {md_literal(label)} ({md_literal(c.get('source', ''))})")
            lines.append(f"   > {md_literal(quote)}")
    return "\n".join(lines).rstrip() + "\n"
