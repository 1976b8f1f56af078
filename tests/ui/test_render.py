"""The workspace's formatting: the chat and the export show document text literally."""

from __future__ import annotations

from rag.markup import md_unescape
from ui.render import chat_history, chat_markdown, export_markdown


def test_chat_keeps_only_the_composers_markup() -> None:
    answer = "Två nämnder: A och B.\nEnligt dokumenten:\n- **Norrmalm**: ”Vi vill <b>inte</b> [1]” [1]\n- **B**: ”![x](http://h/x.png)” [2]"
    shown = chat_markdown(answer)
    assert "- **Norrmalm**: ”Vi vill \\<b\\>inte\\</b\\> [1]” [1]" in shown
    assert "- **B**: ”\\!\\[x\\]\\(http\\://h/x.png\\)” [2]" in shown
    # Gradio hands the chat back as content parts; rag/ gets the text as it was written.
    messages = [{"role": "user", "content": [{"type": "text", "text": chat_markdown("Och <Farsta>?")}]},
                {"role": "assistant", "content": shown}]
    assert [(t.role, t.content) for t in chat_history(messages)] == [("user", "Och <Farsta>?"), ("assistant", answer)]


def test_export_escapes_question_answer_titles_and_quotes() -> None:
    payload = "<img src=x onerror=alert(1)> ![bild](http://198.51.100.7/x.png)"
    answer = {
        "question": f"Vad säger {payload}?",
        "answer": f"Enligt dokumenten:\n\n”{payload}” [1]",
        "citations": [{"n": 1, "title": f"Titel {payload}", "committee": "Testnämnden", "source": "t_[x].txt",
                       "doc_id": "t", "page": 1, "text": f"Testnämnden anser att {payload} är bra."}],
    }
    md = export_markdown(answer, "sv")
    assert "<img" not in md.replace("\\<img", "") and "](" not in md.replace("\\]\\(", "")
    assert md_unescape(md).count(payload) == 4  # question, answer, title, quote — all there, literally
    assert md.startswith("**Fråga:** ") and "### Referenser" in md and "   > Testnämnden" in md


def test_markers_stay_but_cannot_become_links() -> None:
    assert chat_markdown("”[3](http://x)” [3]") == "”[3]\\(http\\://x\\)” [3]"
