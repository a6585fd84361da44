"""Which stretches of text count as one quotation or bracket, and the cap on them."""

from __future__ import annotations

from assistant.text.quotes import inside, protected
from assistant.types import Span


def _pieces(text: str, max_chars: int = 600) -> list[str]:
    return [text[s.start : s.end] for s in protected(text, max_chars)]


def test_every_kind_of_mark_pairs_with_its_own_closer() -> None:
    text = "“가” ‘나’ 「다」 『라』 (마) [바] 〈사〉 《아》"
    assert _pieces(text) == ["“가”", "‘나’", "「다」", "『라』", "(마)", "[바]", "〈사〉", "《아》"]


def test_straight_quotes_open_after_a_space_and_close_after_text() -> None:
    text = "그는 \"이제 끝났다. 정말이다,\"라고 말했고 '완전한 승리'를 외쳤다."
    assert _pieces(text) == ['"이제 끝났다. 정말이다,"', "'완전한 승리'"]


def test_nested_marks_and_apostrophes() -> None:
    text = "“그는 ‘don't’라고 (웃으며) 말했다”"
    assert _pieces(text) == ["“그는 ‘don't’라고 (웃으며) 말했다”", "‘don't’", "(웃으며)"]


def test_an_unclosed_quote_protects_nothing() -> None:
    assert protected("“끝나지 않는 인용. 다음 문장. 또 다음 문장.") == []


def test_a_pair_longer_than_the_cap_protects_nothing() -> None:
    text = "“" + "가" * 50 + "”"
    assert _pieces(text, max_chars=52) == [text]
    assert _pieces(text, max_chars=51) == []


def test_a_stray_closer_is_ignored_and_inner_opens_stay_unmatched() -> None:
    assert _pieces("1) 첫째 (둘째 [셋째 넷째)") == ["(둘째 [셋째 넷째)"]


def test_inside_is_strictly_after_the_opener_and_up_to_the_closer() -> None:
    regions = [Span(3, 10)]
    assert [inside(regions, p) for p in (3, 4, 9, 10, 11)] == [False, True, True, False, False]
