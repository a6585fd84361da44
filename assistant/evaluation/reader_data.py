"""Reader training and test examples from KorQuAD, chunked and retrieved by the project.

Each question of a half (articles in order of first appearance; even index: calibration,
odd: test, as ``bench/answer_quality.py`` splits them) gives:

* its gold chunk(s): the chunks the project's ingest cut from its paragraph that hold
  the answer, with the answer's characters mapped into the chunk;
* natural negatives: a chunk of the same paragraph without the answer;
* hard negatives: the top chunks the project's own hybrid retrieval returns once the
  question's article is removed (what an unanswerable question really meets).

The calibration half is itself split by article (:func:`part_of`): the reader trains on
the ``fit`` part only, and its no-answer threshold is set on the ``held-out`` part (every
:data:`HOLD_OUT_EVERY`-th calibration article), which it has never read. The test half is
used for neither.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.cases import Case
from assistant.models.reader_training import ReaderExample

DEPTH = 40
HOLD_OUT_EVERY = 5
PARTS = ("fit", "held-out")


@dataclass(frozen=True, slots=True)
class Gold:
    """A KorQuAD question: its paragraph id (``title#n``), article, paragraph text and
    answer characters in it."""

    qid: str
    question: str
    doc_key: str
    title: str
    answers: list[str]
    context: str
    start: int
    end: int


def article_order(cases: list[Case]) -> dict[str, int]:
    """Article title → its index in order of first appearance."""
    return {t: i for i, t in enumerate(dict.fromkeys(_title(c) for c in cases))}


def half_cases(cases: list[Case], half: str) -> list[Case]:
    """The cases of one half: "calibration" (even article index) or "test" (odd)."""
    order = article_order(cases)
    parity = 1 if half == "test" else 0
    return [c for c in cases if order[_title(c)] % 2 == parity]


def part_of(position: int) -> str:
    """The part of the calibration article at ``position`` (0-based, in calibration
    order): every :data:`HOLD_OUT_EVERY`-th (positions 4, 9, 14, …) is ``held-out``, the
    rest ``fit``."""
    return "held-out" if position % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 else "fit"


def part_cases(cases: list[Case], part: str) -> list[Case]:
    """The cases of one part of the calibration half: "fit" (trained on) or "held-out"
    (threshold calibrated on), split by article with :func:`part_of`."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; expected one of {PARTS}")
    calibration = half_cases(cases, "calibration")
    order = article_order(calibration)
    return [c for c in calibration if part_of(order[_title(c)]) == part]


def _title(case: Case) -> str:
    return case.turns[0].gold_docs[0].rsplit("#", 1)[0]


def keep_fit(
    examples: list[ReaderExample], fit_questions: set[str], held_out_texts: list[str]
) -> list[ReaderExample]:
    """The examples of the ``fit`` questions whose passage is not from a held-out article.

    Examples are keyed by question text; a passage is a chunk of one paragraph, with the
    article's title as its first line when it is the paragraph's first chunk, so it comes
    from a held-out article when its text (title line dropped) is in one of
    ``held_out_texts`` (the held-out paragraphs).
    """
    return [
        ex
        for ex in examples
        if ex.question in fit_questions and not _within(ex.passage, held_out_texts)
    ]


def _within(passage: str, texts: list[str]) -> bool:
    body = passage.split("\n\n", 1)[-1]
    return any(body in text for text in texts)


def fit_examples(
    examples: list[ReaderExample], korquad: Path, cases: list[Case]
) -> list[ReaderExample]:
    """``examples`` (built for the whole calibration half) cut to its ``fit`` part."""
    fit = {c.turns[0].question for c in part_cases(cases, "fit")}
    held = {g.context for g in golds(korquad, part_cases(cases, "held-out"))}
    return keep_fit(examples, fit, sorted(held))


def golds(korquad: Path, cases: list[Case]) -> list[Gold]:
    """The answer offsets of ``cases`` (first answer), read from the KorQuAD file."""
    by_id: dict[str, tuple[str, int, str]] = {}
    for article in json.loads(korquad.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                a = qa["answers"][0]
                by_id[qa["id"]] = (para["context"], a["answer_start"], a["text"])
    out = []
    for c in cases:
        context, start, text = by_id[c.id]
        turn = c.turns[0]
        key = turn.gold_docs[0]
        title = key.rsplit("#", 1)[0]
        out.append(
            Gold(c.id, turn.question, key, title, turn.answers, context, start, start + len(text))
        )
    return out


def doc_ids(qa: Any) -> dict[str, str]:
    """Paragraph id (``title#n``) → the source-scoped document id in the index."""
    return {doc_id.split("/", 1)[-1]: doc_id for doc_id, _, _ in qa.store.documents()}


def doc_chunks(qa: Any, doc_id: str, limit: int = 50) -> list[Any]:
    """The stored chunks of one document, in order."""
    found = qa.store.get_chunks([f"{doc_id}::{i}" for i in range(limit)])
    return [found[k] for k in sorted(found, key=lambda k: int(k.rsplit("::", 1)[1]))]


def gold_examples(qa: Any, gold: Gold, doc_id: str) -> Iterator[ReaderExample]:
    """The paragraph's chunks: holding the answer (positive) or not (one negative).

    The indexed document is not the bare paragraph (ingest puts the title first), so the
    answer's offsets are moved by where the paragraph stands in the document's text.
    """
    chunks = doc_chunks(qa, doc_id)
    base = chunks[0].doc_text.find(gold.context) if chunks else -1
    if base < 0:
        return
    start, end = base + gold.start, base + gold.end
    negative = None
    for chunk in chunks:
        text = chunk.doc_text[chunk.start : chunk.end]
        if chunk.start <= start and end <= chunk.end:
            yield ReaderExample(gold.question, text, start - chunk.start, end - chunk.start)
        elif negative is None and not _mentions(text, gold.answers):
            negative = ReaderExample(gold.question, text)
    if negative is not None:
        yield negative


def _mentions(text: str, answers: list[str]) -> bool:
    return any(a and a in text for a in answers)


def retrieved_without(qa: Any, question: str, title: str, k: int) -> list[Any]:
    """The top ``k`` retrieved chunks once the article ``title`` is removed."""
    ranking = qa.search.search(question, k=DEPTH)
    return [d for d in ranking if d.metadata["title"] != title][:k]


def hard_negatives(qa: Any, gold: Gold, k: int) -> Iterator[ReaderExample]:
    """The question over what retrieval returns without its article (no answer there)."""
    for doc in retrieved_without(qa, gold.question, gold.title, k):
        if not _mentions(doc.page_content, gold.answers):
            yield ReaderExample(gold.question, doc.page_content)


def build(qa: Any, questions: list[Gold], negatives: int = 2) -> list[ReaderExample]:
    """All examples of ``questions``: positives, a same-paragraph negative, hard negatives.

    :param qa: an ``Assistant`` over the KorQuAD paragraphs (``squad_workspace``).
    :param negatives: hard negatives per question.
    """
    ids = doc_ids(qa)
    out: list[ReaderExample] = []
    for gold in questions:
        out.extend(gold_examples(qa, gold, ids[gold.doc_key]))
        out.extend(hard_negatives(qa, gold, negatives))
    return out
