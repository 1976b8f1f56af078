"""Pure formatting for the workspace: source labels, highlighted passages, Markdown export."""

from __future__ import annotations

import html
from typing import Any

from api.catalog import passage_context
from ui.texts import t


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


def export_markdown(answer: dict[str, Any] | None, lang: str) -> str:
    if not answer:
        return ""
    lines = [f"**{t(lang, 'question_label')}:** {answer['question']}", "", answer["answer"].strip(), ""]
    citations = answer.get("citations") or []
    if citations:
        lines += [f"### {t(lang, 'references')}", ""]
        for c in citations:
            quote = " ".join(str(c.get("text", "")).split())
            quote = quote if len(quote) <= 300 else quote[:297] + "…"
            lines.append(f"{c['n']}. {source_label(c, lang).split('] ', 1)[1]} ({c.get('source', '')})")
            lines.append(f"   > {quote}")
    return "\n".join(lines).rstrip() + "\n"
