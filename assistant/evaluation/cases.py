"""Evaluation cases: what ``assistant.evaluation.runner`` runs.

A case is a question (or a conversation of turns) with gold answer strings and gold
documents or passages; no gold answers means the corpus cannot answer it and a refusal is
right. Cases come from JSONL or YAML (``load_cases``) or from a SQuAD-format file such as
KorQuAD 1.0 (``load_squad``, ``squad_workspace``), whose paragraphs become their own corpus.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from assistant.errors import CaseFileError

if TYPE_CHECKING:
    from assistant.settings import Settings


@dataclass(slots=True)
class Turn:
    question: str
    answers: list[str]
    gold_docs: list[str]
    gold_passages: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Case:
    id: str
    turns: list[Turn]
    tags: list[str] = field(default_factory=list)


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise TypeError(f"'{name}' must be a string or a list of strings")


def _case(raw: Any, default_id: str) -> Case:
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


def is_squad(path: Path | str) -> bool:
    """A ``.json`` file in SQuAD layout (``data`` → articles → ``paragraphs``)."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return isinstance(data, dict) and "paragraphs" in data["data"][0]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return False


def load_squad(path: Path | str, corpus_out: Path) -> list[Case]:
    """SQuAD-format JSON (KorQuAD 1.0) → cases, writing its paragraphs as a JSONL corpus.

    Paragraph ids are ``title#n``. Paragraphs that occur twice word for word become one
    document, so a question on either copy has one gold document, not a coin toss.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    first_id: dict[str, str] = {}
    records, cases = [], []
    for article in data:
        title = article["title"]
        for n, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            doc_id = first_id.setdefault(context, f"{title}#{n}")
            if doc_id == f"{title}#{n}":
                records.append({"id": doc_id, "title": title, "text": context})
            for qa in paragraph["qas"]:
                answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                cases.append(Case(qa["id"], [Turn(qa["question"], answers, [doc_id])], [title]))
    corpus_out.parent.mkdir(parents=True, exist_ok=True)
    with corpus_out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return cases


def squad_workspace(path: Path | str, settings: Settings) -> tuple[list[Case], Path, Settings]:
    """Cases, corpus folder and settings for evaluating a SQuAD file in its own index.

    The paragraphs go into ``DATA_DIR/eval-corpora/<name>-<hash>/`` with its own Chroma and
    catalog, so the user's news index is never polluted, and a second run reuses the
    embeddings (ingest is incremental). The prepared model folder is shared.
    """
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "squad"
    root = settings.data_dir / "eval-corpora" / f"{name}-{digest}"
    corpus_dir = root / "corpus"
    cases = load_squad(path, corpus_dir / "paragraphs.jsonl")
    eval_settings = settings.model_copy(
        update={"data_dir": root / "data", "model_dir": settings.models_dir}
    )
    return cases, corpus_dir, eval_settings
