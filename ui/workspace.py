"""The officials' workspace: chat with follow-ups, sources with passages in context, export."""

from __future__ import annotations

import gradio as gr

from radslag.components import Components
from radslag.settings import Settings
from ui.admin_tab import CSS as ADMIN_CSS
from ui.admin_tab import build_admin_tab
from ui.conversations import build_conversations
from ui.feedback import FEEDBACK_OPTIONS, build_feedback
from ui.handlers import Handlers
from ui.overview_tab import CSS as OVERVIEW_CSS
from ui.overview_tab import build_overview_tab
from ui.texts import EXAMPLES, LANGUAGES, t

WORKSPACE_CSS = """
.rs-context { white-space: pre-wrap; max-height: 28rem; overflow-y: auto; padding: .75rem;
  border: 1px solid var(--border-color-primary); border-radius: 6px; line-height: 1.5; }
.rs-context mark { background: #ffe066; color: #1b1b1b; padding: 0 .1em; }
/* The theme's grey info text (a component's hint) is below WCAG AA contrast (axe). */
.info-text { color: #4b5563 !important; }
""" + OVERVIEW_CSS + ADMIN_CSS


# The session cookie is HttpOnly: the server clears it (POST /api/auth/logout), then back to sign-in.
SIGN_OUT_JS = """async () => {
  try { await fetch("/api/auth/logout", {method: "POST", credentials: "same-origin"}); }
  finally { window.location.assign("/login"); }
}"""


def build_workspace(components: Components, settings: Settings | None = None) -> gr.Blocks:
    h = Handlers(components, settings)
    lang0 = "sv"
    with gr.Blocks(title="Rådslag") as demo:
        lang = gr.State(lang0)
        answer = gr.State(None)
        with gr.Row():
            header = gr.Markdown(t(lang0, "header"))
            language = gr.Radio(list(LANGUAGES), value="Svenska", label=t(lang0, "language"), scale=0, min_width=220)
            sign_out = gr.Button(t(lang0, "sign_out"), elem_id="rs-sign-out", scale=0, min_width=120)
        with gr.Tab(t(lang0, "ask_tab"), elem_id="rs-ask-tab"), gr.Row():
            with gr.Column(scale=3):
                # Messages are Markdown built by ui/render.chat_markdown (document text escaped);
                # no LaTeX, no raw tags.
                chat = gr.Chatbot(
                    label=t(lang0, "chat"), height=460, elem_id="rs-chat", feedback_options=FEEDBACK_OPTIONS,
                    latex_delimiters=[], allow_tags=False, buttons=["copy", "copy_all"],
                )
                # lines=1 is Gradio's Enter-submits mode; Shift+Enter adds a line (grows to max_lines).
                question = gr.Textbox(
                    label=t(lang0, "question"), placeholder=t(lang0, "placeholder"), lines=1, max_lines=6,
                    elem_id="rs-question", submit_btn=False,
                )
                with gr.Row():
                    send = gr.Button(t(lang0, "send"), variant="primary", elem_id="rs-send")
                    clear = gr.Button(t(lang0, "clear"), elem_id="rs-clear")
                gr.Examples([[q] for q in EXAMPLES], inputs=[question], label=t(lang0, "examples"))
                with gr.Accordion(t(lang0, "filters"), open=False) as filters:
                    committees = gr.Dropdown([], multiselect=True, label=t(lang0, "committees"), elem_id="rs-committees")
                    documents = gr.Dropdown([], multiselect=True, label=t(lang0, "documents"), elem_id="rs-documents")
                feedback = build_feedback(components, h.settings, lang=lang, chat=chat, answer=answer)
            with gr.Column(scale=2):
                sources = gr.Radio(
                    [], label=t(lang0, "sources"), info=t(lang0, "sources_hint"), elem_id="rs-sources"
                )
                passage = gr.HTML(label=t(lang0, "passage"), elem_id="rs-passage")
                # A read-only Textbox, as in the overview tab: gr.Code's syntax colours and line
                # numbers fall below WCAG AA contrast and its scroller is not keyboard-reachable (axe).
                export = gr.Textbox(
                    "", label=t(lang0, "export"), lines=8, max_lines=20, interactive=False, buttons=["copy"], elem_id="rs-export"
                )
                saved = build_conversations(components, h.settings, demo, lang=lang, chat=chat, answer=answer,
                                            sources=sources, passage=passage, export=export)
                feedback.connect(saved.conv_id)

        build_overview_tab(components, lang)
        build_admin_tab(components, h.settings, demo, lang)

        ask_inputs = [question, chat, committees, documents, lang]
        ask_outputs = [chat, question, sources, passage, export, answer]
        send.click(h.respond, ask_inputs, ask_outputs)
        question.submit(h.respond, ask_inputs, ask_outputs)
        clear.click(h.clear, None, ask_outputs)
        sources.change(h.show_source, [sources, answer, lang], passage)
        language.change(
            h.relabel,
            [language, answer],
            [lang, header, language, chat, question, send, clear, filters, committees, documents, sources, passage, export],
        )
        language.change(lambda c: gr.update(value=t(LANGUAGES[c], "sign_out")), language, sign_out)
        sign_out.click(None, js=SIGN_OUT_JS)
        demo.load(h.filter_choices, None, [committees, documents])
    return demo
