"""Event handlers of the workspace; each is one call into rag/ (or a read of the index)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from api import catalog
from api.privacy import log_answer
from radslag.components import Components
from radslag.settings import Settings
from rag.types import Answer, Filters
from ui.render import chat_history, chat_markdown, export_markdown, passage_html, source_label
from ui.texts import t

log = logging.getLogger(__name__)
Messages = list[dict[str, str]]


def _source_choices(citations: list[dict[str, Any]], lang: str) -> list[tuple[str, str]]:
    return [(source_label(c, lang), str(c["n"])) for c in citations]


class Handlers:
    def __init__(self, components: Components, settings: Settings | None = None) -> None:
        self.components = components
        # The app's settings decide question logging (they may differ from the components' own).
        self.settings = settings or components.settings

    def filter_choices(self) -> tuple[Any, Any]:
        committees = [c["name"] for c in catalog.committees(self.components)]
        docs = [(d["title"] or d["source"], d["doc_id"]) for d in catalog.documents(self.components)]
        return gr.update(choices=committees), gr.update(choices=docs)

    def respond(
        self, question: str, messages: Messages, committees: list[str] | None, doc_ids: list[str] | None, lang: str
    ) -> Iterator[tuple[Any, ...]]:
        """Stream the answer into the chat; then fill sources and export."""
        question = (question or "").strip()
        if not question:
            yield messages, question, gr.update(), gr.update(), gr.update(), gr.update()
            return
        history = chat_history(messages)
        filters = Filters(committee=committees or None, doc_id=doc_ids or None)
        shown = [*messages, {"role": "user", "content": chat_markdown(question)}, {"role": "assistant", "content": ""}]
        yield shown, "", gr.update(choices=[], value=None), "", "", None
        text = ""
        try:
            for item in self.components.pipeline.stream(question, history, filters):
                if isinstance(item, Answer):
                    log_answer(self.settings, item, "/ui")
                    answer = item.model_dump()
                    shown[-1] = {"role": "assistant", "content": chat_markdown(item.answer)}
                    cites = answer["citations"]
                    info = t(lang, "sources_hint") if cites else t(lang, "no_sources")
                    yield (
                        shown, "", gr.update(choices=_source_choices(cites, lang), value=None, info=info),
                        "", export_markdown(answer, lang), answer,
                    )
                    return
                text += item
                shown[-1] = {"role": "assistant", "content": chat_markdown(text)}
                yield shown, "", gr.update(), gr.update(), gr.update(), gr.update()
        except Exception:
            log.exception("answering failed in the workspace")
            shown[-1] = {"role": "assistant", "content": t(lang, "error")}
            yield shown, "", gr.update(), "", "", None

    def show_source(self, n: str | None, answer: dict[str, Any] | None, lang: str) -> str:
        if not n or not answer:
            return ""
        cite = next((c for c in answer.get("citations", []) if str(c["n"]) == str(n)), None)
        if cite is None:
            return ""
        return passage_html(cite, self.components.documents.text(cite["doc_id"]), lang)

    @staticmethod
    def clear() -> tuple[Any, ...]:
        return [], "", gr.update(choices=[], value=None), "", "", None

    @staticmethod
    def relabel(choice: str, answer: dict[str, Any] | None) -> tuple[Any, ...]:
        """Switch every label to the chosen language."""
        lang = "en" if choice == "English" else "sv"
        cites = (answer or {}).get("citations", [])
        return (
            lang,
            t(lang, "header"),
            gr.update(label=t(lang, "language")),
            gr.update(label=t(lang, "chat")),
            gr.update(label=t(lang, "question"), placeholder=t(lang, "placeholder")),
            gr.update(value=t(lang, "send")),
            gr.update(value=t(lang, "clear")),
            gr.update(label=t(lang, "filters")),
            gr.update(label=t(lang, "committees")),
            gr.update(label=t(lang, "documents")),
            gr.update(label=t(lang, "sources"), choices=_source_choices(cites, lang), info=t(lang, "sources_hint")),
            gr.update(label=t(lang, "passage")),
            gr.update(label=t(lang, "export"), value=export_markdown(answer, lang)),
        )
