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
""" + OVERVIEW_CSS + ADMIN_CSS


def build_workspace(components: Components, settings: Settings | None = None) -> gr.Blocks:
    h = Handlers(components, settings)
    lang0 = "sv"
    with gr.Blocks(title="Rådslag") as demo:
        lang = gr.State(lang0)
        answer = gr.State(None)
        with gr.Row():
            header = gr.Markdown(t(lang0, "header"))
            language = gr.Radio(list(LANGUAGES), value="Svenska", label=t(lang0, "language"), scale=0, min_width=220)
        with gr.Tab(t(lang0, "ask_tab"), elem_id="rs-ask-tab"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label=t(lang0, "chat"), height=460, elem_id="rs-chat", feedback_options=FEEDBACK_OPTIONS, buttons=["copy", "copy_all"])
                question = gr.Textbox(
                    label=t(lang0, "question"), placeholder=t(lang0, "placeholder"), lines=2, max_lines=6,
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
                export = gr.Code("", language="markdown", label=t(lang0, "export"), interactive=False, elem_id="rs-export")
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
        demo.load(h.filter_choices, None, [committees, documents])
    return demo
