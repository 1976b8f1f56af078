"""Saved conversations in the workspace: every answered turn is stored; list, reopen, delete.

Saving listens to the ``answer`` state rather than to the send button, so however a question
is sent (button, Enter, example) its answer is kept. A turn is appended only when the chat
holds more questions than the stored conversation, which makes reopening (which also sets
``answer``) a no-op for the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from radslag.components import Components
from radslag.settings import Settings
from ui.feedback import THUMBS
from ui.identity import Identity
from ui.render import export_markdown, source_label
from ui.texts import t

Messages = list[dict[str, Any]]


@dataclass
class ConversationsUI:
    conv_id: gr.State
    accordion: gr.Accordion
    picker: gr.Dropdown
    open_btn: gr.Button
    delete_btn: gr.Button
    status: gr.Markdown


def turn_messages(turns: list[Any]) -> Messages:
    messages: Messages = []
    for turn in turns:
        messages += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": turn.answer["answer"]}]
    return messages


def _text(content: Any) -> str:
    """A chat message's text (Gradio may hand content back as a list of typed parts)."""
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


class ConversationHandlers:
    def __init__(self, components: Components, identity: Identity) -> None:
        self.components = components
        self.identity = identity

    def choices(self, user: str, value: str | None = None) -> Any:
        items = self.components.conversations.list(user)
        shown = [(f"{c.title} ({c.updated_at:%Y-%m-%d %H:%M})", c.id) for c in items]
        return gr.update(choices=shown, value=value if any(c.id == value for c in items) else None)

    def load(self, request: gr.Request) -> Any:
        user = self.identity.user(request)
        return self.choices(user) if user else gr.update(choices=[], value=None)

    def save(self, answer: dict[str, Any] | None, messages: Messages, conv_id: str | None, request: gr.Request) -> tuple[Any, Any]:
        """Keep the newest turn; a cleared chat means the next question starts a new conversation."""
        user = self.identity.user(request)
        if not messages:
            return None, gr.update()
        if user is None or not answer or not answer.get("question"):
            return conv_id, gr.update()
        asked = [_text(m.get("content")) for m in messages if m.get("role") == "user"]
        stored = [turn.question for turn in self.components.conversations.turns(user, conv_id) or []] if conv_id else []
        if asked[: len(stored)] != stored:  # the chat is not this conversation any more (cleared, replaced)
            conv_id, stored = None, []
        if len(asked) <= len(stored):  # reopened, or already saved
            return conv_id, gr.update()
        conv_id = self.components.conversations.append(user, conv_id, asked[-1], answer)
        return conv_id, self.choices(user, conv_id)

    def reopen(self, chosen: str | None, lang: str, request: gr.Request) -> tuple[Any, ...]:
        user = self.identity.user(request)
        turns = self.components.conversations.turns(user, chosen) if user and chosen else None
        if not turns:
            return (gr.update(),) * 6 + (t(lang, "none_picked"),)
        last = turns[-1].answer
        cites = last.get("citations") or []
        sources = gr.update(choices=[(source_label(c, lang), str(c["n"])) for c in cites], value=None, info=t(lang, "sources_hint"))
        # The thumbs given before, one entry per answer in order (None: no verdict).
        verdicts = self.components.feedback.of_conversation(user, chosen) if user and chosen else {}
        thumbs = [THUMBS.get(verdicts[i].verdict) if i in verdicts else None for i in range(len(turns))]
        chat = gr.update(value=turn_messages(turns), feedback_value=thumbs)
        return chat, last, chosen, sources, "", export_markdown(last, lang), ""

    def delete(self, chosen: str | None, conv_id: str | None, lang: str, request: gr.Request) -> tuple[Any, ...]:
        user = self.identity.user(request)
        if not user or not chosen or not self.components.conversations.delete(user, chosen):
            return gr.update(), conv_id, gr.update(), gr.update(), t(lang, "none_picked")
        if chosen == conv_id:  # the open conversation is gone: start afresh
            return self.choices(user), None, [], None, t(lang, "deleted")
        return self.choices(user), conv_id, gr.update(), gr.update(), t(lang, "deleted")

    @staticmethod
    def relabel(lang: str) -> tuple[Any, ...]:
        return (
            gr.update(label=t(lang, "saved")),
            gr.update(label=t(lang, "saved_pick"), info=t(lang, "saved_info")),
            gr.update(value=t(lang, "open")),
            gr.update(value=t(lang, "delete_conv")),
        )


def build_conversations(
    components: Components,
    settings: Settings,
    demo: gr.Blocks,
    *,
    lang: gr.State,
    chat: gr.Chatbot,
    answer: gr.State,
    sources: gr.Radio,
    passage: gr.HTML,
    export: gr.Code,
    identity: Identity | None = None,
) -> ConversationsUI:
    """The "saved conversations" accordion, placed where it is called, and its events."""
    h = ConversationHandlers(components, identity or Identity(settings))
    conv_id = gr.State(None)
    with gr.Accordion(t(lang.value, "saved"), open=False, elem_id="rs-saved") as accordion:
        picker = gr.Dropdown(
            [], label=t(lang.value, "saved_pick"), info=t(lang.value, "saved_info"), elem_id="rs-conversations"
        )
        with gr.Row():
            open_btn = gr.Button(t(lang.value, "open"), elem_id="rs-open-conversation", size="sm")
            delete_btn = gr.Button(t(lang.value, "delete_conv"), elem_id="rs-delete-conversation", size="sm", variant="stop")
        status = gr.Markdown("", elem_id="rs-saved-status")
    answer.change(h.save, [answer, chat, conv_id], [conv_id, picker])
    open_btn.click(h.reopen, [picker, lang], [chat, answer, conv_id, sources, passage, export, status])
    delete_btn.click(h.delete, [picker, conv_id, lang], [picker, conv_id, chat, answer, status])
    lang.change(h.relabel, lang, [accordion, picker, open_btn, delete_btn])
    demo.load(h.load, None, picker)
    return ConversationsUI(conv_id, accordion, picker, open_btn, delete_btn, status)
