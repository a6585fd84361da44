"""What kind of answer a Korean question asks for, and whether a sentence can be one.

An extractive answerer that only measures overlap happily answers "푸틴의 나이는?" with a
sentence about Putin, or "사상자는 몇 명?" with a troop count. Checking the expected
answer type (a count with its unit, an age, a date, a cause) and that the counted thing is
named at all turns those into refusals, as a person reading the passage would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Token = tuple[str, str]  # (form, kiwi tag)

DATE_WORDS = re.compile(
    r"\d+\s*(년|월|일)|[월화수목금토일]요일|작년|올해|내년|지난해|어제|오늘|내일"
)
CAUSE_WORDS = re.compile(r"때문|원인|이유|탓|인해|인한|촉발|계기|덕분|따라")
AGE = re.compile(r"\d+\s*(세|살)")
DATE_QUESTION = frozenset({"언제", "며칠", "날짜", "시기"})
CAUSE_QUESTION = frozenset({"왜", "원인"})
PARTICLES = frozenset({"JX", "JKS", "JKG"})
TIME_COUNTERS = frozenset({"년", "월", "일", "시", "분", "초", "살", "세", "번", "차례", "주"})
# Counters a sentence writes shorter: "몇 년도" is answered by "1953년".
COUNTER_FORMS = {"년도": "년", "연도": "년"}
# Nouns that name the measure, not a counted thing ("규모는 몇 명": the troops are counted).
MEASURE_NOUNS = frozenset({"규모", "수", "숫자", "인원", "총", "전체", "정도"})


@dataclass(frozen=True, slots=True)
class Expectation:
    """The kind of answer a question asks for; all fields empty when it asks for none."""

    counter: str | None = None  # unit after 몇: 명, km, 년 …
    counted: str | None = None  # the thing counted: 사상자 in "사상자는 몇 명"
    age: bool = False
    date: bool = False
    cause: bool = False
    unit: bool = False  # the counter measures (km, %), it counts no thing

    def strict(self) -> Expectation:
        """Only the checks that almost never fail an answerable question: an age, a cause,
        a measuring unit, the counted thing (KorQuAD calibration half: a count's counter
        or a date written another way fails about 2% of answerable questions)."""
        return Expectation(
            counter=self.counter if self.unit else None,
            counted=self.counted,
            age=self.age,
            cause=self.cause,
            unit=self.unit,
        )

    @property
    def any(self) -> bool:
        """True when the question asks for some kind of answer at all."""
        return bool(self.counter or self.counted or self.age or self.date or self.cause)

    def met_by(self, sentence: str, tokens: list[Token], context_terms: set[str]) -> bool:
        """True when the sentence can hold this kind of answer."""
        if self.counter and not _number_with(tokens, self.counter):
            return False
        if self.counted and self.counted not in context_terms:
            return False
        if self.age and not AGE.search(sentence):
            return False
        if self.date and not DATE_WORDS.search(sentence):
            return False
        return not (self.cause and not CAUSE_WORDS.search(sentence))


def expectation(tokens: list[Token]) -> Expectation:
    """What the question (as kiwi tokens) asks for: a count after 몇, an age, a date, a cause.

    A count of a named thing ("사상자는 몇 명") also records the thing, so a sentence
    counting something else (troops) cannot answer it.
    """
    forms = [f for f, _ in tokens]
    counter = counted = None
    unit = False
    for i, (form, tag) in enumerate(tokens):
        if form == "몇" and tag in {"MM", "NR"} and i + 1 < len(tokens):
            counter, counter_tag = tokens[i + 1][0].lower(), tokens[i + 1][1]
            counter = COUNTER_FORMS.get(counter, counter)
            if counter_tag != "NNB" or counter in TIME_COUNTERS:
                unit = counter_tag != "NNB"
                continue  # a unit (km, %) or a time measures; it counts no named thing
            j = i - 1
            if j >= 0 and tokens[j][1] in PARTICLES:
                j -= 1
            if j >= 0 and tokens[j][1] in {"NNG", "NNP"} and tokens[j][0] not in MEASURE_NOUNS:
                counted = tokens[j][0].lower()
    return Expectation(
        counter=counter,
        counted=counted,
        age="나이" in forms,
        date=any(f in DATE_QUESTION for f in forms) or (counter in {"월", "일"}),
        cause=any(f in CAUSE_QUESTION for f in forms),
        unit=unit,
    )


def _number_with(tokens: list[Token], counter: str) -> bool:
    """A number (digits, maybe with 만/천 numerals) directly followed by the counter."""
    for i, (_, tag) in enumerate(tokens):
        if tag != "SN":
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][1] in {"NR", "SN"}:
            j += 1
        if j < len(tokens) and tokens[j][0].lower() == counter:
            return True
    return False
