"""Question understanding: language, kind of question, standalone rewrite of follow-ups."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.pii import without_contact_details
from rag.types import ChatTurn

_SV_HINTS = re.compile(
    r"\b(och|att|som|för|vilka|vilken|vilket|vad|hur|när|varför|nämnd\w*|är|har|finns|"
    r"inte|kommun\w*|stadsdel\w*|om|med|av|på|till|enligt|säger|vill)\b|[åäö]",
    re.IGNORECASE,
)
_EN_HINTS = re.compile(
    r"\b(the|and|which|what|who|how|when|why|does|do|is|are|of|in|to|say|says|want|did|"
    r"committee\w*|district\w*|city|between|about)\b",
    re.IGNORECASE,
)

# "Which committees/districts/administrations …", "vilka nämnder …", "lista alla …"
_AGGREGATE = re.compile(
    r"\b(vilka|vilken|lista|list|which|name\s+all|alla)\b[^?]{0,40}?"
    r"\b(nämnd\w*|stadsdel\w*|förvaltning\w*|fackförvaltning\w*|stadsdelsnämnd\w*|kontor\w*|"
    r"committees?|districts?|administrations?|departments?|boards?|offices?)\b",
    re.IGNORECASE,
)
_MISSING = re.compile(
    r"\b(inte\s+(har\s+)?(svarat|lämnat|inkommit|skickat)|saknas|saknar\s+(svar|skrivelse)|"
    r"did\s+not\s+(reply|respond|answer|submit)|no\s+(reply|response)|missing|have\s+not\s+(replied|responded))\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\s*(är|har|finns|anser|kan|ska|skall|bör|vill|stödjer|tycker|menar|får|gör|"
    r"is|are|does|do|did|has|have|can|should|will|would|was|were)\b",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^\s*(och|men|samt|också|även|hur\s+är\s+det\s+med|vad\s+säger|and|but|also|what\s+about|"
    r"how\s+about|same\s+for|samma\s+för)\b",
    re.IGNORECASE,
)
_SUMMARY = re.compile(
    r"\b(sammanfatta\w*|sammanfattning|beskriv\w*|jämför\w*|skillnad\w*|summari[sz]e|describe|compare|differ\w*)\b",
    re.IGNORECASE,
)
# An explicit request for a summary, which the document's own summary section answers.
_SUMMARISE = re.compile(r"\b(sammanfatta\w*|summari[sz]e|in\s+summary|give\s+an\s+overview)\b", re.IGNORECASE)
_NUMERIC = re.compile(
    r"\b(hur\s+många|hur\s+mycket|hur\s+stor|vilket\s+år|vilket\s+datum|när|hur\s+länge|antal|"
    r"how\s+many|how\s+much|how\s+large|what\s+share|which\s+year|what\s+year|when)\b",
    re.IGNORECASE,
)
_GROUP_HINTS_EN = {"district": "stadsdel", "specialist": "fack", "department": "fack"}


@dataclass
class QueryPlan:
    text: str  # the standalone question used for retrieval
    original: str
    language: str
    aggregate: bool
    missing_replies: bool
    yes_no: bool
    summary: bool  # asks for a stretch of text: summarise, describe, compare
    numeric: bool
    group_hint: str | None  # a word stem that names a group of committees ("stadsdel")
    entity_phrase: str | None = None  # "Vilka nämnder": what an aggregation question lists
    summarise: bool = False  # "sammanfatta …": the document's own summary is the answer


def detect_language(text: str) -> str:
    sv = len(_SV_HINTS.findall(text))
    en = len(_EN_HINTS.findall(text))
    return "en" if en > sv else "sv"


def standalone(question: str, history: list[ChatTurn]) -> str:
    """Rewrite a follow-up into a standalone question using the previous user turn.

    Without an LLM the rewrite is lexical: a short or explicitly continuing question
    ("och Norrmalm?", "what about Farsta?") inherits the previous question's words.
    """
    previous = next((t.content for t in reversed(history) if t.role == "user"), None)
    if not previous:
        return question
    words = re.findall(r"\w+", question)
    if len(words) <= 5 or _FOLLOW_UP.search(question):
        return f"{previous} {question}"
    return question


def focus(message: str) -> str:
    """The part of a chat message to search with: contact details typed into a chat box are
    not what the documents are about, and in a message of several sentences the ones that
    ask ("…?") are the question ("Jag heter Anna. Vilka nämnder …?")."""
    text = re.sub(r"\s+", " ", without_contact_details(message)).strip()
    sentences = re.split(r"(?<=[.!?])\s+", text)
    asking = [s for s in sentences if s.endswith("?")]
    if len(sentences) > 1 and asking and len(" ".join(asking).split()) >= 3:
        return " ".join(asking)
    return text


def plan(question: str, history: list[ChatTurn] | None = None) -> QueryPlan:
    text = standalone(focus(question), history or [])
    lang = detect_language(question)
    lowered = text.lower()
    group = None
    m = re.search(r"\b(stadsdels?\w*|fackförvaltning\w*)", lowered)
    if m:
        group = "stadsdel" if m.group(1).startswith("stadsdel") else "fack"
    else:
        for en, sv in _GROUP_HINTS_EN.items():
            if re.search(rf"\b{en}", lowered):
                group = sv
    agg = _AGGREGATE.search(text)
    return QueryPlan(
        entity_phrase=agg.group(0) if agg else None,
        text=text,
        original=question,
        language=lang,
        aggregate=bool(_AGGREGATE.search(text)),
        missing_replies=bool(_MISSING.search(text)),
        yes_no=bool(_YES_NO.search(question)),
        summary=bool(_SUMMARY.search(question)),
        summarise=bool(_SUMMARISE.search(question)),
        numeric=bool(_NUMERIC.search(question)),
        group_hint=group,
    )
