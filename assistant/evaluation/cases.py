"""Evaluation cases and the JSONL/YAML case files they are written in.

A case is a question (or a conversation of turns) with gold answer strings and gold
documents or passages; no gold answers means the corpus cannot answer it and a refusal is
right. ``load_cases`` reads JSONL or YAML; SQuAD-format files (KorQuAD 1.0) are read by
``evaluation.squad``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import CaseFileError


@dataclass(frozen=True, slots=True)
class Turn:
    """One question with its gold: answer strings, and documents or passages that hold them.

    No answers means the question is unanswerable from the corpus (a refusal passes).
    """

    question: str
    answers: list[str]
    gold_docs: list[str]
    gold_passages: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Case:
    """A question, or a conversation of turns asked in order with their history."""

    id: str
    turns: list[Turn]
    tags: list[str] = field(default_factory=list)


def _strings(value: Any, name: str) -> list[str]:
    """A string or list of scalars as a list of strings (``None`` → empty)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise TypeError(f"'{name}' must be a string or a list of strings")


def _case(raw: Any, default_id: str) -> Case:
    """One parsed case; a single-question case may leave out ``turns``.

    :raises KeyError: a turn has no question.
    :raises TypeError: a field has the wrong shape.
    """
    if not isinstance(raw, dict):
        raise TypeError("a case must be an object")
    turns = raw.get("turns") or [raw]
    if not isinstance(turns, list):
        raise TypeError("'turns' must be a list")
    parsed = []
    for t in turns:
        if not isinstance(t, dict):
            raise TypeError("each turn must be an object")
        question = t.get("question")
        if not isinstance(question, str) or not question.strip():
            raise KeyError("question")
        parsed.append(
            Turn(
                question,
                _strings(t.get("answers", t.get("answer")), "answers"),
                _strings(t.get("gold_docs", t.get("gold_doc")), "gold_docs"),
                _strings(t.get("gold_passages", t.get("gold_passage")), "gold_passages"),
            )
        )
    return Case(str(raw.get("id", default_id)), parsed, _strings(raw.get("tags"), "tags"))


def load_cases(path: Path | str) -> list[Case]:
    """Read cases from JSONL (one per line) or YAML (a list, or a mapping with ``cases``).

    A malformed case is an error naming the file and line, not a silent skip: a skipped
    case would quietly change what the metrics mean.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    cases: list[Case] = []
    if path.suffix.lower() in {".yaml", ".yml"}:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark is not None else ""
            raise CaseFileError(f"{path}{where}: not valid YAML ({exc})") from exc
        if isinstance(data, dict):
            data = data.get("cases")
        if not isinstance(data, list):
            raise CaseFileError(f"{path}: expected a list of cases (or a 'cases:' list)")
        lines = _yaml_item_lines(text)
        for i, raw in enumerate(data):
            line = lines[i] if i < len(lines) else None
            try:
                cases.append(_case(raw, str(i + 1)))
            except (KeyError, TypeError, AttributeError) as exc:
                where = f", line {line}" if line else f", case {i + 1}"
                raise CaseFileError(f"{path}{where}: not a valid case ({_why(exc)})") from exc
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                cases.append(_case(json.loads(line), str(number)))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise CaseFileError(
                    f"{path}, line {number}: not a valid case ({_why(exc)})"
                ) from exc
    if not cases:
        raise CaseFileError(f"{path}: no cases")
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise CaseFileError(f"{path}: case id '{case.id}' occurs twice")
        seen.add(case.id)
    return cases


def _why(exc: Exception) -> str:
    """What was wrong with a case, for the error message."""
    if isinstance(exc, KeyError):
        return f"missing or empty {exc.args[0]!r}"
    return str(exc)


def _yaml_item_lines(text: str) -> list[int]:
    """Line numbers of the top-level sequence items, for error messages."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if k.value == "cases"), None)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]
