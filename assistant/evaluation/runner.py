"""Running evaluation cases through the chain: a scored report out.

Cases come from ``evaluation.cases`` (or ``evaluation.squad``); each turn is asked through
``assistant.chain`` with the conversation so far, scored (``evaluation.results``) and
summarised (``evaluation.summary``). The report is a plain dict (``EvalReport.to_dict``) so
a saved JSON can be compared with a later run (``evaluation.compare``), printed
(``evaluation.console``) or rendered as HTML (``evaluation.report``).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from assistant.evaluation.results import (
    RANK_DEPTH,
    TurnResult,
    failed_turn,
    result_dict,
    score_turn,
)
from assistant.evaluation.summary import LEGEND, per_tag, summarize
from assistant.pipeline.options import AskOptions
from assistant.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from assistant.evaluation.cases import Case, Turn
    from assistant.pipeline.service import Assistant
    from assistant.settings import Settings
    from assistant.types import Answer

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class EvalReport:
    """A finished (or interrupted) run: every turn's result, the metrics and where they came
    from (settings, code version, case file), ready to be saved as JSON."""

    results: list[TurnResult]
    ks: list[int]
    metrics: dict[str, float] = field(default_factory=dict)
    per_tag: dict[str, dict[str, float]] = field(default_factory=dict)
    partial: bool = False
    planned_cases: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    seconds: float = 0.0
    source: str = ""
    judge: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    code_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON schema (``schema`` is bumped on incompatible changes)."""
        return {
            "schema": SCHEMA_VERSION,
            "timestamp": self.started,
            "seconds": round(self.seconds, 2),
            "source": self.source,
            "code_version": self.code_version,
            "partial": self.partial,
            "cases_planned": self.planned_cases,
            "cases_done": len({r.case_id for r in self.results}),
            "ks": self.ks,
            "metrics": self.metrics,
            "per_tag": self.per_tag,
            "legend": LEGEND,
            "judge": self.judge,
            "notes": self.notes,
            "settings": self.settings,
            "results": [result_dict(r, self.ks) for r in self.results],
        }


def evaluate(
    assistant: Assistant,
    cases: list[Case],
    ks: list[int] | None = None,
    progress: bool = True,
    *,
    source: str = "",
    on_turn: Callable[[TurnResult], None] | None = None,
    options: AskOptions | None = None,
    on_answer: Callable[[TurnResult, Answer], None] | None = None,
) -> EvalReport:
    """Run every case through the chain; Ctrl-C stops early and returns a partial report.

    A turn whose chain call raises is recorded as an error and the run goes on.

    :param assistant: anything with ``settings`` and a ``chain`` whose ``invoke`` takes
        ``question``, ``history`` and ``retrieve_k`` and returns an ``Answer``.
    :param cases: the cases, run in order; turns of a case share their history.
    :param ks: recall/hit cut-offs (default 1, 3, 5, 10).
    :param progress: show a progress bar.
    :param source: where the cases came from, for the report.
    :param on_turn: called with every result as it is scored.
    :param options: per-request options for every question (e.g. another answerer); the
        run's ranking depth is added to them.
    :param on_answer: called with every result and the full ``Answer`` it was scored from.
    """
    ks = sorted(set(ks or [1, 3, 5, 10]))
    # Chunks collapse to documents, so rank more chunks than the deepest cut-off needs.
    retrieve_k = max(max(ks), RANK_DEPTH, assistant.settings.k) * 3
    options = replace(options or AskOptions(), retrieve_k=retrieve_k)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    results: list[TurnResult] = []
    partial = False
    bar = tqdm(cases, desc="eval", unit="case", disable=not progress, dynamic_ncols=True)
    passed = 0
    try:
        if cases:  # lazy loads (BM25 index, first torch call) would otherwise land in turn 1
            with contextlib.suppress(Exception):
                assistant.chain.invoke({"question": cases[0].turns[0].question, "options": options})
        for case in bar:
            history: list[tuple[str, str]] = []
            for i, turn in enumerate(case.turns):
                result = _run_turn(assistant, case, i, turn, history, options, on_answer)
                results.append(result)
                history.append((turn.question, result.answer))
                passed += result.passed
                if on_turn:
                    on_turn(result)
            bar.set_postfix(passed=f"{passed}/{len(results)}", refresh=False)
    except KeyboardInterrupt:
        partial = True
    finally:
        bar.close()
    notes = []
    if partial:
        done = len({r.case_id for r in results})
        notes.append(f"interrupted: {done} of {len(cases)} cases finished")
    return EvalReport(
        results,
        ks,
        summarize(results, ks),
        per_tag=per_tag(results, ks),
        partial=partial,
        planned_cases=len(cases),
        settings=_settings_snapshot(assistant.settings, options),
        started=started,
        seconds=time.perf_counter() - clock,
        source=source,
        judge=judge_status(assistant.settings),
        notes=notes,
        code_version=_code_version(),
    )


def _run_turn(
    assistant: Assistant,
    case: Case,
    i: int,
    turn: Turn,
    history: list[tuple[str, str]],
    options: AskOptions,
    on_answer: Callable[[TurnResult, Answer], None] | None,
) -> TurnResult:
    try:
        answer = assistant.chain.invoke(
            {"question": turn.question, "history": list(history), "options": options}
        )
    except Exception as exc:  # one broken case must not lose a long run: record and go on
        return failed_turn(case, i, turn, exc)
    result = score_turn(case, i, turn, answer)
    if on_answer is not None:
        on_answer(result, answer)
    return result


def judge_status(settings: Settings) -> dict[str, Any]:
    """LLM-judged faithfulness/relevance runs only with a generative answerer and an LLM.

    No numbers are invented when it cannot run: the report carries the reason instead.
    """
    if settings.answerer == "extractive":
        return {
            "status": "skipped",
            "note": "skipped: extractive answerer (answers are quoted sentences, "
            "faithful by construction) and no LLM configured",
        }
    if not (settings.llm_base_url or settings.llm_model_path):
        return {"status": "skipped", "note": "skipped: no LLM configured"}
    return {
        "status": "skipped",
        "note": "skipped: LLM judging is not implemented yet; no scores are reported",
    }


def _settings_snapshot(settings: Settings, options: AskOptions) -> dict[str, Any]:
    """The settings the run used, without secrets, so a report says what it measured."""
    secret = {"llm_api_key", "openai_api_key", "ui_password", "ui_username"}
    snapshot = settings.model_dump(mode="json", exclude=secret)
    if options.answerer:  # the run's questions named another answerer than the default
        snapshot["answerer"] = options.answerer
    if options.k:
        snapshot["k"] = options.k
    return snapshot


def _code_version() -> str:
    """The git commit the code ran at (``+dirty`` with local edits), to tell runs apart."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()
