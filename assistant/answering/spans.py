"""The short answer: the span of a quoted sentence that answers a name/number/date/place
question ("알렉산드르 마체고라"), found without an LLM.

Candidates are runs of nominal morphemes (nouns, numbers with their units, foreign words,
hanja; whole eojeols, particles stripped from the end), the same run with the adnominal
word before it ("소중한 공동자산"), and quoted titles. Each is scored by a linear sum
(weights in ``scoring.SPAN_WEIGHTS``) of:

* ``type``: it is the kind asked for (a date, a number with the unit asked, a name);
* ``new``: the share of its words the question does not already contain;
* ``near``: closeness to the question's words in the sentence;
* ``particle``: it carries the particle the question's wh-word carries ("무엇을" → 을/를);
* ``head``: it ends with the noun the wh-word asks about ("어떤 조약" → "… 조약");
* ``proper``: it holds a proper noun, a number or a foreign word;
* ``length``: eojeols beyond the first (short answers are short);
* ``quoted``: it is the whole of a quotation or title in quotes or brackets;
* ``before``: it stands before the nearest question word rather than after it;
* ``single``: it is one syllable long (a clipped "러" for 러시아 rarely answers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.text.korean import CONTENT_TAGS
from assistant.text.question_kind import NUMBER_NOUNS, Morpheme, QuestionKind, fold

NOMINAL = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "XPN", "XSN", "XR", "MM"})
GLUE = frozenset({"SW", "SO"})  # %, ~, · inside a run
MAX_EOJEOLS = 5
DATE = re.compile(r"\d+\s*(년|월|일|세기|년대)|(년|월|일)$")
DATE_END = re.compile(r"(\d+\s*(년|월|일|세기|년대|년간)|[년월일])$")
QUOTED = re.compile(r"[《〈「『“‘\"']([^《》〈〉「」『』“”‘’\"']{1,40})[》〉」』”’\"']")
FEATURES = (
    "type",
    "new",
    "near",
    "particle",
    "head",
    "proper",
    "length",
    "quoted",
    "before",
    "single",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A span of the sentence (offsets into it) with its features."""

    start: int
    end: int
    text: str
    features: tuple[float, ...]

    def score(self, weights: Mapping[str, float]) -> float:
        """The weighted sum of the features."""
        return sum(weights[n] * f for n, f in zip(FEATURES, self.features, strict=True))


def candidates(
    sentence: str, morphemes: list[Morpheme], asked: QuestionKind, question_terms: set[str]
) -> list[Candidate]:
    """Every candidate span of ``sentence`` (morphemes with offsets into it), scored."""
    eojeols = _eojeols(sentence, morphemes)
    spans: dict[tuple[int, int], tuple[int, int]] = {}  # (start, end) -> morpheme range
    for lo, hi in _runs(morphemes, eojeols):
        # spans start and end at eojeol boundaries inside the run
        cuts = [
            k
            for k in range(lo, hi)
            if k == lo or (eojeols[k] != eojeols[k - 1] and not _inside_number(morphemes, k))
        ] + [hi]
        for a in range(len(cuts) - 1):
            for b in range(a + 1, min(len(cuts), a + 1 + MAX_EOJEOLS)):
                i, j = cuts[a], cuts[b]
                spans.setdefault((morphemes[i][2], morphemes[j - 1][3]), (i, j))
                if a == 0 and i > 0 and morphemes[i - 1][1] == "ETM":
                    k = _eojeol_start(eojeols, i - 1)
                    while morphemes[k][1].startswith("S"):  # an opening quote
                        k += 1
                    spans.setdefault((morphemes[k][2], morphemes[j - 1][3]), (k, j))
    quoted = set()
    for m in QUOTED.finditer(sentence):
        i = next((n for n, t in enumerate(morphemes) if t[2] >= m.start(1)), None)
        j = next((n for n, t in enumerate(morphemes) if t[3] > m.end(1)), len(morphemes))
        if i is not None and i < j:
            spans[(m.start(1), m.end(1))] = (i, j)
            quoted.add((m.start(1), m.end(1)))
    anchors = [n for n, t in enumerate(morphemes) if _term(t) in question_terms]
    out = []
    for (start, end), (i, j) in spans.items():
        feats = _features(sentence, morphemes, i, j, eojeols, anchors, asked, question_terms)
        feats += (float((start, end) in quoted),)
        feats += (float(bool(anchors) and min(anchors, key=lambda a: abs(a - i)) >= j),)
        feats += (float(len(sentence[start:end].strip()) == 1),)
        out.append(Candidate(start, end, sentence[start:end], feats))
    return out


def best(cands: list[Candidate], weights: Mapping[str, float]) -> Candidate | None:
    """The best-scoring candidate (the earliest of equals), None when there are none."""
    return max(cands, key=lambda c: (c.score(weights), -c.start), default=None)


def _term(m: Morpheme) -> str:
    form, tag = m[0], m[1]
    if tag not in CONTENT_TAGS:
        return ""
    return form + "다" if tag.startswith(("VV", "VA")) else form.lower()


def _eojeols(sentence: str, morphemes: list[Morpheme]) -> list[int]:
    """Each morpheme's eojeol number (a new one after white space)."""
    out, n = [], 0
    for k, m in enumerate(morphemes):
        if k and m[2] > morphemes[k - 1][3]:  # kiwi skips only white space
            n += 1
        out.append(n)
    return out


def _runs(morphemes: list[Morpheme], eojeols: list[int]) -> list[tuple[int, int]]:
    """Maximal ranges of nominal morphemes (glue symbols inside), as [lo, hi)."""
    runs, lo = [], None
    for k, (_, tag, _, _) in enumerate(morphemes):
        inside = tag in NOMINAL or (tag in GLUE and lo is not None)
        if inside and lo is None:
            lo = k
        elif not inside and lo is not None:
            runs.append((lo, k))
            lo = None
    if lo is not None:
        runs.append((lo, len(morphemes)))
    return [(lo, _trim(morphemes, lo, hi)) for lo, hi in runs if _trim(morphemes, lo, hi) > lo]


def _inside_number(morphemes: list[Morpheme], k: int) -> bool:
    """A cut before morpheme ``k`` would split a number or date ("1만 | 5천 명", "2024년 | 6월")."""
    prev, tag = morphemes[k - 1][1], morphemes[k][1]
    if tag == "SN":
        return prev in {"SN", "NR", "NNB"}
    return tag in {"NR", "NNB"} and prev in {"SN", "NR"}


def _trim(morphemes: list[Morpheme], lo: int, hi: int) -> int:
    while hi > lo and morphemes[hi - 1][1] in GLUE | {"MM", "XPN"}:
        hi -= 1
    return hi


def _eojeol_start(eojeols: list[int], k: int) -> int:
    while k > 0 and eojeols[k - 1] == eojeols[k]:
        k -= 1
    return k


def _features(
    sentence: str,
    morphemes: list[Morpheme],
    i: int,
    j: int,
    eojeols: list[int],
    anchors: list[int],
    asked: QuestionKind,
    question_terms: set[str],
) -> tuple[float, ...]:
    inner = morphemes[i:j]
    text = sentence[inner[0][2] : inner[-1][3]]
    terms = [t for t in (_term(m) for m in inner) if t]
    new = sum(t not in question_terms for t in terms) / len(terms) if terms else 0.0
    outside = [a for a in anchors if a < i or a >= j]
    dist = min((i - a if a < i else a - j + 1 for a in outside), default=99)
    near = 1.0 / (1.0 + max(dist - 1, 0) / 2)
    k = j
    while k < len(morphemes) and morphemes[k][1] in {"SSC", "SSO"}:  # a closing quote
        k += 1
    particle = 0.0
    if asked.particle and k < len(morphemes):
        form = morphemes[k][0]
        if morphemes[k][1] == "VCP" and k + 1 < len(morphemes):
            form = morphemes[k + 1][0]
        particle = float(fold(form) == asked.particle)
    head = float(bool(asked.noun) and inner[-1][0].lower() == asked.noun)
    tags = {m[1] for m in inner}
    proper = float(bool(tags & {"NNP", "SN", "SL", "SH"}))
    length = float(eojeols[j - 1] - eojeols[i])
    return (type_match(text, inner, asked), new, near, particle, head, proper, length)


def type_match(text: str, inner: list[Morpheme], asked: QuestionKind) -> float:
    """1 when the span is the kind of thing asked for, 0 when it cannot be, 0.5 unknown."""
    tags = [m[1] for m in inner]
    numeric = "SN" in tags or "NR" in tags
    if asked.kind == "date":  # a date, not a date followed by a place
        return 1.0 if DATE_END.search(text) else (0.5 if DATE.search(text) else 0.0)
    if asked.kind == "number":
        if not numeric:
            return 0.0
        unit = "" if asked.noun in NUMBER_NOUNS else asked.noun  # 규모 asks, it is no unit
        return 1.0 if not unit or inner[-1][0].lower() == unit else 0.5
    if asked.kind in {"person", "place"}:
        return 1.0 if "NNP" in tags and not numeric else (0.0 if numeric else 0.3)
    if asked.kind == "thing":
        return 0.3 if DATE.search(text) else 0.6
    return 0.5
