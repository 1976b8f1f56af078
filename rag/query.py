"""Question understanding: the search text, the language, and the kind of answer wanted.

The kind comes from a model trained on the question bank (:mod:`rag.decisions`), not from
keyword patterns; what stays rule-like here is structural: a follow-up that only makes sense
with the previous turn is searched together with it, and the committees a question names are
those of the index (metadata, not a list in code).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rag.decisions import COMMITTEE_KINDS, NUMBER_KINDS, Decisions
from rag.evidence import edit_distance
from rag.pii import without_contact_details
from rag.text import asking_sentences, detect_language, fold
from rag.types import ChatTurn

__all__ = ["QueryPlan", "detect_language", "focus", "language_of", "mask_names", "plan", "standalone"]

# A message that continues the previous one ("och Norrmalm?", "what about Farsta?"): its
# search text is the previous question plus this one.
_FOLLOW_UP = re.compile(
    r"^\s*(och|men|samt|också|även|hur\s+är\s+det\s+med|vad\s+säger|and|but|also|what\s+about|"
    r"how\s+about|same\s+for|samma\s+för)\b",
    re.IGNORECASE,
)
#: Words that point back to what was said before ("Hur ska det finansieras?", "Lyfter de fram
#: något bra exempel?", "What do they propose?"): closed-class pronouns and demonstratives of
#: both languages ("samma"/"same" too: "Do the same two …?"), grammar rather than a decision
#: about this corpus.
_ANAPHOR = re.compile(
    r"(?<![\w-])(de|dem|deras|det|den|dess|denna|detta|dessa|där|sådana?|they|them|their|it|its|"
    r"this|that|these|those|there|such|samma|same|båda|bägge|both|either|neither|"
    r"the (?:two|three|four|five))(?![\w-])",
    re.IGNORECASE,
)
_GROUP_HINTS_EN = {"district": "stadsdel", "specialist": "fack", "department": "fack"}
NAME_MASK = "Nämndnamn"


@dataclass
class QueryPlan:
    text: str  # the standalone question used for retrieval
    original: str
    language: str
    kind: str = "fact"
    kind_p: float = 1.0
    group_hint: str | None = None  # a word stem that names a group of committees ("stadsdel")
    own_committees: list[str] = field(default_factory=list)  # named in this message itself
    #: named in other words ("the labour market committee"), by the learned name model
    resolved: list[str] = field(default_factory=list)
    follow_up: bool = False
    #: The committees a follow-up points back to ("Vilka av dem …?"): those the previous
    #: answer named. A list question then chooses among them.
    within: list[str] = field(default_factory=list)
    #: Committees a list question leaves out ("utöver stadsbyggnadskontoret", "which *other* …").
    excluded: list[str] = field(default_factory=list)
    answer_type: dict[str, float] = field(default_factory=lambda: {"other": 1.0})

    @property
    def aggregate(self) -> bool:
        return self.kind in COMMITTEE_KINDS

    @property
    def missing_replies(self) -> bool:
        return self.kind in ("missing", "count_missing")

    @property
    def replies_counted(self) -> bool:
        """"How many committees replied?": a count from the compilation's structure."""
        return self.kind == "count_replied"

    @property
    def lists_replies(self) -> bool:
        """"Which committees replied?": the list from the compilation's structure."""
        return self.kind == "replied"

    @property
    def yes_no(self) -> bool:
        return self.kind == "yes_no"

    @property
    def summary(self) -> bool:
        """Asks for a stretch of text (summarise, describe, compare)."""
        return self.kind in ("summary", "compare")

    @property
    def summarise(self) -> bool:
        return self.kind == "summary"

    @property
    def numeric(self) -> bool:
        return self.kind in NUMBER_KINDS

    @property
    def likeliest_type(self) -> str:
        """The answer type the answer-type model finds most probable."""
        return max(self.answer_type, key=lambda t: self.answer_type[t])

    @property
    def lists_identifiers(self) -> bool:
        """Wants several numbered things ("which measures does X comment on?"): a list of
        items whose likeliest answer type is an identifier — both read by the learned models."""
        return self.kind == "items" and self.likeliest_type == "identifier"


def standalone(question: str, history: list[ChatTurn]) -> str:
    """Rewrite a follow-up into a standalone question using the previous user turn.

    Without an LLM the rewrite is lexical: a short, explicitly continuing or pointing-back
    question ("och Norrmalm?", "what about Farsta?", "Vad är syftet med de insatserna?")
    inherits the previous question's words, and with them its committee.
    """
    previous = next((t.content for t in reversed(history) if t.role == "user"), None)
    if not previous:
        return question
    words = re.findall(r"\w+", question)
    if len(words) <= 5 or _FOLLOW_UP.search(question) or _ANAPHOR.search(question):
        return f"{previous} {question}"
    return question


def referents(question: str, history: Sequence[ChatTurn], names: Iterable[str]) -> list[str]:
    """The committees a question points back to ("Vilka av dem …?", "Do either of them …?",
    "Vilka andra …?"): those the previous answer named in its own words. Names inside its
    quotations are the documents' words, not what the answer said."""
    if not (_ANAPHOR.search(question) or _OTHER.search(fold(question))):
        return []
    answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    return names_in(_QUOTED.sub(" ", answer), names)


def excepted(question: str, names: Iterable[str]) -> list[str]:
    """Committees the question names only to leave them out ("Vilka fackförvaltningar, utöver
    stadsbyggnadskontoret, …", "besides Norrmalm"): a name right after an excepting
    preposition."""
    folded = fold(question)
    ends = {m.end() for m in _EXCEPT.finditer(folded)}
    out = []
    for start, end, name in _name_spans(question, names):
        # Right after the preposition ("utöver stadsbyggnadskontoret", "besides the …"), or
        # after a name already left out and a conjunction ("förutom Norrmalm och Farsta").
        if any(_LEAD_IN.fullmatch(folded[e:start]) for e in ends):
            out.append(name)
            ends.add(end)
    return out


#: Prepositions that leave out what follows them (in :func:`fold`-ed text), both languages.
_EXCEPT = re.compile(r"(?<![\w-])(utover|forutom|utom|bortsett fran|fransett|andra an|apart from|besides|except|other than)(?![\w-])")
_LEAD_IN = re.compile(r"\s*(the\s+|sjalva\s+|,\s*|(och|and|or|eller|samt)\s+)?")
#: "Which *other* district …?" after a list: the committees pointed back to are left out.
_OTHER = re.compile(r"(?<![\w-])(andra|annan|annat|ovriga|other|others|else)(?![\w-])")


#: A quotation in an answer (the extractive answers quote with ”…”, people with "…" or «…»).
_QUOTED = re.compile(r"[”“\"«][^”“\"«»]*[”“\"»]")


def focus(message: str) -> str:
    """The part of a chat message to search with: contact details typed into a chat box are
    not what the documents are about, and in a message of several sentences the ones that
    ask ("…?") are the question ("Jag heter Anna. Vilka nämnder …?") — unless they point back
    to the others ("Farsta och Bromma skriver om mötesplatser. Hur skiljer de sig åt?"): then
    what "de" refers to is part of the question."""
    text = re.sub(r"\s+", " ", without_contact_details(message)).strip()
    asking = asking_sentences(text)
    if len(re.split(r"(?<=[.!?])\s+", text)) > 1 and asking and len(" ".join(asking).split()) >= 3:
        return text if _ANAPHOR.search(" ".join(asking)) else " ".join(asking)
    return text


#: A Swedish administration's name ends in its kind of body; a reply of "Miljöförvaltningen"
#: is the Miljönämnd's, and people write either ("miljönämnden", "idrottsnämndens").
_BODY = re.compile(r"s?(forvaltningen|kontoret|namnden)$")
_BODIES = r"s?(?:forvaltning|namnd|kontor)(?:en|et|ens|ets|s)?"


@lru_cache(maxsize=4096)
def name_pattern(name: str) -> re.Pattern[str]:
    """How a committee name is written in a question, matched in :func:`fold`-ed text: any
    case and diacritics ("Sodermalm"), a space for the hyphen ("Hässelby Vällingby"), the
    genitive s, and the other body word of an administration ("arbetsmarknadsnämnden" for
    Arbetsmarknadsförvaltningen)."""
    folded = fold(name)
    body = _BODY.search(folded)
    core = re.escape(folded[: body.start()]) + _BODIES if body and body.start() >= 3 else re.escape(folded) + "s?"
    core = core.replace(r"\-", r"[-\s]?")
    return re.compile(rf"(?<![\w-]){core}(?![\w-])")


def _name_spans(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, name) of the names ``text`` mentions, longest first."""
    folded = fold(text)
    spans = [(m.start(), m.end(), name) for name in names for m in name_pattern(name).finditer(folded)]
    chosen: list[tuple[int, int, str]] = []
    for start, end, name in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(end <= a or start >= b for a, b, _ in chosen):
            chosen.append((start, end, name))
    return sorted(chosen)


#: A body named by its kind and up to three words before it ("the labour market committee",
#: "Elderly Care Administration", "City Archives"), or one Swedish word naming a body that
#: no committee name matched ("Idrotsförvaltningen"): where a question may name a committee
#: in other words than the index's. Plurals ("district councils") name groups, not one body.
_BODY_PHRASE = re.compile(
    r"((?:[\w-]+\s+){0,3})(committee|administration|office|board|department|council|archives?)(?![\w-])"
    rf"|(?<![\w-])([\w-]{{3,}}{_BODIES})(?![\w-])"
)
_LEAD = {"the", "a", "an", "its", "their", "and", "of", "s", "which", "what", "does", "did", "has", "is", "was", "how"}


def misspells(word: str, names: Iterable[str]) -> bool:
    """Whether a Swedish body word is one of the committee names misspelt ("Idrotsförvaltningen"),
    within the edit distance allowed for the corpus's own spelling variants; a body the index
    does not hold ("Testnämnden") is no committee's misspelling, however near in e5."""
    folded = fold(word).lower()
    limit = 1 if len(folded) < 10 else 2
    return any(edit_distance(folded, fold(n).lower(), limit) <= limit for n in names)


def _body_phrases(text: str, names: Iterable[str]) -> list[list[str]]:
    """Each body phrase outside the names already recognised, as its candidate wordings."""
    names = list(names)
    folded = fold(text)
    taken = [(a, b) for a, b, _ in _name_spans(text, names)]
    groups: list[list[str]] = []
    for m in _BODY_PHRASE.finditer(folded):
        if any(m.start() < b and m.end() > a for a, b in taken):
            continue
        words = re.findall(r"[\w-]+", text[m.start() : m.end()])
        if m.group(3):
            if misspells(words[-1], names):
                groups.append([words[-1]])
            continue
        while len(words) > 1 and words[0].lower() in _LEAD:
            words = words[1:]
        groups.append([" ".join(words[k:]) for k in range(len(words) - 1)])
    return [g for g in groups if g]


def name_candidates(text: str, names: Iterable[str]) -> list[str]:
    """Phrases of ``text`` that may name one committee in other words than its name: each
    body phrase outside the names already recognised, and its shorter tails of two words or
    more ("labour market committee", "market committee"); a Swedish body word alone."""
    return list(dict.fromkeys(p for group in _body_phrases(text, names) for p in group))


@lru_cache(maxsize=1024)
def _name_vector(embed: Callable[[str], np.ndarray], name: str) -> np.ndarray:
    return np.asarray(embed(name))


def name_rows(text: str, names: Sequence[str], embed: Callable[[str], np.ndarray]) -> list[tuple[int, str, dict[str, float]]]:
    """For each :func:`name_candidates` phrase: which body phrase of the question it words (its
    index), the committee whose name is nearest in e5 (which reads "City Archives" and
    "Stadsarkivet" alike) and what the name model decides on: how near, how much nearer than
    the next committee, how many words."""
    groups = _body_phrases(text, names)
    if not groups or len(names) < 2:
        return []
    vectors = np.array([_name_vector(embed, n) for n in names])
    rows = []
    for g, phrases in enumerate(groups):
        for phrase in phrases:
            sims = vectors @ np.asarray(embed(phrase))
            first, second = np.argsort(-sims)[:2]
            rows.append((g, names[int(first)], {
                "sim": float(sims[first]),
                "margin": float(sims[first] - sims[second]),
                "words": float(len(phrase.split())),
            }))
    return rows


def resolve_names(text: str, names: Sequence[str], embed: Callable[[str], np.ndarray], decisions: Decisions) -> list[str]:
    """The committees a question names in other words than their names ("How do the transport
    office and the environment administration differ …?"): for each body phrase, its most
    distinct wording's nearest committee, if the learned name model accepts it."""
    rows = name_rows(text, names, embed)
    if not rows or decisions.name is None:
        return []
    out: list[str] = []
    for g in dict.fromkeys(r[0] for r in rows):
        _, name, feats = max((r for r in rows if r[0] == g), key=lambda r: r[2]["margin"])
        if name not in out and decisions.p_name(feats) >= decisions.thresholds.get("name", 0.5):
            out.append(name)
    return out


def names_in(text: str, names: Iterable[str]) -> list[str]:
    """The committee names (of ``names``) that ``text`` mentions, in order of appearance."""
    out: list[str] = []
    for _, _, name in _name_spans(text, names):
        if name not in out:
            out.append(name)
    return out


def mask_names(text: str, names: Iterable[str]) -> str:
    """The question with committee names replaced by one placeholder: the kind of answer a
    question wants does not depend on which committee it names."""
    for start, end, _ in reversed(_name_spans(text, names)):
        text = text[:start] + NAME_MASK + text[end:]
    return text


def group_hint(text: str) -> str | None:
    """The group of replies a question restricts itself to ("stadsdelsnämnder", "specialist
    administrations"); none when it names both ("departments or district councils")."""
    lowered = text.lower()
    # Folded and by the word's start, so a misspelt or unaccented word still says which
    # group ("fackförvaltingar", "fackforvaltningar", "stadsdelsnamnder").
    groups = {"stadsdel" if m.group(1).startswith("stadsdel") else "fack" for m in re.finditer(r"\b(stadsdel\w*|fackforv\w*)", fold(text))}
    groups |= {sv for en, sv in _GROUP_HINTS_EN.items() if re.search(rf"\b{en}", lowered)}
    return groups.pop() if len(groups) == 1 else None


#: A quoted title ("'En skola där alla lyckas'", ”Stad i samverkan”) is the documents' words.
_QUOTED = re.compile(r"[\"”“«]([^\"”“«»]{2,})[\"”“»]|(?<!\w)'([^']{2,})'(?!\w)")


def language_of(current: str, history: Sequence[ChatTurn], names: Iterable[str]) -> str:
    """The language to answer in: that of the asker's own words. A committee's name or a
    quoted title is Swedish whatever the question's language: "Did the
    Överförmyndarförvaltningen at least send something?" and "And Kungsholmen?" were read as
    Swedish. A message that is nothing but names ("Farsta?") follows the conversation."""
    names = list(names)
    bare = current
    for start, end, _ in reversed(_name_spans(current, names)):
        bare = bare[:start] + " " + bare[end:]
    bare = _QUOTED.sub(" ", bare)
    if re.search(r"[^\W\d_]", bare):
        return detect_language(bare)
    asked = [i for i, t in enumerate(history) if t.role == "user"]
    return language_of(history[asked[-1]].content, history[: asked[-1]], names) if asked else detect_language(current)


def plan(
    question: str,
    history: list[ChatTurn] | None = None,
    decisions: Decisions | None = None,
    committees: Iterable[str] = (),
    embed: Callable[[str], np.ndarray] | None = None,
) -> tuple[QueryPlan, np.ndarray | None]:
    """Understand ``question``: search text, language, kind (by ``decisions``), scope hints.

    Returns the plan and the search text's embedding (``embed``), which the kind model reads
    too and retrieval reuses.
    """
    names = list(committees)
    current = focus(question)
    text = standalone(current, history or [])
    follow_up = text != current
    own = names_in(current, names)
    kind, kind_p = "fact", 1.0
    answer_type = {"other": 1.0}
    qvec = embed(text) if embed is not None else None
    if decisions is not None and qvec is not None:
        masked = mask_names(current, names)
        answer_type = decisions.answer_type_of(masked, qvec)
        kind, kind_p = decisions.kind_of(masked, qvec, answer_type)
        if follow_up and kind_p < 0.5:
            # "Och Farsta?" says little by itself: the kind follows the whole exchange, but a
            # follow-up that names one committee asks about that committee alone.
            kind, kind_p = decisions.kind_of(mask_names(text, names), qvec)
            if kind in COMMITTEE_KINDS and len(own) == 1:
                kind = "fact"
    within = referents(current, history or [], names) if follow_up and kind in COMMITTEE_KINDS else []
    excluded = excepted(current, own) if kind in COMMITTEE_KINDS else []
    if within and _OTHER.search(fold(current)):
        excluded, within = [*excluded, *within], []
    if within and embed is not None:
        # "Vilka av dem vill …?" chooses among the committees of the previous answer by this
        # message's condition alone; the previous question's condition they all met.
        text, qvec = current, embed(current)
    resolved: list[str] = []
    # A comparison wants two committees or more: one named by its name and one in other words
    # ("Compare what Norrmalm and the sports administration say …") is resolved too.
    wants_more = kind == "compare" and len(own) < 2
    if decisions is not None and embed is not None and (not own or wants_more) and kind not in COMMITTEE_KINDS:
        resolved = [n for n in resolve_names(current, names, embed, decisions) if n not in own]
    return QueryPlan(
        text=text,
        original=question,
        language=language_of(current, history or [], names),
        kind=kind,
        kind_p=kind_p,
        group_hint=group_hint(text),
        own_committees=own,
        resolved=resolved,
        follow_up=follow_up,
        within=within,
        excluded=excluded,
        answer_type=answer_type,
    ), qvec
