"""Text analysis in one place: language, tokens, stems, compounds and sentences.

Ingest, retrieval, evidence scoring and the learned decisions all read text through these
functions, so a sentence or a word means the same thing at every stage.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rag.lexical import Decompounder, raw_tokens, stem

__all__ = ["Decompounder", "asking_sentences", "detect_language", "raw_tokens", "section_title", "split_claims", "split_sentences", "stem", "with_heading"]

LANGUAGES = ("sv", "en")


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    # py3langid ships its model inside the package (no download); restricted to the two
    # languages the product answers in, so a Swedish place name in an English question
    # ("Does Östermalm support …?") weighs as the one word it is.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGUAGES))
    return ident


def detect_language(text: str) -> str:
    """``sv`` or ``en``: the language to answer in (Swedish when nothing tells)."""
    if not re.search(r"[^\W\d_]", text):
        return "sv"
    lang, _ = _identifier().classify(text)
    return lang if lang in LANGUAGES else "sv"


#: Where a sentence ends: after . ! ? and before what can start one (capital, digit, quote,
#: bullet, parenthesis). Chunking (ingest) and quoting (rag) split at the same places.
#: An enumeration marker ("delrapporter: 1. Stad i samverkan 2. En skola …") ends nothing:
#: split there, a list lost its items to two-character "sentences" and a question about the
#: list quoted its first item alone.
SENTENCE_BOUNDARY = re.compile(
    r"(?<=[.!?])(?<![\s:(]\d\.)(?<![\s:(]\d\d\.)(?<!^\d\.)(?<!^\d\d\.)\s+(?=[A-ZÅÄÖ0-9”\"•(])"
)
_SENT = re.compile(SENTENCE_BOUNDARY.pattern + r"|\s(?=• )")
# In an answer, a citation marker after the full stop ("… centralt. [1]") stays with its claim.
_CLAIM = re.compile(r"(?<=[.!?])\s+(?!\[\d)|(?<=\])\s+(?=[A-ZÅÄÖ\"”])")


def section_title(section_path: str) -> str:
    """A chunk's own heading: the last part of its section path ("A > B > 4.2.1 Åtgärd: …")."""
    return section_path.split(" > ")[-1]


def split_sentences(text: str, heading: str = "") -> list[str]:
    """Sentences of a passage, without its leading ``heading`` (a title is not a claim)."""
    flat, body = _past_heading(text, heading)
    return [s.strip() for s in _SENT.split(flat[body:].strip()) if len(s.strip()) > 2]


def _past_heading(text: str, heading: str) -> tuple[str, int]:
    """The passage on one line (PDF line breaks, and the blank lines some extractors add, are
    not sentence ends), and where its body starts after a leading ``heading`` (0: none)."""
    flat, head = re.sub(r"\s+", " ", text).strip(), re.sub(r"\s+", " ", heading).strip()
    return flat, len(head) if head and flat.startswith(head) and len(flat) > len(head) else 0


def with_heading(text: str, heading: str, sentence: str) -> str:
    """``sentence`` as a quote reads it: when it is the passage's first sentence and the
    heading :func:`split_sentences` left out runs into it in lower case, with that heading in
    front. The section path holds a heading cut at its length limit ("… för kortutbildade där
    s"), and a heading-like word can open a sentence ("Älvsjö" of "Älvsjö tillhör inte …"):
    quoted alone, the sentence began "tudier och arbetsmarknadsinsatser kombineras.". The
    split itself stays: the sentence vectors stored at ingest are of the split sentences."""
    if not sentence[:1].islower():
        return sentence
    flat, body = _past_heading(text, heading)
    rest = flat[body:].lstrip()
    return flat[: len(flat) - len(rest) + len(sentence)] if body and rest.startswith(sentence) else sentence


def split_claims(answer: str) -> list[str]:
    """The sentences of an answer text, each with the citation markers that follow it."""
    return [s for s in _CLAIM.split(answer) if s.strip()]


def asking_sentences(message: str) -> list[str]:
    """The sentences of a chat message that end in a question mark."""
    return [s for s in re.split(r"(?<=[.!?])\s+", message) if s.endswith("?")]


def fold(text: str) -> str:
    """Lower case without diacritics, character for character (``len`` is kept, so a match
    in the folded text is a span of the original): "Södermalm" and "Sodermalm" read alike."""
    return "".join(unicodedata.normalize("NFKD", ch)[0].lower()[0] for ch in text)
