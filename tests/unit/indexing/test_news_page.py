"""Scraped news pages: boilerplate out, main article and related summaries apart."""

from __future__ import annotations

from assistant.indexing.corpus import load_file
from assistant.indexing.news_page import clean_lines, first_sentence, split_news_page
from tests.fixtures.paths import CORPUS

PAGE = CORPUS / "000_e3f8f1e00a5f7b14.txt"


def test_bundled_page_becomes_main_article_plus_related_summaries() -> None:
    articles = load_file(PAGE, CORPUS)
    ids = [a.doc_id for a in articles]
    assert ids == ["000_e3f8f1e00a5f7b14"] + [f"000_e3f8f1e00a5f7b14-r{i}" for i in range(1, 8)]
    main = articles[0]
    assert main.title == "김정은, 푸틴에 새해 인사 메시지 보내 양국 관계 '소중한 공동자산' 평가"
    assert main.text.startswith(main.title)
    assert "1만 5천 명" in main.text
    assert "관련 기사" not in main.text and "마체고라" not in main.text
    assert articles[1].title == "김정은, 평양 주재 러 대사 사망에 푸틴에 조전 보내"
    assert "10년간 대사로 재임" in articles[1].text
    assert all(a.metadata["kind"] == "related" for a in articles[1:])
    assert all(a.metadata["parent"] == main.doc_id for a in articles[1:])


def test_bundled_page_drops_boilerplate() -> None:
    text = "\n".join(a.text for a in load_file(PAGE, CORPUS))
    for junk in ("AI에 의해", "쿠키", "개인정보 보호 정책", "Kim Jong-un writing"):
        assert junk not in text, junk
    assert "거부" not in text.splitlines()  # the banner's button, not the word in the text


def test_page_without_related_block_is_one_article() -> None:
    [article] = split_news_page("제목\n\n첫 문장이다. 둘째 문장이다.", "x", "x.txt")
    assert article.title == "제목" and article.text == "제목\n\n첫 문장이다. 둘째 문장이다."
    assert article.metadata == {"kind": "main"}


def test_related_summary_takes_the_headline_before_it() -> None:
    page = (
        "본문 제목\n\n본문이다.\n\n관련 기사\n\n관련 제목\n\n관련 요약이다.\n\n제목 없는 요약이다."
    )
    main, first, second = split_news_page(page, "p", "p.txt", url="https://x/1")
    assert (main.title, main.url) == ("본문 제목", "https://x/1")
    assert (first.doc_id, first.title, first.text) == (
        "p-r1",
        "관련 제목",
        "관련 제목\n\n관련 요약이다.",
    )
    assert (second.doc_id, second.title, second.url) == ("p-r2", "제목 없는 요약이다.", None)


def test_clean_lines_drops_banners_labels_and_english_captions_in_korean_pages() -> None:
    page = (
        "제목\r\n사진 AI에 의해 생성된 이미지\r\nA crowd in Seoul\n"
        "이 사이트는 쿠키를 사용합니다\n닫기\n본문  이다."
    )
    assert clean_lines(page) == ["제목", "사진", "", "", "", "본문 이다."]


def test_english_pages_keep_their_lines() -> None:
    assert clean_lines("Title\n\nBody text.\nClose") == ["Title", "", "Body text.", ""]


def test_first_sentence_is_cut_to_the_limit() -> None:
    assert first_sentence("짧은 문장이다. 다음 문장.") == "짧은 문장이다."
    long = first_sentence("가" * 100, limit=10)
    assert long == "가" * 9 + "…"


def test_a_long_line_that_mentions_cookies_is_text_not_a_banner(tmp_path) -> None:
    # a whole article on one line was dropped as a cookie banner, silently
    line = "개인정보위는 웹사이트가 쿠키를 사용할 때 동의를 받아야 한다고 밝혔다. " * 8
    assert clean_lines(line) == [line.strip()]
    assert clean_lines("이 웹사이트는 쿠키를 사용합니다") == [""]
    page = tmp_path / "cookies.txt"
    page.write_text(line, "utf-8")
    assert len(load_file(page, tmp_path)) == 1


def test_a_page_of_only_boilerplate_is_warned_about(tmp_path) -> None:
    page = tmp_path / "banner.txt"
    page.write_text("이 웹사이트는 쿠키를 사용합니다\n\n닫기\n", "utf-8")
    warnings: list[str] = []
    assert load_file(page, tmp_path, warnings.append) == []
    (warning,) = warnings
    assert warning.startswith("banner.txt: no article text found (only boilerplate lines)")
