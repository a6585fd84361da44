"""Case files: JSONL and YAML loading, malformed cases named by line, SQuAD import."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from assistant.errors import CaseFileError
from assistant.evaluation.cases import Case, Turn, load_cases
from assistant.evaluation.squad import is_squad, load_squad, squad_workspace
from assistant.settings import Settings
from tests.fixtures.paths import SEED


def test_load_jsonl_and_yaml(tmp_path: Path) -> None:
    seed = load_cases(SEED)
    assert len(seed) >= 30 and any(len(c.turns) == 2 for c in seed)
    assert any(not c.turns[0].answers for c in seed)  # unanswerable ones
    y = tmp_path / "cases.yaml"
    y.write_text(
        "cases:\n"
        "  - id: a\n"
        "    question: 한중 정상은 어디서 만났나?\n"
        "    answers: 베이징\n"
        "    gold_docs: [doc1]\n"
        "    tags: [demo]\n"
        "  - id: b\n"
        "    turns:\n"
        "      - {question: 첫 질문, gold_passages: [본문 일부]}\n"
        '      - {question: "그는?"}\n',
        "utf-8",
    )
    cases = load_cases(y)
    assert [c.id for c in cases] == ["a", "b"]
    assert cases[0].turns[0] == Turn("한중 정상은 어디서 만났나?", ["베이징"], ["doc1"], [])
    assert cases[0].tags == ["demo"]
    assert cases[1].turns[0].gold_passages == ["본문 일부"]
    assert cases[1].turns[1].answers == []


def test_jsonl_singular_keys_comments_and_default_ids(tmp_path: Path) -> None:
    f = tmp_path / "cases.jsonl"
    f.write_text(
        "// a comment line\n"
        '{"question": "질문?", "answer": "답", "gold_doc": "d1", "tags": "x"}\n'
        "\n"
        '{"id": 7, "question": "둘째?", "answers": [2024]}\n',
        "utf-8",
    )
    cases = load_cases(f)
    assert cases == [
        Case("2", [Turn("질문?", ["답"], ["d1"])], ["x"]),  # id defaults to the line number
        Case("7", [Turn("둘째?", ["2024"], [])]),
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cases[0].id = "changed"  # type: ignore[misc]


def test_malformed_jsonl_line_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(
        '{"id": "1", "question": "질문?", "answers": ["답"]}\n\n{"id": "2", "question": \n',
        "utf-8",
    )
    with pytest.raises(CaseFileError, match=r"bad\.jsonl, line 3"):
        load_cases(f)
    f.write_text('{"id": "1", "answers": ["답"]}\n', "utf-8")
    with pytest.raises(CaseFileError, match=r"line 1.*missing or empty 'question'"):
        load_cases(f)
    f.write_text('{"id": "1", "question": "q", "answers": [{"x": 1}]}\n', "utf-8")
    with pytest.raises(CaseFileError, match="'answers' must be a string or a list of strings"):
        load_cases(f)
    f.write_text('["not", "an", "object"]\n', "utf-8")
    with pytest.raises(CaseFileError, match=r"line 1.*a case must be an object"):
        load_cases(f)


def test_duplicate_ids_and_empty_files_are_errors(tmp_path: Path) -> None:
    f = tmp_path / "dup.jsonl"
    f.write_text('{"id": "a", "question": "q1"}\n{"id": "a", "question": "q2"}\n', "utf-8")
    with pytest.raises(CaseFileError, match="case id 'a' occurs twice"):
        load_cases(f)
    f.write_text("\n// nothing\n", "utf-8")
    with pytest.raises(CaseFileError, match="no cases"):
        load_cases(f)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("- id: a\n  question: 좋아\n- id: b\n  question: [unclosed\n", "utf-8")
    with pytest.raises(CaseFileError, match=r"line \d.*not valid YAML"):
        load_cases(f)
    f.write_text("- id: a\n  question: 좋아\n- id: b\n  answers: [x]\n", "utf-8")
    with pytest.raises(CaseFileError, match=r"line 3.*question"):
        load_cases(f)
    f.write_text("cases: just a string\n", "utf-8")
    with pytest.raises(CaseFileError, match="expected a list of cases"):
        load_cases(f)


SQUAD = {
    "version": "KorQuAD_v1.0_dev",
    "data": [
        {
            "title": "세종",
            "paragraphs": [
                {
                    "context": "세종은 1443년 훈민정음을 창제하였다.",
                    "qas": [
                        {
                            "id": "s1",
                            "question": "훈민정음을 창제한 해는?",
                            "answers": [{"text": "1443년"}, {"text": "1443년"}],
                        }
                    ],
                },
                {
                    "context": "세종은 1443년 훈민정음을 창제하였다.",  # the same paragraph again
                    "qas": [
                        {"id": "s2", "question": "창제한 왕은?", "answers": [{"text": "세종"}]}
                    ],
                },
                {
                    "context": "장영실은 측우기를 만든 과학자이다.",
                    "qas": [{"id": "s3", "question": "측우기는?", "answers": [{"text": "장영실"}]}],
                },
            ],
        }
    ],
}


def test_squad_file_becomes_cases_and_a_corpus(tmp_path: Path) -> None:
    path = tmp_path / "mini_squad.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), "utf-8")
    assert is_squad(path) and not is_squad(SEED)
    assert not is_squad(tmp_path / "missing.json")
    corpus = tmp_path / "out" / "paragraphs.jsonl"
    cases = load_squad(path, corpus)
    assert [c.id for c in cases] == ["s1", "s2", "s3"]
    assert cases[0].turns[0].answers == ["1443년"]  # duplicate gold answers merged
    # A paragraph that occurs twice is one document, the gold of both questions.
    assert [c.turns[0].gold_docs for c in cases] == [["세종#0"], ["세종#0"], ["세종#2"]]
    assert all(c.tags == ["세종"] for c in cases)
    records = [json.loads(line) for line in corpus.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == ["세종#0", "세종#2"]
    assert records[1] == {
        "id": "세종#2",
        "title": "세종",
        "text": "장영실은 측우기를 만든 과학자이다.",
    }


def test_squad_workspace_is_apart_from_the_news_index(tmp_path: Path) -> None:
    path = tmp_path / "Mini SQuAD.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), "utf-8")
    settings = Settings(data_dir=tmp_path / "data", model_dir=tmp_path / "models")
    cases, corpus_dir, eval_settings = squad_workspace(path, settings)
    assert len(cases) == 3
    assert corpus_dir.parent.parent == tmp_path / "data" / "eval-corpora"
    assert corpus_dir.parent.name.startswith("mini-squad-")
    assert (corpus_dir / "paragraphs.jsonl").is_file()
    assert eval_settings.data_dir == corpus_dir.parent / "data"
    assert eval_settings.models_dir == tmp_path / "models"  # the prepared model is shared
    again = squad_workspace(path, settings)[1]
    assert again == corpus_dir  # same file, same place: the embeddings are reused
