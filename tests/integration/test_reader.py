"""The committed reader weights, run by OpenVINO: fixed answers on Korean passages.

Loads ``assistant/models/reader/`` (its sha256 checked against the card) with the word
embeddings of the prepared e5 folder; converted to OpenVINO IR once into a temporary
models folder. Nothing is trained here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest

from assistant.errors import ModelPreparationError
from assistant.models.prepare import prepare_model
from assistant.models.reader import Reader
from assistant.models.reader_weights import CARD, WEIGHTS, file_sha256, packaged_dir
from tests.fixtures.paths import CORPUS, make_settings

ARTICLE = (CORPUS / "000_e3f8f1e00a5f7b14.txt").read_text(encoding="utf-8")
RATE = "한국은행 금융통화위원회는 물가 상승세 둔화를 근거로 기준금리를 연 3.5%로 동결했다."
SPORT = "손흥민이 토트넘 홈 경기에서 두 골을 넣으며 팀의 3대1 승리를 이끌었다."


@pytest.fixture(scope="module")
def e5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_model(make_settings(tmp_path_factory.mktemp("data")), progress=False)


@pytest.fixture(scope="module")
def reader(e5: Path, tmp_path_factory: pytest.TempPathFactory) -> Reader:
    return Reader(e5, tmp_path_factory.mktemp("models"), threads=2)


def paragraph(containing: str) -> str:
    """The bundled article's paragraph holding ``containing``."""
    return next(p for p in ARTICLE.split("\n\n") if containing in p)


def test_the_weights_are_the_recorded_ones_and_small() -> None:
    folder = packaged_dir()
    card = (folder / CARD).read_text(encoding="utf-8")
    assert file_sha256(folder / WEIGHTS) in card
    assert (folder / WEIGHTS).stat().st_size < 60 * 2**20
    assert "CC BY-ND 2.0 KR" in card


def test_altered_weights_are_refused(e5: Path, tmp_path: Path) -> None:
    weights = tmp_path / "reader"
    shutil.copytree(packaged_dir(), weights)
    with (weights / WEIGHTS).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelPreparationError, match="sha256"):
        Reader(e5, tmp_path / "models", weights)


def test_answers_from_the_right_passage(reader: Reader) -> None:
    spans = reader.read("기준금리를 얼마로 동결했나?", [SPORT, RATE])
    assert spans[1].text == "3.5%"
    assert spans[1].margin > spans[0].margin
    assert all(s.text == p[s.start : s.end] for s, p in zip(spans, [SPORT, RATE], strict=True))


def test_answers_on_the_bundled_article(reader: Reader) -> None:
    text = paragraph("조선중앙통신")
    (span,) = reader.read("김정은의 메시지를 보도한 북한 관영 매체는?", [text])
    # this reader (KorQuAD-trained) finds the agency but runs on past it on news text:
    # '조선중앙통신(KCNA)에 따르면, 김 위원장' (BENCHMARKS.md, "The trained reader")
    assert span.text.startswith("조선중앙통신")
    assert span.text == text[span.start : span.end]


def test_no_answer_scores_lower_where_the_passage_does_not_say(reader: Reader) -> None:
    (unrelated,) = reader.read("기준금리를 얼마로 동결했나?", [SPORT])
    (related,) = reader.read("기준금리를 얼마로 동결했나?", [RATE])
    assert unrelated.margin < related.margin
