"""User-facing text of the workspace, Swedish and English."""

from __future__ import annotations

EXAMPLES = [
    "Vilka nämnder vill att facilitatorer samordnas centralt?",
    "Which committees mention KTH in their replies?",
    "Vad säger Arbetsmarknadsnämnden om sommarjobb?",
    "Vilka nämnder saknar svar?",
]

TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "header": "# Rådslag\nFråga om nämndernas svar och remisser. Varje påstående i svaret hänvisar till en källa, t.ex. [1].",
        "language": "Språk",
        "ask_tab": "Fråga",
        "chat": "Samtal",
        "question": "Fråga",
        "placeholder": "Skriv en fråga, t.ex. Vilka nämnder vill att facilitatorer samordnas centralt?",
        "send": "Skicka",
        "clear": "Nytt samtal",
        "examples": "Exempelfrågor",
        "filters": "Avgränsa",
        "committees": "Nämnder",
        "documents": "Dokument",
        "sources": "Källor",
        "sources_hint": "Välj en källa för att se stycket i sitt sammanhang.",
        "passage": "Stycket i sitt sammanhang",
        "export": "Exportera (Markdown)",
        "no_sources": "Inga källor: frågan kunde inte besvaras ur dokumenten.",
        "page": "s.",
        "question_label": "Fråga",
        "references": "Referenser",
        "error": "Något gick fel när frågan besvarades. Försök igen.",
        "sign_out": "Logga ut",
    },
    "en": {
        "header": "# Rådslag\nAsk about the committees' replies. Every claim in an answer refers to a source, e.g. [1].",
        "language": "Language",
        "ask_tab": "Ask",
        "chat": "Conversation",
        "question": "Question",
        "placeholder": "Type a question, e.g. Which committees mention KTH in their replies?",
        "send": "Send",
        "clear": "New conversation",
        "examples": "Example questions",
        "filters": "Narrow down",
        "committees": "Committees",
        "documents": "Documents",
        "sources": "Sources",
        "sources_hint": "Select a source to see the passage in its context.",
        "passage": "The passage in context",
        "export": "Export (Markdown)",
        "no_sources": "No sources: the question could not be answered from the documents.",
        "page": "p.",
        "question_label": "Question",
        "references": "References",
        "error": "Something went wrong while answering. Please try again.",
        "sign_out": "Sign out",
    },
}

LANGUAGES = {"Svenska": "sv", "English": "en"}


def t(lang: str, key: str) -> str:
    return TEXTS.get(lang, TEXTS["sv"])[key]
