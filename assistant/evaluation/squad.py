"""SQuAD-format files (KorQuAD 1.0) as evaluation cases with their own corpus.

A SQuAD file brings its own documents: its paragraphs are written out as a JSONL corpus
and indexed apart from the user's news index (``squad_workspace``), and every question
becomes a case whose gold document is its paragraph.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.evaluation.cases import Case, Turn

if TYPE_CHECKING:
    from assistant.settings import Settings


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

    :param path: the SQuAD file.
    :param corpus_out: the JSONL file to write the paragraphs to (its folder is created).
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
