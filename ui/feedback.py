"""Per-answer feedback in the workspace: the chat's thumbs (helpful / wrong) and an optional comment.

A thumb is stored at once with the question, the answer text and the answer's citations
(from the saved conversation, which holds every turn's full answer); the comment box then
opens for that verdict. Clicking the same thumb again withdraws the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from radslag.components import Components
from radslag.settings import Settings
from ui.identity import Identity
from ui.texts import t as label

FEEDBACK_OPTIONS = ("Like", "Dislike")  # Gradio draws these two as thumbs up / down
THUMBS = {"helpful": "Like", "wrong": "Dislike"}  # a stored verdict as the thumb that gave it
Messages = list[dict[str, Any]]


@dataclass
class FeedbackUI:
    handlers: FeedbackHandlers
    chat: gr.Chatbot
    answer: gr.State
    lang: gr.State
    current: gr.State
    panel: gr.Group
    status: gr.Markdown
    comment: gr.Textbox
    save: gr.Button

    def connect(self, conv_id: gr.State) -> None:
        """Listen to the thumbs once the saved conversation's id (built elsewhere on the page) exists."""
        outputs = [self.current, self.panel, self.status, self.comment, self.save]
        self.chat.like(self.handlers.on_like, [self.chat, self.answer, conv_id, self.current, self.lang], outputs)


def _message_index(index: Any) -> int:
    return int(index[0] if isinstance(index, list | tuple) else index)


class FeedbackHandlers:
    def __init__(self, components: Components, identity: Identity) -> None:
        self.components = components
        self.identity = identity

    def _answer(self, user: str, conv_id: str | None, turn: int, answer: dict[str, Any] | None) -> dict[str, Any] | None:
        turns = (self.components.conversations.turns(user, conv_id) if conv_id else None) or []
        if turn < len(turns):
            return turns[turn].answer
        # The newest answer may not be saved yet (saving runs on its own event): use the one on screen.
        return answer if answer and turn == len(turns) else None

    def on_like(
        self,
        data: gr.LikeData,
        messages: Messages,
        answer: dict[str, Any] | None,
        conv_id: str | None,
        current: dict[str, Any] | None,
        lang: str,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        user = self.identity.user(request)
        index = _message_index(data.index)
        turn = sum(1 for m in messages[:index] if m.get("role") == "user") - 1
        judged = self._answer(user, conv_id, turn, answer) if user and turn >= 0 else None
        if judged is None:
            return None, gr.update(visible=True), label(lang, "fb_unavailable"), gr.update(visible=False), gr.update(visible=False)
        store = self.components.feedback
        same = current if current and current.get("conv") == conv_id and current.get("turn") == turn else None
        if same is None and conv_id:
            # A thumb on a reopened conversation changes the verdict stored for that turn
            # (shown when it was reopened) rather than adding a second one.
            stored = store.of_conversation(user, conv_id).get(turn)
            same = {"id": stored.id, "conv": conv_id, "turn": turn} if stored else None
        if data.liked not in (True, False):  # the thumb was clicked off
            if same:
                store.delete(int(same["id"]), user)
            return None, gr.update(visible=True), label(lang, "fb_removed").format(n=turn + 1), gr.update(visible=False), gr.update(visible=False)
        verdict = "helpful" if data.liked else "wrong"
        if same and store.update(int(same["id"]), user, verdict=verdict):
            fid = int(same["id"])
        else:
            fid = store.add(user, verdict, judged, conversation_id=conv_id, turn=turn)
        state = {"id": fid, "conv": conv_id, "turn": turn}
        shown = label(lang, f"fb_given_{verdict}").format(n=turn + 1)
        return state, gr.update(visible=True), shown, gr.update(visible=True, value=""), gr.update(visible=True)

    def save_comment(self, current: dict[str, Any] | None, comment: str, lang: str, request: gr.Request) -> str:
        user = self.identity.user(request)
        if not user or not current or not self.components.feedback.update(int(current["id"]), user, comment=comment or ""):
            return label(lang, "fb_unavailable")
        return label(lang, "fb_saved")

    @staticmethod
    def relabel(lang: str) -> tuple[Any, ...]:
        return gr.update(label=label(lang, "fb_comment")), gr.update(value=label(lang, "fb_save"))


def build_feedback(
    components: Components,
    settings: Settings,
    *,
    lang: gr.State,
    chat: gr.Chatbot,
    answer: gr.State,
    identity: Identity | None = None,
) -> FeedbackUI:
    """The comment panel, placed where it is called; ``chat`` needs ``feedback_options=FEEDBACK_OPTIONS``.
    Call ``connect(conv_id)`` on the result once the saved conversations are built."""
    h = FeedbackHandlers(components, identity or Identity(settings))
    current = gr.State(None)  # the verdict the comment box belongs to
    with gr.Group(visible=False, elem_id="rs-feedback") as panel:
        status = gr.Markdown("", elem_id="rs-feedback-status")
        comment = gr.Textbox(label=label(lang.value, "fb_comment"), lines=2, max_lines=6, elem_id="rs-feedback-comment")
        save = gr.Button(label(lang.value, "fb_save"), elem_id="rs-feedback-save", size="sm")
    save.click(h.save_comment, [current, comment, lang], status)
    lang.change(h.relabel, lang, [comment, save])
    return FeedbackUI(h, chat, answer, lang, current, panel, status, comment, save)
