"""The English → Korean lexicon: the built-in file, the articles' own pairs, matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.lexicon import Lexicon, name_pairs, words
from assistant.settings import packaged_lexicon


@pytest.fixture(scope="module")
def builtin() -> Lexicon:
    return Lexicon.load(packaged_lexicon())


def test_the_built_in_file_parses_into_korean_forms(builtin: Lexicon) -> None:
    assert len(builtin) > 150
    for phrase, forms in builtin.entries.items():
        assert forms and all(f.strip() == f and f for f in forms), phrase


def test_an_english_question_gets_its_names_and_words_in_korean(builtin: Lexicon) -> None:
    assert builtin.translate("Who condemned the US over Venezuela?") == [
        "규탄",
        "비난",
        "미국",
        "베네수엘라",
    ]


def test_the_longest_phrase_wins_and_acronyms_keep_their_capitals(builtin: Lexicon) -> None:
    assert builtin.translate("What did North Korea tell us?") == ["북한"]
    assert builtin.translate("Which agreement did South Korea and the U.S. reach?") == [
        "합의",
        "협정",
        "한국",
        "미국",
    ]


def test_words_fold_case_accents_and_possessives() -> None:
    assert words("Nicolás Maduro's UN speech") == ["nicolas", "maduro", "UN", "speech"]


def test_articles_add_their_own_parenthesised_names(builtin: Lexicon) -> None:
    texts = [
        "미국은 니콜라스 마두로(Nicolás Maduro) 대통령을 체포했다.",
        "북한 관영 조선중앙통신(KCNA)에 따르면",
    ]
    lexicon = builtin.harvest(texts)
    assert lexicon.translate("What happened to Nicolas Maduro?") == ["니콜라스 마두로"]
    assert lexicon.translate("Did Maduro speak?") == ["마두로"]
    assert "마두로" not in builtin.translate("Did Maduro speak?")  # harvest copies


def test_name_pairs_align_words_and_give_acronyms_the_last_word() -> None:
    assert name_pairs("관영 조선중앙통신", "KCNA") == [("KCNA", ["조선중앙통신"])]
    assert name_pairs("대통령 니콜라스 마두로", "Nicolás Maduro") == [
        ("Nicolás Maduro", ["니콜라스 마두로"]),
        ("Nicolás", ["니콜라스"]),
        ("Maduro", ["마두로"]),
    ]


def test_load_reads_comments_and_alternatives(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("# a comment\n\nSeoul\t서울\nfoo bar\t가|나\n", "utf-8")
    lexicon = Lexicon.load(path)
    assert lexicon.entries == {"seoul": ["서울"], "foo bar": ["가", "나"]}
    assert lexicon.translate("nothing known here") == []


def test_compounds_name_one_word_and_common_words_are_not_mapped_alone() -> None:
    assert name_pairs("1998년 유럽중앙은행", "European Central Bank") == [
        ("European Central Bank", ["유럽중앙은행"])
    ]
    assert name_pairs("게임 오버", "Game Over") == [("Game Over", ["게임 오버"])]
    texts = ["1998년 유럽중앙은행(European Central Bank)이", "가상화폐(virtual currency)는"]
    lexicon = Lexicon().harvest(texts)
    assert lexicon.entries == {"european central bank": ["유럽중앙은행"]}
