"""The evaluation on the real pipeline (the session ``qa`` index): ``evaluate``, comparing
and rendering its report, and the ``assistant eval`` CLI. Metric maths, case files, gates,
summaries and rendering on hand-made data are in ``tests/unit/evaluation``."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.evaluation.cases import Case, load_cases
from assistant.evaluation.compare import compare
from assistant.evaluation.report import render_html
from assistant.evaluation.runner import evaluate
from assistant.evaluation.squad import is_squad, squad_workspace
from assistant.interfaces.cli import app
from tests.fixtures.paths import MODEL_DIR, SEED, make_settings

# --------------------------------------------------------------------------- real runs

SMALL = ["q01", "q06", "q21", "u01", "f01"]


@pytest.fixture(scope="module")
def small_cases() -> list[Case]:
    return [c for c in load_cases(SEED) if c.id in SMALL]


@pytest.fixture(scope="module")
def small_report(qa, small_cases):
    return evaluate(qa, small_cases, ks=[1, 3, 5], progress=False, source="seed-subset")


def test_evaluate_scores_the_real_pipeline(small_report) -> None:
    d = small_report.to_dict()
    met = d["metrics"]
    assert met["questions"] == 6 and met["unanswerable"] == 1
    for name in ("recall@1", "recall@5", "mrr@10", "ndcg@10", "f1", "answer_contains_gold"):
        assert 0.0 <= met[name] <= 1.0, name
    assert met["recall@5"] >= met["recall@1"]
    assert met["retrieve_p50_ms"] > 0
    assert set(d["per_tag"]) >= {"main", "related", "followup", "unanswerable"}
    r = next(r for r in d["results"] if r["case_id"] == "q21")
    assert r["ranked_docs"] and len(r["ranked_docs"]) == len(set(r["ranked_docs"]))
    assert r["first_gold_rank"] is not None
    assert d["judge"]["status"] == "skipped" and "no LLM" in d["judge"]["note"]
    assert d["settings"]["answerer"] == "extractive" and "llm_api_key" not in d["settings"]
    json.dumps(d)  # the schema is plain JSON


def test_ctrl_c_gives_a_partial_report(qa, small_cases) -> None:
    def interrupt(_result) -> None:
        raise KeyboardInterrupt

    report = evaluate(qa, small_cases, ks=[1], progress=False, on_turn=interrupt)
    assert report.partial and len(report.results) == 1
    assert report.to_dict()["cases_done"] == 1
    assert "interrupted" in report.notes[0]
    assert "Partial run" in render_html(report.to_dict())


def test_a_failing_turn_is_recorded_not_fatal(qa, small_cases) -> None:
    """The real chain, except that one question makes it raise (as a dead LLM server would)."""

    class Flaky:
        settings = qa.settings

        class chain:
            @staticmethod
            def invoke(inputs):
                if inputs["question"] == small_cases[1].turns[0].question:
                    raise RuntimeError("server went away")
                return qa.chain.invoke(inputs)

    report = evaluate(Flaky(), small_cases[:2], ks=[1], progress=False)  # type: ignore[arg-type]
    assert report.metrics["errors"] == 1 and len(report.results) == 2
    bad = report.results[1]
    assert bad.status == "error" and "server went away" in bad.answer and not bad.passed
    assert report.results[0].status != "error"


def test_compare_finds_an_injected_regression(small_report) -> None:
    before = small_report.to_dict()
    after = copy.deepcopy(before)
    victim = next(r for r in after["results"] if r["passed"] and r["answerable"])
    victim.update(passed=False, first_gold_rank=None)
    after["metrics"]["recall@5"] -= 0.2
    diff = compare(before, after)
    assert [c["case"] for c in diff["regressed"]] == [f"{victim['case_id']}/{victim['turn']}"]
    assert "no longer passes" in diff["regressed"][0]["why"]
    row = next(r for r in diff["metrics"] if r["metric"] == "recall@5")
    assert row["verdict"] == "worse"
    back = compare(after, before)
    assert [c["case"] for c in back["improved"]] == [diff["regressed"][0]["case"]]


def test_html_report_is_self_contained(small_report) -> None:
    d = copy.deepcopy(small_report.to_dict())
    d["results"][0].update(passed=False, question="<b>일부러 실패</b>")  # one failure to list
    page = render_html(d, compare(d, d))
    assert page.count("<svg") == 4 and "Refusals by relevance threshold" in page
    assert "&lt;b&gt;일부러 실패&lt;/b&gt;" in page  # text is escaped
    assert "recall@k" in page and "Per tag" in page and "Worst failures" in page
    for external in ("<script", "<link", "src=", "@import", "url("):
        assert external not in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")


# --------------------------------------------------------------------------- the CLI


def _cli_env(settings) -> dict[str, str]:
    return {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_MODEL_DIR": str(MODEL_DIR)}


def test_cli_gates_and_compare(qa, settings, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [ln for ln in SEED.read_text("utf-8").splitlines() if json.loads(ln)["id"] in SMALL]
    # A case that cannot pass (its gold document does not exist), to plant a regression.
    lines.append(
        json.dumps({"id": "planted", "question": "러시아 대사는 누구였나?",
                    "answers": ["없는정답문자열"], "gold_docs": ["no-such-doc"]})
    )  # fmt: skip
    cases.write_text("\n".join(lines) + "\n", "utf-8")
    runner = CliRunner()
    env = _cli_env(settings)
    out_json, html = tmp_path / "run.json", tmp_path / "run.html"
    first = runner.invoke(
        app,
        ["eval", str(cases), "-q", "--k", "1,5", "--json", str(out_json), "--html", str(html),
         "--fail-under", "recall@5=0.5"],
        env=env,
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    report = json.loads(out_json.read_text("utf-8"))
    assert report["schema"] == 1 and report["ks"] == [1, 5]
    assert html.read_text("utf-8").startswith("<!doctype html>")

    failing = runner.invoke(
        app, ["eval", str(cases), "-q", "--fail-under", "recall@1=1.01"], env=env
    )
    assert failing.exit_code == 1
    assert "recall@1" in failing.output and "under the threshold 1.01" in failing.output

    unknown = runner.invoke(app, ["eval", str(cases), "--fail-under", "recal=0.5"], env=env)
    assert unknown.exit_code == 2 and "unknown metric 'recal'" in unknown.output

    # The previous run had the planted case passing with its gold document first.
    previous = copy.deepcopy(report)
    planted = next(r for r in previous["results"] if r["case_id"] == "planted")
    assert not planted["passed"] and planted["first_gold_rank"] is None
    planted.update(passed=True, first_gold_rank=1)
    prev_path = tmp_path / "previous.json"
    prev_path.write_text(json.dumps(previous), "utf-8")
    diffed = runner.invoke(app, ["eval", str(cases), "-q", "--compare", str(prev_path)], env=env)
    assert diffed.exit_code == 0, diffed.output
    assert "regressed: 1 case(s)" in diffed.output
    assert "planted/0" in diffed.output and "no longer passes" in diffed.output


@pytest.mark.slow
def test_cli_evaluates_a_squad_file_in_its_own_index(qa, settings, tmp_path: Path) -> None:
    squad = {
        "version": "KorQuAD_v1.0_dev",
        "data": [
            {
                "title": "세종",
                "paragraphs": [
                    {
                        "context": "세종은 조선의 제4대 왕으로 1443년 훈민정음을 창제하였다.",
                        "qas": [
                            {
                                "id": "s1",
                                "question": "훈민정음을 창제한 해는?",
                                "answers": [{"text": "1443년", "answer_start": 14}],
                            }
                        ],
                    },
                    {
                        "context": "장영실은 세종 때 자격루와 측우기를 만든 과학자이다.",
                        "qas": [
                            {
                                "id": "s2",
                                "question": "측우기를 만든 과학자는?",
                                "answers": [{"text": "장영실", "answer_start": 0}],
                            }
                        ],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "mini_squad.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), "utf-8")
    assert is_squad(path) and not is_squad(SEED)
    data_dir = tmp_path / "data"
    cases, corpus_dir, eval_settings = squad_workspace(path, make_settings(data_dir))
    assert [c.turns[0].gold_docs for c in cases] == [["세종#0"], ["세종#1"]]
    assert eval_settings.data_dir.is_relative_to(data_dir / "eval-corpora")
    assert eval_settings.models_dir == MODEL_DIR
    assert (corpus_dir / "paragraphs.jsonl").read_text("utf-8").count("\n") == 2
    out_json = tmp_path / "squad.json"
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_MODEL_DIR": str(MODEL_DIR)}
    result = CliRunner().invoke(
        app, ["eval", str(path), "-q", "--k", "1,5", "--json", str(out_json)], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out_json.read_text("utf-8"))
    assert report["metrics"]["questions"] == 2
    assert report["metrics"]["recall@5"] == 1.0
    assert not (data_dir / "index" / "news").exists()  # the user's index was not touched
