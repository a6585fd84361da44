"""One turn's outcome: what the chain retrieved and answered, scored against the case's gold.

Retrieval is scored per document: the ranked chunks are collapsed to their documents (first
occurrence). A retrieved id matches a gold id equal to it or ending in ``/`` + the gold id
(gold ids may be written without the source the index puts in front), and is relabelled by
it. When a turn has gold passages but no gold documents, the ranked documents are
relabelled by the gold passage they contain, so ranking metrics compare like with like.
Answers get KorQuAD's exact match and character F1 (``evaluation.metrics``) on their short
answer (on the whole reply when there is none), and every citation is marked correct or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.evaluation import metrics as m

if TYPE_CHECKING:
    from assistant.evaluation.cases import Case, Turn
    from assistant.types import Answer, Citation

RANK_DEPTH = 10  # MRR@10 and nDCG@10 need at least ten ranked documents


@dataclass(frozen=True, slots=True)
class TurnResult:
    """One question of a case as it was run: the gold, the answer, the ranking, the timings.

    The derived scores (``passed``, ``first_gold_rank``, …) are properties, so a result
    never disagrees with itself; ``result_dict`` writes them out for the saved report.
    """

    case_id: str
    turn: int
    question: str
    answers: list[str]
    gold_docs: list[str]
    answer: str
    refused: bool
    ranked_docs: list[str]
    cited_docs: list[str]
    retrieve_ms: float
    answer_ms: float
    tags: list[str]
    ranked_titles: list[str] = field(default_factory=list)
    relevant: list[str] = field(default_factory=list)  # ids that ranked_docs is scored against
    ranked_ids: list[str] = field(default_factory=list)  # ranked_docs relabelled by passage
    citations: list[dict[str, Any]] = field(default_factory=list)
    status: str = "answered"
    exact_match: float = 0.0
    f1: float = 0.0
    short_answer: str = ""
    relevance: float | None = None

    @property
    def answerable(self) -> bool:
        """The case has gold answers; without them a refusal is the right outcome."""
        return bool(self.answers)

    def hit(self, k: int) -> bool:
        """A relevant id is among the top ``k`` of the ranking."""
        return bool(m.hit_at_k(self.ranking, self.relevant_ids, k))

    @property
    def ranking(self) -> list[str]:
        """The ranked ids scored: passage labels when the gold is passages, else documents."""
        return self.ranked_ids or self.ranked_docs

    @property
    def relevant_ids(self) -> list[str]:
        """The ids that count as relevant in ``ranking``."""
        return self.relevant or self.gold_docs

    @property
    def contains_gold(self) -> bool:
        """The answer was given and holds a gold answer (normalised, spaces ignored)."""
        return not self.refused and m.contains_answer(self.answer, self.answers)

    @property
    def passed(self) -> bool:
        """Answerable: the answer holds a gold answer. Unanswerable: it was refused."""
        return self.contains_gold if self.answerable else self.refused

    @property
    def first_gold_rank(self) -> int | None:
        """1-based rank of the first relevant id, None when none was retrieved."""
        return m.first_rank(self.ranking, self.relevant_ids)


def result_dict(r: TurnResult, ks: list[int]) -> dict[str, Any]:
    """A result with its derived scores, so a saved report can be compared without rescoring.

    :param r: the turn's result.
    :param ks: the recall cut-offs to write out.
    """
    out = asdict(r)
    out.update(
        answerable=r.answerable,
        passed=r.passed,
        contains_gold=r.contains_gold,
        first_gold_rank=r.first_gold_rank,
        recall={str(k): m.recall_at_k(r.ranking, r.relevant_ids, k) for k in ks},
        mrr=m.mrr_at_k(r.ranking, r.relevant_ids, RANK_DEPTH),
        ndcg=m.ndcg_at_k(r.ranking, r.relevant_ids, RANK_DEPTH),
    )
    return out


def score_turn(case: Case, i: int, turn: Turn, answer: Answer) -> TurnResult:
    """The chain's answer to turn ``i`` of ``case``, scored against the turn's gold.

    :param case: the case the turn belongs to (its id and tags are copied).
    :param i: the turn's position in the case, from 0.
    :param turn: the question and its gold answers, documents or passages.
    :param answer: what the chain returned for it.
    """
    ranked, titles, texts = _ranked(answer.documents)
    relevant = list(turn.gold_docs)
    if turn.gold_passages and not turn.gold_docs:
        ranked_ids, relevant = _passage_labels(ranked, texts, turn.gold_passages)
    else:
        ranked_ids = list(dict.fromkeys(gold_label(d, relevant) for d in ranked))
    # EM and F1 score the short answer when there is one, else the whole reply.
    text = "" if answer.refused else (answer.short_answer or answer.text)
    return TurnResult(
        case_id=case.id,
        turn=i,
        question=turn.question,
        answers=turn.answers,
        gold_docs=turn.gold_docs,
        answer=answer.text,
        refused=answer.refused,
        ranked_docs=ranked,
        cited_docs=[c.doc_id for c in answer.citations],
        retrieve_ms=answer.timings.get("retrieve", 0.0) * 1000,
        answer_ms=answer.timings.get("answer", 0.0) * 1000,
        tags=case.tags,
        ranked_titles=titles,
        relevant=relevant,
        ranked_ids=ranked_ids if ranked_ids != ranked else [],
        citations=[_citation(c, turn) for c in answer.citations],
        status=answer.status,
        exact_match=m.best_over_golds(m.exact_match, text, turn.answers),
        f1=m.best_over_golds(m.char_f1, text, turn.answers),
        short_answer="" if answer.refused else answer.short_answer,
        relevance=answer.relevance,
    )


def failed_turn(case: Case, i: int, turn: Turn, exc: Exception) -> TurnResult:
    """A turn whose chain call raised: recorded as a refused ``error`` with the message, so
    one broken case costs one result, not the whole run."""
    return TurnResult(
        case.id, i, turn.question, turn.answers, turn.gold_docs,
        f"error: {type(exc).__name__}: {exc}", True, [], [], 0.0, 0.0, case.tags,
        status="error",
    )  # fmt: skip


def matches_gold(doc_id: str, gold: str) -> bool:
    """``doc_id`` is the gold document: equal to it, or the gold id written without its
    source (``000_e3f8…`` for ``corpus/000_e3f8…``), so case files outlive source names."""
    return doc_id == gold or doc_id.endswith("/" + gold)


def gold_label(doc_id: str, golds: Iterable[str]) -> str:
    """The gold id a retrieved ``doc_id`` matches (``matches_gold``), else ``doc_id``: the
    ranking is scored in the gold's own terms."""
    return next((g for g in golds if matches_gold(doc_id, g)), doc_id)


def _ranked(documents: Iterable[Any]) -> tuple[list[str], list[str], dict[str, str]]:
    """Documents in first-occurrence order, their titles, and each one's chunk texts joined."""
    ids: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    for d in documents:
        doc_id = d.metadata["doc_id"]
        ids.setdefault(doc_id, str(d.metadata.get("title", "")))
        texts.setdefault(doc_id, []).append(d.page_content)
    return list(ids), list(ids.values()), {k: "\n".join(v) for k, v in texts.items()}


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _passage_labels(
    ranked: list[str], texts: dict[str, str], passages: list[str]
) -> tuple[list[str], list[str]]:
    """Relabel ranked documents by the gold passage they contain, for passage-level gold."""
    squeezed = [_squeeze(p) for p in passages]
    labels = []
    for doc_id in ranked:
        hay = _squeeze(texts.get(doc_id, ""))
        match = next((i for i, p in enumerate(squeezed) if p and (p in hay or hay in p)), None)
        labels.append(f"passage:{match}" if match is not None else doc_id)
    return list(dict.fromkeys(labels)), [f"passage:{i}" for i in range(len(passages))]


def _citation(c: Citation, turn: Turn) -> dict[str, Any]:
    """A citation as the report keeps it, marked correct when its passage holds a gold
    answer or passage, or it comes from a gold document."""
    chunk = getattr(c, "text", "") or ""
    in_gold_doc = any(matches_gold(c.doc_id, g) for g in turn.gold_docs)
    has_answer = m.contains_answer(chunk, turn.answers)
    in_passage = any(_squeeze(p) and _squeeze(p) in _squeeze(chunk) for p in turn.gold_passages)
    return {
        "number": c.number,
        "doc_id": c.doc_id,
        "title": c.title,
        "sentence": c.sentence,
        "correct": bool(in_gold_doc or has_answer or in_passage),
    }
