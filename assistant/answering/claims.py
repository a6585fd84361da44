"""What a generated sentence claims: its citation markers, numbers, names, refusals.

Pure text functions (no index, no model) that the verifier uses to split an LLM's reply
into sentences with the passage numbers they cite, and to find the numbers and names a
sentence states that no given passage contains.
"""

from __future__ import annotations

import re

from assistant.text.korean import HANGUL, KoreanAnalyzer

# [1], [1, 2], [1][2], [문단 1], [1번], [passage 1]
MARKERS = re.compile(
    r"\[\s*(?:문단|passage|Passage)?\s*(\d{1,2}(?:\s*[,，]\s*(?:문단|passage|Passage)?\s*\d{1,2})*)"
    r"\s*번?\s*\]"
)
# "…했다. [1]" → "…했다 [1]." so the marker stays with its sentence when splitting.
_MARKER_AFTER_STOP = re.compile(r"([.!?。])((?:\s*" + MARKERS.pattern + r")+)")
_LEAD = re.compile(r"^\s*(?:[-*•]\s+|\d+[.)]\s+|(?:답변|답|Answer)\s*[:：]\s*)")
_MARKUP = re.compile(r"\*\*|__|`")
REFUSAL_PATTERNS = re.compile(
    r"찾(?:지\s*못|을\s*수\s*없)|나와\s*있지\s*않|(?:언급|포함|제시|명시)(?:되어|돼)?\s*있지\s*않"
    r"|(?:언급|포함|명시)되지\s*않|알\s*수\s*없|정보가\s*없|답이\s*없|내용이\s*없"
    r"|(?:don't|do not|does not|doesn't)\s+(?:say|contain|mention|include|provide|state)"
    r"|not\s+(?:mentioned|stated|provided|included|found|given)|no\s+information"
    r"|(?:cannot|can't|could not|couldn't)\s+(?:find|answer|determine)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*([조억만천백])?")
_UNITS = {"조": 1e12, "억": 1e8, "만": 1e4, "천": 1e3, "백": 1e2}
MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = re.compile(r"\b(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b", re.I)
NAME_TAGS = frozenset({"NNP", "SL"})


def split_markers(text: str) -> tuple[str, list[int]]:
    """A sentence without its citation markers, and the numbers they held, in order."""
    numbers: list[int] = []
    for m in MARKERS.finditer(text):
        numbers.extend(int(n) for n in re.findall(r"\d+", m.group(1)))
    clean = MARKERS.sub("", text)
    clean = re.sub(r"\s+([.!?。,])", r"\1", clean)
    return re.sub(r"\s{2,}", " ", clean).strip(), list(dict.fromkeys(numbers))


def generated_sentences(text: str, analyzer: KoreanAnalyzer) -> list[tuple[str, list[int]]]:
    """The answer's sentences with the passage numbers each cites.

    Markers written after the full stop ("…했다. [1]") belong to the sentence before them;
    a piece that is nothing but markers is folded into the previous sentence.
    """
    text = _MARKUP.sub("", text)
    text = _MARKER_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    out: list[tuple[str, list[int]]] = []
    for span in analyzer.sentences(text):
        piece = _LEAD.sub("", text[span.start : span.end])
        clean, numbers = split_markers(piece)
        if not re.search(r"\w", clean):
            if out and numbers:
                out[-1] = (out[-1][0], list(dict.fromkeys(out[-1][1] + numbers)))
            continue
        out.append((clean, numbers))
    return out


def numeric_values(text: str) -> tuple[set[float], set[float]]:
    """(stated values, every value a reader could match) of the numbers in ``text``.

    "1만 5천 명" states 15000; "15,000" states 15000; "June" states 6. The second set also
    holds each number as written (1, 5, 10000, 5000), so a passage is searched leniently.
    """
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    stated: set[float] = set()
    parts: set[float] = set()
    matches = list(_NUMBER.finditer(text))
    i = 0
    while i < len(matches):
        total, last_unit, j = 0.0, float("inf"), i
        while j < len(matches):
            m = matches[j]
            if j > i and text[matches[j - 1].end() : m.start()].strip():
                break
            value = float(m.group(1))
            unit = _UNITS.get(m.group(2) or "", 1.0)
            if unit >= last_unit:
                break
            parts.update({value, value * unit})
            total += value * unit
            last_unit = unit
            j += 1
            if unit == 1.0:
                break
        stated.add(total)
        i = max(j, i + 1)
    months = {float(MONTHS[m.group(1).lower()]) for m in _MONTH.finditer(text)}
    return stated | months, stated | parts | months


def _squeeze(text: str) -> str:
    return "".join(text.split()).lower()


def mostly_hangul(text: str) -> bool:
    """Korean prose (morphemes are comparable), not English with a quoted Korean phrase."""
    hangul = len(HANGUL.findall(text))
    return hangul > 0 and hangul >= len(re.findall(r"[A-Za-z]", text))


def quote_key(sentence: str) -> str:
    """The sentence without spaces, case and end punctuation: a verbatim quote matches."""
    return _squeeze(re.sub(r"[.!?。\"'“”‘’]+", "", sentence))


def unknown_facts(
    sentence: str, tokens: list[tuple[str, str]], passages_text: str, passage_numbers: set[float]
) -> list[str]:
    """Numbers, and (in Korean sentences) names, that no given passage contains."""
    stated, _ = numeric_values(sentence)
    unknown = [_fmt(v) for v in sorted(stated) if v not in passage_numbers]
    if mostly_hangul(sentence):
        hay = _squeeze(passages_text)
        for form, tag in tokens:
            if tag in NAME_TAGS and len(form) >= 2 and _squeeze(form) not in hay:
                unknown.append(form)
    return list(dict.fromkeys(unknown))


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def is_refusal(sentence: str) -> bool:
    """True when the sentence says the passages do not hold the answer (ko or en)."""
    return REFUSAL_PATTERNS.search(sentence) is not None
