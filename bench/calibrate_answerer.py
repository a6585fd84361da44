"""Calibrate the extractive answerer's refusal threshold on an eval set.

Runs every case once with the threshold at 0, records the score of the sentence the
answerer would quote (or that the expected-answer-type check already refused), then
sweeps thresholds: share of answerable turns whose answer contains a gold string,
unanswerable turns refused, and off-topic probe questions refused.

    python bench/calibrate_answerer.py [evals/seed.jsonl]
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.evaluation.cases import load_cases
from assistant.pipeline.service import Assistant
from assistant.settings import Settings

# Questions the bundled corpus has nothing on, to see where off-topic scores land.
OFF_TOPIC = [
    "오늘 서울 날씨 어때?",
    "비트코인 가격은?",
    "손흥민은 어느 팀 소속이야?",
    "Who won the 2022 World Cup?",
    "김정은의 키는?",
    "푸틴은 어디서 태어났나?",
    "트럼프는 몇 번째 대통령인가?",
]


def _norm(text: str) -> str:
    return "".join(text.split())


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "evals/seed.jsonl")
    qa = Assistant(Settings(answer_threshold=0.0))
    rows: list[tuple[str, float, bool, str]] = []  # kind, score, contains gold, question
    for case in load_cases(path):
        history: list[tuple[str, str]] = []
        for turn in case.turns:
            answer = qa.ask(turn.question, history)
            score = answer.citations[0].score if answer.citations else float("-inf")
            gold = any(_norm(a) in _norm(answer.text) for a in turn.answers)
            kind = "answerable" if turn.answers else "unanswerable"
            rows.append((kind, score, gold, turn.question))
            history.append((turn.question, answer.text))
    for question in OFF_TOPIC:
        answer = qa.ask(question)
        score = answer.citations[0].score if answer.citations else float("-inf")
        rows.append(("off-topic", score, False, question))

    n_ans = sum(k == "answerable" for k, *_ in rows)
    n_un = sum(k == "unanswerable" for k, *_ in rows)
    n_off = sum(k == "off-topic" for k, *_ in rows)
    print(f"{path}: {n_ans} answerable turns, {n_un} unanswerable, {n_off} off-topic probes")
    print("threshold  contains-gold  unanswerable-refused  off-topic-refused")
    for t in [0.20, 0.25, 0.27, 0.30, 0.33, 0.35, 0.40, 0.45, 0.50]:
        good = sum(k == "answerable" and s >= t and g for k, s, g, _ in rows)
        refused = sum(k == "unanswerable" and s < t for k, s, _, _ in rows)
        off = sum(k == "off-topic" and s < t for k, s, _, _ in rows)
        print(f"{t:9.2f}  {good:>6}/{n_ans:<6}  {refused:>10}/{n_un:<9}  {off:>8}/{n_off}")
    print("\nper question (score of the quoted sentence; -inf = refused by answer type):")
    for kind, score, gold, question in sorted(rows, key=lambda r: r[1]):
        print(f"  {score:6.3f}  {kind:12} {'gold' if gold else '    '}  {question}")


if __name__ == "__main__":
    main()
