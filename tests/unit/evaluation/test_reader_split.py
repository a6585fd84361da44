"""The calibration half's split by article: ``fit`` (trained on) and ``held-out`` (the
no-answer threshold is set there); the test half belongs to neither."""

from __future__ import annotations

import pytest

from assistant.evaluation import reader_data as rd
from assistant.evaluation.cases import Case, Turn
from assistant.models.reader_training import ReaderExample


def _cases(articles: int, per_article: int = 2) -> list[Case]:
    """``per_article`` questions for each of ``articles`` articles, in article order."""
    return [
        Case(f"a{a}-q{q}", [Turn(f"question {a}.{q}", ["x"], [f"art{a}#{q}"])])
        for a in range(articles)
        for q in range(per_article)
    ]


def _titles(cases: list[Case]) -> list[str]:
    return list(dict.fromkeys(c.turns[0].gold_docs[0].split("#")[0] for c in cases))


def test_every_fifth_calibration_article_is_held_out() -> None:
    assert [rd.part_of(i) for i in range(10)] == ["fit"] * 4 + ["held-out"] + ["fit"] * 4 + [
        "held-out"
    ]


def test_parts_split_the_calibration_half_by_article() -> None:
    cases = _cases(20)
    held = rd.part_cases(cases, "held-out")
    fit = rd.part_cases(cases, "fit")
    # calibration articles are the even ones: art0, art2, …; the 5th and 10th held out
    assert _titles(held) == ["art8", "art18"]
    assert len(fit) + len(held) == len(rd.half_cases(cases, "calibration"))
    assert not {c.id for c in fit} & {c.id for c in held}


def test_no_part_touches_the_test_half() -> None:
    cases = _cases(20)
    test_ids = {c.id for c in rd.half_cases(cases, "test")}
    for part in rd.PARTS:
        assert not {c.id for c in rd.part_cases(cases, part)} & test_ids


def test_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown part"):
        rd.part_cases(_cases(5), "calibration")


def test_keep_fit_drops_held_out_questions_and_passages() -> None:
    held_text = "the held-out paragraph about rivers and lakes"
    examples = [
        ReaderExample("fit q", "Title\n\nsome fit paragraph", 0, 4),
        ReaderExample("fit q", "paragraph about rivers"),  # a held-out article's chunk
        ReaderExample("fit q", "Other\n\nthe held-out paragraph"),  # its first chunk
        ReaderExample("held q", "Title\n\nsome fit paragraph"),
    ]
    kept = rd.keep_fit(examples, {"fit q"}, [held_text])
    assert kept == [examples[0]]
