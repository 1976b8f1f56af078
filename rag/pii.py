"""Personal data in questions: Swedish personal identity numbers (personnummer and
samordningsnummer), e-mail addresses and phone numbers.

``redact`` replaces them with placeholders (the question log, api/privacy.py); ``without_contact_details``
blanks them out of the text a question is searched with — they are never what committee
documents are about, and as unknown words they would make an answerable question look unanswerable.
"""

from __future__ import annotations

import re

PNR = "[personnummer]"
EMAIL = "[e-post]"
PHONE = "[telefonnummer]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
# YYMMDD or YYYYMMDD, a valid month, a day 01-31 (or 61-91: samordningsnummer), then -/+/nothing
# and four digits. "212000-0142" (an organisation number: month 20) is not a person.
_PNR_RE = re.compile(
    r"(?<![\d\w])(?:(?:19|20)\d{2}|\d{2})(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])[-+]?\d{4}(?![\d\w])"
)
# +46 / 0046 / a leading 0 (not part of a longer number or word), then digits in groups
# separated by single spaces or hyphens; kept only when the number has 7-10 national digits.
_PHONE_RE = re.compile(r"(?<![\w+])(?:(?:\+|00)46[ -]?(?:\(0\)[ -]?)?|0)[1-9]\d*(?:[ -]\d+)*(?![\d\w])")
_PHONE_MIN, _PHONE_MAX = 7, 9
_PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in (PNR, EMAIL, PHONE)))


def _national_digits(prefix: str) -> int:
    digits = re.sub(r"\D", "", prefix)
    if prefix.startswith("+"):
        digits = digits[2:]
    elif prefix.startswith("00"):
        digits = digits[4:]
    return len(digits.removeprefix("0"))  # the trunk 0 (also "+46 (0)8 ...") does not count


def _phone(match: re.Match[str]) -> str:
    """The longest leading run of digit groups that is a plausible number, redacted."""
    text = match.group(0)
    best = 0
    for end in [m.end() for m in re.finditer(r"\d+", text)]:
        n = _national_digits(text[:end])
        if n > _PHONE_MAX:
            break
        if n >= _PHONE_MIN:
            best = end
    return PHONE + text[best:] if best else text


def redact(text: str) -> str:
    """``text`` with personnummer, e-mail addresses and phone numbers replaced by placeholders."""
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _PNR_RE.sub(PNR, text)
    return _PHONE_RE.sub(_phone, text)


def without_contact_details(text: str) -> str:
    """``text`` with personnummer, e-mail addresses and phone numbers blanked out."""
    return _PLACEHOLDER_RE.sub(" ", redact(text))
