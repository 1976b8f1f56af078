"""Features of the learned decisions (see :mod:`rag.decisions`), shared by training and answering.

Every feature describes a relation between the question and a text — coverage of the
question's terms, dense similarity, rank, position, whether a wanted answer type (a number,
a date, a measure number) is present, the kind of section — so a model fitted on one
corpus's questions transfers to other documents. A few small closed-class word sets (negation,
doubt, support; month names) feed the yes/no and answer-type features: they are grammar of
the language, not of this corpus, and only ever inputs to a fitted model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import import_module

import numpy as np

from rag.decisions import NUMBER_KINDS
from rag.lexical import STOPWORDS

_NUMBER = re.compile(
    r"\d|\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|trettio|hundra|tusen|miljon\w*|miljard\w*|"
    r"hälften|procent|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|percent)\b",
    re.IGNORECASE,
)
_MONTHS = (
    "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|"
    "january|february|march|may|june|july|august|october"
)
_DATE = re.compile(rf"\b\d{{1,2}}\s+({_MONTHS})\b|\b(19|20)\d\d\b|\b\d{{4}}-\d\d-\d\d\b", re.IGNORECASE)
_MEASURE = re.compile(r"\b\d+(?:\.\d+){1,3}\b")
_IDENT = re.compile(r"\b\d{1,4}[-:/]\d{1,4}(?:/\d{2,4})?\b")
_NAME = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+\s+[A-ZÅÄÖ][a-zåäöé]+\b")

#: Negation words of both languages. The yes/no verdict reads them with "without"
#: (:data:`NEGATION`); the kind model reads a negated clause (:data:`CLAUSE_NEGATION`).
_NEGATORS = "inte|ej|icke|ingen|inga|inget|aldrig|varken|saknas|saknar|not|no|none|never"
NEGATION = re.compile(rf"\b({_NEGATORS}|without)\b", re.I)
DOUBT = re.compile(r"\b(tveksam\w*|osäker\w*|avstyrk\w*|avvis\w*|motsätt\w*|ifrågasätt\w*|problematisk\w*|risk\w*|svår\w*)\b", re.I)
SUPPORT = re.compile(r"\b(positiv\w*|välkomna\w*|instämm\w*|delar|stöd\w*|tillstyrk\w*|ställer sig bakom|bra|viktig\w*|ser fram)\b", re.I)
CONTRAST = re.compile(r"\b(men|dock|däremot|emellertid|however|but)\b", re.I)
CONDITION = re.compile(r"\b(under förutsättning|förutsatt|om det|kräver|behöver|bör)\b", re.I)


def lead_words(texts: Sequence[str]) -> list[str]:
    """The first one, two and three words of each question as tokens: "when", "hur många",
    "which committees" say most about the kind of answer wanted."""
    out = []
    for t in texts:
        w = re.findall(r"\w+", t.lower())
        out.append(" ".join([f"L1_{w[0]}" if w else "", f"L2_{'_'.join(w[:2])}", f"L3_{'_'.join(w[:3])}"]))
    return out


#: A negated clause: the negation words and the English contracted "n't" ("haven't"). Unlike
#: :data:`NEGATION`, no "without", which negates a phrase, not what the question asks
#: ("Which district is positive without requiring it to be run centrally?").
CLAUSE_NEGATION = re.compile(rf"\b({_NEGATORS}|neither|nobody|nothing)\b|n't\b", re.IGNORECASE)


def polarity(texts: Sequence[str]) -> list[str]:
    """"NEG" for a question that negates, else "POS": one token each, for the kind model.
    "Which administrations did not submit comments?" asks the opposite of "Which submitted
    comments?" in almost the same words; the negation (a closed class of the grammar) is one
    word among many n-grams unless it stands apart."""
    return ["NEG" if CLAUSE_NEGATION.search(t) else "POS" for t in texts]


def log1p(x: float) -> float:
    return math.log1p(max(x, 0.0))


def wants_number(kind: str) -> bool:
    return kind in NUMBER_KINDS


def measures(text: str) -> set[str]:
    return set(_MEASURE.findall(text))


def is_measure(value: str) -> bool:
    """Whether a value is a measure or section number as a whole ("4.3.2", "4.1")."""
    return bool(_MEASURE.fullmatch(value.strip()))


#: A commission report's measure number ("4.3.2"): three levels, so a decimal ("2.5") or a
#: section number ("4.3") is not taken for one.
_MEASURE_NUMBER = re.compile(r"(?<![\d.])(\d{1,2}\.\d{1,2}\.\d{1,2})(?![\d]|\.\d)")


def measure_numbers(text: str) -> set[str]:
    """The measure numbers a text names (headings and running text alike)."""
    return set(_MEASURE_NUMBER.findall(text))


def measure_order(number: str) -> tuple[int, ...]:
    return tuple(int(x) for x in number.split("."))


_AMOUNT = re.compile(r"\d[\d\s]*(?:[.,]\d+)?\s*(?:kronor|kr\b|tkr|mnkr|mkr|miljon\w*|miljard\w*|sek\b)", re.I)
_PERCENT = re.compile(r"\d\s*(?:%|procent)|\bhälften\b", re.I)
#: A person's whole name as written: a given name (each part of "Sven-Göran") and the
#: capitalised family name after it, double-barrelled too ("Leif Spjuth", "Sven-Göran
#: Södergren"). Capitalisation alone also took headings run into a place ("Bakgrund
#: Hässelby-Vällingby"), projects ("Fokus Skärholmen") and organisations ("Folkets Hus"): 8 of
#: the corpus's 93 such pairs were people, so the first word must be a given name. Overlapping
#: (a lookahead), so the given name after a heading word is found ("Bakgrund Karin Rågsjö").
_PERSON = re.compile(
    r"(?=\b([A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?)\s+([A-ZÅÄÖ][a-zåäöé]{2,}(?:-[A-ZÅÄÖ][a-zåäöé]+)?)\b)"
)
#: Locales whose given names the documents and their readers use.
_NAME_LOCALES = ("sv_SE", "en_US", "en_GB", "da_DK", "no_NO", "fi_FI", "de_DE")


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Given names from Faker's person providers (national name statistics), less the words
    of the stop lists that are names somewhere too ("Till" is a German name)."""
    names: set[str] = set()
    for locale in _NAME_LOCALES:
        provider = import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_female", "first_names_male"):
            names.update(getattr(provider, attr, ()))
    return frozenset(n for n in names if n.lower() not in STOPWORDS)


def names_person(text: str) -> bool:
    """Whether a text names a person (:func:`person_names`)."""
    return bool(person_names(text))


def person_names(text: str) -> list[tuple[int, str]]:
    """(offset, name) of the people a text names, in order, each once: "Leif Spjuth",
    "Sven-Göran Södergren" (not also "Göran Södergren"): a given name before a capitalised
    word."""
    given = given_names()
    found: list[tuple[int, str]] = []
    end = -1
    for m in _PERSON.finditer(text):
        if m.start() < end or not all(part in given for part in m.group(1).split("-")):
            continue
        name = f"{m.group(1)} {m.group(2)}"
        end = m.start() + len(name)
        if name not in (n for _, n in found):
            found.append((m.start(), name))
    return found


#: A proper name inside a sentence: Swedish and English capitalise no common noun there, so a
#: capitalised word after a lower-case word or a comma, or an acronym, names something
#: ("tillsammans med Röda Korsets folkhögskola", "KTH").
_PROPER = re.compile(r"(?<=[a-zåäö0-9,;–]\s)[A-ZÅÄÖ][\wåäöé-]+|\b[A-ZÅÄÖ]{2,}\b")
_REFERENCE = re.compile(rf"{_IDENT.pattern}|{_MEASURE.pattern}|\bdnr\b", re.IGNORECASE)

#: What an answer can look like; the answer-type model predicts which one a question wants.
ANSWER_TYPES = ("date", "amount", "percent", "count", "identifier", "person", "organisation", "other")


def answer_types_in(text: str) -> dict[str, float]:
    """Which answer types a text holds (1.0 / 0.0 each); "other" is always there."""
    return dict(_types_in(text))


@lru_cache(maxsize=1 << 16)
def _types_in(text: str) -> tuple[tuple[str, float], ...]:
    # Every sentence of every retrieved passage is typed for every question: the corpus's
    # sentences recur, so each is read once (eight regexes a sentence, ~10 µs).
    return tuple({
        "date": float(bool(_DATE.search(text))),
        "amount": float(bool(_AMOUNT.search(text))),
        "percent": float(bool(_PERCENT.search(text))),
        "count": float(bool(_NUMBER.search(text))),
        "identifier": float(bool(_REFERENCE.search(text))),
        "person": float(names_person(text)),
        "organisation": float(bool(_PROPER.search(text))),
        "other": 1.0,
    }.items())


def typed_fit(wanted: dict[str, float] | None, text: str) -> dict[str, float]:
    """Whether a sentence holds the typed value a question wants: the probability that the
    question wants a value (a date, an amount, a name …) at all, split into the part the
    sentence holds and the part it lacks. "Vilka parter …" wants an organisation: a sentence
    naming none is not its answer, however many of the question's words it shares."""
    wanted = wanted or {"other": 1.0}
    mass = sum(wanted.values()) or 1.0
    typed = sum(p for t, p in wanted.items() if t != "other") / mass
    if typed <= 0:
        return {"typed_held": 0.0, "typed_lacking": 0.0}
    held = answer_types_in(text)
    have = sum(p * held.get(t, 0.0) for t, p in wanted.items() if t != "other") / mass
    return {"typed_held": have, "typed_lacking": typed - have}


def text_traits(text: str) -> dict[str, float]:
    """Answer types a sentence holds: a number, a date or year, an identifier, a name."""
    return {
        "has_number": float(bool(_NUMBER.search(text))),
        "has_date": float(bool(_DATE.search(text))),
        "has_ident": float(bool(_IDENT.search(text))),
        "has_name": float(bool(_NAME.search(text))),
    }


def sentence_row(
    *,
    kind: str,
    window: float,
    own: float,
    max_window: float,
    max_own: float,
    dense: float,
    max_dense: float,
    rank: int,
    position: int,
    n_sentences: int,
    sentence: str,
    question_measures: set[str],
    in_summary: bool,
    lang_en: bool,
    sim: float,
    max_sim: float,
    wanted: dict[str, float] | None = None,
) -> dict[str, float]:
    traits = text_traits(sentence)
    number = wants_number(kind)
    row = {
        "window": window,
        "own": own,
        "window_rel": window / max_window if max_window > 0 else 0.0,
        "own_rel": own / max_own if max_own > 0 else 0.0,
        "dense": dense,
        "dense_gap": max_dense - dense,
        "rank_inv": 1.0 / (1 + rank),
        "position": position / max(n_sentences, 1),
        "first": float(position == 0),
        "log_len": log1p(len(sentence)) / 6.0,
        "number_wanted_present": traits["has_number"] * number,
        "number_wanted_absent": (1 - traits["has_number"]) * number,
        "date_wanted_present": traits["has_date"] * number,
        "ident_present": traits["has_ident"],
        "name_present": traits["has_name"],
        "measure_asked": float(bool(question_measures)),
        "measure_hit": float(bool(question_measures & measures(sentence))),
        "summary_part": float(in_summary) * float(kind == "summary"),
        "in_summary": float(in_summary),
        "negation": float(bool(NEGATION.search(sentence))) * float(kind == "yes_no"),
        "en_window": window * lang_en,
        "en_dense": dense * lang_en,
        "sim": sim,
        "sim_gap": max_sim - sim,
        "en_sim": sim * lang_en,
        **typed_fit(wanted, sentence),
    }
    return row


def extra_passage_row(
    *, score: float, top_score: float, rank: int, same_text: bool, dense: float, top_dense: float, kind: str,
) -> dict[str, float]:
    """Whether a list of items or a comparison also cites a passage after its best one: the
    passage's best sentence score against the best passage's, its place, whether it belongs
    to the same text (a reply, a one-committee document) and its retrieval similarity."""
    return {
        "score": score,
        "ratio": score / top_score if top_score > 0 else 0.0,
        "gap": top_score - score,
        "rank_inv": 1.0 / (1 + rank),
        "same_text": float(same_text),
        "dense_gap": top_dense - dense,
        "items": float(kind == "items"),
    }


def answerable_row(
    *,
    kind: str,
    lang_en: bool,
    dense: Sequence[float],
    best_window: float,
    best_own: float,
    best_sentence: float,
    best_sim: float,
    top_sim: float,
    missing_share: float,
    anchor: bool,
    n_terms: int,
    named: int,
    named_missing: bool,
    measure_asked: bool,
    measure_found: bool,
    type_fit: dict[str, float] | None = None,
) -> dict[str, float]:
    d = sorted(dense, reverse=True) or [0.0]
    row = {
        "dense_max": d[0],
        "dense_top3": float(np.mean(d[:3])),
        "dense_gap": d[0] - d[min(4, len(d) - 1)],
        "best_window": best_window,
        "best_own": best_own,
        "best_sentence": best_sentence,
        "best_sim": best_sim,  # e5 similarity of the sentence the ranker chose
        "top_sim": top_sim,  # the highest sentence similarity among the candidates
        "en_top_sim": top_sim * lang_en,
        "missing_share": missing_share,
        "anchor": float(anchor),
        "log_terms": log1p(n_terms),
        "lang_en": float(lang_en),
        "en_dense": d[0] * lang_en,
        "en_window": best_window * lang_en,
        "named_one": float(named == 1),
        "named_many": float(named >= 2),
        "named_missing": float(named_missing),
        # Asked whether a committee replied, its missing reply is the answer; asked what it
        # thinks, it is the reason to refuse.
        "named_missing_yes_no": float(named_missing) * float(kind == "yes_no"),
        "measure_unmatched": float(measure_asked and not measure_found),
    }
    # Evidence only, not the kind of question: with the kind one-hots and "a number is
    # present for a numeric kind", the model learnt the bank's prior (its near misses are
    # mostly "how many / how much" questions) and refused well-evidenced date questions.
    # Whether the quote lacks what the question wants is ``typed_lacking``. Its complement
    # ``typed_held`` stays out for the same reason: the two sum to P(the question wants a
    # typed value), a prior the model used to refuse typed questions whose quote held the value.
    row["typed_lacking"] = (type_fit or {}).get("typed_lacking", 0.0)
    return row


def member_rows(windows: Sequence[dict[str, float]]) -> list[dict[str, float]]:
    """Per-committee features relative to the other committees for the same question.

    ``windows`` hold each committee's absolute figures: ``cov`` (sharpened coverage of its
    best window), ``own`` (of its best sentence alone), ``dense`` (its best chunk's
    similarity), ``lexical`` (its best BM25 score), ``anchor``, ``measure_hit``, ``measure_asked``,
    and the best and highest sentence similarities to the question (``sim``, ``max_sim``) and
    to its condition alone (``condition_sim``, ``condition_max_sim``); ``within`` (optional)
    marks a committee a follow-up narrows the previous answer to.
    """
    if not windows:
        return []
    cov = np.array([w["cov"] for w in windows])
    dense = np.array([w["dense"] for w in windows])
    lex = np.array([w["lexical"] for w in windows])
    top, dtop, ltop = cov.max(), dense.max(), lex.max() or 1.0
    order = np.argsort(-cov, kind="stable")
    rank = np.empty(len(cov), dtype=int)
    rank[order] = np.arange(len(cov))
    dstd = dense.std() or 1.0
    stop = max(w["score"] for w in windows)
    simtop = max(w["sim"] for w in windows)
    msim = np.array([w["max_sim"] for w in windows])
    msstd = msim.std() or 1.0
    csim = np.array([w["condition_sim"] for w in windows])
    cmax = np.array([w["condition_max_sim"] for w in windows])
    cmstd = cmax.std() or 1.0
    rows = []
    for i, w in enumerate(windows):
        rows.append({
            "cov": w["cov"],
            "own": w["own"],
            "cov_rel": w["cov"] / top if top > 0 else 0.0,
            "rank_inv": 1.0 / (1 + rank[i]),
            "crowd": float((cov >= 0.8 * w["cov"]).mean()) if w["cov"] > 0 else 1.0,
            "dense": w["dense"],
            "dense_gap": dtop - w["dense"],
            "dense_z": (w["dense"] - dense.mean()) / dstd,
            "lexical_rel": w["lexical"] / ltop,
            "anchor": w["anchor"],
            "measure_asked": w["measure_asked"],
            "measure_hit": w["measure_hit"],
            "top_cov": top,
            "lang_en": w.get("lang_en", 0.0),
            "en_dense_z": w.get("lang_en", 0.0) * (w["dense"] - dense.mean()) / dstd,
            "score": w["score"],
            "uncovered_max": w["uncovered_max"],
            "uncovered_share": w["uncovered_share"],
            "score_rel": w["score"] / stop if stop > 0 else 0.0,
            "sim": w["sim"],
            "sim_gap": simtop - w["sim"],
            "max_sim_z": (w["max_sim"] - msim.mean()) / msstd,
            "max_sim_gap": msim.max() - w["max_sim"],
            "condition_sim_gap": csim.max() - csim[i],
            "condition_max_z": (cmax[i] - cmax.mean()) / cmstd,
            "condition_max_gap": cmax.max() - cmax[i],
            # Narrowing a previous list ("which of those two …?") asks about committees that
            # already met a related condition: how much more likely that makes them members
            # is learnt, like every other weight.
            "within": w.get("within", 0.0),
        })
    return rows


def position_cues(text: str) -> dict[str, float]:
    """The closed-class cues of a position: negation, doubt, support, contrast, condition."""
    return {
        "negation": min(len(NEGATION.findall(text)), 3) / 3,
        "doubt": min(len(DOUBT.findall(text)), 3) / 3,
        "support": min(len(SUPPORT.findall(text)), 3) / 3,
        "contrast": float(bool(CONTRAST.search(text))),
        "condition": float(bool(CONDITION.search(text))),
    }


def verdict_row(
    *, quote: str, question: str, coverage: float, reply_missing: bool, named_missing: bool,
    uncovered_max: float = 0.0, uncovered_share: float = 0.0, sim: float = 0.0, best: str = "",
) -> dict[str, float]:
    """What the yes/no verdict reads: the quote's cues of a position, and how much of the
    question the quote leaves out. "Is Hässelby strand one of the priority areas?" is
    answered "no" by a sentence naming the priority areas without it: the rarest question
    term the quote lacks (``uncovered_max``, relative to the rarest term asked) says so.

    The cues of the ranker's ``best`` sentence are read apart from the whole quote's: a
    quote's context sentence may hold a negation that is not the committee's position ("I
    många fall kan deras önskemål inte tillgodoses … Idrottsnämnden ser därför positivt på
    …"), and on the deciding sentences alone the cues tell reservation from support far
    better than on the whole quote (docs/journal.md, twenty-fourth session)."""
    return {
        **position_cues(quote),
        **{f"best_{k}": v for k, v in position_cues(best).items()},
        "question_negated": float(bool(NEGATION.search(question))),
        "coverage": coverage,
        "reply_missing": float(reply_missing or named_missing),
        "uncovered_max": uncovered_max,
        "uncovered_share": uncovered_share,
        "sim": sim,
    }


#: Dimensions of the e5 sentence vectors the stance model reads.
STANCE_DIMS = 384


def stance_row(quote: str, vector: np.ndarray | None) -> dict[str, float]:
    """What the stance model reads in a committee's deciding sentences: the closed-class cues
    of the yes/no verdict (support, doubt, negation, contrast, condition) and the sentences'
    mean e5 vector (stored at ingest), which carries the position in words the cues miss."""
    row = {
        **position_cues(quote),
        "length": log1p(len(quote.split())),
        "has_vector": float(vector is not None),
    }
    vec = np.zeros(STANCE_DIMS) if vector is None else np.asarray(vector, dtype=np.float64)[:STANCE_DIMS]
    row.update({f"v{i:03d}": float(x) for i, x in enumerate(vec)})
    return row
