"""What a question asks for, read from its wh-word (Korean, or English: "how many"): a
person, a date, a number, a place, a thing, or a how/why that no short span answers.

The short-answer extractor (``answering.spans``) matches candidate spans against this:
their kind, the particle the wh-word carries ("무엇을" → a span followed by 을/를), and the
noun the wh-word asks about ("어떤 조약" → 조약, "몇 명" → 명).
"""

from __future__ import annotations

from dataclasses import dataclass

Morpheme = tuple[str, str, int, int]  # form, kiwi tag, start, end

PERSON_NOUNS = frozenset({"이름", "사람", "인물", "선수", "감독", "작가", "주인공", "본명"})
DATE_NOUNS = frozenset({"연도", "년도", "날짜", "시기", "해", "날", "때", "시대", "세기"})
PLACE_NOUNS = frozenset({"곳", "장소", "지역", "나라", "국가", "도시", "위치", "출신"})
NUMBER_NOUNS = frozenset({"수", "규모", "금액", "인원", "가격", "비율", "숫자", "개수"})
NOUN_TAGS = frozenset({"NNG", "NNP", "NNB"})
# English wh-words (an English question is analysed as SL morphemes), and the word after
# "how", "what" or "which" that says more ("how many", "what year", "which city").
EN_WH = {"who": "person", "whom": "person", "whose": "person", "when": "date"}
EN_WH |= {"where": "place", "why": "why", "how": "how", "what": "thing", "which": "thing"}
EN_NEXT = {w: "number" for w in ("many", "much", "long", "old", "far", "big", "large")}
EN_NEXT |= {w: "date" for w in ("year", "day", "date", "month", "time")}
EN_NEXT |= {w: "place" for w in ("city", "country", "place", "region", "site")}
# The particle forms that mean the same case, folded to one (이/가, 을/를, …).
FOLD = {"가": "이", "를": "을", "는": "은", "과": "와", "으로": "로", "이라고": "라고"}


@dataclass(frozen=True, slots=True)
class QuestionKind:
    """The answer a question asks for.

    :param kind: person, date, number, place, thing, how, why, or "" when no wh-word shows.
    :param particle: the particle or copula ending after the wh-word, folded ("을", "이", "라고").
    :param noun: the noun the wh-word asks about (after 어떤/무슨/어느/몇, or before the
        topic marker at the end: "이름은?"), lower-cased; "" when none.
    """

    kind: str = ""
    particle: str = ""
    noun: str = ""

    @property
    def focus(self) -> str:
        """The asked-about noun an answer's passage must name ("어떤 반응" → 반응), or "".

        Nouns that only say the kind (이름, 연도, 곳, 규모) and one-syllable units are none.
        """
        generic = PERSON_NOUNS | DATE_NOUNS | PLACE_NOUNS | NUMBER_NOUNS
        return self.noun if len(self.noun) > 1 and self.noun not in generic else ""

    @property
    def wants_span(self) -> bool:
        """A short span can answer it (not a how or a why)."""
        return self.kind not in {"how", "why"}


def fold(form: str) -> str:
    """A particle's case, whatever its allomorph."""
    return FOLD.get(form, form)


def question_kind(morphemes: list[Morpheme]) -> QuestionKind:
    """The kind of answer the question (as kiwi morphemes) asks for."""
    forms = [m[0] for m in morphemes]
    for i, (form, tag, _, _) in enumerate(morphemes):
        kind = _wh_kind(form, tag, forms, i)
        if not kind:
            continue
        noun = ""
        if form in {"어떤", "무슨", "어느", "몇", "어떠한"} and i + 1 < len(morphemes):
            noun = morphemes[i + 1][0].lower() if morphemes[i + 1][1] in NOUN_TAGS else ""
            kind = _noun_kind(noun) or kind
            i += 1 if noun else 0
        return QuestionKind(kind, _particle_after(morphemes, i), noun)
    if all(m[1] == "SL" or m[1].startswith("S") for m in morphemes):
        return english_kind(forms)
    noun = _final_topic_noun(morphemes)
    return QuestionKind(_noun_kind(noun) or ("thing" if noun else ""), "", noun)


def english_kind(words: list[str]) -> QuestionKind:
    """The kind an English question asks for, from its first wh-word ("how many" → a
    number, "which city" → a place); no particle or noun (the articles are Korean)."""
    lowered = [w.lower() for w in words]
    for i, word in enumerate(lowered):
        if word in EN_WH:
            after = lowered[i + 1] if i + 1 < len(lowered) else ""
            refined = EN_NEXT.get(after, "") if word in {"how", "what", "which"} else ""
            return QuestionKind(refined or EN_WH[word])
    return QuestionKind()


def _wh_kind(form: str, tag: str, forms: list[str], i: int) -> str:
    if form in {"누구", "누가"}:
        return "person"
    if form == "언제":
        return "date"
    if form == "어디":
        return "place"
    if form in {"무엇", "뭐", "무어"}:
        return "thing"
    if form == "몇" and tag in {"MM", "NR"}:
        return "number"
    if form == "얼마":
        return "number"
    if form in {"어떤", "무슨", "어느", "어떠한"}:
        return "thing"
    if form == "왜":
        return "why"
    if form in {"어떻", "어떻게"}:
        return "how"
    return ""


def _noun_kind(noun: str) -> str:
    if noun in PERSON_NOUNS:
        return "person"
    if noun in DATE_NOUNS or noun in {"년", "월", "일"}:
        return "date"
    if noun in PLACE_NOUNS:
        return "place"
    if noun in NUMBER_NOUNS:
        return "number"
    return ""


def _particle_after(morphemes: list[Morpheme], i: int) -> str:
    """The case particle or copula ending right after position ``i``, folded."""
    if i + 1 >= len(morphemes):
        return ""
    form, tag = morphemes[i + 1][0], morphemes[i + 1][1]
    if tag.startswith("J"):
        return fold(form)
    if tag == "VCP" and i + 2 < len(morphemes) and morphemes[i + 2][0] in {"라고", "라는"}:
        return fold(morphemes[i + 2][0])
    return ""


def _final_topic_noun(morphemes: list[Morpheme]) -> str:
    """ "…이름은?": the noun right before a topic/subject marker that ends the question."""
    body = [m for m in morphemes if not m[1].startswith("S")]
    if len(body) >= 2 and body[-1][1] in {"JX", "JKS"} and body[-2][1] in NOUN_TAGS:
        return body[-2][0].lower()
    return ""
