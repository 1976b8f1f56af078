"""Sentence-level evidence scoring: which sentences of a passage answer the question.

No cross-encoder ships in a PyPI package, so the reranking signal is principled and cheap:
IDF-weighted coverage of the question's (stemmed, decompounded) terms by a sentence, combined
with the passage's dense similarity. Rare question terms (names, "KTH", "facilitatorer")
dominate the weight, which is what a reader checks first too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.lexical import BM25Index, raw_tokens
from rag.text import section_title, split_sentences
from rag.types import Passage


def context_of(p: Passage) -> str:
    """Who speaks and under which heading: counts as nearby context for every sentence."""
    return f"{p.committee} {p.meta.get('section_path', '')}"


def passage_sentences(text: str, section_path: str) -> list[str]:
    return split_sentences(text, section_title(section_path))


#: At most this many characters of announced items join a quote.
ANNOUNCED_CHARS = 600
#: A paragraph: how much of one passage a summary or one side of a comparison quotes.
PARAGRAPH_CHARS = 900


def paragraph_around(sentences: list[str], best: int, chosen: set[int] | None = None, budget: int = PARAGRAPH_CHARS) -> list[int]:
    """The sentences (of ``chosen``; all by default) nearest ``best`` first, each while it still
    fits in ``budget`` characters, in document order: a central sentence with what surrounds it."""
    out: list[int] = []
    for i in sorted(chosen if chosen is not None else range(len(sentences)), key=lambda i: (i != best, abs(i - best))):
        if out and sum(len(sentences[j]) for j in out) + len(sentences[i]) > budget:
            continue
        out.append(i)
    return sorted(out)


_SUMMARY_SECTION = re.compile(r"sammanfattning|summary", re.IGNORECASE)
_SUMMARY_LEAD = re.compile(r"^(sammanfattning|summary)\b\s*", re.IGNORECASE)
_SUMMARY_HEADING = re.compile(r"^\s*(sammanfattning|summary)\s*$", re.IGNORECASE | re.MULTILINE)


def summary_start(text: str, section_path: str, sentences: list[str]) -> int | None:
    """Where the document's own summary starts in a passage: at 0 if the passage is labelled a
    summary section, at the sentence after a "Sammanfattning" heading line inside it (short
    sections are packed together), or None."""
    if _SUMMARY_SECTION.search(section_path):
        return 0
    if _SUMMARY_HEADING.search(text):
        return next((i for i, sent in enumerate(sentences) if _SUMMARY_LEAD.match(sent)), None)
    return None


def without_summary_lead(sentence: str) -> str:
    """A summary's first sentence without its "Sammanfattning" heading."""
    return _SUMMARY_LEAD.sub("", sentence)


def announced(sentences: list[str], shown: list[int]) -> list[int]:
    """``shown`` (sentence indices, in order) with what a shown sentence ending in a colon or a
    semicolon announces ("Nämnden är berörd av två åtgärder;"): the bullet items that follow
    it, or else the one sentence that does. A quote that stops at the colon, or after the
    first of its items, leaves out what it was quoted for."""
    out = list(shown)
    opener = next((i for i in reversed(shown) if sentences[i].rstrip().endswith((":", ";"))), None)
    if opener is None:
        return out
    size = 0
    for j in range(opener + 1, len(sentences)):
        bullet = sentences[j].lstrip().startswith("•")
        if j > opener + 1 and (not bullet or size + len(sentences[j]) > ANNOUNCED_CHARS):
            break
        if j not in out:
            out.append(j)
        size += len(sentences[j])
        if not bullet:
            break
    return sorted(out)


@dataclass
class QueryTerms:
    """Question terms (stems) with IDF weights; each may match any of its variants."""

    weights: dict[str, float]  # stemmed term -> idf
    missing: float = 0.0  # weight of question words the corpus never uses
    variants: dict[str, frozenset[str]] = field(default_factory=dict)  # term -> matching stems
    optional: frozenset[str] = frozenset()  # count when present, never as missing

    @property
    def total(self) -> float:
        return (sum(self.weights.values()) + self.missing) or 1.0

    def share(self, matched: float, absent: set[str]) -> float:
        """``matched`` weight as a share of the total, not counting absent optional terms."""
        excused = sum(self.weights[t] for t in absent if t in self.optional)
        return matched / max(self.total - excused, 1e-9)

    def reweighted(self, weights: dict[str, float], missing: float) -> QueryTerms:
        return QueryTerms(weights, missing, self.variants, self.optional)

    def forms(self, term: str) -> frozenset[str]:
        return self.variants.get(term, frozenset((term,)))

    def present(self, term: str, stems: set[str]) -> bool:
        return not stems.isdisjoint(self.forms(term))

    def matched(self, stems: set[str]) -> set[str]:
        return {t for t in self.weights if self.present(t, stems)}

    def uncovered(self, stems: set[str]) -> tuple[float, float]:
        """What a text with ``stems`` leaves out of the question: the rarest absent term's
        weight relative to the rarest term asked, and the absent share of the total weight."""
        absent = [w for t, w in self.weights.items() if not self.present(t, stems)]
        top = max(self.weights.values(), default=1.0) or 1.0
        return max(absent, default=0.0) / top, sum(absent) / (sum(self.weights.values()) or 1.0)


def _cognates(index: BM25Index, token: str, spelling: bool = False) -> list[str]:
    """Corpus terms sharing a long prefix with an English word ("facilitators" → "facilitator"),
    or with its Swedish spelling ("coordinated" → "koordinated" → "koordineras")."""
    if len(token) < 7:
        return []
    forms = (token, swedish_spelling(token)) if spelling else (token,)
    for form in dict.fromkeys(forms):  # the respelt form only when it differs
        prefix = form[:6]
        # Cognates differ in their endings, not in length: "socially" ~ "social", not "socialbidrag".
        found = [t for t in index.sorted_terms_with_prefix(prefix) if abs(len(t) - len(form)) <= 3][:5]
        if found:
            return found
    return []


_SPELLING = [(re.compile(a), b) for a, b in (
    (r"ph", "f"), (r"th", "t"), (r"qu", "kv"), (r"ck", "k"), (r"c(?=[aoulrtk])", "k"),
)]


def swedish_spelling(word: str) -> str:
    """An English loanword as Swedish spells it: a hard c is k, ph is f, th is t, qu is kv
    ("coordinated" → "koordinated", "quality" → "kvality", "project" → "projekt")."""
    for pattern, repl in _SPELLING:
        word = pattern.sub(repl, word)
    return word


# Words that frame a question rather than describe its answer ("which committees *mention*
# …", "vad *säger* …"); kept out of evidence matching.
FRAME_WORDS = frozenset(
    """nämner nämna nämns säger säga anser anse tycker vill ville beskriver beskrivs svar svaren
    svarat kommenterar kommentera kommenteras tar upp
    mention mentions mentioned say says said think want wants describe describes comment comments discuss
    response responses reply replies answer answers""".split()
)


_ENTITY_NOUN = re.compile(
    r"^(nämnd\w*|stadsdelsnämnd\w*|förvaltning\w*|fackförvaltning\w*|stadsdelsförvaltning\w*|"
    r"committees?|districts?|administrations?|departments?|boards?)$",
    re.IGNORECASE,
)


def without_frame(question: str, entity_phrase: str | None = None, entities: bool = True) -> str:
    """The question minus framing words and (``entities``) the entities an aggregation asks
    about ("vilka nämnder"); in a direct question "stadsdelsnämnderna" is content."""
    if entity_phrase:
        question = question.replace(entity_phrase, " ")
    # Parentheses survive: they mark glosses (see query_terms).
    words = re.findall(r"[\w.:-]+|[()]", question)
    return " ".join(w for w in words if w.lower() not in FRAME_WORDS and not (entities and _ENTITY_NOUN.match(w)))


def without_names(question: str, names: list[str]) -> str:
    """The question minus the committee names it selects by: they say whose texts to read,
    not what to quote from them."""
    for name in names:
        question = re.sub(rf"(?<![\w-]){re.escape(name)}s?(?![\w-])", " ", question, flags=re.IGNORECASE)
    return question


def edit_distance(a: str, b: str, limit: int) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def spelling_variants(index: BM25Index, term: str) -> list[str]:
    """Corpus terms one or two edits away from a long term: documents misspell too
    ("faciliatorer", "facilatorer" for "facilitatorer")."""
    if len(term) < 8:
        return []
    limit = 1 if len(term) < 10 else 2
    return [
        t for t in index.sorted_terms_with_prefix(term[:4])
        if t != term and edit_distance(term, t, limit) <= limit
    ][:4]


_PAREN = re.compile(r"\(([^()]*)\)")
_MEASURE = re.compile(r"\d+(?:\.\d+)+")


def shorter_stems(index: BM25Index, term: str) -> list[str]:
    """Corpus stems that are ``term`` cut by up to three letters: Snowball stems the noun
    "delansvar" to "delansv" but the adjective "delansvariga" to "delansvar"."""
    if len(term) < 8 or term[0].isdigit():
        return []
    return [term[:n] for n in range(max(6, len(term) - 3), len(term)) if term[:n] in index.term_index]


def query_terms(index: BM25Index, question: str, language: str = "sv", spelling: bool = False) -> QueryTerms:
    """The question's terms with IDF weights.

    English words are mapped to Swedish cognates (with ``spelling``, also a word written as
    Swedish spells it: "coordinated" → "koordin…"), long words also match the corpus's
    spelling variants; either way a question word counts once. A Swedish question word that never
    occurs in the corpus is counted as *missing* weight (the documents cannot be about it).
    """
    weights: dict[str, float] = {}
    variants: dict[str, frozenset[str]] = {}
    missing = 0.0
    oov_weight = float(np.percentile(index.idf, 25)) if len(index.idf) else 1.0
    # A parenthesis restates what precedes it ("KTH (the Royal Institute of Technology)"): its
    # words count where a text has them, but a text that lacks them is not the worse for it.
    # One holding a measure number ("(åtgärd 6.4.4)") identifies rather than restates, and
    # stays required.
    glosses = [g for g in _PAREN.findall(question) if not _MEASURE.search(g)]
    main = raw_tokens(_PAREN.sub(lambda m: " " if m.group(1) in glosses else m.group(1), question))
    gloss = [t for t in raw_tokens(" ".join(glosses)) if t not in main]
    names = {w.lower() for w in re.findall(r"\b[A-ZÅÄÖ][\w-]*", question)}

    def add(tok: str) -> None:
        nonlocal missing
        if language == "en" and len(tok) < 5 and not tok[0].isdigit() and tok not in names:
            return  # short English words meet Swedish false friends ("part", "work", "barn")
        terms = [t for t in index.analyse([tok]) if t in index.term_index]
        if not terms and language == "en":
            cognates = _cognates(index, tok, spelling)
            if cognates:
                weights[cognates[0]] = max(float(index.idf[index.term_index[c]]) for c in cognates)
                variants[cognates[0]] = frozenset(cognates)
            return
        if not terms:
            if language == "sv" and not tok.isdigit():
                missing += oov_weight
            return
        for term in terms:
            weights[term] = max(weights.get(term, 0.0), float(index.idf[index.term_index[term]]))
            variants[term] = frozenset((term, *spelling_variants(index, term), *shorter_stems(index, term)))

    for tok in main:
        add(tok)
    required = set(weights)
    for tok in gloss:
        add(tok)
    optional = frozenset(weights) - required if main else frozenset()
    return QueryTerms(weights, missing, variants, optional)


def stems_of(index: BM25Index, text: str) -> set[str]:
    """A text's stems plus bigrams of consecutive word stems ("fokus_skärholm"), so that
    names of several words can be matched as phrases."""
    words = [stem_word for stem_word in (index.analyse([t])[0] for t in raw_tokens(text))]
    out = set(index.analyse(raw_tokens(text)))
    out.update(f"{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    return out


_NAME_PHRASE = re.compile(r"(?<=\s)([A-ZÅÄÖ][\w-]+(?:\s+[A-ZÅÄÖ][\w-]+)+)")


def with_name_phrases(index: BM25Index, terms: QueryTerms, question: str) -> QueryTerms:
    """Add the question's multi-word names ("Fokus Skärholmen") as bigram terms.

    A name must match as a phrase: "Skärholmen … särskilt fokus" is not "Fokus Skärholmen".
    The phrase weighs twice its words, so a passage naming it outranks one with the
    surrounding generic words ("projektet").
    """
    weights = dict(terms.weights)
    for m in _NAME_PHRASE.finditer(question):
        stems = [index.analyse([w])[0] for w in raw_tokens(m.group(1))]
        for a, b in zip(stems, stems[1:], strict=False):
            if a in weights and b in weights:
                weights[f"{a}_{b}"] = 2 * (weights[a] + weights[b])
    return terms.reweighted(weights, terms.missing)


def coverage(index: BM25Index, terms: QueryTerms, text: str) -> float:
    """Share of the question's IDF weight that ``text`` contains (0..1)."""
    if not terms.weights:
        return 0.0
    present = stems_of(index, text)
    hit = {t for t in terms.weights if terms.present(t, present)}
    return terms.share(sum(terms.weights[t] for t in hit), set(terms.weights) - hit)


def anchors(terms: QueryTerms) -> set[str]:
    """The question's most specific words: the rarest terms of five letters or more.

    Short words are mostly verbs and particles whose rarity says little ("tar", "ha").
    """
    long = {t: w for t, w in terms.weights.items() if len(t) >= 5 and not t.isdigit()}
    if not long:
        return set()
    top = max(long.values())
    return {t for t, w in long.items() if w >= 0.9 * top}


def covers_anchor(index: BM25Index, terms: QueryTerms, texts: list[str]) -> bool:
    """True if any text contains a word starting like one of the question's anchors.

    Prefixes (six letters) rather than stems: the stemmer does not always agree on
    "delansvar" / "delansvariga".
    """
    want = {a[:6] for a in anchors(terms)}
    if not want:
        return True
    have = {t[:6] for text in texts for t in index.analyse(raw_tokens(text))}
    return bool(want & have)


@dataclass
class SentenceScores:
    """Per-sentence coverage of the question: ``own`` by the sentence alone, ``window`` with
    its neighbours (and the passage context) counting 0.7."""

    window: list[float]
    own: list[float]

    def best(self, among: list[int] | None = None) -> int:
        """The sentence to centre a quote on (of ``among``, default all): the best window,
        and among near-equal windows the sentence that itself states most ("87 procent av
        hyresrätter", not the sentence before it that only borrows those words from its
        neighbour)."""
        candidates = range(len(self.window)) if among is None else among
        return max(candidates, key=lambda i: (self.window[i] + 0.5 * self.own[i], -i))


def sentence_scores(index: BM25Index, terms: QueryTerms, sentences: list[str], context: str = "") -> SentenceScores:
    """Coverage of each sentence alone and together with its neighbours.

    A committee often names the measure in one sentence and takes its stance in the next
    ("Åtgärden 6.4.4 … Förvaltningen anser att den med fördel kan organiseras centralt").
    """
    if not terms.weights:
        zeros = [0.0] * len(sentences)
        return SentenceScores(zeros, list(zeros))
    sets = [stems_of(index, s) for s in sentences]
    ctx = stems_of(index, context) if context else set()
    window, own_scores = [], []
    for i, own in enumerate(sets):
        near = (sets[i - 1] if i else set()) | (sets[i + 1] if i + 1 < len(sets) else set()) | ctx
        score = alone = 0.0
        absent, not_own = set(), set()
        for t, w in terms.weights.items():
            if terms.present(t, own):
                score += w
                alone += w
            elif terms.present(t, near):
                score += 0.7 * w
                not_own.add(t)
            else:
                absent.add(t)
        window.append(terms.share(score, absent))
        own_scores.append(terms.share(alone, absent | not_own))
    return SentenceScores(window, own_scores)


def window_scores(index: BM25Index, terms: QueryTerms, sentences: list[str], context: str = "") -> list[float]:
    return sentence_scores(index, terms, sentences, context).window
